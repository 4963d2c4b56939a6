// GET /io?ms=1: the benchmark endpoint. Waits ms milliseconds on a timer (simulated I/O,
// the event loop stays free), then answers {"message":"ok"}. No promise, no closure.
import type { RequestContext } from '../http/context.js';
import { intParam, parseQuery } from '../http/query.js';
import { encodeJson, sendEncoded } from '../http/respond.js';
import type { Router } from '../http/router.js';

const MAX_IO_MS = 1000;
const OK = encodeJson(200, { message: 'ok' });

function answer(ctx: RequestContext): void {
  sendEncoded(ctx, OK);
}

export function registerIoRoute(router: Router): void {
  router.add('GET', '/io', (ctx) => {
    const ms = intParam(parseQuery(ctx.rawQuery), 'ms', 1, 0, MAX_IO_MS);
    setTimeout(answer, ms, ctx);
  });
}
