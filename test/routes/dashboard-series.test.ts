// The dashboard's arithmetic (src/routes/dashboard/series.ts) in Node: windowed quantiles
// from bucket deltas, rates by status class, restarts, the page's options, formatting,
// SVG paths with gaps; and the same functions as the page embeds them (String(fn)),
// which must run on their own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricsReport } from '../../src/metrics/report.js';
import { LATENCY_BOUNDS_MS } from '../../src/observability/histogram.js';
import {
  axisMax,
  deltaRatio,
  formatBytes,
  formatCount,
  formatDuration,
  formatMs,
  formatPercent,
  formatSpan,
  PAGE_FUNCTIONS,
  pageOptions,
  pointBetween,
  sheddingState,
  statusClasses,
  svgPath,
  windowQuantile,
  type Point,
} from '../../src/routes/dashboard/series.js';

const BOUNDS = [1, 2, 5, 10];
const cumulative = (perBucket: readonly number[]): number[] => perBucket.map((_, i) => perBucket.slice(0, i + 1).reduce((a, b) => a + b, 0));

test('windowQuantile: only the responses between two scrapes count, linear within their bucket', () => {
  const before = cumulative([100, 0, 0, 0, 0]); // 100 fast responses before the window
  const after = cumulative([100, 0, 10, 0, 0]); // then 10 between 2 and 5 ms
  assert.equal(windowQuantile(BOUNDS, before, after, 0.5), 3.5);
  assert.equal(windowQuantile(BOUNDS, before, after, 1), 5);
  // Since start the median would be under 1 ms: the window is what the chart shows.
  assert.ok(windowQuantile(BOUNDS, [0, 0, 0, 0, 0], after, 0.5)! <= 1);
  // Spread over buckets: 4 in (0,1], 4 in (1,2], 2 in (5,10].
  const spread = cumulative([4, 4, 0, 2, 0]);
  assert.equal(windowQuantile(BOUNDS, [0, 0, 0, 0, 0], spread, 0.5), 1.25);
  assert.equal(windowQuantile(BOUNDS, [0, 0, 0, 0, 0], spread, 0.9), 7.5);
  // Past the last bound: that bound, a floor.
  assert.equal(windowQuantile(BOUNDS, [0, 0, 0, 0, 0], cumulative([0, 0, 0, 0, 3]), 0.99), 10);
  assert.equal(windowQuantile(BOUNDS, after, after, 0.99), null, 'no response in the window');
});

test('statusClasses and deltaRatio', () => {
  assert.deepEqual(statusClasses({ '200': 5, '204': 1, '304': 2, '404': 3, '429': 1, '503': 4, '101': 9 }), [6, 2, 4, 4]);
  assert.equal(deltaRatio(3, 1), 0.75);
  assert.equal(deltaRatio(0, 0), null);
});

/** A report with the fields the page reads; `over` replaces some. */
function report(over: { uptime?: number; total?: number; byStatus?: Record<string, number>; hits?: number; misses?: number; perBucket?: number[]; workers?: MetricsReport['workers'] }): MetricsReport {
  const perBucket = over.perBucket ?? LATENCY_BOUNDS_MS.map(() => 0).concat(0);
  return {
    uptimeSeconds: over.uptime ?? 10,
    requests: { total: over.total ?? 0, inFlight: 3, aborted: 0, clientErrors: 0, byStatus: over.byStatus ?? {}, byRoute: {} },
    responseTimeMs: { avg: 0, p50: 0, p90: 0, p99: 0, max: 0, buckets: { boundsMs: LATENCY_BOUNDS_MS, cumulative: cumulative(perBucket) } },
    connections: { active: 2, total: 9 },
    cache: { hits: over.hits ?? 0, misses: over.misses ?? 0 },
    eventLoop: { windowSeconds: 1, delayMs: { p50: 1, p99: 7, max: 9 }, utilization: 0.25 },
    shedding: { eventLoopDelayMs: 0, eventLoopUtilization: 0, maxInFlight: 0, active: 0, shed: { eventLoopDelay: 0, eventLoopUtilization: 0, inFlight: 0 } },
    rateLimit: { limited: 0, clients: 0, evictions: 0 },
    deadline: { ms: 0, answered503: 0, answered504: 0 },
    store: { calls: 0, retries: 0, failures: { connect: 0, reset: 0, status: 0, invalid: 0, 'too-large': 0, timeout: 0, other: 0 } },
    redis: null,
    memory: { rssBytes: 200, heapUsedBytes: 100, heapTotalBytes: 150, externalBytes: 0 },
    ...(over.workers === undefined ? {} : { workers: over.workers }),
  } as unknown as MetricsReport;
}

test('pointBetween: rates per second by class, windowed hit rate, gauges as they are', () => {
  const a = report({ uptime: 10, total: 100, byStatus: { '200': 90, '404': 10 }, hits: 50, misses: 50 });
  const b = report({ uptime: 12, total: 300, byStatus: { '200': 250, '404': 40, '503': 10 }, hits: 230, misses: 70 });
  const p = pointBetween(a, b, 2, 1234) as Point;
  assert.equal(p.atMs, 1234);
  assert.equal(p.rps, 100);
  assert.deepEqual([p.rps2xx, p.rps3xx, p.rps4xx, p.rps5xx], [80, 0, 15, 5]);
  assert.equal(p.hitRate, 0.9);
  assert.equal(p.l2HitRate, null, 'no Redis');
  assert.equal(p.anyHitRate, 0.9, 'without Redis, the L1 rate');
  assert.equal(p.p99Ms, null, 'no histogram change');
  assert.deepEqual([p.inFlight, p.connections, p.loopDelayP99Ms, p.elu, p.heapBytes, p.rssBytes], [3, 2, 7, 0.25, 100, 200]);
});

test('pointBetween: with Redis, the big hit rate counts L2 hits among the L1 misses (L1 off: Redis alone)', () => {
  const withRedis = (r: MetricsReport, hits: number, misses: number): MetricsReport => ({ ...r, redis: { hits, misses } }) as unknown as MetricsReport;
  const a = withRedis(report({ uptime: 10, total: 100, hits: 0, misses: 100 }), 0, 100);
  const b = withRedis(report({ uptime: 11, total: 300, hits: 0, misses: 300 }), 160, 140);
  const p = pointBetween(a, b, 1, 0) as Point;
  assert.equal(p.hitRate, 0, 'L1 off: every lookup a miss');
  assert.equal(p.l2HitRate, 0.8);
  assert.equal(p.anyHitRate, 0.8, '160 of 200 requests answered from a cache');
  const c = withRedis(report({ uptime: 10, total: 100, hits: 100, misses: 100 }), 0, 100);
  const d = withRedis(report({ uptime: 11, total: 300, hits: 250, misses: 150 }), 25, 125);
  assert.equal((pointBetween(c, d, 1, 0) as Point).anyHitRate, 0.875, '150 L1 and 25 L2 hits of 200 lookups');
});

test('pointBetween: a restart (uptime or the total went down) begins a new series, never a negative rate', () => {
  const a = report({ uptime: 100, total: 5000 });
  assert.equal(pointBetween(a, report({ uptime: 1, total: 10 }), 1, 0), null);
  assert.equal(pointBetween(a, report({ uptime: 101, total: 10 }), 1, 0), null);
  assert.equal(pointBetween(a, report({ uptime: 101, total: 5000 }), 0, 0), null, 'no time between');
});

const worker = (slot: number, pid: number, uptime: number, total: number): NonNullable<MetricsReport['workers']>[number] => ({
  worker: slot,
  pid,
  uptimeSeconds: uptime,
  requests: { total, inFlight: slot },
  connections: { active: 1 },
  cache: { entries: 0, bytes: 0, hits: 0, misses: 0 },
  eventLoop: { windowSeconds: 1, delayMs: { p50: 0, p99: 0, max: 0 }, utilization: 0.5 },
  memory: { rssBytes: 1, heapUsedBytes: 2, heapTotalBytes: 3, externalBytes: 0 },
});

test('pointBetween: a rate per worker', () => {
  const a = report({ total: 200, workers: [worker(1, 11, 5, 100), worker(2, 12, 5, 100)] });
  const b = report({ total: 600, workers: [worker(1, 11, 6, 300), worker(2, 12, 6, 300)] });
  const p = pointBetween(a, b, 2, 0) as Point;
  assert.deepEqual(
    p.workers.map((w) => [w.worker, w.pid, w.rps, w.inFlight, w.elu, w.heapBytes]),
    [
      [1, 11, 100, 1, 0.5, 2],
      [2, 12, 100, 2, 0.5, 2],
    ],
  );
});

test('pointBetween: other workers answering (one restarted, missing, or back) begins a new series, never a spike', () => {
  const both = report({ total: 1_000_200, workers: [worker(1, 11, 5, 200), worker(2, 12, 5, 1_000_000)] });
  const oneMissing = report({ total: 210, workers: [worker(1, 11, 6, 210)] });
  const back = report({ total: 1_000_220, workers: [worker(1, 11, 7, 220), worker(2, 12, 7, 1_000_000)] });
  assert.equal(pointBetween(both, oneMissing, 1, 0), null, 'a worker missing: the sum lost its total');
  assert.equal(pointBetween(oneMissing, back, 1, 0), null, 'the worker back: not a million requests in one second');
  const replaced = report({ total: 1_000_230, workers: [worker(1, 11, 8, 230), worker(2, 99, 1, 1_000_000)] });
  assert.equal(pointBetween(back, replaced, 1, 0), null, 'slot 2 is another process now');
  assert.equal(pointBetween(back, report({ total: 1_000_240, workers: [worker(1, 11, 8, 240), worker(2, 12, 8, 1_000_000)] }), 1, 0)?.rps, 20);
});

test('sheddingState: shedding while a process refuses on its event loop or the interval had refusals (MAX_IN_FLIGHT)', () => {
  assert.equal(sheddingState(0, null), 'admitting');
  assert.equal(sheddingState(0, 0), 'admitting');
  assert.equal(sheddingState(1, 0), 'shedding');
  assert.equal(sheddingState(0, 18_000), 'shedding', 'over MAX_IN_FLIGHT: refused per request, active stays 0');
});

test('pageOptions: ?every= and ?window= clamped into their ranges', () => {
  assert.deepEqual(pageOptions(''), { everyMs: 1000, windowMs: 300_000 });
  assert.deepEqual(pageOptions('?every=250&window=5'), { everyMs: 250, windowMs: 5000 });
  assert.deepEqual(pageOptions('?window=1&every=10'), { everyMs: 250, windowMs: 5000 });
  assert.deepEqual(pageOptions('?every=999999&window=99999'), { everyMs: 10_000, windowMs: 3_600_000 });
  assert.deepEqual(pageOptions('?every=99999999&window=1000000000000000000000'), { everyMs: 10_000, windowMs: 3_600_000 }, 'however many digits: the top of the range');
  assert.deepEqual(pageOptions('?every=abc&xevery=300'), { everyMs: 1000, windowMs: 300_000 });
});

test('formatting: counts, milliseconds, percentages, bytes, spans, the axis top', () => {
  assert.deepEqual([0, 7, 2.5, 950, 1234, 12_345, 1_500_000, 25_000_000, 3e9, null].map(formatCount), ['0', '7', '2.5', '950', '1.2k', '12k', '1.5M', '25M', '3.0G', '–']);
  assert.deepEqual([0.042, 1.254, 37.5, 1250, null].map(formatMs), ['0.042', '1.25', '37.5', '1250', '–']);
  assert.deepEqual([0, 0.0512, 0.5, 0.9999, 1, null].map(formatPercent), ['0.0%', '5.1%', '50%', '100.0%', '100.0%', '–']);
  assert.deepEqual([812, 9.4 * 1024 * 1024, 300 * 1024 * 1024, null].map(formatBytes), ['812 B', '9.4 MiB', '300 MiB', '–']);
  assert.deepEqual([5000, 45_000, 300_000, 3_600_000].map(formatSpan), ['5 s', '45 s', '5 min', '1 h']);
  assert.deepEqual([5.6, 720, 11_520, 181_440, null].map(formatDuration), ['6 s', '12 min', '3.2 h', '2.1 d', '–']);
  assert.deepEqual([0, 0.3, 1, 3, 7, 12, 4100, 9999].map(axisMax), [1, 0.5, 1, 5, 10, 20, 5000, 10_000]);
});

test('svgPath: a line through the samples, broken at each gap, clamped into the box', () => {
  assert.equal(svgPath([0, 10, 20], [0, 5, 10], 100, 10), 'M0.0 100.0h0L10.0 50.0L20.0 0.0');
  assert.equal(svgPath([0, 10, 20, 30, 40], [1, 2, null, 3, 4], 10, 10), 'M0.0 9.0h0L10.0 8.0M30.0 7.0h0L40.0 6.0');
  assert.equal(svgPath([0, 10, 20], [null, 5, null], 10, 10), 'M10.0 5.0h0', 'a point alone: a dot');
  assert.equal(svgPath([0, 10], [-5, 50], 10, 10), 'M0.0 10.0h0L10.0 0.0');
  assert.equal(svgPath([0, 10], [null, null], 10, 10), '');
});

test('the embedded functions run on their own, as the page has them, and agree with these', () => {
  const source = `${PAGE_FUNCTIONS.map(String).join('\n')}\nreturn { pointBetween, pageOptions, formatBytes, svgPath, sheddingState };`;
  const embedded = new Function(source)() as { pointBetween: typeof pointBetween; pageOptions: typeof pageOptions; formatBytes: typeof formatBytes; svgPath: typeof svgPath; sheddingState: typeof sheddingState };
  const a = report({ uptime: 10, total: 100, byStatus: { '200': 100 }, perBucket: [50, 50, ...LATENCY_BOUNDS_MS.map(() => 0).slice(1)] });
  const b = report({ uptime: 11, total: 200, byStatus: { '200': 150, '500': 50 }, perBucket: [50, 50, 0, 0, 0, 0, 100, ...LATENCY_BOUNDS_MS.map(() => 0).slice(6)] });
  assert.deepEqual(embedded.pointBetween(a, b, 1, 5), pointBetween(a, b, 1, 5));
  assert.ok(embedded.pointBetween(a, b, 1, 5)!.p50Ms! > 2.5, 'the window holds only the slow ones');
  assert.deepEqual(embedded.pageOptions('?every=400'), { everyMs: 400, windowMs: 300_000 });
  assert.equal(embedded.formatBytes(2048), '2.0 KiB');
  assert.equal(embedded.svgPath([0, 1], [null, 1], 1, 1), 'M1.0 0.0h0');
  assert.equal(embedded.sheddingState(0, 5), 'shedding');
});
