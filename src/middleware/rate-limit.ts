// Per-client rate limiting (RATE_LIMIT_RPS): a token bucket per client key, one token per
// request; a client with none left gets 429 with Retry-After. The key is the socket's
// peer (an IPv6 client by its /64: ip/address.ts), or the client a trusted proxy names
// (TRUST_PROXY: ip/forwarded-client.ts). Without trusted proxies the key is derived once
// per connection and kept on it. Every limited response carries the RateLimit-Policy and
// RateLimit fields of draft-ietf-httpapi-ratelimit-headers-10 (structured-field lists:
// `"default";q=<burst>;w=<seconds to refill>` and `"default";r=<left>;t=<seconds to the
// next token>`), handed to the responder on ctx.responseHeaders. The probes and /metrics
// are never limited (a limited scraper or load balancer would see a healthy server as
// down), nor /debug where it exists: it has its own guard, and an operator must be able
// to profile a server whose clients are being limited, from the same host too. Without
// the debug routes its paths are unknown paths like any other, and limited.
import type { RequestContext } from '../http/context.js';
import type { Middleware } from '../http/dispatch.js';
import type { Responder } from '../http/responder.js';
import { clientKey, clientKeyOf, parseIp } from '../ip/address.js';
import { forwardedClient } from '../ip/forwarded-client.js';
import type { TrustProxy } from '../ip/trust-proxy.js';
import { isDebugPath } from './debug-access.js';
import { isProbePath, refusal } from './refusal.js';
import { TokenBuckets, type TokenBucketOptions } from './token-buckets.js';

export interface RateLimitOptions extends TokenBucketOptions {
  readonly trust: TrustProxy;
  /** Whether the /debug routes exist (DEBUG_ENDPOINTS=on): only then are they exempt. */
  readonly debugRoutes: boolean;
}

/** Each cluster worker enforces its share: the kernel spreads a client's connections
 *  over the workers, so the server as a whole admits at most the configured limit (but a
 *  burst below WORKERS: each worker's bucket holds at least one). */
export function workerShare(ratePerSecond: number, burst: number, workers: number): { readonly ratePerSecond: number; readonly burst: number } {
  return { ratePerSecond: ratePerSecond / workers, burst: Math.max(1, Math.floor(burst / workers)) };
}

export function isUnlimitedPath(path: string, debugRoutes: boolean): boolean {
  return isProbePath(path) || (debugRoutes && isDebugPath(path));
}

const LIMITED = refusal(429, 'too many requests from this client; retry after the seconds in Retry-After');

export class RateLimiter {
  readonly buckets: TokenBuckets;
  /** The RateLimit-Policy value: constant for the process. */
  readonly policy: string;

  constructor(private readonly options: RateLimitOptions) {
    this.buckets = new TokenBuckets(options);
    // w: whole seconds an empty bucket takes to fill (the draft's window is an integer >= 1).
    const window = Math.max(1, Math.ceil(options.burst / options.ratePerSecond));
    this.policy = `"default";q=${options.burst};w=${window}`;
  }

  /** The client key of a request; undefined when its address is unknown (its socket has
   *  closed: nothing will be answered anyway). */
  keyOf(ctx: RequestContext): string | undefined {
    const conn = ctx.conn;
    if (this.options.trust.kind !== 'none') {
      const headers = ctx.req.headers;
      const xff = oneField(headers['x-forwarded-for']);
      const forwarded = oneField(headers.forwarded);
      if (xff !== undefined || forwarded !== undefined) {
        const socket = parseIp(ctx.remote ?? ctx.req.socket.remoteAddress ?? '');
        return socket === undefined ? undefined : clientKeyOf(forwardedClient(this.options.trust, socket, xff, forwarded));
      }
    }
    if (conn === undefined) return clientKey(ctx.req.socket.remoteAddress);
    const cached = conn.clientKey;
    if (cached !== undefined) return cached;
    return (conn.clientKey = clientKey(conn.remote));
  }

  middleware(respond: Responder): Middleware {
    const buckets = this.buckets;
    const policy = this.policy;
    const debugRoutes = this.options.debugRoutes;
    return (next) => (ctx) => {
      if (isUnlimitedPath(ctx.path, debugRoutes)) return next(ctx);
      const key = this.keyOf(ctx);
      if (key === undefined) return next(ctx);
      const admitted = buckets.take(key);
      const seconds = Math.max(1, Math.ceil(buckets.waitMs / 1000));
      const limits = ['ratelimit-policy', policy, 'ratelimit', `"default";r=${buckets.remaining};t=${seconds}`];
      // After tracing's traceparent, when there is one.
      ctx.responseHeaders = ctx.responseHeaders === undefined ? limits : [...ctx.responseHeaders, ...limits];
      if (admitted) return next(ctx);
      // Answered here rather than thrown: a flood of refusals should not build an Error (and its stack) each.
      return respond.encoded(ctx, LIMITED, ['retry-after', String(seconds), 'cache-control', 'no-store']);
    };
  }

  stop(): void {
    this.buckets.stop();
  }
}

/** node joins a repeated field with ', '; its type still allows a list. */
function oneField(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
