// Load shedding: an overloaded process answers new requests with a fast 503 and
// Retry-After instead of answering every request slowly. Three signals:
// - event-loop delay, at the moment a request arrives: how overdue the sampling timer
//   (EventLoopMonitor.watch) is, or how long the loop has spent in its current turn. A
//   flag set by the timer would come too late: under a CPU overload one turn of the loop
//   reads hundreds of requests, and all of them would be admitted before the timer could
//   fire again. So this check reads the clock, and only when SHED_EVENT_LOOP_DELAY_MS is set;
// - event-loop utilization over the timer's last window, and only when that window's timer
//   was also late by ELU_MIN_DELAY_MS: a loop can be busy nearly all the time and still
//   answer promptly (many short turns), and utilization alone has shed healthy traffic in
//   peers; one field the timer sets;
// - the requests in flight, which the request observer counts up on arrival and down on
//   completion however a request ends (answered, failed, client gone).
// The refusal is a response encoded once and never compressed. /healthz, /readyz and
// /metrics are never refused: probes and scrapes must see an overload, not be hidden by
// it. app.ts installs the middleware only when an option is set, first in the chain, so a
// refused request costs no other work.
import { performance } from 'node:perf_hooks';
import type { Middleware } from '../http/dispatch.js';
import type { Encoded } from '../http/encoded.js';
import type { Responder } from '../http/responder.js';
import type { LoopSample } from '../observability/event-loop.js';
import { isDebugPath } from './debug-access.js';
import { isProbePath, refusal } from './refusal.js';

export type ShedReason = 'eventLoopDelay' | 'eventLoopUtilization' | 'inFlight';

export interface SheddingStats {
  /** SHED_EVENT_LOOP_DELAY_MS (0 = off). */
  readonly eventLoopDelayMs: number;
  /** SHED_ELU (0 = off). */
  readonly eventLoopUtilization: number;
  /** MAX_IN_FLIGHT (0 = no bound; summed over workers in cluster mode). */
  readonly maxInFlight: number;
  /** Processes refusing new requests now because of their event loop (0 or 1 in one process). */
  readonly active: number;
  /** Requests refused with 503, by reason. */
  readonly shed: Readonly<Record<ShedReason, number>>;
}

export interface SheddingOptions {
  readonly eventLoopDelayMs: number;
  readonly eventLoopUtilization: number;
  readonly maxInFlight: number;
  /** Whether the /debug routes exist (DEBUG_ENDPOINTS=on): only then are they exempt, as
   *  from the rate limiter. An overloaded server is when its dashboard and profiles are needed. */
  readonly debugRoutes: boolean;
}

/** How often the event loop is sampled: the utilization's window, and the slack before
 *  a late timer counts as delay. One turn of an overloaded loop admits at most about this
 *  plus SHED_EVENT_LOOP_DELAY_MS of work. */
export const SHED_SAMPLE_MS = 25;

/** How late the sampling timer must also be for a high utilization to shed: turns this
 *  long keep requests waiting; shorter ones are a busy loop that still answers promptly. */
export const ELU_MIN_DELAY_MS = 10;

/** Retry-After counts whole seconds: 1 is the shortest wait it can ask for. */
const RETRY_AFTER_SECONDS = 1;
const REFUSAL_HEADERS: readonly string[] = Object.freeze(['retry-after', String(RETRY_AFTER_SECONDS), 'cache-control', 'no-store']);

const REFUSALS: Readonly<Record<ShedReason, Encoded>> = {
  eventLoopDelay: refusal(503, 'the server is overloaded (event-loop delay); retry later'),
  eventLoopUtilization: refusal(503, 'the server is overloaded (event-loop utilization); retry later'),
  inFlight: refusal(503, 'the server is handling as many requests as it may (MAX_IN_FLIGHT); retry later'),
};


export class LoadShedder {
  /** Set by the sampler while the last window's utilization is over SHED_ELU; read per request. */
  private busy = false;
  /** When the loop counts as delayed: the sampler's next firing, plus the threshold. */
  private delayedAfter = Infinity;
  /** When the loop read the first request of the turn it is in now (0: none read yet). */
  private turnStart = 0;
  private readonly endTurn = (): void => {
    this.turnStart = 0;
  };
  private readonly checksDelay: boolean;
  /** MAX_IN_FLIGHT, or no bound. */
  private readonly maxInFlight: number;
  private readonly shed: Record<ShedReason, number> = { eventLoopDelay: 0, eventLoopUtilization: 0, inFlight: 0 };

  constructor(
    private readonly options: SheddingOptions,
    /** The observer's count of requests arrived and not yet complete, this one included. */
    private readonly requests: { readonly inFlight: number },
    private readonly samplePeriodMs = SHED_SAMPLE_MS,
  ) {
    this.maxInFlight = options.maxInFlight === 0 ? Infinity : options.maxInFlight;
    this.checksDelay = options.eventLoopDelayMs > 0;
  }

  /** Whether an option is set (otherwise the middleware is left out). */
  get enabled(): boolean {
    return this.watchesEventLoop || this.options.maxInFlight > 0;
  }

  /** Whether the event loop must be sampled. */
  get watchesEventLoop(): boolean {
    return this.checksDelay || this.options.eventLoopUtilization > 0;
  }

  /** One window of the event loop, from the sampling timer. */
  sample(loop: LoopSample): void {
    const threshold = this.options.eventLoopUtilization;
    this.busy = threshold > 0 && loop.utilization > threshold && loop.delayMs >= ELU_MIN_DELAY_MS;
    if (this.checksDelay) this.delayedAfter = loop.at + this.samplePeriodMs + this.options.eventLoopDelayMs;
  }

  middleware(respond: Responder): Middleware {
    return (next) => (ctx) => {
      if (isProbePath(ctx.path)) return next(ctx);
      const reason = this.overloaded();
      if (reason === undefined) return next(ctx);
      // Checked only on the way to a refusal: an admitted request pays nothing for it.
      if (this.options.debugRoutes && isDebugPath(ctx.path)) return next(ctx);
      this.shed[reason]++;
      return respond.encoded(ctx, REFUSALS[reason], REFUSAL_HEADERS);
    };
  }

  stats(): SheddingStats {
    return {
      eventLoopDelayMs: this.options.eventLoopDelayMs,
      eventLoopUtilization: this.options.eventLoopUtilization,
      maxInFlight: this.options.maxInFlight,
      active: this.busy || (this.checksDelay && performance.now() > this.delayedAfter) ? 1 : 0,
      shed: { ...this.shed },
    };
  }

  /** Why a request arriving now would be refused, or undefined. */
  private overloaded(): ShedReason | undefined {
    if (this.delayed()) return 'eventLoopDelay';
    if (this.busy) return 'eventLoopUtilization';
    if (this.requests.inFlight > this.maxInFlight) return 'inFlight';
    return undefined;
  }

  /** Whether a request read now waits longer than SHED_EVENT_LOOP_DELAY_MS: the sampling
   *  timer is that late, or the loop has spent that long in this turn already (it reads
   *  and runs every ready request in one turn, so the later ones wait for the earlier).
   *  The turn ends at the check phase that follows it: one setImmediate per busy turn. */
  private delayed(): boolean {
    if (!this.checksDelay) return false;
    const now = performance.now();
    if (now > this.delayedAfter) return true;
    if (this.turnStart === 0) {
      this.turnStart = now;
      setImmediate(this.endTurn);
      return false;
    }
    return now - this.turnStart > this.options.eventLoopDelayMs;
  }
}
