// Tracing's place in the chain: first, so that every request has its span (a refused one
// too) and its traceparent answer. app.ts installs it only when tracing is on.
import type { Middleware } from '../http/dispatch.js';
import type { ServerSpans } from '../observability/tracing/server-spans.js';

export function tracing(spans: ServerSpans): Middleware {
  return (next) => (ctx) => {
    spans.begin(ctx);
    return next(ctx);
  };
}
