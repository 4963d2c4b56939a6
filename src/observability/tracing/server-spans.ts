// The server span of every request, as the OpenTelemetry HTTP semantic conventions name
// its parts: begun before the middleware chain (continuing the caller's traceparent, or a
// new trace), answered with a traceparent of its own, ended when the request completes
// with the method, route, path, status, sizes and the cache's result. A 5xx is an error;
// a 4xx is the client's and leaves the status unset.
import { performance } from 'node:perf_hooks';
import type { RequestContext } from '../../http/context.js';
import { parseTraceparent, formatTraceparent, sanitizeTracestate } from '../../trace/trace-context.js';
import type { RemoteParent, Tracer } from '../../trace/tracer.js';

export class ServerSpans {
  constructor(private readonly tracer: Tracer) {}

  /** Starts ctx's span and adds its traceparent to the response's headers. */
  begin(ctx: RequestContext): void {
    const headers = ctx.req.headers;
    const caller = parseTraceparent(headers.traceparent);
    const parent: RemoteParent | undefined =
      caller === undefined ? undefined : { traceId: caller.traceId, parentId: caller.parentId, sampled: caller.sampled, traceState: sanitizeTracestate(headers.tracestate) };
    const span = this.tracer.startServer(ctx.method, parent);
    ctx.span = span;
    const traceparent = formatTraceparent(span.traceId, span.spanId, span.sampled);
    ctx.responseHeaders = ctx.responseHeaders === undefined ? ['traceparent', traceparent] : [...ctx.responseHeaders, 'traceparent', traceparent];
  }

  /** Ends ctx's span; `now` is the completion's performance.now(). */
  end(ctx: RequestContext, now: number): void {
    const span = ctx.span;
    if (span === undefined || !span.sampled) return;
    const route = ctx.route?.pattern;
    span.rename(route === undefined ? ctx.method : `${ctx.method} ${route}`);
    span.set('http.request.method', ctx.method);
    // The server speaks plain HTTP (TLS ends in front of it, if anywhere).
    span.set('url.scheme', 'http');
    span.set('url.path', ctx.path);
    if (route !== undefined) span.set('http.route', route);
    span.set('http.response.status_code', ctx.status);
    span.set('http.response.body.size', ctx.bytes);
    const host = ctx.req.headers.host;
    if (host !== undefined) setServer(span, host);
    if (ctx.remote !== undefined) span.set('client.address', ctx.remote);
    if (ctx.cache !== '') span.set('turbina.cache', ctx.cache);
    if (ctx.status >= 500) {
      span.set('error.type', String(ctx.status));
      span.fail(`HTTP ${ctx.status}`);
    }
    span.end(performance.timeOrigin + now);
  }
}

/** server.address and server.port from a Host header (`name:port`, `[v6]:port`). */
function setServer(span: NonNullable<RequestContext['span']>, host: string): void {
  const colon = host.lastIndexOf(':');
  const bracket = host.lastIndexOf(']');
  if (colon <= bracket) {
    span.set('server.address', bracket > 0 ? host.slice(1, bracket) : host);
    return;
  }
  span.set('server.address', bracket > 0 ? host.slice(1, bracket) : host.slice(0, colon));
  const port = Number(host.slice(colon + 1));
  if (Number.isInteger(port) && port > 0 && port < 65536) span.set('server.port', port);
}
