// Per-request state, one object per request with a fixed shape. The path and query are
// split once with indexOf; the query is parsed only by the handlers that read it.
// finish() is called by the responder right after the body is handed to the socket (or by
// the connection tracker when the client left first): completion costs no event listener.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ConnectionState } from './connections.js';
import type { Span } from '../trace/tracer.js';
import { NO_PARAMS, type Route } from './router.js';

/** X-Cache: the process cache (HIT), the shared one (HIT-L2), the store (MISS), or an expired copy after the store failed (STALE). */
export type CacheStatus = '' | 'HIT' | 'HIT-L2' | 'MISS' | 'STALE';

/** The status a request is recorded with when its client left before the response was complete (nginx's 499). */
export const CLIENT_CLOSED = 499;

/** Why a request's work is cancelled when its client leaves: one shared reason, so a
 *  reset costs no allocation. */
export const CLIENT_GONE = new DOMException('the client closed the connection', 'AbortError');

/** Told once per request when it is complete (dispatch.ts: connection state, then the observer). */
export interface RequestCompletion {
  complete(ctx: RequestContext): void;
}

export class RequestContext {
  readonly start = performance.now();
  readonly method: string;
  /** The path as sent (not decoded); what the router matches. */
  readonly path: string;
  /** Everything after the first '?', or ''. */
  readonly rawQuery: string;
  route: Route | undefined = undefined;
  params: readonly string[] = NO_PARAMS;
  status = 0;
  /** Body bytes written (0 for HEAD and for aborted responses). */
  bytes = 0;
  cache: CacheStatus = '';
  /** The connection this request arrived on (undefined only if it closed already). */
  conn: ConnectionState | undefined = undefined;
  /** Headers a middleware adds to whatever response this request gets, as a flat
   *  [name, value, ...] list: the responder appends them to every head it writes. */
  responseHeaders: readonly string[] | undefined = undefined;
  /** With tracing on: the request's server span (trace_id and span_id of its log line;
   *  `ctx.span?.child(name)` times work of a handler's own). Unsampled, it records nothing. */
  span: Span | undefined = undefined;
  done = false;
  /** What the handler is waiting on now, named in a deadline's 504 ('' = nothing: a 503). */
  upstream = '';
  /** Made when a handler first asks for `signal`: most requests never do. */
  private controller: AbortController | undefined = undefined;
  private cancelled = false;
  private cancelReason: unknown = undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly id: string,
    private readonly completion: RequestCompletion,
  ) {
    this.method = req.method ?? 'GET';
    const url = stripAbsoluteForm(req.url ?? '/');
    const q = url.indexOf('?');
    this.path = q < 0 ? url : url.slice(0, q);
    this.rawQuery = q < 0 ? '' : url.slice(q + 1);
  }

  /** The client's address, captured when its connection opened. */
  get remote(): string | undefined {
    return this.conn?.remote;
  }

  /** Aborted when the request is given up on (its deadline passed, its client left): pass
   *  it to the work done for this request so that work stops too. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // Asked for after the request was given up on: it is born aborted, with the reason.
      if (this.cancelled) this.controller.abort(this.cancelReason);
    }
    return this.controller.signal;
  }

  /** Gives up the request's work: aborts `signal`, now or when a handler asks for it. */
  cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.cancelReason = reason;
    this.controller?.abort(reason);
  }

  /** Marks the request complete, once: the response is written or the client has gone. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    this.completion.complete(this);
  }
}


/** `GET http://host/path HTTP/1.1` (absolute-form, sent to proxies) routes like `/path`. */
function stripAbsoluteForm(url: string): string {
  if (url.charCodeAt(0) === 47 /* / */) return url;
  const scheme = url.indexOf('://');
  if (scheme < 0) return url;
  // The authority ends at the first '/', '?' or '#' (RFC 3986 section 3.2).
  for (let i = scheme + 3; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */) return url.slice(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return '/' + url.slice(i);
  }
  return '/';
}
