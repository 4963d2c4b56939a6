// Who may use /debug: profiles expose internals and a heap snapshot stalls the server.
// Loopback clients not behind a proxy may; anyone else needs `Authorization: Bearer
// <DEBUG_TOKEN>`, compared in constant time. A middleware, so it answers before routing:
// for a client that may not use /debug, every method on every /debug path (OPTIONS and
// wrong methods included) gets the same 404 as an unknown path, and a scanner learns
// nothing. app.ts installs it only when the debug endpoints are on; on any other path
// it costs one character comparison.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '../http/context.js';
import type { Middleware } from '../http/dispatch.js';
import { notFound } from '../http/http-error.js';

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x (a dual-stack listener reports those). */
function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** `/debug` and everything under `/debug/`: every path the router could lead to a debug
 *  route. ctx.path is the path alone (no query; an absolute-form target already stripped). */
export function isDebugPath(path: string): boolean {
  return path.charCodeAt(1) === 100 /* d */ && path.startsWith('/debug') && (path.length === 6 || path.charCodeAt(6) === 47 /* / */);
}

/** Headers proxies and CDNs add to name the client they relay (plus every X-Forwarded-*). */
const PROXY_HEADERS: ReadonlySet<string> = new Set([
  'forwarded',
  'via',
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-client-ip',
  'x-cluster-client-ip',
]);

/** Whether a proxy relayed the request: behind a reverse proxy on this host every client looks local. */
function isProxied(headers: IncomingHttpHeaders): boolean {
  for (const name of Object.keys(headers)) {
    if (PROXY_HEADERS.has(name) || name.startsWith('x-forwarded-')) return true;
  }
  return false;
}

export interface DebugAccessOptions {
  /** '' = no token: loopback clients only. */
  readonly token: string;
  /** Injectable so tests can play a remote client from 127.0.0.1. */
  readonly isLocal?: (address: string | undefined) => boolean;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Whether a request may use what /debug guards (also DELETE /products/{id}/cache). */
export function debugAllowed(options: DebugAccessOptions): (ctx: RequestContext) => boolean {
  const isLocal = options.isLocal ?? isLoopback;
  // Equal-length digests: timingSafeEqual needs equal lengths, and the token's length stays secret.
  const expected = options.token === '' ? undefined : digest(options.token);
  return (ctx) => {
    if (!isProxied(ctx.req.headers) && isLocal(ctx.remote ?? ctx.req.socket.remoteAddress)) return true;
    if (expected === undefined) return false;
    const token = /^Bearer +(\S+) *$/i.exec(ctx.req.headers.authorization ?? '')?.[1];
    return token !== undefined && timingSafeEqual(digest(token), expected);
  };
}

export function debugAccess(allowed: (ctx: RequestContext) => boolean): Middleware {
  return (next) => (ctx) => {
    if (isDebugPath(ctx.path) && !allowed(ctx)) throw notFound();
    return next(ctx);
  };
}
