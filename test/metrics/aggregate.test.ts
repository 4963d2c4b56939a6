// Whole-server numbers from workers' snapshots: counters and histograms summed (with
// percentiles from the merged buckets), gauges aggregated by meaning, and the JSON
// document's cluster fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { round } from '../../src/observability/round.js';
import { Histogram } from '../../src/observability/histogram.js';
import { aggregate } from '../../src/metrics/aggregate.js';
import { renderPrometheus } from '../../src/metrics/prometheus.js';
import { metricsReport } from '../../src/metrics/report.js';
import type { ProcessSnapshot } from '../../src/metrics/snapshot.js';

function snapshot(worker: number, latencies: readonly number[], extra: { lag: number; rss: number; hits: number; misses: number }): ProcessSnapshot {
  const h = new Histogram();
  for (const ms of latencies) h.observe(ms);
  return {
    pid: 100 + worker,
    worker,
    uptimeSeconds: 10 + worker,
    startTimeSeconds: 1_795_000_000,
    cpuSeconds: 1,
    requests: {
      total: latencies.length,
      inFlight: 1,
      aborted: worker,
      clientErrors: 0,
      counts: [
        { method: 'GET', route: '/products/{id}', routeMethod: 'GET', status: 200, count: latencies.length - 1 },
        { method: 'GET', route: 'unmatched', routeMethod: '', status: 404, count: 1 },
      ],
    },
    latencyMs: h.data(),
    connections: { active: 2, total: 5 },
    cache: { hits: extra.hits, misses: extra.misses, hitRate: 0, entries: extra.misses, maxEntries: 100, bytes: extra.misses * 1000, maxBytes: 1_000_000, evictions: 0, tooLarge: 0, expirations: 0, invalidations: worker * 2, staleServed: worker * 3, loads: extra.misses, loadErrors: 0, inflight: 0, storeCalls: extra.misses },
    eventLoop: { windowSeconds: 10, delayMs: { p50: extra.lag / 2, p99: extra.lag, max: extra.lag * 2 }, utilization: extra.lag / 100 },
    compression: { minBytes: 1024, gzipLevel: 5, codings: ['br', 'gzip'], onTheFly: worker + 1, streamsOpened: 2, streamsOpen: worker, failures: 0, variants: worker + 2, upgradeConcurrency: 1, upgradeBacklog: 64, upgradesRunning: 1, upgradesQueued: worker, upgrades: 3, upgradesDropped: worker, upgradesCancelled: 1, upgradesFailed: 0, requestJobs: 2, requestJobsRunning: worker, requestJobsWaiting: 0, requestJobsWaited: worker + 4 },
    bufferPool: { enabled: true, bufferBytes: 65536, maxFree: 64, free: 1, inUse: worker, hits: 3, misses: 1, abandoned: 0 },
    logs: { dropped: 10 ** worker, queuedBytes: worker },
    exports: { maxConcurrent: 4, active: worker, rejected: worker + 2, idleTimeouts: worker * 3 },
    rateLimit: { limited: worker + 7, clients: worker * 10, evictions: worker },
    deadline: { ms: 5000, answered503: worker + 1, answered504: worker * 2 },
    shedding: { eventLoopDelayMs: 50, eventLoopUtilization: 0.9, maxInFlight: 100, active: worker, shed: { eventLoopDelay: worker, eventLoopUtilization: 2, inFlight: worker * 5 } },
    store: {
      calls: 10 + worker, attempts: 12 + worker, retries: 2, retriesRefused: worker, retriesPastDeadline: 1, shortCircuited: worker * 4, waiting: worker + 1,
      failures: { connect: worker, reset: 0, status: 2, invalid: 1, 'too-large': 0, timeout: worker, other: 0 },
      breaker: { state: worker === 1 ? 'open' : 'closed', opened: worker, halfOpened: 0, closed: 0 },
    },
    redis: {
      state: worker === 1 ? 'down' : 'ready', protocol: 3, tracking: worker !== 1, hits: 10 * worker + 1, misses: worker, errors: worker * 3, skipped: worker * 7,
      writes: 5, invalidations: worker + 2, reconnects: worker, timeouts: worker * 2, pending: 1, invalid: worker,
      breaker: { state: worker === 1 ? 'open' : 'closed', opened: worker, halfOpened: 0, closed: 0, shortCircuited: worker * 9, successes: 4, failures: worker * 5 },
    },
    tracing: { queued: worker, exported: 100 + worker, dropped: { queueFull: worker * 2, rejected: 1, failed: worker }, batches: 3, retries: worker * 4, ...(worker === 1 ? { lastError: '503 Service Unavailable' } : {}) },
    memory: { rssBytes: extra.rss, heapUsedBytes: 1, heapTotalBytes: 2, externalBytes: 3 },
  };
}

test('the shared cache (Redis): counts add up over workers, the worst state wins, tracking only if every worker has it', () => {
  const agg = aggregate([snapshot(0, [1], { lag: 1, rss: 1, hits: 1, misses: 1 }), snapshot(1, [1], { lag: 1, rss: 1, hits: 1, misses: 1 })]);
  const redis = agg.redis;
  assert.ok(redis !== null);
  assert.equal(redis.state, 'down');
  assert.equal(redis.tracking, false);
  assert.equal(redis.hits, 1 + 11);
  assert.equal(redis.skipped, 7);
  assert.equal(redis.writes, 10);
  assert.equal(redis.invalidations, 2 + 3);
  assert.equal(redis.breaker.state, 'open');
  assert.equal(redis.breaker.shortCircuited, 9);
  assert.equal(agg.cache.invalidations, 2);
  const text = renderPrometheus(agg, { workers: 2, restarts: 0, missing: [], missingTotal: 0, primaryLogsDropped: 0, timeoutMs: 250 });
  assert.match(text, /^turbina_redis_up 1$/m);
  assert.match(text, /^turbina_cache_l2_hits_total 12$/m);
  assert.match(text, /^turbina_redis_breaker_state\{state="open"\} 1$/m);
  assert.match(text, /^turbina_redis_tracking 0$/m);
  const tracing = agg.tracing;
  assert.ok(tracing !== null);
  assert.deepEqual(tracing, { queued: 1, exported: 201, dropped: { queueFull: 2, rejected: 2, failed: 1 }, batches: 6, retries: 4, lastError: '503 Service Unavailable' });
  assert.match(text, /^turbina_tracing_spans_dropped_total\{reason="queue_full"\} 2$/m);
  assert.match(text, /^turbina_tracing_spans_exported_total 201$/m);
  const none = aggregate([{ ...snapshot(0, [1], { lag: 1, rss: 1, hits: 1, misses: 1 }), redis: null, tracing: null }]);
  assert.equal(none.redis, null);
  assert.doesNotMatch(renderPrometheus(none), /turbina_redis_|turbina_cache_l2_|turbina_tracing_/);
  assert.equal(none.tracing, null);
});

test('counters and histograms are summed; percentiles come from the merged histogram; gauges by meaning', () => {
  const fast = Array.from({ length: 90 }, () => 0.7);
  const slow = Array.from({ length: 10 }, () => 40);
  const agg = aggregate([
    snapshot(1, slow, { lag: 30, rss: 2000, hits: 1, misses: 9 }),
    snapshot(0, fast, { lag: 5, rss: 1000, hits: 80, misses: 10 }),
  ]);
  const all = new Histogram();
  for (const ms of [...fast, ...slow]) all.observe(ms);
  assert.deepEqual(Array.from(agg.latencyMs.counts), Array.from(all.counts));
  assert.equal(agg.latencyMs.percentile(0.99), all.percentile(0.99));
  assert.equal(agg.latencyMs.max, 40);

  const report = metricsReport(agg, { workers: 3, restarts: 2, missing: [{ worker: 2, pid: null }], missingTotal: 4, primaryLogsDropped: 100, timeoutMs: 250 });
  assert.equal(report.requests.total, 100);
  assert.equal(report.requests.inFlight, 2);
  assert.equal(report.requests.aborted, 1);
  assert.deepEqual(report.requests.byStatus, { '200': 98, '404': 2 });
  assert.deepEqual(report.requests.byRoute, { 'GET /products/{id}': 98, unmatched: 2 });
  assert.deepEqual(report.connections, { active: 4, total: 10 });
  assert.equal(report.cache.hits, 81);
  assert.equal(report.cache.misses, 19);
  assert.equal(report.cache.hitRate, 0.81);
  assert.equal(report.cache.scope, 'per-worker');
  // Each worker's cache has its own budget: bytes and budgets both add up.
  assert.deepEqual([report.cache.bytes, report.cache.maxBytes, report.cache.tooLarge], [19_000, 2_000_000, 0]);
  assert.deepEqual(report.workers?.map((w) => w.cache.bytes), [10_000, 9_000]);
  // The worst worker's event loop, not a sum or an average.
  assert.deepEqual(report.eventLoop.delayMs, { p50: 15, p99: 30, max: 60 });
  assert.equal(report.eventLoop.utilization, 0.3);
  assert.equal(report.memory.rssBytes, 3000);
  // Both workers' dropped log lines and the primary's own.
  assert.deepEqual(report.logs, { dropped: 111, queuedBytes: 1 });
  assert.equal(report.uptimeSeconds, 11);
  // Store counters add up; the breaker's state is the worst worker's.
  assert.deepEqual(
    [report.store.calls, report.store.attempts, report.store.retries, report.store.retriesRefused, report.store.retriesPastDeadline, report.store.shortCircuited],
    [21, 25, 4, 1, 2, 4],
  );
  assert.equal(report.store.waiting, 3, 'calls waiting for a connection add up');
  assert.deepEqual(report.store.failures, { connect: 1, reset: 0, status: 4, invalid: 2, 'too-large': 0, timeout: 1, other: 0 });
  assert.deepEqual(report.store.breaker, { state: 'open', opened: 1, halfOpened: 0, closed: 0 });
  assert.equal(report.cache.staleServed, 3);
  assert.equal(report.responseTimeMs.p50, round(all.percentile(0.5)));
  assert.equal(report.cluster?.answered, 2);
  assert.equal(report.cluster?.restarts, 2);
  assert.deepEqual(report.cluster?.missing, [{ worker: 2, pid: null }]);
  assert.deepEqual(report.workers?.map((w) => [w.worker, w.pid, w.requests.total, w.memory.rssBytes]), [[0, 100, 90, 1000], [1, 101, 10, 2000]]);
});

test('single-process mode: one snapshot, no cluster fields, the cache scope is the process', () => {
  const report = metricsReport(aggregate([snapshot(0, [1, 2, 3], { lag: 1, rss: 5, hits: 0, misses: 0 })]));
  assert.equal(report.cluster, undefined);
  assert.equal(report.workers, undefined);
  assert.equal(report.cache.scope, 'process');
  assert.equal(report.cache.hitRate, 0);
});

test('compression, Buffer-pool and export counters are summed over workers; their settings are kept', () => {
  const agg = aggregate([snapshot(0, [1, 2], { lag: 1, rss: 1, hits: 0, misses: 0 }), snapshot(1, [1, 2], { lag: 1, rss: 1, hits: 0, misses: 0 })]);
  assert.deepEqual(agg.compression, {
    minBytes: 1024, gzipLevel: 5, codings: ['br', 'gzip'], upgradeConcurrency: 1, upgradeBacklog: 64,
    onTheFly: 3, streamsOpened: 4, streamsOpen: 1, failures: 0,
    variants: 5, upgradesRunning: 2, upgradesQueued: 1, upgrades: 6, upgradesDropped: 1, upgradesCancelled: 2, upgradesFailed: 0,
    requestJobs: 4, requestJobsRunning: 1, requestJobsWaiting: 0, requestJobsWaited: 9,
  });
  assert.deepEqual(agg.bufferPool, { enabled: true, bufferBytes: 65536, maxFree: 128, free: 2, inUse: 1, hits: 6, misses: 2, abandoned: 0 });
  // Each worker has its own export slots: the server's limit is their sum.
  assert.deepEqual(agg.exports, { maxConcurrent: 8, active: 1, rejected: 5, idleTimeouts: 3 });
  const report = metricsReport(agg);
  assert.equal(report.compression.onTheFly, 3);
  assert.equal(report.bufferPool.inUse, 1);
  assert.deepEqual(report.exports, agg.exports);
  assert.deepEqual(report.rateLimit, { limited: 15, clients: 10, evictions: 1 });
  // Every worker has the same deadline; what it answered adds up.
  assert.deepEqual(agg.deadline, { ms: 5000, answered503: 3, answered504: 2 });
  assert.deepEqual(report.deadline, agg.deadline);
  // Thresholds are every worker's; bounds, processes shedding now and refusals add up.
  assert.deepEqual(agg.shedding, { eventLoopDelayMs: 50, eventLoopUtilization: 0.9, maxInFlight: 200, active: 1, shed: { eventLoopDelay: 1, eventLoopUtilization: 4, inFlight: 5 } });
  assert.deepEqual(report.shedding, agg.shedding);
});
