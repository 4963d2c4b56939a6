// How observability (request metrics, the access log) hears of requests: the kernel calls
// it and knows nothing of what it records.
import type { RequestContext } from './context.js';

export interface RequestObserver {
  /** A request arrived (before any middleware or routing). */
  started(ctx: RequestContext): void;
  /** The request is complete: answered, failed, or its client left (status 499). */
  finished(ctx: RequestContext, durationMs: number, now: number): void;
  /** A request node:http could not parse (400, 408, 431): it never reached a handler. */
  unreadable(): void;
}
