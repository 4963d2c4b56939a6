// Records every request in the metrics and the access log: the observer the app gives
// the HTTP kernel.
import type { RequestContext } from '../http/context.js';
import type { RequestObserver } from '../http/request-observer.js';
import type { AccessLog } from './access-log.js';
import type { RequestMetrics } from './request-metrics.js';
import type { ServerSpans } from './tracing/server-spans.js';

export class RequestRecorder implements RequestObserver {
  constructor(
    private readonly metrics: RequestMetrics,
    private readonly accessLog: AccessLog,
    /** With tracing on: begins and ends each request's server span. */
    private readonly spans?: ServerSpans,
  ) {}

  started(ctx: RequestContext): void {
    this.metrics.started();
    // Before any middleware: every request has its span and its traceparent, a refused one
    // too; begun here rather than by a middleware, the chain stays as short as it was.
    this.spans?.begin(ctx);
  }

  finished(ctx: RequestContext, durationMs: number, now: number): void {
    this.metrics.finished(ctx, durationMs);
    this.accessLog.record(ctx, durationMs, now);
    this.spans?.end(ctx, now);
  }

  unreadable(): void {
    this.metrics.clientErrors++;
  }
}
