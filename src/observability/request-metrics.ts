// Request counters: plain numbers and typed arrays indexed by route slot and status code,
// one array per request method (a handful: llhttp accepts only known methods), so
// recording a request is one Map lookup on an interned string, no allocation.
// Counts by status and by route are derived from these when /metrics is rendered.
import { CLIENT_CLOSED, type RequestContext } from '../http/context.js';
import type { Route } from '../http/router.js';
import { Histogram } from './histogram.js';

/** Status codes 0..599; a code >= 600 (none are sent) would land in slot 0. */
const STATUS_SLOTS = 600;
/** Route slot 0 counts requests that matched no route; route i is slot i + 1. */
const UNMATCHED_SLOT = 0;
/** Label of requests that matched no route (404, 405, OPTIONS, malformed paths). */
const UNMATCHED = 'unmatched';
/** A bound on distinct methods, in case a parser ever lets arbitrary tokens through. */
const MAX_METHODS = 64;

/** One cell of the method x route x status table. */
export interface RequestCount {
  /** The request's method (HEAD is counted as HEAD even when a GET route served it). */
  readonly method: string;
  /** The route pattern (`/products/{id}`), or `unmatched`. */
  readonly route: string;
  /** The method the route was registered with ('' when unmatched). */
  readonly routeMethod: string;
  readonly status: number;
  readonly count: number;
}

export class RequestMetrics {
  total = 0;
  inFlight = 0;
  aborted = 0;
  /** Requests node:http could not parse (400, 408, 431); they never reach a handler. */
  clientErrors = 0;
  private readonly byMethod = new Map<string, Float64Array>();
  private lastMethod = '';
  private lastCounts: Float64Array = new Float64Array(0);
  /** Route slots per method array; grown if routes are added after construction. */
  private slots: number;
  readonly latency = new Histogram();

  /** `routes` is the router's live list, read when the counts are rendered. */
  constructor(private readonly routes: readonly Route[]) {
    this.slots = Math.max(8, routes.length + 1);
  }

  started(): void {
    this.inFlight++;
  }

  finished(ctx: RequestContext, durationMs: number): void {
    this.inFlight--;
    this.total++;
    const status = ctx.status;
    if (status === CLIENT_CLOSED) this.aborted++;
    const route = ctx.route;
    const slot = route === undefined ? UNMATCHED_SLOT : route.index + 1;
    if (slot >= this.slots) this.growRoutes();
    // Nearly every request has the previous one's method: skip the Map lookup then.
    const method = ctx.method;
    let counts = this.lastCounts;
    if (method !== this.lastMethod) {
      counts = this.byMethod.get(method) ?? this.addMethod(method);
      this.lastMethod = method;
      this.lastCounts = counts;
    }
    // Within the array: addMethod and growRoutes size it for every slot and status.
    counts[slot * STATUS_SLOTS + (status < STATUS_SLOTS ? status : 0)]!++;
    this.latency.observe(durationMs);
  }

  /** Every non-zero cell of the method x route x status table. */
  counts(): RequestCount[] {
    const out: RequestCount[] = [];
    for (const [method, counts] of this.byMethod) {
      for (const [i, count] of counts.entries()) {
        if (count === 0) continue;
        const slot = Math.floor(i / STATUS_SLOTS);
        const route = slot === UNMATCHED_SLOT ? undefined : this.routes[slot - 1];
        out.push({
          method,
          route: route?.pattern ?? UNMATCHED,
          routeMethod: route?.method ?? '',
          status: i % STATUS_SLOTS,
          count,
        });
      }
    }
    return out;
  }

  statusCounts(): Record<string, number> {
    return statusCounts(this.counts());
  }

  routeCounts(): Record<string, number> {
    return routeCounts(this.counts());
  }

  private addMethod(method: string): Float64Array {
    const key = this.byMethod.size < MAX_METHODS ? method : 'OTHER';
    let counts = this.byMethod.get(key);
    if (counts === undefined) {
      counts = new Float64Array(this.slots * STATUS_SLOTS);
      this.byMethod.set(key, counts);
    }
    return counts;
  }

  private growRoutes(): void {
    this.slots = Math.max(this.routes.length + 1, this.slots * 2);
    for (const [method, counts] of this.byMethod) {
      const grown = new Float64Array(this.slots * STATUS_SLOTS);
      grown.set(counts);
      this.byMethod.set(method, grown);
    }
    this.lastMethod = '';
  }
}

/** Counts by status code, as the JSON document shows them. */
export function statusCounts(counts: readonly RequestCount[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of [...counts].sort((a, b) => a.status - b.status)) {
    out[String(c.status)] = (out[String(c.status)] ?? 0) + c.count;
  }
  return out;
}

/** Counts by route (`GET /products/{id}`, or `unmatched` last), as the JSON document shows them. */
export function routeCounts(counts: readonly RequestCount[]): Record<string, number> {
  const out: Record<string, number> = {};
  let unmatched = 0;
  for (const c of counts) {
    if (c.routeMethod === '') {
      unmatched += c.count;
      continue;
    }
    const key = `${c.routeMethod} ${c.route}`;
    out[key] = (out[key] ?? 0) + c.count;
  }
  if (unmatched > 0) out[UNMATCHED] = unmatched;
  return out;
}
