// The Prometheus text format of /metrics: content negotiation, every line parsed against
// the grammar, HELP and TYPE per family, cumulative buckets with +Inf equal to _count,
// hostile label values escaped, and `promtool check metrics` when it is installed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate } from '../../src/metrics/aggregate.js';
import type { ProcessSnapshot } from '../../src/metrics/snapshot.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../../src/metrics/prometheus.js';
import { eventually, request, withApp } from '../helpers/http.js';
import { assertInvalid } from '../helpers/problem.js';
import { skipWithout } from '../helpers/tools.js';
import { checkHistogram, hasPromtool, parsePrometheus, promtoolCheck, sampleValue } from '../helpers/prometheus.js';

const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROMTOOL_SKIP = skipWithout(hasPromtool(), 'promtool', 'apt-get install -y prometheus');

function snapshot(overrides: Partial<ProcessSnapshot> = {}): ProcessSnapshot {
  return {
    pid: 1234,
    worker: 0,
    uptimeSeconds: 1,
    startTimeSeconds: 1_795_000_000,
    cpuSeconds: 0.5,
    requests: { total: 0, inFlight: 0, aborted: 0, clientErrors: 0, counts: [] },
    latencyMs: { counts: new Array<number>(18).fill(0), count: 0, sum: 0, max: 0 },
    connections: { active: 0, total: 0 },
    cache: { hits: 0, misses: 0, hitRate: 0, entries: 0, maxEntries: 10, bytes: 0, maxBytes: 1000, evictions: 0, tooLarge: 0, expirations: 0, invalidations: 0, staleServed: 0, loads: 0, loadErrors: 0, inflight: 0, storeCalls: 0 },
    eventLoop: { windowSeconds: 1, delayMs: { p50: 0, p99: 0, max: 0 }, utilization: 0 },
    compression: { minBytes: 1024, gzipLevel: 5, codings: ['br', 'gzip'], onTheFly: 0, streamsOpened: 0, streamsOpen: 0, failures: 0, variants: 0, upgradeConcurrency: 1, upgradeBacklog: 64, upgradesRunning: 0, upgradesQueued: 0, upgrades: 0, upgradesDropped: 0, upgradesCancelled: 0, upgradesFailed: 0, requestJobs: 2, requestJobsRunning: 0, requestJobsWaiting: 0, requestJobsWaited: 0 },
    bufferPool: { enabled: true, bufferBytes: 65536, maxFree: 64, free: 0, inUse: 0, hits: 0, misses: 0, abandoned: 0 },
    logs: { dropped: 0, queuedBytes: 0 },
    exports: { maxConcurrent: 4, active: 0, rejected: 0, idleTimeouts: 0 },
    rateLimit: { limited: 0, clients: 0, evictions: 0 },
    deadline: { ms: 5000, answered503: 0, answered504: 0 },
    shedding: { eventLoopDelayMs: 0, eventLoopUtilization: 0, maxInFlight: 0, active: 0, shed: { eventLoopDelay: 0, eventLoopUtilization: 0, inFlight: 0 } },
    store: {
      calls: 0, attempts: 0, retries: 0, retriesRefused: 0, retriesPastDeadline: 0, shortCircuited: 0, waiting: 0,
      failures: { connect: 0, reset: 0, status: 0, invalid: 0, 'too-large': 0, timeout: 0, other: 0 },
      breaker: { state: 'closed', opened: 0, halfOpened: 0, closed: 0 },
    },
    redis: null,
    tracing: null,
    memory: { rssBytes: 1, heapUsedBytes: 1, heapTotalBytes: 1, externalBytes: 1 },
    ...overrides,
  };
}

test('negotiation: Accept text/plain, Prometheus\'s own Accept, openmetrics and ?format=prometheus get the text format; */*, none and a browser get JSON', async () => {
  await withApp(async (t) => {
    for (const headers of [{ accept: 'text/plain' }, { accept: PROMETHEUS_ACCEPT }, { accept: 'application/openmetrics-text' }, { accept: 'text/*' }]) {
      const reply = await request(t.port, '/metrics', { headers });
      assert.equal(reply.status, 200, headers.accept);
      assert.equal(reply.headers['content-type'], PROMETHEUS_CONTENT_TYPE, headers.accept);
      // Two Vary lines (Accept-Encoding from the compression layer, Accept from the route), joined by the client.
      assert.deepEqual(String(reply.headers['vary']).split(/,\s*/).sort(), ['Accept', 'Accept-Encoding']);
      assert.equal(reply.headers['cache-control'], 'no-store');
    }
    assert.equal((await request(t.port, '/metrics?format=prometheus')).headers['content-type'], PROMETHEUS_CONTENT_TYPE);
    assert.equal((await request(t.port, '/metrics?format=json', { headers: { accept: 'text/plain' } })).headers['content-type'], 'application/json');
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8';
    for (const accept of ['*/*', browser, 'application/json', 'text/plain;q=0.1, application/json', 'image/png']) {
      const reply = await request(t.port, '/metrics', { headers: { accept } });
      assert.equal(reply.headers['content-type'], 'application/json', accept);
    }
    assert.equal((await request(t.port, '/metrics')).headers['content-type'], 'application/json');
    assertInvalid(await request(t.port, '/metrics?format=xml'), 'query', 'format', 'enum');
  });
});

test('a live server\'s exposition parses line by line, counts requests by method, route pattern and status, and passes promtool', async () => {
  await withApp(async (t) => {
    for (let i = 0; i < 3; i++) await request(t.port, `/products/${i + 1}`);
    await request(t.port, '/products/1', { method: 'HEAD' });
    await request(t.port, '/products/abc');
    await request(t.port, '/nope/1');
    await eventually(() => t.app.metrics.total === 6, '6 finished requests');
    const reply = await request(t.port, '/metrics', { headers: { accept: 'text/plain' } });
    const families = parsePrometheus(reply.text);

    assert.equal(sampleValue(families, 'turbina_http_requests_total', { method: 'GET', route: '/products/{id}', status: '200' }), 3);
    assert.equal(sampleValue(families, 'turbina_http_requests_total', { method: 'HEAD', route: '/products/{id}', status: '200' }), 1);
    assert.equal(sampleValue(families, 'turbina_http_requests_total', { method: 'GET', route: '/products/{id}', status: '400' }), 1);
    assert.equal(sampleValue(families, 'turbina_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }), 1);
    const routes = families.get('turbina_http_requests_total')?.samples.map((s) => s.labels['route']) ?? [];
    assert.ok(routes.every((r) => r === 'unmatched' || r?.startsWith('/products/{') || r === '/metrics'), routes.join(' '));

    const duration = families.get('turbina_http_request_duration_seconds');
    assert.equal(duration?.type, 'histogram');
    checkHistogram(duration as NonNullable<typeof duration>);
    assert.equal(sampleValue(families, 'turbina_http_request_duration_seconds_count'), 6);
    assert.equal(sampleValue(families, 'turbina_http_requests_in_flight'), 1);
    assert.equal(sampleValue(families, 'turbina_cache_misses_total'), 3);
    assert.equal(sampleValue(families, 'turbina_cache_hits_total'), 1);
    assert.equal(sampleValue(families, 'turbina_cache_entries'), 3);
    assert.equal(sampleValue(families, 'turbina_cache_bytes'), t.app.cache.stats().bytes);
    assert.ok(sampleValue(families, 'turbina_cache_bytes') > 3 * 300, 'three products, each kept twice');
    assert.equal(sampleValue(families, 'turbina_cache_max_bytes'), 64 * 1024 * 1024);
    assert.equal(sampleValue(families, 'turbina_cache_too_large_total'), 0);
    for (const name of ['turbina_compression_variants_total', 'turbina_compression_upgrades_total', 'turbina_compression_upgrades_dropped_total', 'turbina_compression_upgrades_cancelled_total', 'turbina_compression_upgrades_failed_total', 'turbina_compression_upgrades_queued', 'turbina_compression_upgrades_running']) {
      assert.equal(sampleValue(families, name), 0, name);
    }
    assert.equal(sampleValue(families, 'turbina_store_calls_total'), 3);
    assert.equal(sampleValue(families, 'turbina_log_lines_dropped_total'), 0);
    assert.equal(sampleValue(families, 'turbina_exports_max_concurrent'), t.app.config.exportMaxConcurrent);
    assert.equal(sampleValue(families, 'turbina_exports_active'), 0);
    assert.equal(sampleValue(families, 'turbina_exports_rejected_total'), 0);
    assert.equal(sampleValue(families, 'turbina_exports_idle_timeouts_total'), 0);
    assert.equal(sampleValue(families, 'turbina_rate_limited_total'), 0);
    assert.equal(sampleValue(families, 'turbina_rate_limit_clients'), 0);
    assert.equal(sampleValue(families, 'turbina_rate_limit_evictions_total'), 0);
    assert.ok(sampleValue(families, 'process_resident_memory_bytes') > 0);
    assert.ok(sampleValue(families, 'process_cpu_seconds_total') > 0);
    assert.ok(Math.abs(sampleValue(families, 'process_start_time_seconds') - Date.now() / 1000) < 600);
    assert.ok(sampleValue(families, 'nodejs_heap_size_used_bytes') > 0);
    assert.ok(sampleValue(families, 'nodejs_eventloop_lag_seconds') >= 0);
    for (const family of families.values()) {
      if (family.type === 'counter') assert.match(family.name, /_total$/, family.name);
      else assert.doesNotMatch(family.name, /_total$/, family.name);
    }
    // Single-process mode has no cluster families and no worker labels.
    assert.equal(families.has('turbina_worker_restarts_total'), false);
  });
});

test('hostile label values are escaped: backslash, double quote and line feed', () => {
  const hostile = '/x\\y"z\n} 1\nfake_metric 2';
  const text = renderPrometheus(aggregate([snapshot({
    requests: { total: 2, inFlight: 0, aborted: 0, clientErrors: 0, counts: [{ method: 'GET', route: hostile, routeMethod: 'GET', status: 200, count: 2 }] },
  })]));
  const families = parsePrometheus(text);
  assert.equal(families.has('fake_metric'), false);
  assert.equal(sampleValue(families, 'turbina_http_requests_total', { route: hostile }), 2);
});

test('merged histograms: buckets summed over workers, +Inf equals _count, overflow counted only in +Inf', () => {
  const counts = (at: number, n: number): number[] => Array.from({ length: 18 }, (_, i) => (i === at ? n : 0));
  const text = renderPrometheus(
    aggregate([
      snapshot({ worker: 0, latencyMs: { counts: counts(4, 3), count: 3, sum: 3, max: 1 } }),
      snapshot({ worker: 1, pid: 5678, latencyMs: { counts: counts(17, 2), count: 2, sum: 30_000, max: 15_000 } }),
    ]),
    { workers: 2, restarts: 1, missing: [], missingTotal: 0, primaryLogsDropped: 0, timeoutMs: 250 },
  );
  const families = parsePrometheus(text);
  checkHistogram(families.get('turbina_http_request_duration_seconds') as NonNullable<ReturnType<typeof families.get>>);
  assert.equal(sampleValue(families, 'turbina_http_request_duration_seconds_bucket', { le: '0.001' }), 3);
  assert.equal(sampleValue(families, 'turbina_http_request_duration_seconds_bucket', { le: '10' }), 3);
  assert.equal(sampleValue(families, 'turbina_http_request_duration_seconds_bucket', { le: '+Inf' }), 5);
  assert.equal(sampleValue(families, 'turbina_http_request_duration_seconds_sum'), 30.003);
  assert.equal(sampleValue(families, 'turbina_worker_restarts_total'), 1);
  assert.equal(sampleValue(families, 'process_resident_memory_bytes', { worker: '1' }), 1);
  assert.equal(sampleValue(families, 'turbina_worker_info', { worker: '1', pid: '5678' }), 1);
});

test('dropped log lines: the workers\' and the primary\'s own in one counter', () => {
  const text = renderPrometheus(
    aggregate([snapshot({ worker: 0, logs: { dropped: 3, queuedBytes: 0 } }), snapshot({ worker: 1, pid: 5678, logs: { dropped: 40, queuedBytes: 0 } })]),
    { workers: 2, restarts: 0, missing: [], missingTotal: 0, primaryLogsDropped: 500, timeoutMs: 250 },
  );
  const family = parsePrometheus(text).get('turbina_log_lines_dropped_total');
  assert.equal(family?.type, 'counter');
  assert.deepEqual(family?.samples.map((s) => [s.labels, s.value]), [[{}, 543]]);
});

test('promtool check metrics accepts the exposition', { skip: PROMTOOL_SKIP }, async () => {
  await withApp(async (t) => {
    await request(t.port, '/products/1');
    await request(t.port, '/nope');
    const single = (await request(t.port, '/metrics?format=prometheus')).text;
    promtoolCheck(single);
    const clustered = renderPrometheus(aggregate([snapshot(), snapshot({ worker: 1, pid: 99 })]), {
      workers: 2, restarts: 0, missing: [{ worker: 1, pid: 99 }], missingTotal: 3, primaryLogsDropped: 0, timeoutMs: 250,
    });
    promtoolCheck(clustered);
  });
});
