// GET /products/export: a 200000-product catalog streams completely as NDJSON (identity,
// gzip, br), chunked with no Content-Length; HEAD is headers only; a slow reader does not
// grow the server's memory; clients that leave mid-stream leave no zlib stream or pooled
// Buffer behind; BUFFER_POOL=off sends the same bytes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { MetricsReport } from '../../src/metrics/report.js';
import { startServer, type Child } from '../helpers/child.js';
import { eventually, request, withApp, type Reply } from '../helpers/http.js';
import { abortAfterFirstChunk, catalogNdjson, decode, getDecoded, openResponse, readSlowly } from '../helpers/stream.js';

const EXPORT = '/products/export';
const BIG = 200_000;

function get(port: number, acceptEncoding?: string, method = 'GET'): Promise<Reply> {
  return request(port, EXPORT, { method, headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } });
}

async function metrics(port: number): Promise<MetricsReport> {
  return (await request(port, '/metrics')).json<MetricsReport>();
}

/** A streamed NDJSON head: chunked, no Content-Length, Vary, the expected coding. */
function assertStreamHead(reply: Pick<Reply, 'status' | 'headers'>, coding: string | undefined): void {
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['content-type'], 'application/x-ndjson');
  assert.equal(reply.headers['content-length'], undefined);
  assert.equal(reply.headers['transfer-encoding'], 'chunked');
  assert.equal(reply.headers['vary'], 'Accept-Encoding');
  assert.equal(reply.headers['cache-control'], 'no-store');
  assert.equal(reply.headers['content-encoding'], coding);
}

function assertCatalogLines(body: Buffer, size: number): void {
  const text = body.toString('utf8');
  assert.ok(text.endsWith('\n'), 'the last line is complete');
  const lines = text.slice(0, -1).split('\n');
  assert.equal(lines.length, size);
  for (const [i, line] of lines.entries()) {
    const product = JSON.parse(line) as { id: number };
    if (product.id !== i + 1) assert.fail(`line ${i + 1} has id ${product.id}`);
  }
}

/** Polls an async condition (a child's /metrics) until it holds. */
async function eventuallyAsync(cond: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// One server process for the whole describe: the client's event loop is not the server's,
// so an aborting client is not held up by the 200 exports it is aborting. The bound on
// concurrent exports is lifted so that all 200 run at once (export-limits.test.ts tests it).
describe(`export of ${BIG} products (server in a child process)`, () => {
  let server: { child: Child; port: number };
  before(async () => {
    server = await startServer([], { CATALOG_SIZE: String(BIG), EXPORT_MAX_CONCURRENT: '200' });
  });
  after(async () => {
    server.child.kill('SIGKILL');
    await server.child.exited;
  });

  test('identity, gzip and br stream completely and decode to the same lines', async () => {
    const { port } = server;
    const opened = (await metrics(port)).compression.streamsOpened;
    // All three at once, gzip and br decoded as they arrive.
    const [identity, gzip, br] = await Promise.all([
      getDecoded(port, EXPORT),
      getDecoded(port, EXPORT, { 'accept-encoding': 'gzip' }),
      getDecoded(port, EXPORT, { 'accept-encoding': 'br' }),
    ]);
    assertStreamHead(identity, undefined);
    assertCatalogLines(identity.body, BIG);
    assertStreamHead(gzip, 'gzip');
    assert.ok(gzip.wireBytes < identity.wireBytes / 4, `gzip sent ${gzip.wireBytes} bytes`);
    assert.ok(gzip.body.equals(identity.body), 'gunzipped bytes are the identity bytes');
    assertStreamHead(br, 'br');
    assert.ok(br.wireBytes < identity.wireBytes / 4, `br sent ${br.wireBytes} bytes`);
    assert.ok(br.body.equals(identity.body), 'brotli-decoded bytes are the identity bytes');
    const report = await metrics(port);
    assert.equal(report.compression.streamsOpened, opened + 2);
    assert.equal(report.compression.streamsOpen, 0);
    assert.equal(report.bufferPool.inUse, 0);
  });

  test('HEAD: the head GET gets, no compressor opened, no Buffer taken', async () => {
    const { port } = server;
    const before = await metrics(port);
    for (const header of [undefined, 'gzip', 'br']) {
      const reply = await get(port, header, 'HEAD');
      assert.equal(reply.status, 200);
      assert.equal(reply.body.length, 0);
      assert.equal(reply.headers['content-type'], 'application/x-ndjson');
      assert.equal(reply.headers['content-length'], undefined);
      assert.equal(reply.headers['content-encoding'], header);
      assert.equal(reply.headers['vary'], 'Accept-Encoding');
    }
    const report = await metrics(port);
    assert.equal(report.compression.streamsOpened, before.compression.streamsOpened);
    assert.equal(report.bufferPool.misses + report.bufferPool.hits, before.bufferPool.misses + before.bufferPool.hits);
  });

  test('200 clients leaving after the first chunk leave no zlib stream or Buffer in use', async () => {
    const { port } = server;
    const before = await metrics(port);
    await Promise.all(Array.from({ length: 200 }, (_, i) => abortAfterFirstChunk(port, EXPORT, i % 2 === 0 ? { 'accept-encoding': 'gzip' } : {})));
    let report = before;
    await eventuallyAsync(async () => {
      report = await metrics(port);
      return report.requests.aborted === before.requests.aborted + 200 && report.compression.streamsOpen === 0 && report.bufferPool.inUse === 0;
    }, 'every export aborted, streamsOpen and bufferPool.inUse back to 0');
    assert.equal(report.compression.streamsOpened, before.compression.streamsOpened + 100);
    assert.ok(report.bufferPool.hits > before.bufferPool.hits, 'Buffers given back by aborted streams are reused');
  });
});

/** Store pages the export reads (1000 products each) and NDJSON bytes per page, about. */
const PAGE_PRODUCTS = 1000;
const MIN_BYTES_PER_PAGE = 250_000;

test('a slow reader does not make the server buffer the catalog', async () => {
  // The young generation capped: V8 sizes it on its own, and a small shift in what a page
  // allocates (an AbortController per store call) put RSS ~70 MiB higher in about half
  // the runs on Node 24, past the bound. What this test catches, a buffered catalog, is
  // ~100 MiB per reader.
  const { child, port } = await startServer([], { CATALOG_SIZE: String(BIG) }, ['--max-semi-space-size=16']);
  const pid = child.proc.pid as number;
  const rss = (): number => {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    assert.ok(match, 'VmRSS in /proc/<pid>/status');
    return Number(match[1]) * 1024;
  };
  const mib = (bytes: number): string => (bytes / 1048576).toFixed(1) + ' MiB';
  const storeCalls = async (): Promise<number> => (await metrics(port)).cache.storeCalls;
  try {
    assert.equal((await request(port, '/products?limit=1000')).status, 200); // first-use allocations

    // One identity reader, a chunk every 50 ms for 1.5 s: the server reads the store only
    // as far ahead of it as the socket buffers hold (a few MB: about 13 pages here),
    // never the catalog's 200 pages. Counted in store reads, which no GC moves.
    const before = await storeCalls();
    const read = await readSlowly(await openResponse(port, EXPORT), 50, 1500);
    await sleep(200); // the stream stops at the next page once the reader is gone
    const pages = (await storeCalls()) - before;
    const pagesRead = Math.ceil(read / MIN_BYTES_PER_PAGE);
    assert.ok(read > 0, 'the reader got some of the body');
    assert.ok(pages - pagesRead < 60, `${pages} store pages read for ${read} bytes taken (${pagesRead} pages at most); the catalog has ${BIG / PAGE_PRODUCTS}`);

    // Identity and gzip at once: gzip keeps more in flight (zlib and the socket hold
    // compressed bytes, ~30 MB of NDJSON made and dropped), so here the measure is memory.
    // Buffering a catalog would add ~100 MiB per reader; V8's heap moves RSS by up to
    // ~25 MiB at a time on its own (seen on Node 26), so only a large growth fails.
    const start = rss();
    const samples: number[] = [];
    const both = await Promise.all(
      [{}, { 'accept-encoding': 'gzip' }].map(async (headers) => {
        const res = await openResponse(port, EXPORT, headers);
        assert.equal(res.statusCode, 200);
        return readSlowly(res, 50, 2000, () => samples.push(rss()));
      }),
    );
    assert.ok(both.every((bytes) => bytes > 0), 'both readers got some of the body');
    const grew = Math.max(...samples) - start;
    assert.ok(grew < 96 * 1048576, `RSS grew by ${mib(grew)} from ${mib(start)} after reading ${both.join(' and ')} bytes`);
  } finally {
    child.kill('SIGKILL');
    await child.exited;
  }
});

// A client that stops reading long enough for the server to be fully backpressured (socket
// buffers full, the compressor's output buffer full, its write callback parked), then
// leaves. zlib never calls back a write that is parked when it is destroyed, so the
// pooled Buffer in that write is never given back.
test('a client leaving a fully backpressured compressed export leaves no Buffer in use', async () => {
  await withApp(
    async (t) => {
      const responses = await Promise.all(['gzip', 'br'].map((coding) => openResponse(t.port, EXPORT, { 'accept-encoding': coding })));
      for (const res of responses) res.pause();
      // Backpressured: the server stops taking Buffers from the pool.
      const taken = (): number => t.app.pool.stats().hits + t.app.pool.stats().misses;
      let last = -1;
      let steady = 0;
      await eventually(() => {
        steady = taken() === last ? steady + 1 : 0;
        last = taken();
        return steady >= 40; // no Buffer taken for 200 ms (polled every 5 ms)
      }, 'the exports to stall', 10_000);
      assert.equal(t.app.pool.stats().inUse > 0, true);
      for (const res of responses) res.destroy();
      await eventually(() => t.app.metrics.aborted === 2 && t.app.compression.stats().streamsOpen === 0, 'both aborted, compressors closed');
      await eventually(() => t.app.pool.stats().inUse === 0, `pool inUse back to 0 (is ${t.app.pool.stats().inUse})`, 1000);
    },
    { catalogSize: BIG },
  );
});

test('BUFFER_POOL=off: the same bytes, reported as disabled', async () => {
  const size = 3000;
  const expected = catalogNdjson(size);
  for (const bufferPool of ['off', 'on'] as const) {
    await withApp(
      async (t) => {
        const plain = await get(t.port);
        assertStreamHead(plain, undefined);
        assert.ok(plain.body.equals(expected), `pool ${bufferPool}: identity bytes`);
        const gzip = await get(t.port, 'gzip');
        assert.ok(decode('gzip', gzip.body).equals(expected), `pool ${bufferPool}: gzip bytes`);
        const pool = (await metrics(t.port)).bufferPool;
        assert.equal(pool.enabled, bufferPool === 'on');
        assert.equal(pool.inUse, 0);
        if (bufferPool === 'off') {
          assert.equal(pool.hits, 0);
          assert.equal(pool.free, 0);
          assert.ok(pool.misses > 2);
        } else {
          assert.ok(pool.hits > 0);
        }
      },
      { catalogSize: size, bufferPool, bufferPoolBytes: 4096 },
    );
  }
});
