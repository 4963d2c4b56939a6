// GET /io?ms=1: the benchmark endpoint. Waits ms milliseconds on a timer (simulated I/O,
// the event loop stays free), then answers {"message":"ok"}. No promise, no closure per request.
import type { RequestContext } from '../http/context.js';
import { encodeJson } from '../http/encoded.js';
import type { Responder } from '../http/responder.js';
import type { Router } from '../http/router.js';
import { int } from '../http/validation/fields.js';
import { query } from '../http/validation/query-schema.js';

const ioQuery = query({ ms: int({ max: 1000, default: 1 }) });
const OK = encodeJson(200, { message: 'ok' });

export interface IoRouteDeps {
  readonly respond: Responder;
}

export function registerIoRoute(router: Router, deps: IoRouteDeps): void {
  const { respond } = deps;
  const answer = (ctx: RequestContext): void => {
    respond.encoded(ctx, OK);
  };
  router.add('GET', '/io', (ctx) => {
    setTimeout(answer, ioQuery.read(ctx.rawQuery).ms, ctx);
  });
}
