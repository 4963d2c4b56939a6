// The bounds on /products/export: at most EXPORT_MAX_CONCURRENT at once (503 with
// Retry-After beyond, a slot given back however an export ends), a client that takes
// nothing for EXPORT_IDLE_TIMEOUT_MS is cut with nothing left behind, and 300 clients
// that request an export and read nothing leave /healthz and /metrics answering at once.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingMessage } from 'node:http';
import type { MetricsReport } from '../../src/metrics/report.js';
import { startServer, type Child } from '../helpers/child.js';
import { eventually, request, withApp, type TestApp } from '../helpers/http.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { abortAfterFirstChunk, openResponse } from '../helpers/stream.js';

const EXPORT = '/products/export';
/** Far more than the kernel's socket buffers take (~300 bytes a product): an export whose
 *  client does not read stalls instead of completing. */
const STALLING_CATALOG = 100_000;

async function metrics(port: number): Promise<MetricsReport> {
  return (await request(port, '/metrics')).json<MetricsReport>();
}

/** Waits for the response's end or its connection's failure: 'end' means the body was complete. */
function outcome(res: IncomingMessage): Promise<'end' | 'cut'> {
  return new Promise((resolve) => {
    res.once('end', () => resolve('end'));
    res.once('error', () => resolve('cut'));
    res.once('aborted', () => resolve('cut'));
    res.socket.once('close', () => resolve(res.complete ? 'end' : 'cut'));
  });
}

describe('EXPORT_MAX_CONCURRENT', () => {
  test('over the limit: 503 problem+json with Retry-After and X-Request-Id, counted as a 503 on the export route', async () => {
    await withApp(
      async (t) => {
        const running = await Promise.all([openResponse(t.port, EXPORT), openResponse(t.port, EXPORT, { 'accept-encoding': 'gzip' })]);
        for (const res of running) {
          res.pause();
          assert.equal(res.statusCode, 200);
        }
        const busy = await request(t.port, EXPORT, { headers: { 'x-request-id': 'busy-1', 'accept-encoding': 'gzip' } });
        assert.equal(busy.status, 503);
        assert.equal(busy.headers['retry-after'], '1');
        assert.equal(busy.headers['x-request-id'], 'busy-1');
        assert.equal(busy.headers['content-type'], 'application/problem+json');
        assert.equal(busy.headers['cache-control'], 'no-store');
        const problem = busy.json<{ status: number; title: string; detail: string }>();
        assert.equal(problem.status, 503);
        assert.equal(problem.title, 'Service Unavailable');
        // HEAD answers as GET would, and takes no slot either way.
        const head = await request(t.port, EXPORT, { method: 'HEAD' });
        assert.equal(head.status, 503);
        assert.equal(head.headers['retry-after'], '1');

        const report = await metrics(t.port);
        assert.deepEqual(report.exports, { maxConcurrent: 2, active: 2, rejected: 2, idleTimeouts: 0 });
        const text = (await request(t.port, '/metrics?format=prometheus')).text;
        const families = parsePrometheus(text);
        assert.equal(sampleValue(families, 'turbina_http_requests_total', { method: 'GET', route: EXPORT, status: '503' }), 1);
        assert.equal(sampleValue(families, 'turbina_http_requests_total', { method: 'HEAD', route: EXPORT, status: '503' }), 1);
        assert.equal(sampleValue(families, 'turbina_exports_active'), 2);
        assert.equal(sampleValue(families, 'turbina_exports_max_concurrent'), 2);
        assert.equal(sampleValue(families, 'turbina_exports_rejected_total'), 2);

        for (const res of running) res.destroy();
        await eventually(() => t.app.exports.stats().active === 0, 'both slots given back');
        assert.equal((await request(t.port, EXPORT, { method: 'HEAD' })).status, 200);
        assert.equal(t.app.exports.stats().active, 0, 'HEAD holds no slot');
      },
      { catalogSize: STALLING_CATALOG, exportMaxConcurrent: 2 },
    );
  });

  test('a slot is given back when an export ends or its client leaves: after 20 aborted exports new ones still start', async () => {
    await withApp(
      async (t) => {
        for (let round = 0; round < 10; round++) {
          await Promise.all([abortAfterFirstChunk(t.port, EXPORT), abortAfterFirstChunk(t.port, EXPORT, { 'accept-encoding': 'br' })]);
          await eventually(() => t.app.exports.stats().active === 0, `round ${round}: slots given back`, 5000);
        }
        assert.equal(t.app.exports.stats().rejected, 0);
        // Two complete exports at once, twice: each ends and frees its slot.
        for (let round = 0; round < 2; round++) {
          const replies = await Promise.all([request(t.port, EXPORT), request(t.port, EXPORT, { headers: { 'accept-encoding': 'gzip' } })]);
          assert.deepEqual(replies.map((r) => r.status), [200, 200]);
          await eventually(() => t.app.exports.stats().active === 0, 'complete exports give back their slots');
        }
        const stats = t.app.exports.stats();
        assert.equal(stats.rejected, 0);
        assert.equal(t.app.pool.stats().inUse, 0);
        assert.equal(t.app.compression.stats().streamsOpen, 0);
      },
      // Larger than one pooled Buffer, so each client sees a first chunk before the end.
      { catalogSize: 5000, exportMaxConcurrent: 2 },
    );
  });
});

describe('EXPORT_IDLE_TIMEOUT_MS', () => {
  const IDLE_MS = 300;

  async function stalledPair(t: TestApp): Promise<{ responses: IncomingMessage[]; ends: Promise<'end' | 'cut'>[]; openedAt: number }> {
    const openedAt = performance.now();
    const responses = await Promise.all([openResponse(t.port, EXPORT), openResponse(t.port, EXPORT, { 'accept-encoding': 'gzip' })]);
    for (const res of responses) res.pause();
    return { responses, ends: responses.map(outcome), openedAt };
  }

  test('an export whose client reads nothing is cut after the timeout: counted, logged with its request id, nothing left behind', async () => {
    await withApp(
      async (t) => {
        const { responses, ends, openedAt } = await stalledPair(t);
        await eventually(() => t.app.exports.stats().idleTimeouts === 2, 'both exports cut', 5000);
        const elapsed = performance.now() - openedAt;
        assert.ok(elapsed >= IDLE_MS, `cut after ${elapsed.toFixed(0)} ms, before the ${IDLE_MS} ms timeout`);
        // The clients read again: what is left ends in an error, never in a complete body.
        for (const res of responses) res.resume();
        assert.deepEqual(await Promise.all(ends), ['cut', 'cut']);

        await eventually(
          () => t.app.metrics.inFlight === 0 && t.app.compression.stats().streamsOpen === 0 && t.app.pool.stats().inUse === 0,
          `nothing left: inFlight ${t.app.metrics.inFlight}, streamsOpen ${t.app.compression.stats().streamsOpen}, pool inUse ${t.app.pool.stats().inUse}`,
        );
        assert.deepEqual(t.app.exports.stats(), { maxConcurrent: 4, active: 0, rejected: 0, idleTimeouts: 2 });
        const report = await metrics(t.port);
        assert.equal(report.exports.idleTimeouts, 2);
        assert.equal(report.requests.inFlight, 1, 'only this /metrics request');
        const families = parsePrometheus((await request(t.port, '/metrics?format=prometheus')).text);
        assert.equal(sampleValue(families, 'turbina_exports_idle_timeouts_total'), 2);

        const ids = responses.map((res) => res.headers['x-request-id']).sort();
        const warned = t.logs().filter((line) => line['level'] === 40 && line['msg'] === 'export cut: the client took nothing for the idle timeout');
        assert.deepEqual(warned.map((line) => line['reqId']).sort(), ids);
        for (const line of warned) assert.equal(line['idleTimeoutMs'], IDLE_MS);
      },
      // gzip shrinks NDJSON about 7 times: it takes a larger catalog to fill the socket.
      { catalogSize: 2 * STALLING_CATALOG, exportIdleTimeoutMs: IDLE_MS, exportMaxConcurrent: 4 },
    );
  });

  test('the timeout counts from the last progress, not from the start: a reader that pauses for less than it is never cut', async () => {
    await withApp(
      async (t) => {
        const res = await openResponse(t.port, EXPORT);
        // Paused for half the timeout, then reading 2 MB (enough for the kernel to take
        // more from the server), eight times: four timeouts in all.
        let bytes = 0;
        let wanted = 0;
        let readEnough = (): void => {};
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes >= wanted) {
            res.pause();
            readEnough();
          }
        });
        const end = outcome(res);
        res.pause();
        const start = performance.now();
        for (let cycle = 0; cycle < 8; cycle++) {
          await sleep(IDLE_MS / 2);
          wanted = bytes + 2_000_000;
          const read = new Promise<'read'>((resolve) => {
            readEnough = () => resolve('read');
            res.resume();
          });
          const result = await Promise.race([read, end]);
          assert.equal(result, 'read', `the export ended (${result}) after ${bytes} bytes, in pause ${cycle + 1}`);
        }
        const elapsed = performance.now() - start;
        res.destroy();
        assert.ok(elapsed > 3 * IDLE_MS, `read for ${elapsed.toFixed(0)} ms`);
        await eventually(() => t.app.exports.stats().active === 0, 'the export ended when the reader left');
        assert.equal(t.app.exports.stats().idleTimeouts, 0);
      },
      { catalogSize: 2 * STALLING_CATALOG, exportIdleTimeoutMs: IDLE_MS },
    );
  });
});

/** Raw clients that send the export request, read their first chunk (to learn the
 *  status) and then nothing more. Resolves with the status counts once all have one. */
function stalledClients(port: number, count: number, sockets: Socket[], withinMs: number): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  let answered = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`after ${withinMs} ms only ${answered} of ${count} export clients had an answer`)), withinMs);
    for (let i = 0; i < count; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {}); // reset at the end of the test
      socket.write(`GET ${EXPORT} HTTP/1.1\r\nHost: test\r\n\r\n`);
      socket.once('data', (chunk: Buffer) => {
        socket.pause();
        const status = chunk.toString('latin1', 9, 12);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (++answered === count) {
          clearTimeout(timer);
          resolve(statuses);
        }
      });
      sockets.push(socket);
    }
  });
}

async function timed(port: number, path: string): Promise<number> {
  const start = performance.now();
  const reply = await request(port, path);
  assert.equal(reply.status, 200, path);
  return performance.now() - start;
}

// The server runs in a child process so the 300 clients and the probes do not share its
// event loop. Two catalogs: the default one, whose export (3 MB) the kernel's socket
// buffers take whole, so an export completes though nobody reads it; and one whose
// export stalls once those buffers are full.
for (const catalogSize of [10_000, STALLING_CATALOG]) {
  describe(`300 export clients that read nothing, catalog of ${catalogSize} (server in a child process)`, () => {
    const CLIENTS = 300;
    const LIMIT = 4;
    /** The target. */
    const ANSWER_MS = 100;
    let server: { child: Child; port: number };
    before(async () => {
      server = await startServer([], { CATALOG_SIZE: String(catalogSize), EXPORT_MAX_CONCURRENT: String(LIMIT) });
    });
    after(async () => {
      server.child.kill('SIGKILL');
      await server.child.exited;
    });

    test(`/healthz and /metrics answer within ${ANSWER_MS} ms`, async () => {
      const { port } = server;
      const sockets: Socket[] = [];
      try {
        // Without the bound (or with exports that never yield the event loop) the server
        // makes the 300 exports one after another or all at once, and the last clients
        // wait for all of it: about 10 to 20 s here. With it, well under a second.
        const statuses = await stalledClients(port, CLIENTS, sockets, 5000);
        const ok = statuses['200'] ?? 0;
        const busy = statuses['503'] ?? 0;
        assert.equal(ok + busy, CLIENTS, JSON.stringify(statuses));
        if (catalogSize === STALLING_CATALOG) assert.equal(ok, LIMIT, 'stalled exports hold their slots');
        else assert.ok(ok >= LIMIT && busy > 0, `the bound bit: ${JSON.stringify(statuses)}`);

        const healthz: number[] = [];
        const scrape: number[] = [];
        for (let i = 0; i < 10; i++) {
          healthz.push(await timed(port, '/healthz'));
          scrape.push(await timed(port, '/metrics'));
        }
        const worst = (ms: number[]): string => `max ${Math.max(...ms).toFixed(1)} ms of ${ms.map((m) => m.toFixed(1)).join(' ')}`;
        assert.ok(Math.max(...healthz) < ANSWER_MS, `/healthz: ${worst(healthz)}`);
        assert.ok(Math.max(...scrape) < ANSWER_MS, `/metrics: ${worst(scrape)}`);

        const report = await metrics(port);
        assert.ok(report.exports.active <= LIMIT, `${report.exports.active} exports active`);
        assert.equal(report.exports.rejected, busy);
      } finally {
        for (const socket of sockets) socket.destroy();
      }
      let report = await metrics(port);
      const deadline = Date.now() + 5000;
      while (report.exports.active > 0 || report.requests.inFlight > 1 || report.bufferPool.inUse > 0) {
        const state = JSON.stringify({ exports: report.exports, inFlight: report.requests.inFlight, pool: report.bufferPool.inUse });
        assert.ok(Date.now() < deadline, `the exports did not end with their clients: ${state}`);
        await sleep(20);
        report = await metrics(port);
      }
    });
  });
}
