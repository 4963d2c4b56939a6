// The CLIENT span of one HTTP attempt at the upstream, as the OpenTelemetry HTTP client
// conventions name its parts, and the trace context the attempt carries to the upstream
// (its traceparent names this span, so the upstream's server span is its child).
import type { OutgoingHttpHeaders } from 'node:http';
import { formatTraceparent } from '../../trace/trace-context.js';
import type { Span } from '../../trace/tracer.js';
import { errorType, UpstreamError } from './upstream-error.js';

/** Where the attempts go, as the spans name it. */
export interface SpanTarget {
  /** scheme://host[:port], no credentials. */
  readonly origin: string;
  readonly address: string;
  readonly port: number;
}

/** Client spans made under each parent so far. A retry is another client span under the
 *  same parent (the store call's span), so its ordinal is counted there, as OpenTelemetry's
 *  own HTTP instrumentations count resends in the parent's context. */
const attemptsUnder = new WeakMap<Span, number>();

/** Starts the span of a GET of `path` (the query is left out of url.full: it may carry secrets). */
export function startAttempt(parent: Span, target: SpanTarget, path: string): Span {
  const span = parent.child('GET', 'client');
  if (!span.sampled) return span;
  const resends = attemptsUnder.get(parent) ?? 0;
  attemptsUnder.set(parent, resends + 1);
  const query = path.indexOf('?');
  span.set('http.request.method', 'GET');
  span.set('server.address', target.address);
  span.set('server.port', target.port);
  span.set('url.full', target.origin + (query < 0 ? path : path.slice(0, query)));
  if (resends > 0) span.set('http.request.resend_count', resends);
  return span;
}

/** `headers` and the trace context of `span` (sent whether or not it is sampled: the flag says). */
export function withTraceContext(headers: OutgoingHttpHeaders, span: Span): OutgoingHttpHeaders {
  const traced: OutgoingHttpHeaders = { ...headers, traceparent: formatTraceparent(span.traceId, span.spanId, span.sampled) };
  if (span.traceState !== '') traced['tracestate'] = span.traceState;
  return traced;
}

/** The answer's status; a 4xx or 5xx is an error of a client span (the conventions' rule). */
export function attemptAnswered(span: Span, status: number): void {
  if (!span.sampled) return;
  span.set('http.response.status_code', status);
  if (status >= 400) {
    span.set('error.type', String(status));
    span.fail(`HTTP ${status}`);
  }
}

/** The attempt failed: no answer, an answer not read, or not the wire format. */
export function attemptFailed(span: Span, error: unknown, aborted: boolean): void {
  if (!span.sampled) return;
  if (error instanceof UpstreamError && error.status !== undefined) span.set('http.response.status_code', error.status);
  span.set('error.type', errorType(error, aborted));
  span.fail(error instanceof Error ? error.message : String(error));
}
