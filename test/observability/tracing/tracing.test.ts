// Tracing end to end, through real sockets: W3C trace context in and out of the server,
// the server span as a real OTLP/HTTP collector receives it, the access log's trace ids,
// the samplers, a collector that fails or is down, and the shutdown flush of the real
// server (dist/server.js). app.stop() flushes the exporter, so no test waits for its
// batch schedule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import type { Config } from '../../../src/config.js';
import { startServer } from '../../helpers/child.js';
import { Collector } from '../../helpers/collector.js';
import { eventually, request } from '../../helpers/http.js';
import { attributesOf, SPAN_KIND, type OtlpSpan, type OtlpTraceRequest } from '../../helpers/otlp.js';
import { startTracedApp, type TracedApp } from '../../helpers/traced-app.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const TRACESTATE = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';
const OUR_TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

/** Runs `body` against a traced app and a fresh collector; stops the app (flushing its spans) and the collector however it ends. */
async function withTraced(overrides: Partial<Config>, body: (t: TracedApp, collector: Collector) => Promise<void>): Promise<void> {
  const collector = await Collector.start();
  const t = await startTracedApp(collector, overrides);
  try {
    await body(t, collector);
  } finally {
    // A second stop() would cut a shutdown the test is waiting on.
    if (!t.app.lifecycle.draining) await t.app.stop();
    await collector.close();
  }
}

/** The server spans received: what these tests are about (a miss's store span, its child,
 *  is store-spans.test's and upstream-trace.test's). */
function spansOf(collector: Collector): OtlpSpan[] {
  return collector.spans().filter((span) => span.kind === SPAN_KIND.SERVER);
}

function traceparentOf(reply: { readonly headers: Record<string, unknown> }): { traceId: string; spanId: string; flags: string } {
  const header = reply.headers['traceparent'];
  assert.equal(typeof header, 'string', 'the response carries a traceparent');
  const match = OUR_TRACEPARENT.exec(header as string);
  assert.ok(match, `a version-00 traceparent: ${String(header)}`);
  return { traceId: match[1] as string, spanId: match[2] as string, flags: match[3] as string };
}

function accessLine(t: TracedApp, path: string): Record<string, unknown> {
  const line = t.logs().find((l) => l['msg'] === 'request' && l['path'] === path);
  assert.ok(line, `an access-log line for ${path}`);
  return line;
}

test('a valid traceparent and tracestate are continued: the answer, the exported server span and the access log agree', async () => {
  await withTraced({}, async (t, collector) => {
    const reply = await request(t.port, '/products/1', { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`, tracestate: TRACESTATE } });
    assert.equal(reply.status, 200);
    const answered = traceparentOf(reply);
    assert.equal(answered.traceId, TRACE_ID);
    assert.notEqual(answered.spanId, CALLER_SPAN_ID, 'our span, not the caller\'s');
    assert.equal(answered.flags, '01');

    const before = Date.now();
    assert.equal(await t.app.stop(), 0);
    assert.equal(collector.received.length, 1);
    assert.equal(collector.received[0]?.path, '/v1/traces');
    assert.equal(collector.received[0]?.headers['content-type'], 'application/x-protobuf', 'protobuf, the OTLP default');
    const [span, ...more] = spansOf(collector);
    assert.ok(span);
    assert.equal(more.length, 0);
    assert.equal(span.traceId, TRACE_ID);
    assert.equal(span.spanId, answered.spanId);
    assert.equal(span.parentSpanId, CALLER_SPAN_ID);
    assert.equal(span.traceState, TRACESTATE);
    assert.equal(span.name, 'GET /products/{id}');
    assert.equal(span.kind, 2);
    assert.deepEqual(span.status, { code: 0 });
    assert.match(span.startTimeUnixNano, /^\d+$/);
    assert.match(span.endTimeUnixNano, /^\d+$/);
    const start = BigInt(span.startTimeUnixNano);
    const end = BigInt(span.endTimeUnixNano);
    assert.ok(start <= end, `${start} <= ${end}`);
    // Nanoseconds since the epoch, of this very request (not ms, not a monotonic clock).
    const startMs = Number(start / 1_000_000n);
    assert.ok(startMs > before - 5000 && startMs <= before, `${startMs} near ${before}`);
    assert.deepEqual(attributesOf(span), {
      'http.request.method': 'GET',
      'url.path': '/products/1',
      'url.scheme': 'http',
      'http.route': '/products/{id}',
      'http.response.status_code': 200n,
      'http.response.body.size': BigInt(reply.body.length),
      'server.address': '127.0.0.1',
      'server.port': BigInt(t.port),
      'client.address': '127.0.0.1',
      'turbina.cache': 'MISS',
    });

    const line = accessLine(t, '/products/1');
    assert.equal(line['trace_id'], span.traceId);
    assert.equal(line['span_id'], span.spanId);
  });
});

test('OTEL_EXPORTER_OTLP_PROTOCOL=http/json: the server span goes as OTLP/JSON (application/json)', async () => {
  await withTraced({ otlpProtocol: 'http/json' }, async (t, collector) => {
    const reply = await request(t.port, '/products/1', { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` } });
    assert.equal(reply.status, 200);
    const answered = traceparentOf(reply);
    assert.equal(await t.app.stop(), 0);
    assert.equal(collector.received.length, 1);
    assert.equal(collector.received[0]?.headers['content-type'], 'application/json');
    const body = JSON.parse(collector.received[0]?.raw ?? '') as OtlpTraceRequest;
    // The miss's store span, then the server span.
    const [store, span, ...more] = body.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
    assert.equal(more.length, 0);
    assert.equal(store?.parentSpanId, answered.spanId);
    assert.equal(span?.traceId, TRACE_ID);
    assert.equal(span?.spanId, answered.spanId);
    assert.equal(span?.parentSpanId, CALLER_SPAN_ID);
    assert.equal(span?.name, 'GET /products/{id}');
    assert.equal(attributesOf(span as OtlpSpan)['http.response.status_code'], 200n);
  });
});

test('malformed traceparents start a new trace, are never echoed, and take their tracestate with them', async () => {
  const malformed = [
    `00-${TRACE_ID}-${CALLER_SPAN_ID}-0`, // one character short
    `00-${TRACE_ID}-${CALLER_SPAN_ID}-01-extra`, // version 00 has nothing after the flags
    `00-${TRACE_ID.toUpperCase()}-${CALLER_SPAN_ID.toUpperCase()}-01`,
    `00-${'0'.repeat(32)}-${CALLER_SPAN_ID}-01`,
    `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
    `ff-${TRACE_ID}-${CALLER_SPAN_ID}-01`,
    `00_${TRACE_ID}_${CALLER_SPAN_ID}_01`,
  ];
  await withTraced({}, async (t, collector) => {
    const answered = new Map<string, string>();
    for (const [i, traceparent] of malformed.entries()) {
      const path = `/products/${i + 1}`;
      const reply = await request(t.port, path, { headers: { traceparent, tracestate: TRACESTATE } });
      assert.equal(reply.status, 200, traceparent);
      assert.notEqual(reply.headers['traceparent'], traceparent);
      const ours = traceparentOf(reply);
      assert.notEqual(ours.traceId, TRACE_ID, `a new trace for ${traceparent}`);
      assert.notEqual(ours.traceId.toLowerCase(), TRACE_ID);
      assert.notEqual(ours.spanId, CALLER_SPAN_ID);
      assert.equal(ours.flags, '01', 'a new trace is sampled by parentbased_always_on');
      answered.set(ours.traceId, path);
    }
    assert.equal(answered.size, malformed.length, 'a trace id per request');

    assert.equal(await t.app.stop(), 0);
    const spans = spansOf(collector);
    assert.equal(spans.length, malformed.length);
    for (const span of spans) {
      assert.ok(answered.has(span.traceId), `span of an answered trace: ${span.traceId}`);
      assert.equal(span.parentSpanId, undefined, 'a root span');
      assert.equal(span.traceState, undefined, 'no tracestate without its traceparent');
      assert.equal(attributesOf(span)['url.path'], answered.get(span.traceId));
    }
  });
});

test('a 5xx ends its span with status error and a message; a 404 leaves it unset and names it by the method alone', async () => {
  await withTraced({}, async (t, collector) => {
    t.app.route('GET', '/boom', () => {
      throw new Error('the handler failed');
    });
    const failed = await request(t.port, '/boom');
    assert.equal(failed.status, 500);
    const missing = await request(t.port, '/no/such/route');
    assert.equal(missing.status, 404);
    const failedId = traceparentOf(failed).spanId;
    const missingId = traceparentOf(missing).spanId;

    assert.equal(await t.app.stop(), 0);
    const spans = spansOf(collector);
    const boom = spans.find((s) => s.spanId === failedId);
    const none = spans.find((s) => s.spanId === missingId);
    assert.ok(boom && none);
    assert.equal(boom.name, 'GET /boom');
    assert.equal(boom.status.code, 2);
    assert.equal(typeof boom.status.message, 'string');
    assert.notEqual(boom.status.message, '');
    assert.equal(attributesOf(boom)['http.response.status_code'], 500n);
    assert.equal(attributesOf(boom)['error.type'], '500');
    assert.equal(none.name, 'GET');
    assert.deepEqual(none.status, { code: 0 });
    const noneAttributes = attributesOf(none);
    assert.equal(noneAttributes['http.response.status_code'], 404n);
    assert.equal(noneAttributes['http.route'], undefined);
  });
});

test('a request the rate limiter refuses (429) has its traceparent and its span too: tracing runs first', async () => {
  await withTraced({ rateLimitRps: 1, rateLimitBurst: 1 }, async (t, collector) => {
    assert.equal((await request(t.port, '/products/1')).status, 200);
    const refused = await request(t.port, '/products/2', { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` } });
    assert.equal(refused.status, 429);
    const answered = traceparentOf(refused);
    assert.equal(answered.traceId, TRACE_ID);

    assert.equal(await t.app.stop(), 0);
    const span = spansOf(collector).find((s) => s.spanId === answered.spanId);
    assert.ok(span, 'the refused request\'s span');
    assert.equal(span.parentSpanId, CALLER_SPAN_ID);
    assert.equal(attributesOf(span)['http.response.status_code'], 429n);
    assert.deepEqual(span.status, { code: 0 }, 'a 4xx is the client\'s: status unset');
  });
});

test('server.address and server.port come from each Host header as sent: names, IPv6, no port, ports that are not digits', async () => {
  await withTraced({}, async (t, collector) => {
    const hosts: [string, string, bigint | undefined][] = [
      ['shop.example:8080', 'shop.example', 8080n],
      ['[::1]:9000', '::1', 9000n],
      ['shop.example', 'shop.example', undefined],
      ['x:0x50', 'x', undefined],
      ['x:1e3', 'x', undefined],
      ['shop.example:8080', 'shop.example', 8080n],
    ];
    const ids: string[] = [];
    for (const [host] of hosts) ids.push(traceparentOf(await request(t.port, '/io?ms=0', { headers: { host } })).spanId);
    await t.app.stop();
    for (const [i, [host, address, port]] of hosts.entries()) {
      const span = collector.spans().find((s) => s.spanId === ids[i]);
      assert.ok(span, host);
      assert.equal(attributesOf(span)['server.address'], address, host);
      assert.equal(attributesOf(span)['server.port'], port, host);
    }
  });
});

test('OTEL_BSP_*: a batch of OTEL_BSP_MAX_EXPORT_BATCH_SIZE goes at once, the rest after OTEL_BSP_SCHEDULE_DELAY', async () => {
  await withTraced({ bspMaxExportBatchSize: 2, bspScheduleDelayMs: 150 }, async (t, collector) => {
    const started = performance.now();
    for (let i = 0; i < 3; i++) assert.equal((await request(t.port, '/io?ms=0')).status, 200);
    await eventually(() => collector.received.length === 1, 'the full batch, unflushed');
    assert.equal(collector.spans().length, 2);
    await eventually(() => collector.received.length === 2, 'the third span, on schedule');
    assert.ok(performance.now() - started >= 150, 'not before the schedule');
    assert.equal(collector.spans().length, 3);
  });
});

test('always_off: answers still carry a traceparent (flag 00) and log lines their ids, and nothing is exported', async () => {
  await withTraced({ tracesSampler: 'always_off' }, async (t, collector) => {
    const fresh = await request(t.port, '/products/1');
    const continued = await request(t.port, '/products/2', { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` } });
    const freshId = traceparentOf(fresh);
    const continuedId = traceparentOf(continued);
    assert.equal(freshId.flags, '00');
    assert.equal(continuedId.flags, '00');
    assert.equal(continuedId.traceId, TRACE_ID);
    const line = accessLine(t, '/products/1');
    assert.equal(line['trace_id'], freshId.traceId);
    assert.equal(line['span_id'], freshId.spanId);
    assert.equal(accessLine(t, '/products/2')['trace_id'], TRACE_ID);

    assert.equal(await t.app.stop(), 0);
    assert.equal(collector.received.length, 0);
  });
});

test('parentbased_always_on follows the caller: its flag 00 is not exported, its flag 01 is', async () => {
  const unsampledCaller = 'a'.repeat(16);
  await withTraced({ tracesSampler: 'parentbased_always_on' }, async (t, collector) => {
    const off = await request(t.port, '/products/1', { headers: { traceparent: `00-${TRACE_ID}-${unsampledCaller}-00` } });
    const on = await request(t.port, '/products/2', { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` } });
    assert.equal(traceparentOf(off).flags, '00');
    assert.equal(traceparentOf(on).flags, '01');

    assert.equal(await t.app.stop(), 0);
    const spans = spansOf(collector);
    assert.equal(spans.length, 1);
    assert.equal(spans[0]?.parentSpanId, CALLER_SPAN_ID);
    assert.equal(spans[0]?.spanId, traceparentOf(on).spanId);
  });
});

test('a collector answering 503 costs requests nothing; the batch is retried (Retry-After: 0) and delivered at shutdown', async () => {
  await withTraced({}, async (t, collector) => {
    collector.answerNext({ status: 503, retryAfter: '0' });
    const started = performance.now();
    for (let i = 1; i <= 20; i++) assert.equal((await request(t.port, `/products/${i}`)).status, 200);
    const took = performance.now() - started;
    assert.ok(took < 1000, `20 requests in ${took} ms`);

    assert.equal(await t.app.stop(), 0);
    const [refused, retried, ...more] = collector.received;
    assert.ok(refused && retried, 'a POST and its retry');
    assert.equal(more.length, 0);
    assert.equal(retried.raw, refused.raw, 'the same batch again');
    const delivered = retried.json?.resourceSpans[0]?.scopeSpans[0]?.spans;
    assert.equal(delivered?.filter((span) => span.kind === SPAN_KIND.SERVER).length, 20);
  });
});

test('a collector that rejects the batch (400): requests are unaffected, and the dropped spans are counted in a warning', async () => {
  await withTraced({}, async (t, collector) => {
    collector.answerAlways({ status: 400 });
    for (let i = 1; i <= 3; i++) assert.equal((await request(t.port, `/products/${i}`)).status, 200);
    assert.equal(await t.app.stop(), 0);
    assert.equal(collector.received.length, 1, 'a 400 is not retried');
    const warning = t.logs().find((l) => l['level'] === 40 && typeof l['msg'] === 'string' && l['msg'].includes('OTLP collector'));
    assert.ok(warning, 'a warning about the dropped spans');
    assert.equal(warning['spans'], 6, 'three server spans and their store spans');
  });
});

test('a collector that is down: requests are unaffected, and the shutdown flush gives up within SHUTDOWN_TIMEOUT_MS', async () => {
  await withTraced({ shutdownTimeoutMs: 400 }, async (t, collector) => {
    await collector.down();
    const started = performance.now();
    for (let i = 1; i <= 10; i++) assert.equal((await request(t.port, `/products/${i}`)).status, 200);
    const took = performance.now() - started;
    assert.ok(took < 1000, `10 requests in ${took} ms`);

    const stopping = performance.now();
    assert.equal(await t.app.stop(), 0);
    const stopTook = performance.now() - stopping;
    assert.ok(stopTook < 1000, `stop() took ${stopTook} ms`);
    assert.equal(collector.received.length, 0);
  });
});

test('the real server: SIGTERM flushes the span before the process exits 0, with the resource of OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES and the OTEL_EXPORTER_OTLP_*HEADERS', async () => {
  const collector = await Collector.start();
  const { child, port } = await startServer([], {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}/`,
    OTEL_SERVICE_NAME: 'shop-api',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging, team=web%20shop,service.name=ignored',
    OTEL_EXPORTER_OTLP_HEADERS: 'Api-Key=hunter2%2C42, x-tenant=general',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=traces',
  });
  try {
    const reply = await request(port, '/products/2');
    assert.equal(reply.status, 200);
    const answered = traceparentOf(reply);
    const exitedAt = child.exited.then((exit) => ({ exit, at: performance.now() }));
    child.kill('SIGTERM');
    const { exit, at } = await exitedAt;
    assert.deepEqual(exit, { code: 0, signal: null });
    const [post, ...more] = collector.received;
    assert.ok(post, 'the span was sent');
    assert.equal(more.length, 0);
    assert.ok(post.at < at, 'before the process exited');
    assert.equal(post.path, '/v1/traces');
    // Names lower-cased, values percent-decoded, the traces' list winning; never logged.
    assert.equal(post.headers['api-key'], 'hunter2,42');
    assert.equal(post.headers['x-tenant'], 'traces');
    assert.ok(!child.stdout().includes('hunter2'), 'the headers are not logged');
    const listening = child.lines.find((l) => l['msg'] === 'listening');
    assert.equal((listening?.['config'] as Record<string, unknown> | undefined)?.['otlpHeaders'], '(set)');
    const [sent] = collector.resourceSpans();
    assert.ok(sent, 'the resourceSpans of the POST');
    const resource = attributesOf(sent.resource);
    assert.equal(resource['service.name'], 'shop-api');
    assert.equal(resource['deployment.environment'], 'staging');
    assert.equal(resource['team'], 'web shop');
    const spans = (sent.scopeSpans[0]?.spans ?? []).filter((span) => span.kind === SPAN_KIND.SERVER);
    assert.equal(spans.length, 1);
    assert.equal(spans[0]?.traceId, answered.traceId);
    assert.equal(spans[0]?.spanId, answered.spanId);
    const line = child.lines.find((l) => l['msg'] === 'request');
    assert.equal(line?.['trace_id'], answered.traceId);
    assert.equal(line?.['span_id'], answered.spanId);
  } finally {
    child.kill('SIGKILL');
    await collector.close();
  }
});
