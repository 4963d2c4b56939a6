// GET /healthz (alive) and GET /readyz (ready for traffic; 503 once shutdown has begun).
import { encodeJson, NO_STORE, sendEncoded, sendProblem } from '../http/respond.js';
import type { Router } from '../http/router.js';
import type { LifecycleState } from '../http/lifecycle-state.js';

const ALIVE = encodeJson(200, { status: 'ok' });
const READY = encodeJson(200, { status: 'ready' });

export function registerHealthRoutes(router: Router, lifecycle: LifecycleState): void {
  router.add('GET', '/healthz', (ctx) => sendEncoded(ctx, ALIVE, NO_STORE));
  router.add('GET', '/readyz', (ctx) => {
    if (lifecycle.draining) return sendProblem(ctx, 503, 'shutting down', NO_STORE);
    return sendEncoded(ctx, READY, NO_STORE);
  });
}
