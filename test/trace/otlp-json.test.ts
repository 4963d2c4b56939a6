// The OTLP/JSON body, field by field, as opentelemetry-proto's specification.md ("JSON
// Protobuf Encoding") and trace.proto define it: hex ids, integer enums, lowerCamelCase
// keys, 64-bit integers as decimal strings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAttributes, encodeTraces, epochNanos } from '../../src/trace/otlp-json.js';
import type { FinishedSpan } from '../../src/trace/span.js';
import { childOf, ROOT_SPAN } from '../helpers/spans.js';

const root: FinishedSpan = {
  ...ROOT_SPAN,
  startMs: 1_767_225_600_000.25,
  endMs: 1_767_225_600_003.5,
  attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'cache.hit': true, ratio: 0.5 },
};
const child = childOf(root);

type Json = Record<string, unknown>;

test('the request is resourceSpans > resource + scopeSpans > scope + spans, every span in order', () => {
  const body = JSON.parse(encodeTraces({ 'service.name': 'turbina' }, { name: 'turbina', version: '0.1.0' }, [root, child])) as Json;
  assert.deepEqual(Object.keys(body), ['resourceSpans']);
  const [resourceSpans] = body.resourceSpans as Json[];
  assert.deepEqual((resourceSpans?.resource as Json).attributes, [{ key: 'service.name', value: { stringValue: 'turbina' } }]);
  const [scopeSpans] = resourceSpans?.scopeSpans as Json[];
  assert.deepEqual(scopeSpans?.scope, { name: 'turbina', version: '0.1.0' });
  const spans = scopeSpans?.spans as Json[];
  assert.deepEqual(spans.map((span) => span.name), ['GET /products/:id', 'store.get']);
});

test('a root span: hex ids, kind 2, times as strings of nanoseconds, typed attributes, status code 0; no parent or tracestate keys', () => {
  const [span] = (((JSON.parse(encodeTraces({}, { name: 's', version: '1' }, [root])) as Json).resourceSpans as Json[])[0]?.scopeSpans as Json[])[0]?.spans as Json[];
  assert.deepEqual(span, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    name: 'GET /products/:id',
    kind: 2,
    startTimeUnixNano: '1767225600000250000',
    endTimeUnixNano: '1767225600003500000',
    attributes: [
      { key: 'http.request.method', value: { stringValue: 'GET' } },
      { key: 'http.response.status_code', value: { intValue: '200' } },
      { key: 'cache.hit', value: { boolValue: true } },
      { key: 'ratio', value: { doubleValue: 0.5 } },
    ],
    status: { code: 0 },
  });
});

test('a child span: parentSpanId and traceState, kind 3, an error status with its message (escaped)', () => {
  const [span] = (((JSON.parse(encodeTraces({}, { name: 's', version: '1' }, [child])) as Json).resourceSpans as Json[])[0]?.scopeSpans as Json[])[0]?.spans as Json[];
  assert.equal(span?.parentSpanId, '00f067aa0ba902b7');
  assert.equal(span?.traceState, 'vendor=x,other=y');
  assert.equal(span?.kind, 3);
  assert.deepEqual(span?.status, { code: 2, message: 'upstream "timeout"' });
  assert.deepEqual(span?.attributes, []);
});

test('every kind and status code has its OTLP number; ok carries no message', () => {
  const kinds = (['internal', 'server', 'client', 'producer', 'consumer'] as const).map((kind) => {
    const body = JSON.parse(encodeTraces({}, { name: 's', version: '1' }, [{ ...root, kind, status: { code: 'ok', message: 'ignored' } }])) as Json;
    const [span] = ((body.resourceSpans as Json[])[0]?.scopeSpans as Json[])[0]?.spans as Json[];
    assert.deepEqual(span?.status, { code: 1 });
    return span?.kind;
  });
  assert.deepEqual(kinds, [1, 2, 3, 4, 5]);
});

/** |a - b| for decimal strings of nanoseconds sharing their leading digits. */
function nanosApart(a: string, b: string): number {
  assert.equal(a.length, b.length);
  assert.equal(a.slice(0, -9), b.slice(0, -9));
  return Math.abs(Number(a.slice(-9)) - Number(b.slice(-9)));
}

test('times are within a microsecond of the exact value, a carry rounds up the millisecond, and odd times give 0', () => {
  // The double nearest ...123.456 is ...123.456055: the input's own error, kept.
  assert.ok(nanosApart(epochNanos(1_767_225_600_123.456), '1767225600123456000') < 1000);
  assert.equal(epochNanos(1_767_225_600_123.9999999), '1767225600124000000');
  assert.equal(epochNanos(1_767_225_600_123), '1767225600123000000');
  assert.equal(epochNanos(0.5), '500000');
  for (const odd of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(epochNanos(odd), '0');
  // A monotonic reading like the tracer's: within a microsecond of the exact product.
  const nanos = epochNanos(1_767_225_600_000 + 12.345678);
  assert.match(nanos, /^\d{19}$/);
  assert.ok(nanosApart(nanos, '1767225600012345678') < 1000, nanos);
});

test('attribute values: safe integers as intValue strings, other numbers as doubles (NaN and infinities as proto3 strings)', () => {
  const attributes = JSON.parse(
    encodeAttributes({ int: -42, zero: 0, big: 2 ** 60, frac: 1.25, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY, no: false, 'quote"key': 'line\nbreak' }),
  ) as { key: string; value: Json }[];
  assert.deepEqual(attributes, [
    { key: 'int', value: { intValue: '-42' } },
    { key: 'zero', value: { intValue: '0' } },
    { key: 'big', value: { doubleValue: 2 ** 60 } },
    { key: 'frac', value: { doubleValue: 1.25 } },
    { key: 'nan', value: { doubleValue: 'NaN' } },
    { key: 'inf', value: { doubleValue: 'Infinity' } },
    { key: 'ninf', value: { doubleValue: '-Infinity' } },
    { key: 'no', value: { boolValue: false } },
    { key: 'quote"key', value: { stringValue: 'line\nbreak' } },
  ]);
});
