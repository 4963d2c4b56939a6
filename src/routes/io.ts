// GET /io?ms=1: the benchmark endpoint. Waits ms milliseconds on a timer (simulated I/O,
// the event loop stays free), then answers {"message":"ok"}. No promise, no closure per request.
import type { RequestContext } from '../http/context.js';
import { encodeJson } from '../http/encoded.js';
import { intParam, type QueryParser } from '../http/query.js';
import type { Responder } from '../http/responder.js';
import type { Router } from '../http/router.js';

const MAX_IO_MS = 1000;
const OK = encodeJson(200, { message: 'ok' });

export interface IoRouteDeps {
  readonly respond: Responder;
  readonly queries: QueryParser;
}

export function registerIoRoute(router: Router, deps: IoRouteDeps): void {
  const { respond, queries } = deps;
  const answer = (ctx: RequestContext): void => {
    respond.encoded(ctx, OK);
  };
  router.add('GET', '/io', (ctx) => {
    const ms = intParam(queries.parse(ctx.rawQuery), 'ms', 1, 0, MAX_IO_MS);
    setTimeout(answer, ms, ctx);
  });
}
