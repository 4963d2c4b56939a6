// The tracer's bookkeeping with ids, sampling and the sink given: a new trace or the
// caller's continued, children sampled as their parent, nothing recorded for an unsampled
// trace, a span ended once and unchanged after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FinishedSpan } from '../../src/trace/span.js';
import { LiveSpan, QuietSpan, Tracer, type SamplingPolicy } from '../../src/trace/tracer.js';

function fixture(sampler: SamplingPolicy = { sample: () => true }): { tracer: Tracer; spans: FinishedSpan[] } {
  let n = 0;
  const hex = (length: number): string => (++n).toString(16).padStart(length, '0');
  const spans: FinishedSpan[] = [];
  const tracer = new Tracer({ traceId: () => hex(32), spanId: () => hex(16) }, sampler, { add: (span) => spans.push(span) });
  return { tracer, spans };
}

test('a request without a caller starts a trace: a root server span, its child under it, each ended once', () => {
  const { tracer, spans } = fixture();
  const server = tracer.startServer('GET /products/{id}', undefined);
  assert.ok(server instanceof LiveSpan);
  const child = server.child('store get', 'client');
  child.set('attempt', 1).fail('timed out');
  child.end();
  child.end();
  server.set('http.response.status_code', 200).end();
  assert.equal(spans.length, 2);
  const [first, second] = spans as [FinishedSpan, FinishedSpan];
  assert.equal(first.name, 'store get');
  assert.equal(first.kind, 'client');
  assert.equal(first.traceId, server.traceId);
  assert.equal(first.parentSpanId, server.spanId);
  assert.deepEqual(first.attributes, { attempt: 1 });
  assert.deepEqual(first.status, { code: 'error', message: 'timed out' });
  assert.equal(second.parentSpanId, '');
  assert.equal(second.kind, 'server');
  assert.deepEqual(second.status, { code: 'unset' });
  assert.ok(second.startMs <= first.startMs && first.endMs <= second.endMs, 'the child lies within its parent');
  assert.ok(Math.abs(second.startMs - Date.now()) < 1000, 'wall-clock epoch ms');
  // Ended: later changes do not reach the finished span.
  server.set('late', true).fail('late');
  assert.equal(second.attributes['late'], undefined);
  assert.deepEqual(second.status, { code: 'unset' });
});

test("a caller's trace is continued: its trace id, its span as parent, its tracestate, its sampled flag to the sampler", () => {
  const asked: (boolean | undefined)[] = [];
  const { tracer, spans } = fixture({ sample: (parentSampled) => (asked.push(parentSampled), parentSampled ?? true) });
  const parent = { traceId: 'ab'.repeat(16), parentId: 'cd'.repeat(8), sampled: true, traceState: 'vendor=1' };
  const span = tracer.startServer('GET /io', parent);
  span.end();
  assert.deepEqual(asked, [true]);
  assert.equal(spans[0]?.traceId, parent.traceId);
  assert.equal(spans[0]?.parentSpanId, parent.parentId);
  assert.equal(spans[0]?.traceState, 'vendor=1');
  assert.notEqual(span.spanId, parent.parentId);
});

test('an unsampled trace records nothing, but its context (ids, flag, tracestate) travels on to children', () => {
  const { tracer, spans } = fixture({ sample: () => false });
  const server = tracer.startServer('GET /io', { traceId: 'ef'.repeat(16), parentId: '12'.repeat(8), sampled: false, traceState: 'a=b' });
  assert.ok(server instanceof QuietSpan);
  const child = server.child('store get', 'client');
  assert.equal(child.sampled, false);
  assert.equal(child.traceId, 'ef'.repeat(16));
  assert.equal(child.traceState, 'a=b');
  assert.notEqual(child.spanId, server.spanId);
  child.set('x', 1).fail('no').end();
  server.end();
  assert.deepEqual(spans, []);
});

test("with the real ids and sampler: a parent-based ratio of 0 samples no new trace but follows a sampled caller", async () => {
  const { newSpanId, newTraceId } = await import('../../src/trace/ids.js');
  const { createSampler } = await import('../../src/trace/sampler.js');
  const spans: FinishedSpan[] = [];
  const tracer = new Tracer({ traceId: newTraceId, spanId: newSpanId }, createSampler('parentbased_traceidratio', '0'), { add: (span) => spans.push(span) });
  tracer.startServer('GET /io', undefined).end();
  assert.equal(spans.length, 0);
  tracer.startServer('GET /io', { traceId: newTraceId(), parentId: newSpanId(), sampled: true, traceState: '' }).end();
  assert.equal(spans.length, 1);
  assert.match(spans[0]?.spanId ?? '', /^[0-9a-f]{16}$/);
});
