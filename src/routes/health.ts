// GET /healthz (alive) and GET /readyz (ready for traffic; 503 once shutdown has begun).
import { encodeJson, NO_STORE } from '../http/encoded.js';
import type { LifecycleState } from '../http/lifecycle-state.js';
import type { Responder } from '../http/responder.js';
import type { Router } from '../http/router.js';

const ALIVE = encodeJson(200, { status: 'ok' });
const READY = encodeJson(200, { status: 'ready' });

export function registerHealthRoutes(router: Router, lifecycle: LifecycleState, respond: Responder): void {
  router.add('GET', '/healthz', (ctx) => respond.encoded(ctx, ALIVE, NO_STORE));
  router.add('GET', '/readyz', (ctx) => {
    if (lifecycle.draining) return respond.problem(ctx, 503, 'shutting down', NO_STORE);
    return respond.encoded(ctx, READY, NO_STORE);
  });
}
