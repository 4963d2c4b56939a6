// GET /metrics: exact counters after a known sequence of requests, bounded route labels,
// cache numbers, latency percentiles, runtime gauges, and aborted clients.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { MetricsReport } from '../../src/metrics/report.js';
import { LATENCY_BOUNDS_MS } from '../../src/observability/histogram.js';
import { eventually, request, withApp, type TestApp } from '../helpers/http.js';

async function metrics(t: TestApp): Promise<MetricsReport> {
  const reply = await request(t.port, '/metrics');
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['content-type'], 'application/json');
  assert.equal(reply.headers['cache-control'], 'no-store');
  return reply.json<MetricsReport>();
}

test('exact counters after a known sequence of requests', async () => {
  await withApp(async (t) => {
    for (let i = 0; i < 5; i++) assert.equal((await request(t.port, '/products/1')).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await request(t.port, '/products/abc')).status, 400);
    for (let i = 0; i < 2; i++) assert.equal((await request(t.port, '/nope')).status, 404);
    assert.equal((await request(t.port, '/products/1', { method: 'POST' })).status, 405);
    await eventually(() => t.app.metrics.total === 11, '11 finished requests');

    const m = await metrics(t);
    // The /metrics request itself is still in flight: counted in inFlight, not in total.
    assert.equal(m.requests.total, 11);
    assert.equal(m.requests.inFlight, 1);
    assert.equal(m.requests.aborted, 0);
    assert.deepEqual(m.requests.byStatus, { '200': 5, '400': 3, '404': 2, '405': 1 });

    // 1 MISS then 4 HITs; "abc" is refused before the cache is consulted.
    assert.equal(m.cache.hits, 4);
    assert.equal(m.cache.misses, 1);
    assert.equal(m.cache.entries, 1);
    assert.equal(m.cache.hitRate, 0.8);
    assert.equal(m.cache.storeCalls, 1);
    assert.equal(m.cache.loads, 1);
    assert.equal(m.cache.loadErrors, 0);
    assert.equal(m.cache.inflight, 0);

    const rt = m.responseTimeMs;
    for (const key of ['avg', 'p50', 'p90', 'p99', 'max'] as const) {
      assert.equal(typeof rt[key], 'number', key);
      assert.ok(Number.isFinite(rt[key]) && rt[key] >= 0, `${key}=${rt[key]}`);
    }
    assert.ok(rt.p50 <= rt.p90 && rt.p90 <= rt.p99 && rt.p99 <= rt.max, JSON.stringify(rt));
    assert.ok(rt.avg <= rt.max && rt.max > 0, JSON.stringify(rt));
    // The histogram itself, cumulative as Prometheus gets it: one count per bound plus +Inf,
    // which counts every finished request.
    const { boundsMs, cumulative } = rt.buckets;
    assert.deepEqual(boundsMs, [...LATENCY_BOUNDS_MS]);
    assert.equal(cumulative.length, boundsMs.length + 1);
    assert.equal(cumulative.at(-1), 11);
    for (let i = 1; i < cumulative.length; i++) assert.ok(cumulative[i]! >= cumulative[i - 1]!, `cumulative at ${i}: ${cumulative.join()}`);

    assert.ok(m.connections.active >= 1);
    assert.ok(m.connections.total >= 12);
    for (const key of ['p50', 'p99', 'max'] as const) {
      assert.equal(typeof m.eventLoop.delayMs[key], 'number', key);
      assert.ok(m.eventLoop.delayMs[key] >= 0);
    }
    assert.ok(m.eventLoop.delayMs.p50 <= m.eventLoop.delayMs.max);
    assert.ok(m.eventLoop.utilization >= 0 && m.eventLoop.utilization <= 1);
    assert.ok(m.memory.rssBytes > 0);
    assert.ok(m.memory.heapUsedBytes > 0);
    assert.ok(m.uptimeSeconds > 0);

    // The first /metrics request is now counted too.
    await eventually(() => t.app.metrics.total === 12, '12 finished requests');
    const after = await metrics(t);
    assert.equal(after.requests.total, 12);
    assert.equal(after.requests.byRoute['GET /metrics'], 1);
    assert.equal(after.requests.byRoute['GET /products/{id}'], 8);
    // Checked last so that a failure here does not hide the checks above.
    // A 405 matched no route (only a path), so it is "unmatched" like the 404s.
    assert.deepEqual(m.requests.byRoute, { 'GET /products/{id}': 8, unmatched: 3 });
    assert.deepEqual(after.requests.byRoute, { 'GET /products/{id}': 8, 'GET /metrics': 1, unmatched: 3 });
  });
});

test('byRoute is keyed by pattern, never by raw path', async () => {
  await withApp(async (t) => {
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => request(t.port, `/products/${batch * 10 + i + 1}`)));
    }
    await Promise.all(Array.from({ length: 10 }, (_, i) => request(t.port, `/random/${i}`)));
    await eventually(() => t.app.metrics.total === 60, '60 finished requests');
    const m = await metrics(t);
    assert.deepEqual(m.requests.byStatus, { '200': 50, '404': 10 });
    assert.equal(m.cache.misses, 50);
    assert.equal(m.cache.storeCalls, 50);
    assert.equal(m.cache.entries, 50);
    assert.equal(m.cache.hitRate, 0);
    const keys = Object.keys(m.requests.byRoute);
    assert.ok(keys.every((k) => !/\/products\/\d|\/random/.test(k)), `raw paths leaked: ${keys.join(', ')}`);
    assert.deepEqual(m.requests.byRoute, { 'GET /products/{id}': 50, unmatched: 10 });
  });
});

test('an aborted client counts as 499, inFlight returns to 0, the server still answers', async () => {
  await withApp(async (t) => {
    const socket = connect(t.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /io?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => t.app.metrics.inFlight === 1, 'the request to arrive');
    await sleep(50);
    // A reset: a bare FIN is a half-close, which the server still answers.
    socket.resetAndDestroy();
    await eventually(() => t.app.metrics.aborted === 1, 'the abort to be recorded');
    assert.equal(t.app.metrics.inFlight, 0);

    const m = await metrics(t);
    assert.equal(m.requests.aborted, 1);
    assert.equal(m.requests.total, 1);
    assert.equal(m.requests.inFlight, 1); // the /metrics request only
    assert.deepEqual(m.requests.byStatus, { '499': 1 });
    assert.deepEqual(m.requests.byRoute, { 'GET /io': 1 });

    // The timer still fires at 300 ms; writing to the gone client must not count again
    // or break anything.
    await sleep(300);
    assert.equal(t.app.metrics.aborted, 1);
    assert.equal(t.app.metrics.inFlight, 0);
    const health = await request(t.port, '/healthz');
    assert.equal(health.status, 200);
    await eventually(() => t.app.metrics.total === 3, '3 finished requests');
    const later = await metrics(t);
    assert.deepEqual(later.requests.byStatus, { '200': 2, '499': 1 });
    assert.equal(later.requests.aborted, 1);
  });
});
