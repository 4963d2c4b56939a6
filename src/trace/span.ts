// What a finished span is, as the tracer hands it to the exporter: plain data, nothing
// live. Ids are lowercase hex (W3C Trace Context, OTLP/JSON); times are wall-clock epoch
// milliseconds with a fraction (performance.timeOrigin + performance.now(): monotonic
// within the process, comparable across processes to the clocks' agreement).

/** OTLP's SpanKind, by name (its numbers are the exporter's business). */
export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** An attribute's value: a string, a number (whole: an int64; otherwise a double) or a boolean. */
export type AttributeValue = string | number | boolean;

export type Attributes = Readonly<Record<string, AttributeValue>>;

/** OTLP's status: unset unless the span says ok or error (HTTP server spans: error for 5xx only). */
export interface SpanStatus {
  readonly code: 'unset' | 'ok' | 'error';
  /** Only with 'error'. */
  readonly message?: string;
}

export interface FinishedSpan {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  /** The W3C tracestate passed along (already within its limits); '' when none. */
  readonly traceState: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Attributes;
  readonly status: SpanStatus;
}
