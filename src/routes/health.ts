// GET /healthz (alive) and GET /readyz (ready for traffic; 503 once shutdown has begun).
// While the store's circuit breaker is open, /readyz stays 200 as long as the cache holds
// something to serve (fresh or stale) and says so; with nothing to serve it is 503 until
// the breaker's open period ends, so traffic comes back in time for its probe. Redis (the
// shared cache) is an optimisation, not a dependency: its state is in the body, and ready
// stays 200 whatever it is.
import { encodeJson, NO_STORE, type Encoded } from '../http/encoded.js';
import type { LifecycleState } from '../http/lifecycle-state.js';
import type { Responder } from '../http/responder.js';
import type { Router } from '../http/router.js';

const ALIVE = encodeJson(200, { status: 'ok' });
const READY_BODY = { status: 'ready' };
const DEGRADED_BODY = { status: 'ready', store: 'circuit breaker open: serving cached copies, stale ones included, without calling the store' };
const READY = encodeJson(200, READY_BODY);
const READY_DEGRADED = encodeJson(200, DEGRADED_BODY);

/** What readiness asks of the store and the cache. */
export interface StoreReadiness {
  /** Ms until the open breaker lets a probe through; 0 when calls go to the store. */
  breakerOpenForMs(): number;
  /** Responses the cache could serve, fresh or stale. */
  cachedEntries(): number;
  /** The shared cache's state ('ready', 'down', ...); undefined without one. */
  redisState?(): string;
}

export function registerHealthRoutes(router: Router, lifecycle: LifecycleState, respond: Responder, store: StoreReadiness): void {
  router.add('GET', '/healthz', (ctx) => respond.encoded(ctx, ALIVE, NO_STORE));
  router.add('GET', '/readyz', (ctx) => {
    if (lifecycle.draining) return respond.problem(ctx, 503, 'shutting down', NO_STORE);
    if (store.breakerOpenForMs() > 0) {
      if (store.cachedEntries() > 0) return respond.encoded(ctx, withRedis(READY_DEGRADED, DEGRADED_BODY, store), NO_STORE);
      return respond.problem(ctx, 503, 'the product store is failing (circuit breaker open) and nothing is cached to serve', NO_STORE);
    }
    return respond.encoded(ctx, withRedis(READY, READY_BODY, store), NO_STORE);
  });
}

/** The body with a `redis` member when there is a shared cache. */
function withRedis(encoded: Encoded, body: object, store: StoreReadiness): Encoded {
  const state = store.redisState?.();
  if (state === undefined) return encoded;
  const redis = state === 'ready' ? 'ready' : `${state}: serving from the process cache and the store`;
  return encodeJson(200, { ...body, redis });
}
