// Finished spans as an OTLP/JSON ExportTraceServiceRequest (opentelemetry-proto,
// docs/specification.md, "JSON Protobuf Encoding"): the proto3 JSON mapping with OTLP's
// deviations: ids are hex strings (not base64), enums are integers (never names), keys
// are lowerCamelCase. 64-bit integers (times, intValue) are decimal strings, as the
// proto3 mapping writes them, so no receiver has to parse a number past 2^53.
import { jsonString } from '../log/json-fields.js';
import type { AttributeValue, Attributes, FinishedSpan, SpanKind, SpanStatus } from './span.js';

/** The instrumentation scope the spans come from (InstrumentationScope). */
export interface Scope {
  readonly name: string;
  readonly version: string;
}

/** Span.SpanKind's numbers (0, unspecified, is never sent). */
const KIND_NUMBERS: Readonly<Record<SpanKind, number>> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
/** Zeros to pad the nanoseconds within a millisecond to six digits. */
const SIX_DIGITS = '000000';
/** Status.StatusCode's numbers. */
const STATUS_NUMBERS: Readonly<Record<SpanStatus['code'], number>> = { unset: 0, ok: 1, error: 2 };

/** The request body for one batch: every span under one resource and one scope. */
export function encodeTraces(resource: Attributes, scope: Scope, spans: readonly FinishedSpan[]): string {
  const encoded: string[] = new Array<string>(spans.length);
  for (let i = 0; i < spans.length; i++) encoded[i] = encodeSpan(spans[i] as FinishedSpan);
  return wrapSpansJson(resource, scope, encoded);
}

/** The request body around spans already encoded (encodeSpan's objects). */
export function wrapSpansJson(resource: Attributes, scope: Scope, spans: readonly string[]): string {
  const scopeJson = `{"name":${jsonString(scope.name)},"version":${jsonString(scope.version)}}`;
  return `{"resourceSpans":[{"resource":{"attributes":${encodeAttributes(resource)}},"scopeSpans":[{"scope":${scopeJson},"spans":[${spans.join(',')}]}]}]}`;
}

/** One span as an OTLP/JSON object. */
export function encodeSpan(span: FinishedSpan): string {
  // Ids and tracestate are written as they are: the tracer makes ids of lowercase hex
  // and keeps tracestate within the W3C grammar; jsonString still escapes anything odd.
  const parent = span.parentSpanId === '' ? '' : `,"parentSpanId":${jsonString(span.parentSpanId)}`;
  const traceState = span.traceState === '' ? '' : `,"traceState":${jsonString(span.traceState)}`;
  return `{"traceId":${jsonString(span.traceId)},"spanId":${jsonString(span.spanId)}${parent}${traceState},"name":${jsonString(span.name)},"kind":${KIND_NUMBERS[span.kind]},"startTimeUnixNano":"${epochNanos(span.startMs)}","endTimeUnixNano":"${epochNanos(span.endMs)}","attributes":${encodeAttributes(span.attributes)},"status":${encodeStatus(span.status)}}`;
}

function encodeStatus(status: SpanStatus): string {
  const code = STATUS_NUMBERS[status.code];
  // The message means something only with an error (trace.proto, Status).
  return status.code === 'error' && status.message !== undefined && status.message !== '' ? `{"code":${code},"message":${jsonString(status.message)}}` : `{"code":${code}}`;
}

/** A KeyValue list: [{"key":..,"value":{"stringValue"|"intValue"|"doubleValue"|"boolValue":..}}]. */
export function encodeAttributes(attributes: Attributes): string {
  const keys = Object.keys(attributes);
  const pairs: string[] = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    pairs[i] = `{"key":${jsonString(key)},"value":${anyValue(attributes[key] as AttributeValue)}}`;
  }
  return `[${pairs.join(',')}]`;
}

function anyValue(value: AttributeValue): string {
  if (typeof value === 'string') return `{"stringValue":${jsonString(value)}}`;
  if (typeof value === 'boolean') return value ? '{"boolValue":true}' : '{"boolValue":false}';
  // A whole number past 2^53 is no longer exact (and String() may write it with an
  // exponent): it goes as the double it is.
  if (Number.isSafeInteger(value)) return `{"intValue":"${value}"}`;
  // proto3 JSON writes the doubles JSON has no literal for as these strings.
  if (Number.isNaN(value)) return '{"doubleValue":"NaN"}';
  if (!Number.isFinite(value)) return value > 0 ? '{"doubleValue":"Infinity"}' : '{"doubleValue":"-Infinity"}';
  return `{"doubleValue":${value}}`;
}

/**
 * Epoch milliseconds (with a fraction) as a decimal string of nanoseconds. Whole
 * milliseconds and the fraction are written apart: ms * 1e6 is past 2^53, where a double
 * is a multiple of 256 ns and its digits are not the value's. A double near today's epoch
 * ms holds the fraction to about a quarter of a microsecond, which is what we keep.
 */
export function epochNanos(ms: number): string {
  if (!(ms > 0) || !Number.isFinite(ms)) return '0';
  let whole = Math.floor(ms);
  // Exact: both are doubles of the same magnitude (Sterbenz).
  let nanos = Math.round((ms - whole) * 1e6);
  if (nanos === 1_000_000) {
    whole += 1;
    nanos = 0;
  }
  if (whole === 0) return String(nanos);
  return `${whole}${SIX_DIGITS.slice(String(nanos).length)}${nanos}`;
}
