// REQUEST_DEADLINE_MS: a request whose response has not started within the deadline is
// answered by the server, so a client never waits on a stuck handler: 504 when the
// request was waiting on an upstream (ctx.upstream: the product store), 503 otherwise.
// Its work is then cancelled through ctx.signal. A handler that answers later writes
// nothing (the responder ignores a request already answered), and a response already
// started (a stream) is left to its own idle timeout. The /debug routes are exempt: a
// profile runs as long as it was asked to.
//
// The middleware runs the handler first and queues only what is still unanswered when
// it returns (deadline-queue.ts): a synchronous answer, a cached hit, costs a field read.
import { CLIENT_GONE, type RequestContext } from '../http/context.js';
import type { Middleware } from '../http/dispatch.js';
import type { Responder } from '../http/responder.js';
import { DeadlineQueue } from './deadline-queue.js';
import { refusal } from './refusal.js';
import { isDebugPath } from './debug-access.js';

export interface DeadlineStats {
  /** REQUEST_DEADLINE_MS (0: off). */
  readonly ms: number;
  /** Requests answered 503 by the deadline: their handler had not answered. */
  readonly answered503: number;
  /** Requests answered 504 by the deadline: they were waiting on the store. */
  readonly answered504: number;
}

export class RequestDeadline {
  private answered503 = 0;
  private answered504 = 0;
  private readonly queue: DeadlineQueue;
  private readonly detail: string;
  readonly middleware: Middleware;

  constructor(
    /** 0: off (app.ts then installs no middleware). */
    readonly ms: number,
    private readonly respond: Responder,
  ) {
    this.detail = `the server could not answer within ${ms} ms`;
    const queue = new DeadlineQueue(ms, (ctx) => this.expired(ctx));
    this.queue = queue;
    this.middleware = (next) => (ctx) => {
      const pending = next(ctx);
      if (!ctx.done) queue.add(ctx);
      return pending;
    };
  }

  stats(): DeadlineStats {
    return { ms: this.ms, answered503: this.answered503, answered504: this.answered504 };
  }

  stop(): void {
    this.queue.stop();
  }

  private expired(ctx: RequestContext): void {
    if (isDebugPath(ctx.path)) return;
    // Its client has gone: the connection's close completes it; the work still stops.
    if (ctx.res.destroyed) return ctx.cancel(CLIENT_GONE);
    const upstream = ctx.upstream;
    const status = upstream === '' ? 503 : 504;
    const detail = upstream === '' ? this.detail : `${this.detail}: it was waiting on ${upstream}`;
    try {
      // Never compressed: written now, so a handler's late answer cannot slip in first.
      void this.respond.encoded(ctx, refusal(status, detail));
      if (status === 503) this.answered503++;
      else this.answered504++;
    } catch {
      // The head could not be written: cut the connection, whose close completes the request.
      ctx.res.destroy();
    }
    ctx.cancel(new DOMException(detail, 'TimeoutError'));
  }
}
