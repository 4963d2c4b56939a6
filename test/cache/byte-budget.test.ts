// The cache's byte budget (CACHE_MAX_BYTES) over HTTP: a compressed variant made after a
// page was cached is charged to it, a page above an eighth of the budget is served but not
// kept, and a real server flooded with distinct 1000-item pages keeps its cache within the
// budget and its memory within the budget plus a margin.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { test } from 'node:test';
import { ENTRY_OVERHEAD_BYTES } from '../../src/http/encoded.js';
import type { MetricsReport } from '../../src/metrics/report.js';
import { startServer } from '../helpers/child.js';
import { request, withApp } from '../helpers/http.js';

const MiB = 1024 * 1024;

async function metrics(port: number): Promise<MetricsReport> {
  return (await request(port, '/metrics')).json<MetricsReport>();
}

test('a gzip variant made after the page was cached adds exactly its bytes to cache.bytes', async () => {
  await withApp(async (t) => {
    const identity = await request(t.port, '/products?limit=1000');
    assert.equal(identity.headers['x-cache'], 'MISS');
    // A body this large is written as the Buffer itself: no string copy to count.
    assert.equal((await metrics(t.port)).cache.bytes, ENTRY_OVERHEAD_BYTES + identity.body.length);
    const gzip = await request(t.port, '/products?limit=1000', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.equal((await metrics(t.port)).cache.bytes, ENTRY_OVERHEAD_BYTES + identity.body.length + gzip.body.length);

    // A product (about 300 bytes) is kept as bytes and as the string it is written from.
    const product = await request(t.port, '/products/1');
    const m = await metrics(t.port);
    assert.equal(m.cache.bytes, 2 * ENTRY_OVERHEAD_BYTES + identity.body.length + gzip.body.length + 2 * product.body.length);
    assert.equal(m.cache.maxBytes, 64 * MiB);
  });
});

test('a page above an eighth of CACHE_MAX_BYTES is served every time but never cached', async () => {
  await withApp(
    async (t) => {
      for (let i = 0; i < 2; i++) {
        const reply = await request(t.port, '/products?limit=1000');
        assert.equal(reply.status, 200);
        assert.equal(reply.headers['x-cache'], 'MISS');
        assert.equal(reply.json<{ items: unknown[] }>().items.length, 1000);
      }
      const small = await request(t.port, '/products?limit=10');
      assert.equal(small.status, 200);
      assert.equal((await request(t.port, '/products?limit=10')).headers['x-cache'], 'HIT');
      const m = await metrics(t.port);
      assert.deepEqual([m.cache.tooLarge, m.cache.entries, m.cache.storeCalls], [2, 1, 3]);
      assert.ok(m.cache.bytes > 0 && m.cache.bytes < 8192, `${m.cache.bytes} bytes for one small page`);
    },
    { cacheMaxBytes: 1 * MiB },
  );
});

test('a flood of distinct 1000-item pages with gzip keeps cache.bytes within CACHE_MAX_BYTES and RSS within it plus a margin', async () => {
  const budget = 8 * MiB;
  // Evicted bodies are Buffers, freed only by a full GC, which V8 starts once external
  // memory has grown by 64 MiB; add the heap's growth and what malloc keeps. The same
  // flood grows an unbounded cache by about 0.4 MiB a page, about 190 MiB in all.
  const margin = 128 * MiB;
  const pages = 480;
  const { child, port } = await startServer([], { CACHE_MAX_BYTES: String(budget) });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const get = (offset: number): Promise<void> =>
      request(port, `/products?offset=${offset}&limit=1000`, { agent, headers: { 'accept-encoding': 'gzip' } }).then((reply) => {
        assert.equal(reply.status, 200);
        assert.equal(reply.headers['content-encoding'], 'gzip');
      });
    // Warm up (code, heap) on pages the flood asks for again, then take the baseline.
    for (let i = 0; i < 8; i++) await get(i);
    const before = await metrics(port);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pages) await get(next++);
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const after = await metrics(port);

    assert.equal(after.cache.maxBytes, budget);
    assert.ok(after.cache.bytes <= budget, `cache.bytes ${after.cache.bytes} > ${budget}`);
    assert.ok(after.cache.evictions >= pages - 40, `${after.cache.evictions} evictions`);
    const growth = after.memory.rssBytes - before.memory.rssBytes;
    assert.ok(growth <= budget + margin, `RSS grew ${(growth / MiB).toFixed(1)} MiB (budget ${budget / MiB} MiB + margin ${margin / MiB} MiB)`);
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
    await child.exited;
  }
});
