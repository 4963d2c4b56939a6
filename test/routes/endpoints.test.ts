// /io, /healthz, /readyz, unknown paths, absolute-form targets and X-Request-Id.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { request, withApp, type Reply } from '../helpers/http.js';
import { assertInvalid } from '../helpers/problem.js';

interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}

function assertProblem(reply: Reply, status: number): Problem {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.headers['content-type'], 'application/problem+json');
  const problem = reply.json<Problem>();
  assert.deepEqual(Object.keys(problem).sort(), ['detail', 'status', 'title', 'type']);
  assert.equal(problem.status, status);
  return problem;
}

interface RawReply {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** One request written verbatim on a fresh socket; the whole reply until the server closes
 *  or the Content-Length is satisfied. */
function rawRequest(port: number, text: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete reply; got ${JSON.stringify(data)}`));
    }, 2000);
    const tryParse = (): void => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...lines] = data.slice(0, end).split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? '0');
      const body = data.slice(end + 4);
      if (Buffer.byteLength(body) < length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      tryParse();
    });
    socket.on('error', reject);
    socket.write(text);
  });
}

describe('GET /io', () => {
  test('{"message":"ok"} after at least 1 ms by default', async () => {
    await withApp(async (t) => {
      const start = performance.now();
      const reply = await request(t.port, '/io');
      const elapsed = performance.now() - start;
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['content-type'], 'application/json');
      assert.equal(reply.text, '{"message":"ok"}');
      assert.ok(elapsed >= 1, `${elapsed} ms`);
    });
  });

  test('?ms=50 takes at least 50 ms; ?ms=0 and ?ms=1000 are accepted', async () => {
    await withApp(async (t) => {
      const start = performance.now();
      const reply = await request(t.port, '/io?ms=50');
      const elapsed = performance.now() - start;
      assert.equal(reply.text, '{"message":"ok"}');
      assert.ok(elapsed >= 49.5 && elapsed < 1000, `${elapsed} ms`); // timers may fire up to 1 ms early
      assert.equal((await request(t.port, '/io?ms=0')).status, 200);
    });
  });

  const bad = [['ms=1001', 'max'], ['ms=-1', 'type'], ['ms=abc', 'type'], ['ms=', 'type'], ['ms=1.5', 'type'], ['ms=1&ms=2', 'repeated'], ['ms=%zz', 'encoding']] as const;
  for (const [query, rule] of bad) {
    test(`?${query} -> 400 naming ms (${rule})`, async () => {
      await withApp(async (t) => {
        assertInvalid(await request(t.port, `/io?${query}`), 'query', 'ms', rule);
      });
    });
  }

  test('100 concurrent ?ms=100 overlap (the loop is not blocked)', async () => {
    await withApp(async (t) => {
      const start = performance.now();
      const replies = await Promise.all(Array.from({ length: 100 }, () => request(t.port, '/io?ms=100')));
      const elapsed = performance.now() - start;
      for (const reply of replies) assert.equal(reply.text, '{"message":"ok"}');
      assert.ok(elapsed >= 99 && elapsed < 2000, `${elapsed} ms for 100 x 100 ms`);
    });
  });
});

describe('health', () => {
  test('/healthz 200 {"status":"ok"}, no-store', async () => {
    await withApp(async (t) => {
      const reply = await request(t.port, '/healthz');
      assert.equal(reply.status, 200);
      assert.equal(reply.text, '{"status":"ok"}');
      assert.equal(reply.headers['cache-control'], 'no-store');
    });
  });

  test('/readyz 200, then 503 problem once draining; /healthz stays 200', async () => {
    await withApp(async (t) => {
      const ready = await request(t.port, '/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.headers['cache-control'], 'no-store');
      assert.equal(ready.headers['content-type'], 'application/json');

      t.app.lifecycle.draining = true;
      const draining = await request(t.port, '/readyz');
      const problem = assertProblem(draining, 503);
      assert.equal(problem.title, 'Service Unavailable');
      assert.equal(draining.headers['cache-control'], 'no-store');
      const alive = await request(t.port, '/healthz');
      assert.equal(alive.status, 200);
      assert.equal(alive.headers['cache-control'], 'no-store');
    });
  });
});

describe('routing', () => {
  test('unknown paths -> 404 problem', async () => {
    await withApp(async (t) => {
      for (const path of ['/nope', '/', '/healthz/', '/HEALTHZ', '/products/1/extra', '/io/x']) {
        const problem = assertProblem(await request(t.port, path), 404);
        assert.equal(problem.detail, 'no such resource', path);
      }
    });
  });

  test('absolute-form target routes by its path', async () => {
    await withApp(async (t) => {
      const reply = await rawRequest(t.port, 'GET http://example.com/healthz HTTP/1.1\r\nHost: example.com\r\n\r\n');
      assert.equal(reply.status, 200);
      assert.equal(reply.body, '{"status":"ok"}');
      const io = await rawRequest(t.port, 'GET http://example.com:8080/io?ms=2 HTTP/1.1\r\nHost: example.com\r\n\r\n');
      assert.equal(io.status, 200);
      assert.equal(io.body, '{"message":"ok"}');
      const root = await rawRequest(t.port, 'GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n');
      assert.equal(root.status, 404);
    });
  });

  test('absolute-form: a "/" inside the query is not the path', async () => {
    // RFC 3986: the authority ends at the first "/", "?" or "#". Here the path is empty
    // ("/") and "x=/healthz" is the query, so this must not reach /healthz.
    await withApp(async (t) => {
      const reply = await rawRequest(t.port, 'GET http://example.com?x=/healthz HTTP/1.1\r\nHost: example.com\r\n\r\n');
      assert.equal(reply.status, 404, `routed to ${reply.body}`);
    });
  });
});

describe('X-Request-Id', () => {
  test('every response carries one, whatever its status', async () => {
    await withApp(async (t) => {
      const cases: readonly [string, string, number][] = [
        ['GET', '/healthz', 200],
        ['GET', '/nope', 404],
        ['GET', '/io?ms=abc', 400],
        ['POST', '/healthz', 405],
        ['OPTIONS', '/healthz', 204],
        ['HEAD', '/products/1', 200],
        ['GET', '/products/999999', 404],
      ];
      for (const [method, path, status] of cases) {
        const reply = await request(t.port, path, { method });
        assert.equal(reply.status, status, `${method} ${path}`);
        const id = reply.headers['x-request-id'];
        assert.equal(typeof id, 'string', `${method} ${path}`);
        assert.match(String(id), /^[A-Za-z0-9._:\-/+=@]{1,128}$/);
      }
    });
  });

  test('a sane incoming id is echoed', async () => {
    await withApp(async (t) => {
      for (const id of ['abc-123', '3f2b8c1e-9d4a-4f7b-8e2a-1c5d6e7f8a9b', 'a'.repeat(128), 'trace/1:2@x=y+z']) {
        const reply = await request(t.port, '/healthz', { headers: { 'x-request-id': id } });
        assert.equal(reply.headers['x-request-id'], id);
      }
    });
  });

  test('an insane incoming id is replaced by a generated one', async () => {
    await withApp(async (t) => {
      for (const id of ['abc 123', 'a"b', "a'b", 'a'.repeat(129), 'x'.repeat(200), '<script>', 'a\\b', 'a,b', 'é']) {
        const reply = await request(t.port, '/healthz', { headers: { 'x-request-id': id } });
        const echoed = String(reply.headers['x-request-id']);
        assert.notEqual(echoed, id);
        assert.match(echoed, /^[A-Za-z0-9._:\-/+=@]{1,128}$/);
      }
      // An empty value is not an id either.
      const empty = await request(t.port, '/healthz', { headers: { 'x-request-id': '' } });
      assert.match(String(empty.headers['x-request-id']), /^[A-Za-z0-9._:\-/+=@]{1,128}$/);
    });
  });

  test('generated ids are unique across 1000 requests', async () => {
    await withApp(async (t) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 20 });
      try {
        const seen = new Set<string>();
        for (let batch = 0; batch < 10; batch++) {
          const replies = await Promise.all(Array.from({ length: 100 }, () => request(t.port, '/healthz', { agent })));
          for (const reply of replies) {
            assert.equal(reply.status, 200);
            seen.add(String(reply.headers['x-request-id']));
          }
        }
        assert.equal(seen.size, 1000);
      } finally {
        agent.destroy();
      }
    });
  });
});
