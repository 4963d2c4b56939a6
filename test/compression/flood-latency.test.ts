// Clients choose the cache keys, so a flood of distinct pages asking for brotli is a flood
// of first requests. With the best level (brotli 11) on the request path, 32 of them fill
// the libuv pool for seconds and every other compressed response waits behind them. Now a
// request waits only for the fast level, and upgrades run one at a time off the request
// path: a second client asking for new gzip pages meanwhile must see a p99 under 200 ms.
//
// The flood's pages have 150 items: with brotli 11 on the request path the probe still
// waits over a second, while generating them (the embedded store's work, on the event
// loop) leaves the loop room on a shared 2-core machine. With 1000-item pages, 32 clients
// keep the event loop itself busy generating pages (about 3 ms each), whatever compression does.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { runLoad } from '../../scripts/load/loadgen.js';
import { startServer } from '../helpers/child.js';
import { request } from '../helpers/http.js';

const FLOOD_MS = 5000;
/** The probe starts once the flood is under way and stops a second before its end. */
const PROBE_START_MS = 700;
const PROBE_END_MS = FLOOD_MS - 1000;

/** No samples at all: Infinity, which fails any bound. */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Infinity;
}

test('32 clients flooding fresh br pages leave a gzip client asking for new pages a p99 under 200 ms', { timeout: 60_000 }, async (t) => {
  const { child, port } = await startServer([], { CATALOG_SIZE: '10000000' });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const probe = async (offset: number): Promise<number> => {
      const started = performance.now();
      const reply = await request(port, `/products?limit=1000&offset=${offset}`, { agent, headers: { 'accept-encoding': 'gzip' } });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['content-encoding'], 'gzip');
      return performance.now() - started;
    };
    await probe(5_000_000); // connection and code warm

    const flood = runLoad({
      host: '127.0.0.1',
      port,
      plan: { prefix: '/products?limit=150&offset=', first: 0 },
      connections: 32,
      threads: 1,
      durationMs: FLOOD_MS,
      timeoutMs: 30_000,
      headers: { 'accept-encoding': 'br' },
    });
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, PROBE_START_MS));
    const latencies: number[] = [];
    for (let offset = 0; performance.now() - started < PROBE_END_MS; offset += 1000) latencies.push(await probe(offset));
    const result = await flood;

    latencies.sort((a, b) => a - b);
    const p99 = percentile(latencies, 0.99);
    const summary = `probe: ${latencies.length} requests, p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; flood: ${result.requests} requests, p99 ${result.latencyMs.p99} ms`;
    t.diagnostic(summary);
    assert.ok(p99 < 200, summary);
    assert.ok(latencies.length >= 10, summary);
    assert.ok(result.requests >= 200, `the flood ran: ${summary}`);
    assert.equal(result.non2xx3xx, 0, summary);
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
    await child.exited;
  }
});
