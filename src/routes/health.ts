// GET /healthz (alive) and GET /readyz (ready for traffic; 503 once shutdown has begun).
// While the store's circuit breaker is open, /readyz stays 200 as long as the cache holds
// something to serve (fresh or stale) and says so; with nothing to serve it is 503 until
// the breaker's open period ends, so traffic comes back in time for its probe.
import { encodeJson, NO_STORE } from '../http/encoded.js';
import type { LifecycleState } from '../http/lifecycle-state.js';
import type { Responder } from '../http/responder.js';
import type { Router } from '../http/router.js';

const ALIVE = encodeJson(200, { status: 'ok' });
const READY = encodeJson(200, { status: 'ready' });
const READY_DEGRADED = encodeJson(200, {
  status: 'ready',
  store: 'circuit breaker open: serving cached copies, stale ones included, without calling the store',
});

/** What readiness asks of the store and the cache. */
export interface StoreReadiness {
  /** Ms until the open breaker lets a probe through; 0 when calls go to the store. */
  breakerOpenForMs(): number;
  /** Responses the cache could serve, fresh or stale. */
  cachedEntries(): number;
}

export function registerHealthRoutes(router: Router, lifecycle: LifecycleState, respond: Responder, store: StoreReadiness): void {
  router.add('GET', '/healthz', (ctx) => respond.encoded(ctx, ALIVE, NO_STORE));
  router.add('GET', '/readyz', (ctx) => {
    if (lifecycle.draining) return respond.problem(ctx, 503, 'shutting down', NO_STORE);
    if (store.breakerOpenForMs() > 0) {
      if (store.cachedEntries() > 0) return respond.encoded(ctx, READY_DEGRADED, NO_STORE);
      return respond.problem(ctx, 503, 'the product store is failing (circuit breaker open) and nothing is cached to serve', NO_STORE);
    }
    return respond.encoded(ctx, READY, NO_STORE);
  });
}
