// Load shedding: an overloaded process answers new requests with a fast 503 and
// Retry-After instead of answering every request slowly. Two signals: the event loop,
// whose delay and utilization over a short window EventLoopMonitor.watch samples into
// one field here, and the requests in flight, which the request observer counts up on
// arrival and down on completion however a request ends (answered, failed, client gone).
// The check per request is two field reads; the refusal is a response encoded once and
// never compressed. /healthz, /readyz and /metrics are never refused: probes and scrapes
// must see an overload, not be hidden by it. app.ts installs the middleware only when an
// option is set, first in the chain, so a refused request costs no other work.
import type { RequestContext } from '../http/context.js';
import type { Middleware } from '../http/dispatch.js';
import { encodeProblem, type Encoded } from '../http/encoded.js';
import type { Responder } from '../http/responder.js';
import type { Handler } from '../http/router.js';
import type { LoopSample } from '../observability/event-loop.js';

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
}

/** How often the event loop is sampled: short enough to react within a fraction of a
 *  second, long enough that one slow callback or a GC pause is one sample. */
export const SHED_SAMPLE_MS = 100;

/** Whole seconds a refused client should wait; an overload lasts at least one sample. */
const RETRY_AFTER_SECONDS = 1;
const REFUSAL_HEADERS: readonly string[] = Object.freeze(['retry-after', String(RETRY_AFTER_SECONDS), 'cache-control', 'no-store']);

/** Written as it is: compressing a refusal would spend the CPU the refusal saves. */
function refusal(detail: string): Encoded {
  return { ...encodeProblem(503, detail), compressible: false };
}

const REFUSALS: Readonly<Record<ShedReason, Encoded>> = {
  eventLoopDelay: refusal('the server is overloaded (event-loop delay); retry later'),
  eventLoopUtilization: refusal('the server is overloaded (event-loop utilization); retry later'),
  inFlight: refusal('the server is handling as many requests as it may (MAX_IN_FLIGHT); retry later'),
};

/** The paths that answer throughout an overload. */
function isExempt(path: string): boolean {
  return path === '/healthz' || path === '/readyz' || path === '/metrics';
}

export class LoadShedder {
  /** Set by the sampler while the event loop is over a threshold; read per request. */
  private overloaded: ShedReason | undefined = undefined;
  /** MAX_IN_FLIGHT, or no bound. */
  private readonly maxInFlight: number;
  private readonly shed: Record<ShedReason, number> = { eventLoopDelay: 0, eventLoopUtilization: 0, inFlight: 0 };

  constructor(
    private readonly options: SheddingOptions,
    /** The observer's count of requests arrived and not yet complete, this one included. */
    private readonly requests: { readonly inFlight: number },
  ) {
    this.maxInFlight = options.maxInFlight === 0 ? Infinity : options.maxInFlight;
  }

  /** Whether an option is set (otherwise the middleware is left out). */
  get enabled(): boolean {
    return this.watchesEventLoop || this.options.maxInFlight > 0;
  }

  /** Whether the event loop must be sampled. */
  get watchesEventLoop(): boolean {
    return this.options.eventLoopDelayMs > 0 || this.options.eventLoopUtilization > 0;
  }

  /** One short window of the event loop: decides whether new requests are refused until the next. */
  sample(loop: LoopSample): void {
    const { eventLoopDelayMs, eventLoopUtilization } = this.options;
    if (eventLoopDelayMs > 0 && loop.delayMs > eventLoopDelayMs) this.overloaded = 'eventLoopDelay';
    else if (eventLoopUtilization > 0 && loop.utilization > eventLoopUtilization) this.overloaded = 'eventLoopUtilization';
    else this.overloaded = undefined;
  }

  middleware(respond: Responder): Middleware {
    return (next) => (ctx) => {
      if (this.overloaded === undefined && this.requests.inFlight <= this.maxInFlight) return next(ctx);
      return this.refuse(ctx, respond, next);
    };
  }

  stats(): SheddingStats {
    return {
      eventLoopDelayMs: this.options.eventLoopDelayMs,
      eventLoopUtilization: this.options.eventLoopUtilization,
      maxInFlight: this.options.maxInFlight,
      active: this.overloaded === undefined ? 0 : 1,
      shed: { ...this.shed },
    };
  }

  private refuse(ctx: RequestContext, respond: Responder, next: Handler): void | Promise<void> {
    if (isExempt(ctx.path)) return next(ctx);
    const reason = this.overloaded ?? 'inFlight';
    this.shed[reason]++;
    return respond.encoded(ctx, REFUSALS[reason], REFUSAL_HEADERS);
  }
}
