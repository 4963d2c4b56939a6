// Spans as the request path makes them: a server span per request (continuing the caller's
// trace or starting one), child spans for the work it waits on. Ids, the sampling decision
// and where finished spans go are given, so this file only keeps the bookkeeping.
//
// An unsampled request still has a trace context, so that it is passed on (traceparent to
// the upstream, to the client) with its sampled flag off, but it records nothing: no span
// object, no attributes, no clock reads.
import { performance } from 'node:perf_hooks';
import type { AttributeValue, FinishedSpan, SpanKind, SpanStatus } from './span.js';

/** Where finished spans go (the exporter's queue). */
export interface SpanSink {
  add(span: FinishedSpan): void;
}

export interface IdSource {
  traceId(): string;
  spanId(): string;
}

/** What the tracer asks of a sampler (sampler.ts's Sampler is one). */
export interface SamplingPolicy {
  /** parentSampled: the caller's decision when the trace was continued, undefined for a new trace. */
  sample(parentSampled: boolean | undefined, traceId: string): boolean;
}

/** What is passed on to the next hop. */
export interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  readonly traceState: string;
}

/** The caller's context, from its traceparent (and tracestate). */
export interface RemoteParent {
  readonly traceId: string;
  readonly parentId: string;
  readonly sampled: boolean;
  readonly traceState: string;
}

const UNSET: SpanStatus = { code: 'unset' };

/** When this process's monotonic clock began, in epoch ms (a getter that costs a call: read once). */
export const TIME_ORIGIN = performance.timeOrigin;

/** Wall-clock epoch ms with a fraction, from the monotonic clock. */
export function nowMs(): number {
  return TIME_ORIGIN + performance.now();
}

/** A span being recorded. Attributes and status may be set until end(); end() counts once. */
export class LiveSpan implements SpanContext {
  readonly sampled = true;
  private readonly attributes: Record<string, AttributeValue> = {};
  private status: SpanStatus = UNSET;
  private ended = false;

  constructor(
    private readonly tracer: Tracer,
    readonly traceId: string,
    readonly spanId: string,
    readonly parentSpanId: string,
    readonly traceState: string,
    private name: string,
    readonly kind: SpanKind,
    readonly startMs: number,
  ) {}

  /** A span for work this one waits on (a store call, an attempt, a Redis command), in
   *  this trace and sampled as this span is. */
  child(name: string, kind: SpanKind = 'internal'): Span {
    return this.tracer.startChild(this, name, kind);
  }

  /** A server span is named once its route is known. */
  rename(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  /** Ignored once ended: the finished span holds these attributes. */
  set(key: string, value: AttributeValue): this {
    if (!this.ended) this.attributes[key] = value;
    return this;
  }

  fail(message: string): this {
    if (!this.ended) this.status = { code: 'error', message };
    return this;
  }

  end(endMs: number = nowMs()): void {
    if (this.ended) return;
    this.ended = true;
    const { traceId, spanId, parentSpanId, traceState, name, kind, startMs, attributes, status } = this;
    this.tracer.sink.add({ traceId, spanId, parentSpanId, traceState, name, kind, startMs, endMs, attributes, status });
  }
}

/** An unsampled span: its context travels on, nothing is recorded. */
export class QuietSpan implements SpanContext {
  readonly sampled = false;

  constructor(
    private readonly tracer: Tracer,
    readonly traceId: string,
    readonly spanId: string,
    readonly traceState: string,
  ) {}

  child(name: string, kind: SpanKind = 'internal'): Span {
    return this.tracer.startChild(this, name, kind);
  }

  rename(_name: string): this {
    return this;
  }

  set(_key: string, _value: AttributeValue): this {
    return this;
  }

  fail(_message: string): this {
    return this;
  }

  end(_endMs?: number): void {}
}

export type Span = LiveSpan | QuietSpan;

export class Tracer {
  constructor(
    private readonly ids: IdSource,
    private readonly sampler: SamplingPolicy,
    /** Where its spans go when they end. */
    readonly sink: SpanSink,
  ) {}

  /** The server span of a request: the caller's trace continued, or a new one. */
  startServer(name: string, parent: RemoteParent | undefined): Span {
    const traceId = parent?.traceId ?? this.ids.traceId();
    const traceState = parent?.traceState ?? '';
    if (!this.sampler.sample(parent?.sampled, traceId)) return new QuietSpan(this, traceId, this.ids.spanId(), traceState);
    return new LiveSpan(this, traceId, this.ids.spanId(), parent?.parentId ?? '', traceState, name, 'server', nowMs());
  }

  /** A child of `parent` in this process (a store call, an attempt, a Redis command): sampled as its parent is. */
  startChild(parent: Span, name: string, kind: SpanKind): Span {
    if (!parent.sampled) return new QuietSpan(this, parent.traceId, this.ids.spanId(), parent.traceState);
    return new LiveSpan(this, parent.traceId, this.ids.spanId(), parent.spanId, parent.traceState, name, kind, nowMs());
  }
}
