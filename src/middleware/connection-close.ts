// Once the server stops accepting connections, every response says Connection: close, so
// a busy keep-alive client is released at a response boundary instead of having its
// socket closed under a request it is sending.
import type { Middleware } from '../http/dispatch.js';
import type { LifecycleState } from '../lifecycle/state.js';

export function connectionClose(lifecycle: LifecycleState): Middleware {
  return (next) => (ctx) => {
    if (lifecycle.closing) ctx.res.setHeader('connection', 'close');
    return next(ctx);
  };
}
