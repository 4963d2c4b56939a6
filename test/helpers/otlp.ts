// Test helper: the OTLP/JSON shape of an ExportTraceServiceRequest as the tests read it (the
// collector hands either encoding over in this shape), OTLP's kind and status numbers, and
// a span's attributes as plain values.

/** An AnyValue: exactly one of these is present. */
export interface OtlpValue {
  readonly stringValue?: string;
  /** A 64-bit integer, as a decimal string. */
  readonly intValue?: string;
  /** A number, or 'NaN' / 'Infinity' / '-Infinity' as proto3 JSON writes them. */
  readonly doubleValue?: number | string;
  readonly boolValue?: boolean;
}

export interface OtlpAttribute {
  readonly key: string;
  readonly value: OtlpValue;
}

export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly traceState?: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: readonly OtlpAttribute[];
  readonly status: { readonly code: number; readonly message?: string };
}

export interface OtlpResourceSpans {
  readonly resource: { readonly attributes: readonly OtlpAttribute[] };
  readonly scopeSpans: readonly { readonly scope: { readonly name?: string; readonly version?: string }; readonly spans: readonly OtlpSpan[] }[];
}

export interface OtlpTraceRequest {
  readonly resourceSpans: readonly OtlpResourceSpans[];
}

/** OTLP's SpanKind numbers. */
export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** OTLP's StatusCode numbers. */
export const STATUS_CODE = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/** An attribute's value, typed as sent: strings, booleans, ints as bigints (so an int and a
 *  double, or a string of digits, never compare equal), doubles as numbers. */
export type PlainValue = string | boolean | bigint | number;

/** Attributes (a span's or a resource's) by key, as plain values. */
export function attributesOf(owner: { readonly attributes: readonly OtlpAttribute[] }): Record<string, PlainValue | undefined> {
  return Object.fromEntries(owner.attributes.map((a) => [a.key, plain(a.value)]));
}

function plain(value: OtlpValue): PlainValue | undefined {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return BigInt(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  return undefined;
}
