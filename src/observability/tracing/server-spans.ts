// The server span of every request, as the OpenTelemetry HTTP semantic conventions name
// its parts: begun before the middleware chain (continuing the caller's traceparent, or a
// new trace), answered with a traceparent of its own, ended when the request completes
// with the method, route, path, status, sizes and the cache's result. A 5xx is an error;
// a 4xx is the client's and leaves the status unset.
import type { RequestContext } from '../../http/context.js';
import { formatTraceparent, remoteParent } from '../../trace/trace-context.js';
import { TIME_ORIGIN, type Span, type Tracer } from '../../trace/tracer.js';
import type { Route } from '../../http/router.js';

export class ServerSpans {
  /** `METHOD /pattern` by route index: made once, not per request. */
  private readonly names: string[] = [];
  /** The last Host header seen and what it gave: a server sees the same one request after request. */
  private host = '';
  private serverAddress = '';
  private serverPort = 0;

  constructor(private readonly tracer: Tracer) {}

  /** Starts ctx's span and adds its traceparent to the response's headers. */
  begin(ctx: RequestContext): void {
    const span = this.tracer.startServer(ctx.method, remoteParent(ctx.req.headers));
    ctx.span = span;
    const traceparent = formatTraceparent(span.traceId, span.spanId, span.sampled);
    ctx.responseHeaders = ctx.responseHeaders === undefined ? ['traceparent', traceparent] : [...ctx.responseHeaders, 'traceparent', traceparent];
  }

  /** Ends ctx's span; `now` is the completion's performance.now(). */
  end(ctx: RequestContext, now: number): void {
    const span = ctx.span;
    if (span === undefined || !span.sampled) return;
    const matched = ctx.route;
    const route = matched?.pattern;
    span.rename(matched === undefined ? ctx.method : matched.method === ctx.method ? this.nameOf(matched) : `${ctx.method} ${route}`);
    span.set('http.request.method', ctx.method);
    // The server speaks plain HTTP (TLS ends in front of it, if anywhere).
    span.set('url.scheme', 'http');
    span.set('url.path', ctx.path);
    if (route !== undefined) span.set('http.route', route);
    span.set('http.response.status_code', ctx.status);
    span.set('http.response.body.size', ctx.bytes);
    const host = ctx.req.headers.host;
    if (host !== undefined) this.setServer(span, host);
    if (ctx.remote !== undefined) span.set('client.address', ctx.remote);
    if (ctx.cache !== '') span.set('turbina.cache', ctx.cache);
    if (ctx.status >= 500) {
      span.set('error.type', String(ctx.status));
      span.fail(`HTTP ${ctx.status}`);
    }
    span.end(TIME_ORIGIN + now);
  }

  private nameOf(route: Route): string {
    return (this.names[route.index] ??= `${route.method} ${route.pattern}`);
  }

  /** server.address and server.port (0: none) from a Host header (`name:port`, `[v6]:port`). */
  private setServer(span: Span, host: string): void {
    if (host !== this.host) {
      this.host = host;
      const colon = host.lastIndexOf(':');
      const bracket = host.lastIndexOf(']');
      const hasPort = colon > bracket;
      this.serverAddress = bracket > 0 ? host.slice(1, bracket) : hasPort ? host.slice(0, colon) : host;
      const digits = hasPort ? host.slice(colon + 1) : '';
      // Digits only: Number() would read 0x50, 1e3 or +80 as ports.
      const port = /^[0-9]{1,5}$/.test(digits) ? Number(digits) : 0;
      this.serverPort = port > 0 && port < 65536 ? port : 0;
    }
    span.set('server.address', this.serverAddress);
    if (this.serverPort !== 0) span.set('server.port', this.serverPort);
  }
}
