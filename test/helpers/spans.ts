// Test helper: a Tracer whose finished spans land in an array, with counting ids and a
// sampler that says what it is told, and the server span a request would have; and
// finished spans as fixtures for the encoders and the exporter.
import type { FinishedSpan } from '../../src/trace/span.js';
import { Tracer, type Span } from '../../src/trace/tracer.js';

export interface CapturedSpans {
  readonly tracer: Tracer;
  /** Finished spans, in the order they ended. */
  readonly spans: FinishedSpan[];
  /** A new server span (a request's), sampled unless told otherwise. */
  server(sampled?: boolean): Span;
}

export function captureSpans(): CapturedSpans {
  let n = 0;
  const hex = (length: number): string => (++n).toString(16).padStart(length, '0');
  const spans: FinishedSpan[] = [];
  let sampleNext = true;
  const tracer = new Tracer({ traceId: () => hex(32), spanId: () => hex(16) }, { sample: () => sampleNext }, { add: (span) => spans.push(span) });
  return {
    tracer,
    spans,
    server(sampled = true) {
      sampleNext = sampled;
      return tracer.startServer('GET', undefined);
    },
  };
}

/** The only finished span named `name`; fails the test unless there is exactly one. */
export function onlySpan(spans: readonly FinishedSpan[], name: string): FinishedSpan {
  const found = spans.filter((span) => span.name === name);
  if (found.length !== 1) throw new Error(`expected one ${name} span, found ${found.length}: ${spans.map((span) => span.name).join(', ')}`);
  return found[0] as FinishedSpan;
}

/** A finished root server span: W3C's example ids, no parent or tracestate, no attributes,
 *  status unset. Tests that check times or attributes set their own. */
export const ROOT_SPAN: FinishedSpan = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  parentSpanId: '',
  traceState: '',
  name: 'GET /products/:id',
  kind: 'server',
  startMs: 1_767_225_600_000,
  endMs: 1_767_225_600_001,
  attributes: {},
  status: { code: 'unset' },
};

/** A finished client span under `parent` (its times too), with a tracestate and an error status. */
export function childOf(parent: FinishedSpan, overrides: Partial<FinishedSpan> = {}): FinishedSpan {
  return {
    ...parent,
    spanId: 'a3ce929d0e0e4736',
    parentSpanId: parent.spanId,
    traceState: 'vendor=x,other=y',
    name: 'store.get',
    kind: 'client',
    attributes: {},
    status: { code: 'error', message: 'upstream "timeout"' },
    ...overrides,
  };
}
