// runLoad against a node:http server in this process: latency of a fixed-delay server,
// request counting that matches what the server saw (minus at most one in-flight request
// per connection), worker threads sharing the connections, non-2xx, timeouts, refused
// connections, 5xx and stale copies counted apart, the distinct-id plan and the random
// plan over a bounded span.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { runLoad } from '../../scripts/load/loadgen.js';
import type { LoadOptions, LoadResult } from '../../scripts/load/types.js';

interface TestServer {
  readonly port: number;
  /** Requests received (counted when the request arrives, before any answer). */
  readonly received: () => number;
  readonly remotePorts: Set<number>;
  readonly paths: string[];
  close(): Promise<void>;
}

/** Calls fn no sooner than ms after now. Node timers may fire up to ~1 ms early against
 *  performance.now() (libuv's clock is in whole ms), so re-arm until really due. */
function atLeast(ms: number, fn: () => void): void {
  const start = performance.now();
  const tick = (): void => {
    const left = ms - (performance.now() - start);
    if (left <= 0) fn();
    else setTimeout(tick, Math.max(1, Math.ceil(left)));
  };
  setTimeout(tick, ms);
}

async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  let received = 0;
  const remotePorts = new Set<number>();
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    received++;
    if (req.socket.remotePort !== undefined) remotePorts.add(req.socket.remotePort);
    paths.push(req.url ?? '');
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    remotePorts,
    paths,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answerAfter(ms: number, status = 200, body = 'ok'): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => atLeast(ms, () => res.writeHead(status, { 'content-type': 'text/plain', 'content-length': String(body.length) }).end(body));
}

function options(port: number, overrides: Partial<LoadOptions> = {}): LoadOptions {
  return { host: '127.0.0.1', port, plan: { path: '/x' }, connections: 4, threads: 1, durationMs: 1000, timeoutMs: 2000, ...overrides };
}

/** The exact size on the wire of one response from the server (its head has fixed length). */
async function responseSize(port: number, path: string): Promise<number> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  let bytes = 0;
  let text = '';
  for (;;) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    bytes += chunk.length;
    text += chunk.toString('latin1');
    const headEnd = text.indexOf('\r\n\r\n');
    const length = /content-length: (\d+)/i.exec(text);
    if (headEnd >= 0 && length && bytes >= headEnd + 4 + Number(length[1])) break;
  }
  socket.destroy();
  return bytes;
}

function noErrors(result: LoadResult): void {
  assert.deepEqual(result.errors, { connect: 0, read: 0, write: 0, timeout: 0 });
  assert.equal(result.non2xx3xx, 0);
}

/** Responses still in flight at the deadline are not counted (as in wrk); nothing else is lost. */
function countsAddUp(result: LoadResult, serverCount: number, connections: number): void {
  assert.ok(result.requests <= serverCount, `loadgen ${result.requests} > server ${serverCount}`);
  assert.ok(result.requests >= serverCount - connections, `loadgen ${result.requests} < server ${serverCount} - ${connections}`);
}

describe('runLoad', () => {
  test('a 20 ms server, 4 connections, 1 thread, 1.5 s: latency, exact counts and rates', async () => {
    const server = await startServer(answerAfter(20));
    try {
      const size = await responseSize(server.port, '/x');
      const before = server.received();
      const progress: number[] = [];
      const result = await runLoad(options(server.port, { connections: 4, threads: 1, durationMs: 1500 }), (n) => progress.push(n));
      const serverCount = server.received() - before;

      assert.equal(result.tool, 'turbina-loadgen');
      assert.equal(result.connections, 4);
      assert.equal(result.threads, 1);
      noErrors(result);
      assert.ok(result.requests > 100, `only ${result.requests} requests`);
      // 4 connections x 1500 ms / ~20 ms: at most 300 complete.
      assert.ok(result.requests <= 300, `${result.requests} requests is more than 4 x 1500/20`);
      countsAddUp(result, serverCount, 4);

      const l = result.latencyMs;
      assert.ok(l.p50 >= 20 && l.p50 <= 30, `p50 ${l.p50}`);
      assert.ok(l.avg >= 20 && l.avg <= 30, `avg ${l.avg}`);
      assert.ok(l.min >= 19.5, `min ${l.min}`);
      assert.ok(l.max >= l.p99 && l.p99 >= l.p90 && l.p90 >= l.p50 && l.p50 >= l.min, JSON.stringify(l));

      // Rates are over the configured duration, to the cent; transfer counts whole responses.
      assert.equal(result.requestsPerSec, Math.round((result.requests / 1.5) * 100) / 100);
      assert.equal(result.transferBytesPerSec, Math.round((result.requests * size) / 1.5));
      assert.ok(result.durationSec >= 1.5 && result.durationSec <= 2, `durationSec ${result.durationSec}`);

      // Progress reports grow and never exceed the final count.
      assert.ok(progress.length >= 3, `${progress.length} progress reports`);
      assert.deepEqual(progress, [...progress].sort((a, b) => a - b), String(progress));
      assert.ok(Math.max(...progress) <= result.requests);
    } finally {
      await server.close();
    }
  });

  test('2 threads and 6 connections: every connection is used and the counts add up', async () => {
    const server = await startServer(answerAfter(10));
    try {
      const result = await runLoad(options(server.port, { connections: 6, threads: 2, durationMs: 800 }));
      assert.equal(result.threads, 2);
      assert.equal(result.connections, 6);
      noErrors(result);
      // Keep-alive: 6 sockets for the whole run, no more, no fewer.
      assert.equal(server.remotePorts.size, 6, `remote ports: ${[...server.remotePorts].join(', ')}`);
      countsAddUp(result, server.received(), 6);
      // The threads' counts are merged, not just one thread's: countsAddUp compared them with
      // what the server received on all 6 sockets. Each socket kept busy (up to 80 here).
      assert.ok(result.requests > 6 * 10, `only ${result.requests} requests from 6 connections`);
      assert.ok(result.latencyMs.min >= 9.5, `min ${result.latencyMs.min}`);
      assert.equal(result.requestsPerSec, Math.round((result.requests / 0.8) * 100) / 100);
    } finally {
      await server.close();
    }
  });

  test('more threads than connections is capped at one connection per thread', async () => {
    const server = await startServer(answerAfter(10));
    try {
      const result = await runLoad(options(server.port, { connections: 2, threads: 8, durationMs: 300 }));
      assert.equal(result.threads, 2);
      assert.equal(server.remotePorts.size, 2);
      noErrors(result);
      countsAddUp(result, server.received(), 2);
    } finally {
      await server.close();
    }
  });

  test('a server answering 500 to everything: every counted response is non-2xx/3xx', async () => {
    const server = await startServer(answerAfter(5, 500, 'boom'));
    try {
      const result = await runLoad(options(server.port, { connections: 2, durationMs: 600 }));
      assert.ok(result.requests > 20, `only ${result.requests} requests`);
      assert.equal(result.non2xx3xx, result.requests);
      assert.deepEqual(result.errors, { connect: 0, read: 0, write: 0, timeout: 0 });
      countsAddUp(result, server.received(), 2);
    } finally {
      await server.close();
    }
  });

  test('a server refusing every other request at once with 503: 2xx counted apart, with their own latency', async () => {
    let n = 0;
    const slowOk = answerAfter(30);
    const server = await startServer((req, res) => {
      if (n++ % 2 === 1) res.writeHead(503, { 'retry-after': '1', 'content-length': '0' }).end();
      else slowOk(req, res);
    });
    try {
      const result = await runLoad(options(server.port, { connections: 2, durationMs: 600 }));
      const admitted = result.admitted;
      assert.ok(admitted !== undefined && result.refused503 !== undefined);
      assert.ok(admitted.requests > 5, `only ${admitted.requests} 2xx`);
      assert.equal(admitted.requests + result.refused503, result.requests);
      assert.equal(result.non2xx3xx, result.refused503);
      assert.ok(Math.abs(admitted.requests - result.refused503) <= 2, `${admitted.requests} 2xx, ${result.refused503} 503`);
      // The fast refusals are in the overall latency, not in the admitted requests'.
      assert.ok(result.latencyMs.min < 20, `all: min ${result.latencyMs.min} ms`);
      assert.ok(admitted.latencyMs.min >= 29, `2xx: min ${admitted.latencyMs.min} ms`);
    } finally {
      await server.close();
    }
  });

  test('honourRetryAfter: a refused connection waits as Retry-After asks, and the run still ends on time', async () => {
    const refuseAll = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(503, { 'retry-after': '1', 'content-length': '0' }).end();
    };
    const server = await startServer(refuseAll);
    try {
      const started = performance.now();
      const polite = await runLoad(options(server.port, { connections: 2, durationMs: 1500, honourRetryAfter: true }));
      // Each connection asks at 0 and at 1 s, then waits past the end.
      assert.equal(polite.refused503, 4);
      assert.ok(performance.now() - started < 2500, `the run took ${performance.now() - started} ms`);
      const eager = await runLoad(options(server.port, { connections: 2, durationMs: 300 }));
      assert.ok((eager.refused503 ?? 0) > 20, `without it, only ${eager.refused503} refusals in 300 ms`);
    } finally {
      await server.close();
    }
  });

  test('a server that never answers: timeouts, no requests, and the run still ends', async () => {
    const server = await startServer(() => {
      // never answer
    });
    try {
      const started = performance.now();
      const result = await runLoad(options(server.port, { connections: 2, durationMs: 1000, timeoutMs: 300 }));
      const elapsed = performance.now() - started;
      assert.equal(result.requests, 0);
      assert.ok(result.errors.timeout >= 2, `timeouts ${result.errors.timeout}`);
      // A timeout every 300 ms per connection: about 4 each, never more than 5.
      assert.ok(result.errors.timeout <= 10, `timeouts ${result.errors.timeout}`);
      assert.equal(result.errors.connect, 0);
      assert.equal(result.requestsPerSec, 0);
      assert.equal(result.latencyMs.p99, 0);
      // The last watchdog fires at most timeoutMs after the deadline.
      assert.ok(elapsed < 2500, `took ${elapsed.toFixed(0)} ms`);
      // Each timed-out connection was replaced: the server saw more than the 2 first requests.
      assert.ok(server.received() > 2, `server received ${server.received()}`);
    } finally {
      await server.close();
    }
  });

  test('a port with nothing listening: connect errors, no requests, and runLoad resolves', async () => {
    // Take a free port, then release it.
    const probe = createNetServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const result = await runLoad(options(port, { connections: 2, durationMs: 500, timeoutMs: 300 }));
    assert.equal(result.requests, 0);
    assert.ok(result.errors.connect > 0, `connect errors ${result.errors.connect}`);
    // A refused connect is not a read/write error or a timeout.
    assert.equal(result.errors.read, 0);
    assert.equal(result.errors.write, 0);
    assert.equal(result.errors.timeout, 0);
    assert.equal(result.requestsPerSec, 0);
    assert.equal(result.transferBytesPerSec, 0);
  });

  test('distinct-id plan over 2 threads: every id at most once, from 1000, without gaps', async () => {
    const server = await startServer(answerAfter(5));
    try {
      const result = await runLoad(options(server.port, { plan: { prefix: '/items/', first: 1000 }, connections: 4, threads: 2, durationMs: 700 }));
      noErrors(result);
      const ids = server.paths.map((p) => {
        const match = /^\/items\/(\d+)$/.exec(p);
        assert.ok(match, `unexpected path ${p}`);
        return Number(match[1]);
      });
      assert.ok(ids.length > 100, `only ${ids.length} requests`);
      assert.equal(new Set(ids).size, ids.length, 'an id was requested twice');
      assert.equal(Math.min(...ids), 1000);
      // Thread 0 takes 1000, 1002, ...; thread 1 takes 1001, 1003, ...: each a prefix of its
      // sequence, since every id generated is sent.
      for (const parity of [0, 1]) {
        const mine = ids.filter((id) => id % 2 === parity).sort((a, b) => a - b);
        assert.ok(mine.length > 0, `thread ${parity} sent nothing`);
        mine.forEach((id, i) => assert.equal(id, 1000 + parity + 2 * i, `thread ${parity}: gap before ${id}`));
      }
      countsAddUp(result, ids.length, 4);
    } finally {
      await server.close();
    }
  });

  test('5xx and stale copies counted apart: a server cycling 200, 200 STALE, 502, 503, 404', async () => {
    const answers: readonly [number, Record<string, string>][] = [[200, {}], [200, { 'x-cache': 'STALE' }], [502, {}], [503, { 'retry-after': '1' }], [404, {}]];
    let n = 0;
    const seen = { stale: 0, status5xx: 0, other: 0 };
    const server = await startServer((_req, res) => {
      const [status, headers] = answers[n++ % answers.length] ?? [200, {}];
      if (headers['x-cache'] === 'STALE') seen.stale++;
      if (status >= 500) seen.status5xx++;
      atLeast(2, () => res.writeHead(status, { ...headers, 'content-length': '2' }).end('ok'));
    });
    try {
      const result = await runLoad(options(server.port, { connections: 2, durationMs: 600 }));
      noErrors({ ...result, non2xx3xx: 0 });
      assert.ok(result.requests > 50, `only ${result.requests} requests`);
      countsAddUp(result, server.received(), 2);
      // What the server sent, but for at most one answer per connection still in flight at the end.
      const { status5xx = -1, stale = -1 } = result;
      assert.ok(status5xx <= seen.status5xx && status5xx >= seen.status5xx - 2, `5xx: counted ${status5xx}, sent ${seen.status5xx}`);
      assert.ok(stale <= seen.stale && stale >= seen.stale - 2, `stale: counted ${stale}, sent ${seen.stale}`);
      // Every fifth answer is a 404: non-2xx/3xx but not 5xx.
      assert.ok(result.non2xx3xx > status5xx, `non2xx3xx ${result.non2xx3xx}, 5xx ${status5xx}`);
      assert.ok(Math.abs(result.non2xx3xx - status5xx - result.requests / 5) <= 2, `${result.non2xx3xx - status5xx} 404s of ${result.requests}`);
    } finally {
      await server.close();
    }
  });

  test('random plan over a span: every id inside it, ids repeat, most of the span covered', async () => {
    const server = await startServer(answerAfter(1));
    try {
      const result = await runLoad(options(server.port, { plan: { prefix: '/items/', first: 50, span: 20 }, connections: 4, threads: 2, durationMs: 500 }));
      noErrors(result);
      const ids = server.paths.map((p) => Number(/^\/items\/(\d+)$/.exec(p)?.[1] ?? NaN));
      assert.ok(ids.length > 100, `only ${ids.length} requests`);
      for (const id of ids) assert.ok(Number.isInteger(id) && id >= 50 && id < 70, `id ${id} outside 50..69`);
      // Hundreds of draws from 20 ids: all of them, each many times.
      assert.equal(new Set(ids).size, 20, `ids seen: ${[...new Set(ids)].sort((a, b) => a - b).join(', ')}`);
    } finally {
      await server.close();
    }
  });
});
