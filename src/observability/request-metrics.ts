// Request counters: plain numbers and typed arrays indexed by status code and route
// index, so recording a request allocates nothing and hashes nothing.
import type { RequestContext } from '../http/context.js';
import type { Route } from '../http/router.js';
import { Histogram } from './histogram.js';

/** nginx's code for "client closed the connection before the response was complete". */
export const CLIENT_CLOSED = 499;

export class RequestMetrics {
  total = 0;
  inFlight = 0;
  aborted = 0;
  readonly byStatus = new Float64Array(600);
  /** One slot per route, plus a last one for requests that matched no route. */
  readonly byRoute: Float64Array;
  readonly latency = new Histogram();

  constructor(readonly routes: readonly Route[]) {
    this.byRoute = new Float64Array(routes.length + 1);
  }

  started(): void {
    this.inFlight++;
  }

  finished(ctx: RequestContext, durationMs: number): void {
    this.inFlight--;
    this.total++;
    if (ctx.status === CLIENT_CLOSED) this.aborted++;
    this.byStatus[ctx.status < 600 ? ctx.status : 0]++;
    this.byRoute[ctx.route === undefined ? this.routes.length : ctx.route.index]++;
    this.latency.observe(durationMs);
  }

  statusCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    this.byStatus.forEach((count, status) => {
      if (count > 0) out[String(status)] = count;
    });
    return out;
  }

  routeCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    this.routes.forEach((route, i) => {
      const count = this.byRoute[i] as number;
      if (count > 0) out[`${route.method} ${route.pattern}`] = count;
    });
    const unmatched = this.byRoute[this.routes.length] as number;
    if (unmatched > 0) out['unmatched'] = unmatched;
    return out;
  }
}
