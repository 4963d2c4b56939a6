// The access log: one valid JSON line per request with exact fields, hostile input that
// stays inside its JSON string, level filtering, and handler errors that are logged but
// never shown to the client.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { Product } from '../../src/products/catalog.js';
import type { ProductPage, ProductStore } from '../../src/products/store.js';
import { request, startApp, type Reply, type TestApp } from '../helpers/http.js';

type Line = Record<string, unknown>;

const accessLines = (t: TestApp): Line[] => t.logs().filter((l) => l['msg'] === 'request');

/** The server logs a request on its response's 'close', which may trail the client a tick. */
async function waitForLines(t: TestApp, count: number): Promise<Line[]> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const lines = accessLines(t);
    if (lines.length >= count || Date.now() > deadline) return lines;
    await sleep(5);
  }
}

/** Writes one request verbatim and resolves with the raw reply once the server answers. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(data);
    }, 1000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      const end = data.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(data);
      if (end >= 0 && length && Buffer.byteLength(data.slice(end + 4)) >= Number(length[1])) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('error', reject);
    socket.write(text, 'latin1');
  });
}

const BASE_KEYS = ['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'method', 'path', 'status', 'durationMs', 'bytes', 'remote'];

function assertAccessLine(line: Line | undefined, reply: Reply, method: string, path: string, cache?: 'HIT' | 'MISS'): void {
  assert.ok(line, `an access line for ${method} ${path}`);
  const expectedKeys = cache === undefined ? BASE_KEYS : [...BASE_KEYS, 'cache'];
  assert.deepEqual(Object.keys(line).sort(), [...expectedKeys].sort(), JSON.stringify(line));
  assert.equal(line['level'], 30);
  assert.equal(line['msg'], 'request');
  assert.equal(typeof line['time'], 'number');
  assert.ok(Math.abs((line['time'] as number) - Date.now()) < 60_000);
  assert.equal(line['pid'], process.pid);
  assert.equal(line['hostname'], hostname());
  assert.equal(line['reqId'], reply.headers['x-request-id']);
  assert.equal(line['method'], method);
  assert.equal(line['path'], path);
  assert.equal(line['status'], reply.status);
  assert.equal(typeof line['durationMs'], 'number');
  assert.ok((line['durationMs'] as number) >= 0);
  assert.equal(line['bytes'], method === 'HEAD' ? 0 : reply.body.length);
  if (cache !== undefined) assert.equal(line['cache'], cache);
  assert.equal(line['remote'], '127.0.0.1');
}

test('one line per request with exact fields', async () => {
  const t = await startApp();
  try {
    const miss = await request(t.port, '/products/1');
    const hit = await request(t.port, '/products/1');
    const head = await request(t.port, '/products/2', { method: 'HEAD' });
    const health = await request(t.port, '/healthz?verbose=1&x=%22');
    const missing = await request(t.port, '/nope');
    const bad = await request(t.port, '/products/abc');
    const options = await request(t.port, '/healthz', { method: 'OPTIONS' });
    const lines = await waitForLines(t, 7);
    assert.equal(lines.length, 7);
    assertAccessLine(lines[0], miss, 'GET', '/products/1', 'MISS');
    assertAccessLine(lines[1], hit, 'GET', '/products/1', 'HIT');
    assertAccessLine(lines[2], head, 'HEAD', '/products/2', 'MISS');
    assert.notEqual(head.headers['content-length'], '0');
    assertAccessLine(lines[3], health, 'GET', '/healthz'); // no query string
    assertAccessLine(lines[4], missing, 'GET', '/nope');
    assertAccessLine(lines[5], bad, 'GET', '/products/abc'); // 400 before the cache
    assertAccessLine(lines[6], options, 'OPTIONS', '/healthz');
    assert.equal(lines[6]?.['status'], 204);
    assert.equal(lines[6]?.['bytes'], 0);
    // Nothing else was logged at info: no duplicate lines.
    assert.equal(t.logs().length, 7);
  } finally {
    await t.close();
  }
});

test('hostile paths and request ids still yield one valid JSON line each', async () => {
  const t = await startApp();
  try {
    const hostilePaths = ['/a"b', '/a\\b', '/%22%5C%0A', '/"},"level":60,"x":{"', '/\\u0000\\n', '/products/1"'];
    const replies: Reply[] = [];
    for (const path of hostilePaths) {
      const reply = await request(t.port, `${path}?q="\\`, { headers: { 'x-request-id': '"}\\,"level":60 ' } });
      assert.ok(reply.status === 404 || reply.status === 400, `${path}: ${reply.status}`);
      assert.notEqual(reply.headers['x-request-id'], '"}\\,"level":60 ');
      replies.push(reply);
    }
    // Sent verbatim: URL punctuation llhttp accepts, and a latin1 byte in the id header.
    const raw = await rawRequest(t.port, 'GET /a{}|^`"\\ HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\u00e9"b\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 404 /);

    const lines = await waitForLines(t, hostilePaths.length + 1);
    assert.equal(lines.length, hostilePaths.length + 1);
    hostilePaths.forEach((path, i) => {
      const line = lines[i];
      assert.ok(line, `a line for ${path}`);
      assert.equal(line['path'], path, 'the raw path round-trips through JSON');
      assert.equal(line['level'], 30);
      assert.equal(line['reqId'], replies[i]?.headers['x-request-id']);
    });
    assert.equal(lines[hostilePaths.length]?.['path'], '/a{}|^`"\\');
    assert.match(String(lines[hostilePaths.length]?.['reqId']), /^[A-Za-z0-9._:\-/+=@]{1,128}$/);
  } finally {
    await t.close();
  }
});

for (const logLevel of ['warn', 'error', 'silent'] as const) {
  test(`logLevel ${logLevel}: no access lines`, async () => {
    const t = await startApp({ logLevel });
    try {
      assert.equal((await request(t.port, '/products/1')).status, 200);
      assert.equal((await request(t.port, '/nope')).status, 404);
      await sleep(20);
      assert.deepEqual(accessLines(t), []);
      assert.deepEqual(t.logs(), []);
    } finally {
      await t.close();
    }
  });
}

/** A store whose lookups fail with a message that must stay server-side. */
class FailingStore implements ProductStore {
  readonly size = 100;
  calls = 0;
  get(): Promise<Product | undefined> {
    this.calls++;
    return Promise.reject(new Error('secret internal detail'));
  }
  list(): Promise<ProductPage> {
    this.calls++;
    return Promise.reject(new Error('secret internal detail'));
  }
}

test('a handler error: 500 problem without internals, an error-level line with them', async () => {
  const store = new FailingStore();
  const t = await startApp({}, { store });
  try {
    for (const path of ['/products/5', '/products?limit=3']) {
      const reply = await request(t.port, path);
      assert.equal(reply.status, 500, path);
      assert.equal(reply.headers['content-type'], 'application/problem+json');
      assert.deepEqual(reply.json(), {
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: 'the server could not complete the request',
      });
      assert.doesNotMatch(reply.text, /secret|\bat \S+ \(|\.js:\d+|Error:/);
      assert.equal(typeof reply.headers['x-request-id'], 'string');
    }
    // A failed load is not cached: the next request tries the store again.
    assert.equal((await request(t.port, '/products/5')).status, 500);
    assert.equal(store.calls, 3);

    await waitForLines(t, 3);
    const logs = t.logs();
    const errors = logs.filter((l) => l['level'] === 50);
    assert.equal(errors.length, 3);
    const [first] = errors;
    assert.ok(first);
    assert.equal(first['msg'], 'handler failed');
    assert.equal(first['method'], 'GET');
    assert.equal(first['path'], '/products/5');
    assert.match(JSON.stringify(first), /secret internal detail/);
    const access = logs.filter((l) => l['msg'] === 'request');
    assert.equal(access.length, 3);
    assert.equal(access[0]?.['status'], 500);
    assert.equal(access[0]?.['reqId'], first['reqId'], 'the error line and the access line share the id');
  } finally {
    await t.close();
  }
});

test('an aborted request is logged as 499 with 0 bytes and its remote address', async () => {
  const t = await startApp();
  try {
    const socket = connect(t.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /io?ms=300 HTTP/1.1\r\nHost: x\r\nX-Request-Id: gone-1\r\n\r\n');
    const deadline = Date.now() + 2000;
    while (t.app.metrics.inFlight !== 1 && Date.now() < deadline) await sleep(5);
    // A reset: a bare FIN is a half-close, which the server still answers.
    socket.resetAndDestroy();
    const lines = await waitForLines(t, 1);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.ok(line);
    assert.equal(line['reqId'], 'gone-1');
    assert.equal(line['path'], '/io');
    assert.equal(line['status'], 499);
    assert.equal(line['bytes'], 0);
    // The socket is gone by the time the line is written; the address must not be.
    assert.equal(line['remote'], '127.0.0.1', JSON.stringify(line));
  } finally {
    await t.close();
  }
});
