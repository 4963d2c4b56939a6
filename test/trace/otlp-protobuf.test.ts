// The binary OTLP body, read back by the tests' own decoder (helpers/otlp-decode.ts, which
// shares nothing with src/) and compared field by field with the JSON encoding of the same
// spans: ids, exact nanosecond times, kinds, typed attributes, tracestate, parents, status.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { encodeTraces } from '../../src/trace/otlp-json.js';
import { encodeTracesProtobuf, protobufRejections } from '../../src/trace/otlp-protobuf.js';
import type { Attributes, FinishedSpan } from '../../src/trace/span.js';
import { decodeTraceRequest } from '../helpers/otlp-decode.js';
import { childOf, ROOT_SPAN } from '../helpers/spans.js';

type Json = Record<string, unknown>;

const scope = { name: 'turbina', version: '0.1.0' };
const resource: Attributes = { 'service.name': 'turbina', 'process.pid': 4321, 'host.name': 'höst-1' };

const root: FinishedSpan = {
  ...ROOT_SPAN,
  // Near today's epoch: the double is ...123.45703125 ms, and ms * 1e6 as one double would be 7 ns off.
  startMs: 1_796_083_200_123.457,
  endMs: 1_796_083_200_127.001,
  attributes: {
    'http.request.method': 'GET',
    'http.response.status_code': 200,
    'http.response.body.size': 0,
    'cache.hit': true,
    'cache.stale': false,
    ratio: 0.5,
    offset: -42,
    floor: -(2 ** 53) + 1,
    big: 5_000_000_000,
    huge: 2 ** 60,
    temperature: -1.25,
    nan: Number.NaN,
    inf: Number.POSITIVE_INFINITY,
    empty: '',
    'café ☕': 'naïve 日本 🚀',
  },
};
// Non-ASCII in the name and a long message: lengths in bytes, not characters.
const child = childOf(root, { name: 'store.get ✓', status: { code: 'error', message: `upstream "timeout" ${'é'.repeat(100)}` } });

function both(spans: readonly FinishedSpan[], res: Attributes = resource): { readonly proto: Json; readonly json: Json } {
  return { proto: decodeTraceRequest(encodeTracesProtobuf(res, scope, spans)), json: JSON.parse(encodeTraces(res, scope, spans)) as Json };
}

function spansOf(body: Json): Json[] {
  return (((body.resourceSpans as Json[])[0]?.scopeSpans as Json[])[0]?.spans ?? []) as Json[];
}

test('the protobuf request decodes to what the JSON encoder writes: resource, scope, a root and a child span', () => {
  const { proto, json } = both([root, child]);
  assert.deepEqual(proto, json);
});

test('a root span: raw ids, kind 2, exact nanoseconds, every attribute type, no parent or tracestate, status unset', () => {
  const [span] = spansOf(both([root]).proto);
  assert.equal(span?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(span?.spanId, '00f067aa0ba902b7');
  assert.equal('parentSpanId' in (span ?? {}), false);
  assert.equal('traceState' in (span ?? {}), false);
  assert.equal(span?.kind, 2);
  assert.equal(span?.startTimeUnixNano, '1796083200123457031');
  assert.equal(span?.endTimeUnixNano, '1796083200127000977');
  assert.deepEqual(span?.attributes, [
    { key: 'http.request.method', value: { stringValue: 'GET' } },
    { key: 'http.response.status_code', value: { intValue: '200' } },
    { key: 'http.response.body.size', value: { intValue: '0' } },
    { key: 'cache.hit', value: { boolValue: true } },
    { key: 'cache.stale', value: { boolValue: false } },
    { key: 'ratio', value: { doubleValue: 0.5 } },
    { key: 'offset', value: { intValue: '-42' } },
    { key: 'floor', value: { intValue: '-9007199254740991' } },
    { key: 'big', value: { intValue: '5000000000' } },
    { key: 'huge', value: { doubleValue: 2 ** 60 } },
    { key: 'temperature', value: { doubleValue: -1.25 } },
    { key: 'nan', value: { doubleValue: 'NaN' } },
    { key: 'inf', value: { doubleValue: 'Infinity' } },
    { key: 'empty', value: { stringValue: '' } },
    { key: 'café ☕', value: { stringValue: 'naïve 日本 🚀' } },
  ]);
  assert.deepEqual(span?.status, { code: 0 });
});

test('a child span: its parent, tracestate, kind 3, no attributes, an error status with its (long, unicode) message', () => {
  const [span] = spansOf(both([child]).proto);
  assert.equal(span?.parentSpanId, '00f067aa0ba902b7');
  assert.equal(span?.traceState, 'vendor=x,other=y');
  assert.equal(span?.name, 'store.get ✓');
  assert.equal(span?.kind, 3);
  assert.deepEqual(span?.attributes, []);
  assert.deepEqual(span?.status, { code: 2, message: child.status.message });
});

test('every kind and status code has its number; ok and an empty error message carry none', () => {
  const kinds = (['internal', 'server', 'client', 'producer', 'consumer'] as const).map((kind) => spansOf(both([{ ...root, kind, status: { code: 'ok', message: 'ignored' } }]).proto)[0]);
  assert.deepEqual(
    kinds.map((span) => span?.kind),
    [1, 2, 3, 4, 5],
  );
  for (const span of kinds) assert.deepEqual(span?.status, { code: 1 });
  assert.deepEqual(spansOf(both([{ ...root, status: { code: 'error', message: '' } }]).proto)[0]?.status, { code: 2 });
});

/** A double's exact value times 1e6, rounded to the nearest whole number: worked out in bigints from its bits. */
function exactNanos(ms: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, ms);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn) - 1075;
  const scaled = ((bits & ((1n << 52n) - 1n)) | (1n << 52n)) * 1_000_000n;
  if (exponent >= 0) return scaled << BigInt(exponent);
  const shift = BigInt(-exponent);
  return (scaled + (1n << (shift - 1n))) >> shift;
}

test('times: exact to the nanosecond near now, a fraction rounding up to the next millisecond, and 0 for no time', () => {
  const near = [performance.timeOrigin + performance.now(), Date.now() + 0.123_456, 1_796_083_200_999.999_7];
  const spans: FinishedSpan[] = near.map((ms) => ({ ...root, startMs: ms, endMs: ms + 1.5 }));
  spans.push({ ...root, startMs: 1000.999_999_9, endMs: 0 }, { ...root, startMs: Number.NaN, endMs: -5 });
  const { proto, json } = both(spans, {});
  assert.deepEqual(proto, json);
  const decoded = spansOf(proto);
  near.forEach((ms, i) => {
    assert.equal(decoded[i]?.startTimeUnixNano, String(exactNanos(ms)), `start ${ms}`);
    assert.equal(decoded[i]?.endTimeUnixNano, String(exactNanos(ms + 1.5)), `end ${ms + 1.5}`);
  });
  assert.equal(decoded[3]?.startTimeUnixNano, '1001000000');
  for (const span of decoded.slice(3)) assert.equal(span.endTimeUnixNano, '0');
  assert.equal(decoded[4]?.startTimeUnixNano, '0');
});

test('a batch of 600 spans (lengths of three bytes and more) decodes whole and in order, as the JSON does', () => {
  const spans = Array.from({ length: 600 }, (_, i): FinishedSpan => ({
    ...(i % 2 === 0 ? root : child),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `span ${i}`,
  }));
  const { proto, json } = both(spans);
  assert.deepEqual(proto, json);
  assert.equal(spansOf(proto).length, 600);
});

test('a partial success answer: rejected_spans read, anything else 0', () => {
  // ExportTraceServiceResponse { partial_success (1) { rejected_spans (1): 3, error_message (2): "no" } }
  assert.equal(protobufRejections(Buffer.from([0x0a, 0x06, 0x08, 0x03, 0x12, 0x02, 0x6e, 0x6f])), 3);
  assert.equal(protobufRejections(Buffer.from([0x0a, 0x04, 0x12, 0x02, 0x6e, 0x6f])), 0);
  assert.equal(protobufRejections(Buffer.alloc(0)), 0);
  // A truncated body, and a negative count.
  assert.equal(protobufRejections(Buffer.from([0x0a, 0x06, 0x08])), 0);
  assert.equal(protobufRejections(Buffer.from([0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), 0);
});
