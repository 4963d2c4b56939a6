// What node:http lets through or answers in its own way, answered by this server as RFC
// 9110/9112 say and in its own format: OPTIONS *, CONNECT, a missing Host, HTTP/2.0 in a
// request line, an unknown Transfer-Encoding, X-Request-Id on the parser's 400 and 431,
// HEAD agreeing with GET, If-Match and If-Unmodified-Since, and the 406's Vary.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, test, before, after } from 'node:test';
import { request, startApp, type Reply, type TestApp } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';

interface RawAnswer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string[]>;
  readonly body: string;
  /** Everything the server sent, in case more than one answer came. */
  readonly raw: string;
}

/** Sends `text` on a fresh connection and reads until the server closes it. */
async function raw(port: number, text: string): Promise<RawAnswer> {
  const data = await sendRaw(port, text, 'wait', 3000);
  const end = data.indexOf('\r\n\r\n');
  assert.ok(end > 0, `no answer to ${JSON.stringify(text.slice(0, 60))}: ${JSON.stringify(data)}`);
  const lines = data.slice(0, end).split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(lines[0]?.split(' ')[1]), headers, body: data.slice(end + 4), raw: data };
}

function one(answer: RawAnswer, name: string): string | undefined {
  return answer.headers.get(name)?.join(', ');
}

function assertProblem(answer: RawAnswer, status: number): void {
  assert.equal(answer.status, status, answer.raw);
  assert.equal(one(answer, 'content-type'), 'application/problem+json');
  assert.match(one(answer, 'x-request-id') ?? '', /^\S+$/, 'every answer has an X-Request-Id');
  const problem = JSON.parse(answer.body.slice(0, Number(one(answer, 'content-length')))) as { status: number; title: string };
  assert.equal(problem.status, status);
}

describe('protocol edges (one app)', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  test('OPTIONS * -> 204 with every method the server answers', async () => {
    const answer = await raw(t.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 204, answer.raw);
    // DELETE: /products/{id}/cache (debug rules apply to its use, not to its listing).
    assert.equal(one(answer, 'allow'), 'DELETE, GET, HEAD, OPTIONS');
    assert.ok(one(answer, 'x-request-id'));
    // Any other method on `*` is no resource of ours.
    assertProblem(await raw(t.port, 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 404);
  });

  test('CONNECT -> 501 problem, counted and logged like any request, then the connection closes', async () => {
    const before = t.app.metrics.total;
    const answer = await raw(t.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\ntunnel bytes that are not HTTP');
    assertProblem(answer, 501);
    assert.equal(one(answer, 'connection'), 'close');
    assert.equal(answer.raw.indexOf('HTTP/1.1', 1), -1, 'one answer only');
    assert.equal(t.app.metrics.total, before + 1);
    const counted = t.app.metrics.counts().find((c) => c.method === 'CONNECT');
    assert.deepEqual([counted?.status, counted?.count], [501, 1]);
    const line = t.logs().find((l) => l['msg'] === 'request' && l['method'] === 'CONNECT');
    assert.equal(line?.['status'], 501);
    assert.equal(line?.['reqId'], one(answer, 'x-request-id'));
  });

  test('HTTP/1.1 without Host -> 400 problem and close; HTTP/1.0 without Host is served', async () => {
    const answer = await raw(t.port, 'GET /healthz HTTP/1.1\r\n\r\n');
    assertProblem(answer, 400);
    assert.equal(one(answer, 'connection'), 'close');
    const old = await raw(t.port, 'GET /healthz HTTP/1.0\r\n\r\n');
    assert.equal(old.status, 200);
    assert.equal(old.body, '{"status":"ok"}');
  });

  test('HTTP/2.0 in a request line -> 505 problem and close', async () => {
    const answer = await raw(t.port, 'GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n');
    assertProblem(answer, 505);
    assert.equal(one(answer, 'connection'), 'close');
  });

  test('a Transfer-Encoding other than chunked -> 400 problem and close; chunked is served', async () => {
    for (const te of ['foo', 'gzip, chunked', 'chunked, gzip', 'identity']) {
      const answer = await raw(t.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${te}\r\n\r\n0\r\n\r\n`);
      assertProblem(answer, 400);
      assert.equal(one(answer, 'connection'), 'close', te);
    }
    const chunked = await raw(t.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n');
    assert.equal(chunked.status, 200);
  });

  test("the parser's 400 and 431 carry an X-Request-Id; they count as client errors", async () => {
    const errors = t.app.metrics.clientErrors;
    const malformed = await raw(t.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n');
    assertProblem(malformed, 400);
    const huge = await raw(t.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
    assertProblem(huge, 431);
    assert.notEqual(one(malformed, 'x-request-id'), one(huge, 'x-request-id'));
    assert.equal(t.app.metrics.clientErrors, errors + 2);
  });

  test('a client leaving in the middle of its headers (FIN or reset) is not a client error', async () => {
    const errors = t.app.metrics.clientErrors;
    for (const leave of ['end', 'reset'] as const) {
      const socket = connect(t.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.on('error', () => {});
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: ');
      await new Promise((resolve) => setTimeout(resolve, 30));
      const closed = once(socket, 'close');
      if (leave === 'end') socket.end();
      else socket.resetAndDestroy();
      const stuck = setTimeout(() => socket.destroy(), 3000);
      await closed;
      clearTimeout(stuck);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(t.app.metrics.clientErrors, errors);
  });
});

describe('HEAD agrees with GET', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  const HEADERS = ['content-type', 'content-encoding', 'vary', 'etag', 'last-modified', 'cache-control', 'allow'];
  for (const accept of [undefined, '*;q=0', 'identity;q=0', 'gzip', 'br', 'identity']) {
    test(`Accept-Encoding: ${accept ?? '(none)'}`, async () => {
      for (const path of ['/products/1', '/products?limit=50', '/products/export', '/healthz', '/metrics', '/nope']) {
        const headers: Record<string, string> = accept === undefined ? {} : { 'accept-encoding': accept };
        const get = await request(t.port, path, { headers });
        const head = await request(t.port, path, { method: 'HEAD', headers });
        assert.equal(head.status, get.status, `${path}: HEAD ${head.status}, GET ${get.status}`);
        assert.equal(head.body.length, 0);
        for (const name of HEADERS) assert.equal(head.headers[name], get.headers[name], `${path} ${name}`);
      }
    });
  }
});

describe('preconditions on a cached representation', () => {
  let t: TestApp;
  let etag: string;
  let lastModified: string;
  before(async () => {
    t = await startApp();
    const first = await request(t.port, '/products/1');
    etag = String(first.headers['etag']);
    lastModified = String(first.headers['last-modified']);
  });
  after(() => t.close());

  const get = (headers: Record<string, string>): Promise<Reply> => request(t.port, '/products/1', { headers });
  const earlier = (): string => new Date(Date.parse(lastModified) - 1000).toUTCString();

  test('If-Match that does not match -> 412 problem', async () => {
    for (const value of ['"nope"', `W/${etag}`, `"x", W/${etag}`]) {
      const reply = await get({ 'if-match': value });
      assert.equal(reply.status, 412, value);
      assert.equal(reply.headers['content-type'], 'application/problem+json');
      assert.equal(reply.json<{ status: number }>().status, 412);
    }
  });

  test('If-Match with the current ETag, or *, -> 200', async () => {
    for (const value of [etag, '*', `"x", ${etag}`]) assert.equal((await get({ 'if-match': value })).status, 200, value);
  });

  test('If-Unmodified-Since before Last-Modified -> 412; at or after it, or unparsable -> 200', async () => {
    assert.equal((await get({ 'if-unmodified-since': earlier() })).status, 412);
    assert.equal((await get({ 'if-unmodified-since': lastModified })).status, 200);
    assert.equal((await get({ 'if-unmodified-since': 'yesterday' })).status, 200);
  });

  test('If-Match takes precedence over If-Unmodified-Since; If-None-Match still gives 304 after it', async () => {
    assert.equal((await get({ 'if-match': etag, 'if-unmodified-since': earlier() })).status, 200);
    assert.equal((await get({ 'if-match': etag, 'if-none-match': etag })).status, 304);
    assert.equal((await get({ 'if-match': '"nope"', 'if-none-match': etag })).status, 412);
  });
});

describe("a 406 carries the Vary its 200 has", () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  for (const path of ['/metrics', '/products/1', '/products/export']) {
    test(path, async () => {
      const ok = await request(t.port, path);
      const refused = await request(t.port, path, { headers: { 'accept-encoding': '*;q=0' } });
      assert.equal(refused.status, 406);
      assert.equal(refused.headers['vary'], ok.headers['vary']);
    });
  }
});
