// Finished spans as a binary protobuf ExportTraceServiceRequest (OTLP/HTTP with
// content-type application/x-protobuf), the same request otlp-json.ts writes as JSON.
// Field numbers: opentelemetry-proto's collector/trace/v1/trace_service.proto,
// trace/v1/trace.proto, common/v1/common.proto and resource/v1/resource.proto.
// Ids go as raw bytes, times as fixed64 nanoseconds, enums as varints.
import { ProtoWriter, varintSize } from '../platform/proto-writer.js';
import type { Scope } from './otlp-json.js';
import type { AttributeValue, Attributes, FinishedSpan, SpanKind, SpanStatus } from './span.js';

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const REQUEST = { resourceSpans: 1 } as const;
const RESOURCE_SPANS = { resource: 1, scopeSpans: 2 } as const;
const RESOURCE = { attributes: 1 } as const;
const SCOPE_SPANS = { scope: 1, spans: 2 } as const;
const SCOPE = { name: 1, version: 2 } as const;
const SPAN = { traceId: 1, spanId: 2, traceState: 3, parentSpanId: 4, name: 5, kind: 6, startTimeUnixNano: 7, endTimeUnixNano: 8, attributes: 9, status: 15 } as const;
const STATUS = { message: 2, code: 3 } as const;
const KEY_VALUE = { key: 1, value: 2 } as const;
const ANY_VALUE = { stringValue: 1, boolValue: 2, intValue: 3, doubleValue: 4 } as const;

/** Span.SpanKind's numbers (0, unspecified, is never sent). */
const KIND_NUMBERS: Readonly<Record<SpanKind, number>> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
/** Status.StatusCode's numbers. */
const STATUS_NUMBERS: Readonly<Record<SpanStatus['code'], number>> = { unset: 0, ok: 1, error: 2 };
/** What a typical server span takes, so that a batch's buffer grows rarely. */
const BYTES_PER_SPAN = 512;
const TWO_32 = 0x1_0000_0000;
/** Past int64 nanoseconds (the year 2262) a time is as unknown as one before 1970. */
const MAX_EPOCH_MS = 2 ** 63 / 1e6;

/** The request body for one batch: every span under one resource and one scope. */
export function encodeTracesProtobuf(resource: Attributes, scope: Scope, spans: readonly FinishedSpan[]): Buffer {
  const w = new ProtoWriter(spans.length * BYTES_PER_SPAN);
  for (let i = 0; i < spans.length; i++) writeSpan(w, spans[i] as FinishedSpan);
  const written = w.finish();
  return Buffer.concat([protobufHead(encodeSource(resource, scope), written.length), written]);
}

/** The resource and scope fields, the same in every request an exporter sends: encoded once. */
export interface EncodedSource {
  readonly resource: Buffer;
  readonly scope: Buffer;
}

export function encodeSource(resource: Attributes, scope: Scope): EncodedSource {
  const r = new ProtoWriter(256);
  const resourceMark = r.begin(RESOURCE_SPANS.resource);
  writeAttributes(r, RESOURCE.attributes, resource);
  r.end(resourceMark);
  const s = new ProtoWriter(64);
  const scopeMark = s.begin(SCOPE_SPANS.scope);
  s.string(SCOPE.name, scope.name).string(SCOPE.version, scope.version).end(scopeMark);
  return { resource: Buffer.from(r.finish()), scope: Buffer.from(s.finish()) };
}

/**
 * What comes before `spansLength` bytes of spans (writeSpan's fields) in a request: the
 * ResourceSpans field with its resource, then ScopeSpans' tag and length and its scope. The
 * spans follow as they are, so a batch is never copied into a request.
 */
export function protobufHead(source: EncodedSource, spansLength: number): Buffer {
  const scopeSpans = source.scope.length + spansLength;
  const scopeSpansField = 1 + varintSize(scopeSpans) + scopeSpans;
  const resourceSpans = source.resource.length + scopeSpansField;
  const w = new ProtoWriter(32 + source.resource.length + source.scope.length);
  w.tag(REQUEST.resourceSpans, LENGTH_DELIMITED).varint(resourceSpans).append(source.resource);
  w.tag(RESOURCE_SPANS.scopeSpans, LENGTH_DELIMITED).varint(scopeSpans).append(source.scope);
  return w.finish();
}

/** One span as ScopeSpans' repeated `spans` field. */
export function writeSpan(w: ProtoWriter, span: FinishedSpan): void {
  const mark = w.begin(SCOPE_SPANS.spans);
  w.hexBytes(SPAN.traceId, span.traceId).hexBytes(SPAN.spanId, span.spanId);
  if (span.traceState !== '') w.string(SPAN.traceState, span.traceState);
  // A root span has no parent field at all (an empty one would read as "no parent" too).
  if (span.parentSpanId !== '') w.hexBytes(SPAN.parentSpanId, span.parentSpanId);
  w.string(SPAN.name, span.name).uint(SPAN.kind, KIND_NUMBERS[span.kind]);
  writeEpochNanos(w, SPAN.startTimeUnixNano, span.startMs);
  writeEpochNanos(w, SPAN.endTimeUnixNano, span.endMs);
  writeAttributes(w, SPAN.attributes, span.attributes);
  const status = w.begin(SPAN.status);
  // The message means something only with an error (trace.proto, Status).
  if (span.status.code === 'error' && span.status.message !== undefined && span.status.message !== '') w.string(STATUS.message, span.status.message);
  w.uint(STATUS.code, STATUS_NUMBERS[span.status.code]).end(status);
  w.end(mark);
}

/** Repeated KeyValue; each value is an AnyValue whose oneof is written even when zero. */
function writeAttributes(w: ProtoWriter, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributes[key] as AttributeValue;
    const pair = w.begin(field);
    w.string(KEY_VALUE.key, key);
    const any = w.begin(KEY_VALUE.value);
    if (typeof value === 'string') w.string(ANY_VALUE.stringValue, value);
    else if (typeof value === 'boolean') w.tag(ANY_VALUE.boolValue, VARINT).varint(value ? 1 : 0);
    // As in the JSON: a whole number past 2^53 is no longer exact and goes as the double it is.
    else if (Number.isSafeInteger(value)) w.tag(ANY_VALUE.intValue, VARINT).int64(value);
    else w.double(ANY_VALUE.doubleValue, value);
    w.end(any).end(pair);
  }
}

/**
 * Epoch milliseconds (with a fraction) as fixed64 nanoseconds, exact as otlp-json.ts's
 * epochNanos: whole milliseconds and the nanoseconds within one are kept apart, as
 * ms * 1e6 is past 2^53, and joined in two 32-bit words, never as one double.
 */
function writeEpochNanos(w: ProtoWriter, field: number, ms: number): void {
  if (!(ms > 0 && ms < MAX_EPOCH_MS)) {
    w.fixed64(field, 0, 0);
    return;
  }
  const whole = Math.floor(ms);
  // Exact: both are doubles of the same magnitude (Sterbenz); 1e6 carries over below.
  const nanos = Math.round((ms - whole) * 1e6);
  // whole * 1e6 + nanos = (high * 2^32 + low) * 1e6 + nanos, each product below 2^53.
  const wholeHigh = Math.floor(whole / TWO_32);
  const low = (whole - wholeHigh * TWO_32) * 1e6 + nanos;
  const carry = Math.floor(low / TWO_32);
  w.fixed64(field, low - carry * TWO_32, wholeHigh * 1e6 + carry);
}

/**
 * rejected_spans of a protobuf ExportTraceServiceResponse's partial_success (OTLP/HTTP,
 * "Partial Success"); 0 when there is none or the body is not what it should be.
 */
export function protobufRejections(body: Uint8Array): number {
  const partial = findField(body, 0, body.length, 1, 2);
  if (partial === undefined) return 0;
  const rejected = findField(body, partial.start, partial.end, 1, VARINT);
  // A negative int64 reads as a number past 2^53: nothing sensible was rejected.
  return rejected !== undefined && Number.isSafeInteger(rejected.value) ? rejected.value : 0;
}

interface Found {
  /** A varint's value, or where a length-delimited field's bytes start and end. */
  readonly value: number;
  readonly start: number;
  readonly end: number;
}

/** The last `field` of `wireType` in bytes[start, end), skipping others; undefined if absent or malformed. */
function findField(bytes: Uint8Array, start: number, end: number, field: number, wireType: number): Found | undefined {
  let found: Found | undefined;
  let at = start;
  const varint = (): number => {
    let value = 0;
    for (let scale = 1; at < end && scale < 2 ** 63; scale *= 128) {
      const byte = bytes[at++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
    return Number.NaN;
  };
  while (at < end) {
    const key = varint();
    if (Number.isNaN(key)) return undefined;
    const type = key % 8;
    let value = 0;
    let from = at;
    if (type === 0) value = varint();
    else if (type === 1) at += 8;
    else if (type === 5) at += 4;
    else if (type === 2) {
      value = varint();
      from = at;
      at += value;
    } else return undefined;
    if (Number.isNaN(value) || at > end) return undefined;
    if (Math.floor(key / 8) === field && type === wireType) found = { value, start: from, end: at };
  }
  return found;
}
