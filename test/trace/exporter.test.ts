// The OTLP exporter against a real collector on loopback: batches arrive whole and
// well-formed, a full queue drops and counts, a hanging, refusing or down collector
// costs add() nothing and moves the drop counters, flush() keeps its deadline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { OtlpExporter, type OtlpExporterOptions } from '../../src/trace/exporter.js';
import type { FinishedSpan } from '../../src/trace/span.js';
import { Logger } from '../../src/log/logger.js';
import { encodeTraces } from '../../src/trace/otlp-json.js';
import { Collector } from '../helpers/collector.js';
import { decodeTraceRequest } from '../helpers/otlp-decode.js';
import { eventually } from '../helpers/http.js';

function span(i: number): FinishedSpan {
  const hex = i.toString(16).padStart(16, '0');
  return {
    traceId: `4bf92f3577b34da6${hex}`,
    spanId: hex,
    parentSpanId: i % 2 === 0 ? '' : '00f067aa0ba902b7',
    traceState: '',
    name: `span ${i}`,
    kind: i % 2 === 0 ? 'server' : 'client',
    startMs: performance.timeOrigin + performance.now(),
    endMs: performance.timeOrigin + performance.now() + 1.5,
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, i },
    status: i % 3 === 0 ? { code: 'error', message: 'boom' } : { code: 'unset' },
  };
}

interface Setup {
  readonly collector: Collector;
  readonly exporter: OtlpExporter;
  readonly logs: () => Record<string, unknown>[];
}

async function setup(options: Partial<OtlpExporterOptions> = {}, collector?: Collector): Promise<Setup> {
  const at = collector ?? (await Collector.start());
  const lines: string[] = [];
  const logger = new Logger('info', (chunk) => lines.push(chunk.toString()));
  const exporter = new OtlpExporter({ url: at.url, resource: { 'service.name': 'turbina' }, scope: { name: 'turbina', version: '0.1.0' }, scheduleMs: 20, logger, ...options });
  const logs = (): Record<string, unknown>[] => {
    logger.flush();
    return lines.join('').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return { collector: at, exporter, logs };
}

async function teardown({ collector, exporter }: Setup): Promise<void> {
  exporter.close();
  await collector.close();
}

test('spans arrive in batches of maxBatch (a full one at once), complete and well-formed, POSTed as JSON', async () => {
  const s = await setup({ protocol: 'http/json', maxBatch: 4, scheduleMs: 60_000, headers: { 'x-api-key': 'k' } });
  try {
    for (let i = 1; i <= 10; i++) s.exporter.add(span(i));
    // The two full batches go without waiting for the schedule; the rest on flush.
    await eventually(() => s.exporter.stats().exported === 8, 'two full batches exported');
    assert.equal(s.exporter.stats().queued, 2);
    await s.exporter.flush(5000);
    const { collector } = s;
    assert.deepEqual(collector.received.map((post) => post.json?.resourceSpans[0]?.scopeSpans[0]?.spans.length), [4, 4, 2]);
    for (const post of collector.received) {
      assert.equal(post.path, '/v1/traces');
      assert.equal(post.headers['content-type'], 'application/json');
      assert.equal(post.headers['x-api-key'], 'k');
      assert.equal(post.json?.resourceSpans.length, 1);
      assert.deepEqual(post.json.resourceSpans[0]?.resource, { attributes: [{ key: 'service.name', value: { stringValue: 'turbina' } }] });
      assert.deepEqual(post.json.resourceSpans[0]?.scopeSpans[0]?.scope, { name: 'turbina', version: '0.1.0' });
    }
    const spans = collector.spans();
    assert.deepEqual(spans.map((one) => one.name), Array.from({ length: 10 }, (_, i) => `span ${i + 1}`));
    for (const [index, one] of spans.entries()) {
      const i = index + 1;
      assert.match(String(one.traceId), /^[0-9a-f]{32}$/);
      assert.match(String(one.spanId), /^[0-9a-f]{16}$/);
      if (i % 2 === 0) assert.equal('parentSpanId' in one, false);
      else assert.match(String(one.parentSpanId), /^[0-9a-f]{16}$/);
      assert.equal('traceState' in one, false);
      assert.equal(one.kind, i % 2 === 0 ? 2 : 3);
      assert.match(String(one.startTimeUnixNano), /^\d{19}$/);
      assert.match(String(one.endTimeUnixNano), /^\d{19}$/);
      assert.ok(BigInt(String(one.endTimeUnixNano)) - BigInt(String(one.startTimeUnixNano)) >= 1_499_000n);
      assert.deepEqual(one.attributes, [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'http.response.status_code', value: { intValue: '200' } },
        { key: 'i', value: { intValue: String(i) } },
      ]);
      assert.deepEqual(one.status, i % 3 === 0 ? { code: 2, message: 'boom' } : { code: 0 });
    }
    const stats = s.exporter.stats();
    assert.deepEqual(stats, { queued: 0, exported: 10, dropped: { queueFull: 0, rejected: 0, failed: 0 }, batches: 3, retries: 0 });
  } finally {
    await teardown(s);
  }
});

test('a batch short of maxBatch waits for scheduleMs, then goes', async () => {
  const s = await setup({ maxBatch: 100, scheduleMs: 80 });
  try {
    const start = performance.now();
    s.exporter.add(span(1));
    await eventually(() => s.collector.received.length === 1, 'the scheduled batch');
    const waited = (s.collector.received[0]?.at ?? 0) - start;
    assert.ok(waited >= 75 && waited < 1000, `${waited} ms`);
  } finally {
    await teardown(s);
  }
});

test('a full queue drops and counts; the queue never holds more than maxQueue', async () => {
  const s = await setup({ maxQueue: 8, maxBatch: 100, scheduleMs: 60_000 });
  try {
    for (let i = 1; i <= 20; i++) s.exporter.add(span(i));
    assert.equal(s.exporter.stats().queued, 8);
    assert.equal(s.exporter.stats().dropped.queueFull, 12);
    await s.exporter.flush(5000);
    assert.deepEqual(s.collector.spans().map((one) => one.name), Array.from({ length: 8 }, (_, i) => `span ${i + 1}`));
    assert.equal(s.exporter.stats().exported, 8);
  } finally {
    await teardown(s);
  }
});

test('a 400 drops the batch at once (rejected), logged once per period, not per batch', async () => {
  const s = await setup({ maxBatch: 2 });
  s.collector.answerAlways({ status: 400, body: '{"message":"bad"}' });
  try {
    for (let i = 1; i <= 6; i++) s.exporter.add(span(i));
    await eventually(() => s.exporter.stats().dropped.rejected === 6, 'six rejected');
    const stats = s.exporter.stats();
    assert.equal(stats.retries, 0);
    assert.equal(s.collector.received.length, 3);
    assert.equal(stats.lastError, '400 Bad Request');
    const warnings = s.logs().filter((line) => line.level === 40);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(String(warnings[0]?.msg), /400 Bad Request: 2 spans dropped/);
  } finally {
    await teardown(s);
  }
});

// ExportTraceServiceResponse { partial_success { rejected_spans: 2, error_message: "old" } }, as each protocol writes it.
const PARTIAL_SUCCESS = {
  'http/json': { status: 200, body: '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}}' },
  'http/protobuf': { status: 200, body: Buffer.from([0x0a, 0x07, 0x08, 0x02, 0x12, 0x03, 0x6f, 0x6c, 0x64]), contentType: 'application/x-protobuf' },
} as const;

for (const protocol of ['http/json', 'http/protobuf'] as const) {
  test(`${protocol}: a partial success counts its rejected spans`, async () => {
    const s = await setup({ protocol, maxBatch: 5 });
    s.collector.answerNext(PARTIAL_SUCCESS[protocol]);
    try {
      for (let i = 1; i <= 5; i++) s.exporter.add(span(i));
      await eventually(() => s.exporter.stats().queued === 0, 'the batch answered');
      assert.deepEqual(s.exporter.stats().dropped, { queueFull: 0, rejected: 2, failed: 0 });
      assert.equal(s.exporter.stats().exported, 3);
    } finally {
      await teardown(s);
    }
  });
}

test('protocol http/protobuf: POSTed as application/x-protobuf, the body decodes to the spans the JSON would carry', async () => {
  const s = await setup({ protocol: 'http/protobuf', maxBatch: 4, scheduleMs: 60_000, headers: { 'x-api-key': 'k' } });
  try {
    const spans = Array.from({ length: 6 }, (_, i) => span(i + 1));
    for (const one of spans) s.exporter.add(one);
    await s.exporter.flush(1000);
    const { collector } = s;
    assert.equal(collector.received.length, 2);
    const resource = { 'service.name': 'turbina' };
    const scope = { name: 'turbina', version: '0.1.0' };
    for (const [i, post] of collector.received.entries()) {
      assert.equal(post.headers['content-type'], 'application/x-protobuf');
      assert.equal(post.headers['x-api-key'], 'k');
      assert.equal(post.headers['content-length'], String(post.bytes.length));
      assert.deepEqual(decodeTraceRequest(post.bytes), JSON.parse(encodeTraces(resource, scope, spans.slice(i * 4, i * 4 + 4))));
    }
    assert.deepEqual(s.exporter.stats(), { queued: 0, exported: 6, dropped: { queueFull: 0, rejected: 0, failed: 0 }, batches: 2, retries: 0 });
  } finally {
    await teardown(s);
  }
});

test('protocol http/protobuf: a batch\'s buffer, reused once it was delivered, carries only its own spans', async () => {
  const s = await setup({ protocol: 'http/protobuf', maxBatch: 3, scheduleMs: 60_000 });
  try {
    const resource = { 'service.name': 'turbina' };
    const scope = { name: 'turbina', version: '0.1.0' };
    // One batch at a time, each delivered before the next is filled: the second and later
    // are written into the buffers of the ones before (a full one, then a short one).
    const sizes = [3, 3, 2, 3];
    let first = 1;
    for (const [n, size] of sizes.entries()) {
      const spans = Array.from({ length: size }, (_, i) => span(first + i));
      first += size;
      for (const one of spans) s.exporter.add(one);
      await s.exporter.flush(1000);
      const post = s.collector.received[n];
      assert.ok(post, `batch ${n + 1} sent`);
      assert.equal(post.headers['content-length'], String(post.bytes.length));
      assert.deepEqual(decodeTraceRequest(post.bytes), JSON.parse(encodeTraces(resource, scope, spans)));
    }
    assert.equal(s.exporter.stats().exported, 11);
  } finally {
    await teardown(s);
  }
});

test('a batch larger than the queue is the queue: a full queue goes at once, not on the schedule', async () => {
  const s = await setup({ maxQueue: 4, maxBatch: 512, scheduleMs: 60_000 });
  try {
    for (let i = 1; i <= 4; i++) s.exporter.add(span(i));
    await eventually(() => s.exporter.stats().exported === 4, 'the full queue sent without a flush', 5000);
    assert.equal(s.exporter.stats().dropped.queueFull, 0);
  } finally {
    await teardown(s);
  }
});

test('a span that cannot be encoded (a bigint from plain JavaScript) is dropped and counted, never thrown; its batch stays whole', async () => {
  const s = await setup({ protocol: 'http/protobuf', maxBatch: 3, scheduleMs: 60_000 });
  try {
    const [first, third] = [span(1), span(3)];
    const bad = { ...span(2), attributes: { big: 10n } } as unknown as FinishedSpan;
    s.exporter.add(first);
    s.exporter.add(bad);
    s.exporter.add(third);
    await s.exporter.flush(5000);
    assert.deepEqual(s.exporter.stats().dropped, { queueFull: 0, rejected: 0, failed: 1 });
    assert.equal(s.exporter.stats().exported, 2);
    const body = decodeTraceRequest(s.collector.received[0]?.bytes ?? Buffer.alloc(0));
    assert.deepEqual(body, JSON.parse(encodeTraces({ 'service.name': 'turbina' }, { name: 'turbina', version: '0.1.0' }, [first, third])));
    assert.ok(s.logs().some((line) => String(line['msg']).includes('could not be encoded')));
  } finally {
    await teardown(s);
  }
});

test('protocol: anything but http/json or http/protobuf is refused', () => {
  const options = { url: 'http://127.0.0.1:1/v1/traces', resource: {}, scope: { name: 's', version: '1' }, logger: new Logger('error', () => {}) };
  assert.throws(() => new OtlpExporter({ ...options, protocol: 'grpc' as 'http/json' }), /protocol must be http\/json or http\/protobuf, not grpc/);
});

test('a hanging collector times the POST out, retries, then drops the batch (failed)', async () => {
  const s = await setup({ maxBatch: 1, timeoutMs: 100, maxRetries: 1, retryBaseMs: 10 });
  s.collector.answerAlways({ hang: true });
  try {
    const start = performance.now();
    s.exporter.add(span(1));
    await eventually(() => s.exporter.stats().dropped.failed === 1, 'the batch failed');
    const took = performance.now() - start;
    assert.ok(took >= 195 && took < 1500, `${took} ms`);
    assert.equal(s.collector.received.length, 2);
    assert.equal(s.exporter.stats().retries, 1);
    assert.equal(s.exporter.stats().lastError, 'no answer within 100 ms');
  } finally {
    await teardown(s);
  }
});

test('a slow collector is waited for: one POST at a time, nothing lost', async () => {
  const s = await setup({ maxBatch: 2 });
  s.collector.answerAlways({ delayMs: 60 });
  try {
    for (let i = 1; i <= 6; i++) s.exporter.add(span(i));
    await eventually(() => s.exporter.stats().exported === 6, 'six exported');
    const at = s.collector.received.map((post) => post.at);
    for (let i = 1; i < at.length; i++) assert.ok((at[i] ?? 0) - (at[i - 1] ?? 0) >= 55, `POSTs overlapped: ${at.join(', ')}`);
  } finally {
    await teardown(s);
  }
});

test('a down collector costs add() nothing: spans queue and drop, retries are bounded, the failure is counted', async () => {
  const collector = await Collector.start();
  await collector.down();
  const s = await setup({ maxQueue: 1000, maxBatch: 500, maxRetries: 2, retryBaseMs: 5 }, collector);
  try {
    const start = performance.now();
    for (let i = 1; i <= 20_000; i++) s.exporter.add(span(i));
    const took = performance.now() - start;
    assert.ok(took < 500, `${took} ms`);
    const stats = s.exporter.stats();
    assert.equal(stats.queued, 1000);
    assert.equal(stats.dropped.queueFull, 19_000);
    await eventually(() => s.exporter.stats().dropped.failed === 1000, 'both batches failed');
    assert.equal(s.exporter.stats().retries, 4);
    assert.equal(s.exporter.stats().lastError, 'ECONNREFUSED');
    assert.equal(s.logs().filter((line) => line.level === 40).length, 1);
  } finally {
    await teardown(s);
  }
});

test('flush() sends what is queued without waiting for the schedule, and resolves by its deadline when the collector hangs', async () => {
  const s = await setup({ maxBatch: 100, scheduleMs: 60_000 });
  try {
    for (let i = 1; i <= 3; i++) s.exporter.add(span(i));
    // Far below the schedule's 60 s, and roomy enough for a collector on a busy machine (as
    // every flush here: a flush that does not send waits its deadline out and fails).
    await s.exporter.flush(5000);
    assert.equal(s.exporter.stats().exported, 3);
    s.collector.answerAlways({ hang: true });
    s.exporter.add(span(4));
    const start = performance.now();
    await s.exporter.flush(120);
    const took = performance.now() - start;
    assert.ok(took >= 115 && took < 600, `${took} ms`);
    assert.equal(s.exporter.stats().queued, 1);
    s.exporter.close();
    assert.deepEqual(s.exporter.stats().dropped, { queueFull: 0, rejected: 0, failed: 1 });
  } finally {
    await teardown(s);
  }
});

test('credentials in the collector URL are sent as Basic auth and never logged', async () => {
  const collector = await Collector.start();
  collector.answerAlways({ status: 400 });
  const s = await setup({ url: `http://user:s3cret@127.0.0.1:${collector.port}/v1/traces?token=t0ken` }, collector);
  try {
    s.exporter.add(span(1));
    await s.exporter.flush(5000);
    assert.equal(collector.received[0]?.headers.authorization, `Basic ${Buffer.from('user:s3cret').toString('base64')}`);
    assert.equal(collector.received[0]?.path, '/v1/traces?token=t0ken');
    const logged = JSON.stringify(s.logs()) + JSON.stringify(s.exporter.stats());
    assert.match(logged, /127\.0\.0\.1/);
    assert.doesNotMatch(logged, /s3cret|t0ken|user/);
  } finally {
    await teardown(s);
  }
});

test('credentials that are not valid percent-encoding are sent as written, not thrown at start', async () => {
  const collector = await Collector.start();
  const url = new URL(collector.url);
  url.username = 'us%zz';
  url.password = 'pw';
  const setup1 = await setup({ url: url.href }, collector);
  setup1.exporter.add(span(1));
  await setup1.exporter.flush(5000);
  assert.equal(collector.received[0]?.headers['authorization'], `Basic ${Buffer.from('us%zz:pw').toString('base64')}`);
  await teardown(setup1);
});

test('flush() sends a batch waiting out its retry backoff now, not after it', async () => {
  const s = await setup({ retryBaseMs: 60_000, retryCapMs: 60_000 });
  s.collector.answerNext({ status: 503, body: '{}' });
  s.exporter.add(span(1));
  await eventually(() => s.collector.received.length === 1, 'the first POST');
  await eventually(() => s.exporter.stats().retries === 1, 'the retry to be scheduled');
  const started = performance.now();
  await s.exporter.flush(10_000);
  assert.ok(performance.now() - started < 9_000, 'the flush did not wait the backoff out');
  assert.equal(s.collector.received.length, 2);
  assert.equal(s.exporter.stats().exported, 1);
  await teardown(s);
});
