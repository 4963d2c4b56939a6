// Per-request state, one object per request with a fixed shape. The path and query are
// split once with indexOf; the query is parsed only by the handlers that read it.
import { ServerResponse, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LifecycleState } from '../lifecycle/state.js';
import type { Route } from './router.js';

export type CacheStatus = '' | 'HIT' | 'MISS';

/** node:http's response, carrying its request's context so 'close' listeners need no closure. */
export class Response extends ServerResponse<IncomingMessage> {
  ctx: RequestContext | undefined = undefined;
}

export class RequestContext {
  readonly start = performance.now();
  readonly method: string;
  /** The path as sent (not decoded); what the router matches. */
  readonly path: string;
  /** Everything after the first '?', or ''. */
  readonly rawQuery: string;
  /** Read now: once the client has gone the socket no longer knows it. */
  readonly remote: string | undefined;
  route: Route | undefined = undefined;
  params: readonly string[] = NO_PARAMS;
  status = 0;
  /** Body bytes written (0 for HEAD and for aborted responses). */
  bytes = 0;
  cache: CacheStatus = '';

  constructor(
    readonly req: IncomingMessage,
    readonly res: Response,
    readonly id: string,
    /** Read when the response head is written: Connection: close once shutdown closes. */
    readonly lifecycle: LifecycleState,
  ) {
    this.method = req.method ?? 'GET';
    const url = stripAbsoluteForm(req.url ?? '/');
    const q = url.indexOf('?');
    this.path = q < 0 ? url : url.slice(0, q);
    this.rawQuery = q < 0 ? '' : url.slice(q + 1);
    this.remote = req.socket.remoteAddress;
  }
}

const NO_PARAMS: readonly string[] = Object.freeze([]);

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
