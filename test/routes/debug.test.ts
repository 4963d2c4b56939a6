// /debug/pprof in-process: the index, CPU and heap profiles (pprof read back by the tests'
// own decoder, V8 JSON), one CPU profile at a time, a client that leaves, bad parameters,
// the runtime report, and who gets in (loopback, token, DEBUG_ENDPOINTS=off).
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, request, withApp, type Reply, type TestApp } from '../helpers/http.js';
import { isDebugPath } from '../../src/middleware/debug-access.js';
import { loadFor } from '../helpers/load.js';
import { assertInvalid } from '../helpers/problem.js';
import { decodePprof, type DecodedProfile } from '../helpers/pprof-decode.js';

const TOKEN = 'test-token-0123456789abcdef';
/** A file of ours as the compiled suite names it: .../dist/suite/src/http/dispatch.js */
const OUR_FILE = /\/src\/(http|routes|products|observability|cache|lifecycle)\/[a-z-]+\.js$/;

function assertStatus(reply: Reply, status: number, contentType: string): void {
  assert.equal(reply.status, status, reply.text.slice(0, 300));
  assert.equal(reply.headers['content-type'], contentType);
}

function assertAttachment(reply: Reply, filename: string): void {
  assertStatus(reply, 200, filename.includes('.') ? 'application/json' : 'application/octet-stream');
  assert.equal(reply.headers['content-disposition'], `attachment; filename="${filename}"`);
  assert.equal(reply.headers['x-content-type-options'], 'nosniff');
}

/** Samples whose stack passes through a function in one of our source files. */
function ourSamples(profile: DecodedProfile): number {
  return profile.samples.filter((s) => profile.stack(s).some((f) => OUR_FILE.test(f.filename))).length;
}

function assertWellFormed(profile: DecodedProfile): void {
  assert.equal(profile.stringTable[0], '');
  assert.ok(profile.samples.length > 0, 'no samples');
  for (const sample of profile.samples) {
    assert.equal(sample.values.length, profile.sampleTypes.length);
    assert.ok(sample.locationIds.length > 0);
    const names = profile.stack(sample).map((f) => f.name); // throws on a dangling id
    assert.ok(!names.includes('(root)') && !names.includes('(idle)'), names.join(' <- '));
  }
  for (const fn of profile.functions.values()) {
    assert.ok(fn.name !== '', `function ${fn.id} has no name`);
    if (fn.filename.startsWith('/')) assert.ok(fn.startLine >= 1, `${fn.name} ${fn.filename}:${fn.startLine}`);
  }
}

/** Resolves once the runtime report lists a request for `path` in flight. */
async function untilInFlight(t: TestApp, path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const report = await request(t.port, '/debug/pprof/goroutine');
    if (report.text.includes(`GET ${path}`)) return;
    await sleep(10);
  }
  throw new Error(`${path} never showed as in flight`);
}

describe('/debug/pprof index and runtime report', () => {
  test('the index links every profile, gives the commands, and warns that a snapshot blocks', async () => {
    await withApp(async (t) => {
      for (const path of ['/debug/pprof/', '/debug/pprof']) {
        const reply = await request(t.port, path, { headers: { host: 'example.test:8080' } });
        assertStatus(reply, 200, 'text/html; charset=utf-8');
        for (const link of ['profile?seconds=30', 'heap', 'heap?format=heapsnapshot', 'goroutine']) assert.ok(reply.text.includes(`href="/debug/pprof/${link}"`), link);
        assert.ok(reply.text.includes('go tool pprof -top http://example.test:8080/debug/pprof/profile?seconds=10'));
        assert.match(reply.text, /blocks the event loop/);
      }
      const hostile = await request(t.port, '/debug/pprof/', { headers: { host: '<script>' } });
      assert.ok(!hostile.text.includes('<script>'));
    });
  });

  test('goroutine: active resources, this request in flight with its age, connections, event-loop delay', async () => {
    await withApp(async (t) => {
      const reply = await request(t.port, '/debug/pprof/goroutine?debug=1');
      assertStatus(reply, 200, 'text/plain; charset=utf-8');
      assert.equal(reply.headers['x-content-type-options'], 'nosniff');
      assert.match(reply.text, /active resources \(process.getActiveResourcesInfo\): \d+\n/);
      assert.match(reply.text, /\n +1 TCPServerWrap\n/);
      assert.match(reply.text, /in-flight requests: 1 .*\n +[\d.]+ ms {2}GET \/debug\/pprof\/goroutine\?debug=1 {2}id=\S+ remote=127\.0\.0\.1/);
      assert.match(reply.text, /open connections: 1 /);
      assert.match(reply.text, /event loop \(last [\d.]+ s\): delay p50 [\d.]+ ms/);
    });
  });
});

describe('profiles under load', () => {
  test('CPU and heap at once while load hits /products/1: gzip pprof with our functions, then V8 JSON of both', async () => {
    await withApp(async (t) => {
      const load = loadFor(t.port, 2500);
      await sleep(200);
      // One CPU profile and one heap sampling may run together.
      const [cpuReply, heapReply] = await Promise.all([request(t.port, '/debug/pprof/profile?seconds=1'), request(t.port, '/debug/pprof/heap?seconds=1')]);

      assertAttachment(cpuReply, 'profile');
      assert.deepEqual([...cpuReply.body.subarray(0, 2)], [0x1f, 0x8b], 'gzip');
      const cpu = decodePprof(cpuReply.body);
      assertWellFormed(cpu);
      assert.deepEqual(cpu.sampleTypes, [
        { type: 'samples', unit: 'count' },
        { type: 'cpu', unit: 'nanoseconds' },
      ]);
      assert.equal(cpu.period, 1_000_000);
      assert.ok(cpu.durationNanos >= 900_000_000, `${cpu.durationNanos}`);
      assert.ok(ourSamples(cpu) > 0, 'no CPU sample in our files');
      assert.ok([...cpu.functions.values()].some((f) => f.name === 'onRequest' && OUR_FILE.test(f.filename)));

      assertAttachment(heapReply, 'heap');
      const heap = decodePprof(heapReply.body);
      assertWellFormed(heap);
      assert.deepEqual(heap.sampleTypes, [
        { type: 'objects', unit: 'count' },
        { type: 'space', unit: 'bytes' },
      ]);
      assert.deepEqual(heap.periodType, { type: 'space', unit: 'bytes' });
      assert.ok(ourSamples(heap) > 0, 'no allocation in our files');

      const [cpuJson, heapJson] = await Promise.all([
        request(t.port, '/debug/pprof/profile?seconds=1&format=cpuprofile'),
        request(t.port, '/debug/pprof/heap?seconds=1&format=heapprofile'),
      ]);
      assertAttachment(cpuJson, 'profile.cpuprofile');
      const v8cpu = cpuJson.json<{ nodes: { id: number; callFrame: { url: string } }[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }>();
      assert.ok(v8cpu.nodes.length > 0 && v8cpu.startTime < v8cpu.endTime);
      assert.equal(v8cpu.samples.length, v8cpu.timeDeltas.length);
      const ours = new Set(v8cpu.nodes.filter((n) => OUR_FILE.test(n.callFrame.url)).map((n) => n.id));
      assert.ok(v8cpu.samples.some((id) => ours.has(id)), 'no .cpuprofile sample in our files');
      assertAttachment(heapJson, 'heap.heapprofile');
      const v8heap = heapJson.json<{ head: { callFrame: { functionName: string }; children: unknown[] }; samples: unknown[] }>();
      assert.equal(v8heap.head.callFrame.functionName, '(root)');
      assert.ok(v8heap.head.children.length > 0 && v8heap.samples.length > 0);
      assert.equal((await load).errors.connect, 0);
    });
  });

  test('heap?format=heapsnapshot: a whole .heapsnapshot', async () => {
    await withApp(async (t) => {
      const snapshot = await request(t.port, '/debug/pprof/heap?format=heapsnapshot');
      assertAttachment(snapshot, 'heap.heapsnapshot');
      const parsed = snapshot.json<{ snapshot: { meta: { node_fields: string[] } }; nodes: number[]; strings: string[] }>();
      assert.ok(parsed.snapshot.meta.node_fields.includes('self_size'));
      assert.ok(parsed.nodes.length > 0 && parsed.strings.length > 0);
    });
  });
});

describe('/debug/pprof/profile', () => {
  test('one at a time: a second request gets 409 while the first records', async () => {
    await withApp(async (t) => {
      const first = request(t.port, '/debug/pprof/profile?seconds=1');
      await untilInFlight(t, '/debug/pprof/profile');
      const second = await request(t.port, '/debug/pprof/profile?seconds=1&format=cpuprofile');
      assertStatus(second, 409, 'application/problem+json');
      assert.equal((await first).status, 200);
    });
  });

  test('a client that disconnects stops the profile: the next one is accepted at once', async () => {
    await withApp(async (t) => {
      const req = httpRequest({ host: '127.0.0.1', port: t.port, path: '/debug/pprof/profile?seconds=300', agent: false });
      req.on('error', () => {});
      req.end();
      await untilInFlight(t, '/debug/pprof/profile');
      req.destroy();
      await eventually(() => t.app.connections.active === 0, 'the server to see the disconnect');
      const started = Date.now();
      let reply = await request(t.port, '/debug/pprof/profile?seconds=1');
      // The abort travels through a few callbacks; a 409 may only come right at the start.
      while (reply.status === 409 && Date.now() - started < 3000) {
        await sleep(20);
        reply = await request(t.port, '/debug/pprof/profile?seconds=1');
      }
      assert.equal(reply.status, 200, reply.text);
      assert.ok(Date.now() - started < 5000);
    });
  });

  test('bad parameters are the 400 naming them; HEAD records nothing', async () => {
    await withApp(async (t) => {
      const seconds = ['seconds=0', 'seconds=301', 'seconds=abc', 'seconds=-1', 'seconds=1.5', 'seconds=', 'seconds=1&seconds=2'];
      const bad: [string, string][] = seconds.map((q) => [`/debug/pprof/profile?${q}`, 'seconds']);
      bad.push(['/debug/pprof/profile?format=svg', 'format'], ['/debug/pprof/heap?seconds=0', 'seconds'], ['/debug/pprof/heap?format=cpuprofile', 'format']);
      for (const [path, name] of bad) assertInvalid(await request(t.port, path), 'query', name);
      const head = await request(t.port, '/debug/pprof/profile', { method: 'HEAD' });
      assert.equal(head.status, 200);
    });
  });
});

describe('/debug access', () => {
  const paths = ['/debug/pprof/', '/debug/pprof/goroutine', '/debug/pprof/profile?seconds=1', '/debug/pprof/heap?seconds=1'];

  test('a remote client: 404 without the token or with a wrong one, 200 with it', async () => {
    await withApp(
      async (t) => {
        const as = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } });
        for (const path of paths) {
          const denied = await request(t.port, path);
          assertStatus(denied, 404, 'application/problem+json');
          assert.equal(denied.json<{ detail: string }>().detail, 'no such resource', 'the same 404 as an unknown path');
          assert.equal((await request(t.port, path, as(`Bearer ${TOKEN}x`))).status, 404);
          assert.equal((await request(t.port, path, as(`Basic ${TOKEN}`))).status, 404);
        }
        assert.equal((await request(t.port, '/debug/pprof/goroutine', as(`Bearer ${TOKEN}`))).status, 200);
        assert.equal((await request(t.port, '/debug/pprof/', as(`bearer ${TOKEN}`))).status, 200);
        assert.equal((await request(t.port, '/healthz')).status, 200, 'other routes do not care');
      },
      { debugToken: TOKEN },
      { isLocalClient: () => false },
    );
  });

  test('without a token nobody remote gets in', async () => {
    await withApp(
      async (t) => {
        assert.equal((await request(t.port, '/debug/pprof/goroutine', { headers: { authorization: 'Bearer ' } })).status, 404);
      },
      {},
      { isLocalClient: () => false },
    );
  });

  test('a loopback request carrying any proxy header is remote: 404 without the token, 200 with it', async () => {
    const proxyHeaders: Record<string, string> = {
      'x-real-ip': '203.0.113.9',
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-host': 'example.test',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      forwarded: 'for=203.0.113.9',
      via: '1.1 proxy',
      'true-client-ip': '203.0.113.9',
      'cf-connecting-ip': '203.0.113.9',
      'fastly-client-ip': '203.0.113.9',
      'x-client-ip': '203.0.113.9',
      'x-cluster-client-ip': '203.0.113.9',
    };
    await withApp(
      async (t) => {
        assert.equal((await request(t.port, '/debug/pprof/goroutine')).status, 200, 'loopback without a proxy header');
        for (const [name, value] of Object.entries(proxyHeaders)) {
          // Header names are case-insensitive: send one spelt as a proxy might.
          const spelt = name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase());
          assert.equal((await request(t.port, '/debug/pprof/goroutine', { headers: { [spelt]: value } })).status, 404, spelt);
          assert.equal((await request(t.port, '/debug/pprof/goroutine', { method: 'OPTIONS', headers: { [name]: value } })).status, 404, `OPTIONS ${name}`);
          const withToken = await request(t.port, '/debug/pprof/goroutine', { headers: { [name]: value, authorization: `Bearer ${TOKEN}` } });
          assert.equal(withToken.status, 200, `${name} with the token`);
        }
        assert.equal((await request(t.port, '/debug/pprof/goroutine', { headers: { 'x-request-id': 'abc', 'x-forwarded': 'no' } })).status, 200, 'other headers do not count');
      },
      { debugToken: TOKEN },
    );
  });

  test('DEBUG_ENDPOINTS=off: no /debug routes at all', async () => {
    await withApp(
      async (t) => {
        for (const path of paths) assertStatus(await request(t.port, path), 404, 'application/problem+json');
        assert.equal((await request(t.port, '/debug/pprof/', { method: 'OPTIONS' })).status, 404);
        assert.ok(!t.app.router.routes.some((r) => r.pattern.startsWith('/debug')));
      },
      { debugEndpoints: 'off' },
    );
  });
});

describe('/debug hidden from a client that may not use it', () => {
  const methods = ['GET', 'HEAD', 'OPTIONS', 'POST', 'DELETE', 'PROPFIND'];
  const paths = ['/debug', '/debug/', '/debug/pprof', '/debug/pprof/', '/debug/pprof/profile', '/debug/pprof/heap', '/debug/pprof/goroutine', '/debug/nothing'];

  /** What a client can learn from a reply: all but the per-request id and the clock. */
  function visible(reply: Reply): { status: number; headers: Record<string, unknown>; body: string } {
    const { 'x-request-id': _id, date: _date, ...headers } = reply.headers;
    return { status: reply.status, headers, body: reply.text };
  }

  test('every method on every /debug path answers exactly as an unknown path does', async () => {
    await withApp(
      async (t) => {
        for (const method of methods) {
          const unknown = visible(await request(t.port, '/nope', { method }));
          assert.equal(unknown.status, 404, `${method} /nope`);
          for (const path of paths) {
            assert.deepEqual(visible(await request(t.port, path, { method })), unknown, `${method} ${path}`);
            assert.deepEqual(visible(await request(t.port, `${path}?seconds=1`, { method })), unknown, `${method} ${path}?seconds=1`);
          }
          // Absolute-form targets (what a client sends a proxy) route by their path.
          assert.deepEqual(visible(await request(t.port, 'http://example.test/debug/pprof/', { method })), unknown, `${method} absolute-form`);
        }
        // The token still opens the door.
        assert.equal((await request(t.port, '/debug/pprof/', { method: 'OPTIONS', headers: { authorization: `Bearer ${TOKEN}` } })).status, 204);
      },
      { debugToken: TOKEN },
      { isLocalClient: () => false },
    );
  });

  test('an allowed client still gets 204 with Allow for OPTIONS, 405 for a wrong method, 404 for an unknown debug path', async () => {
    await withApp(async (t) => {
      for (const path of ['/debug/pprof', '/debug/pprof/', '/debug/pprof/profile', '/debug/pprof/heap', '/debug/pprof/goroutine']) {
        const options = await request(t.port, path, { method: 'OPTIONS' });
        assert.equal(options.status, 204, path);
        assert.equal(options.headers['allow'], 'GET, HEAD, OPTIONS', path);
        for (const method of ['POST', 'DELETE', 'PROPFIND']) {
          const wrong = await request(t.port, path, { method });
          assertStatus(wrong, 405, 'application/problem+json');
          assert.equal(wrong.headers['allow'], 'GET, HEAD, OPTIONS', `${method} ${path}`);
        }
      }
      for (const path of ['/debug', '/debug/', '/debug/nothing']) assertStatus(await request(t.port, path), 404, 'application/problem+json');
      assert.equal((await request(t.port, 'http://example.test/debug/pprof/', { method: 'OPTIONS' })).status, 204, 'absolute-form');
    });
  });

  test('the guarded paths: /debug and everything under /debug/, nothing else', async () => {
    for (const path of ['/debug', '/debug/', '/debug/pprof', '/debug/pprof/profile', '/debug//x']) assert.ok(isDebugPath(path), path);
    for (const path of ['', '/', '*', '/debu', '/debugger', '/debug-x', '/debug.json', '/Debug/pprof', '//debug/pprof', 'debug/pprof', '/products/1', '/io']) {
      assert.ok(!isDebugPath(path), path);
    }
    await withApp(
      async (t) => {
        assert.equal((await request(t.port, '/healthz', { method: 'OPTIONS' })).status, 204);
        assert.equal((await request(t.port, '/products/1')).status, 200);
      },
      {},
      { isLocalClient: () => false },
    );
  });
});
