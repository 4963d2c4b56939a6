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
  /** Requests that matched no route (404s, and 400s for malformed paths). */
  unmatched = 0;
  /** Requests node:http could not parse (400, 408, 431); they never reach a handler. */
  clientErrors = 0;
  readonly byStatus = new Float64Array(600);
  /** One slot per route index; grown if routes are added after construction. */
  private byRoute: Float64Array;
  readonly latency = new Histogram();

  /** `routes` is the router's live list, read when the counts are rendered. */
  constructor(private readonly routes: readonly Route[]) {
    this.byRoute = new Float64Array(Math.max(8, routes.length));
  }

  started(): void {
    this.inFlight++;
  }

  finished(ctx: RequestContext, durationMs: number): void {
    this.inFlight--;
    this.total++;
    if (ctx.status === CLIENT_CLOSED) this.aborted++;
    this.byStatus[ctx.status < 600 ? ctx.status : 0]++;
    const route = ctx.route;
    if (route === undefined) {
      this.unmatched++;
    } else {
      if (route.index >= this.byRoute.length) this.growRoutes();
      this.byRoute[route.index]++;
    }
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
    if (this.unmatched > 0) out['unmatched'] = this.unmatched;
    return out;
  }

  private growRoutes(): void {
    const grown = new Float64Array(Math.max(this.routes.length, this.byRoute.length * 2));
    grown.set(this.byRoute);
    this.byRoute = grown;
  }
}
