// A circuit breaker for calls to an upstream: after enough failures it stops sending
// (fail fast, so a dead upstream costs no timeouts and gets room to recover), and after
// openMs it lets exactly one probe through to decide whether to close again.
//
// No timer: open -> half-open happens when the breaker is next looked at (acquire, state,
// retryAfterMs, stats), so a /readyz that reads the state sees the half-open breaker even
// when no traffic arrives to acquire.
//
// Each call takes a permit and settles it once. A permit remembers the breaker's epoch
// (bumped on every transition): the outcome of a call begun in an earlier state is
// counted in stats but does not move the breaker (a slow success from before the trip
// must not close a half-open breaker; only its probe may).
import { performance } from 'node:perf_hooks';
import { RollingCounts } from './rolling-counts.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Open after this many failures in a row (a failure the caller retries neither
   *  extends nor breaks the run); 0 turns the rule off. */
  readonly consecutiveFailures: number;
  /** Open when failures / calls over the window reach this ratio (0 < ratio <= 1); 0 turns the rule off. */
  readonly failureRatio: number;
  /** Calls (settled by success or failure) the window must hold before failureRatio applies, >= 1. */
  readonly minCalls: number;
  /** Length of the rolling window failureRatio looks at. */
  readonly windowMs: number;
  /** Slices of the window (default 10): an outcome leaves it windowMs - windowMs/buckets to windowMs later. */
  readonly buckets?: number;
  /** How long the breaker stays open before it lets a probe through. */
  readonly openMs: number;
  /** Monotonic ms; injectable so tests can move time. */
  readonly now?: () => number;
  /** Told after every change of state (for a log line); called synchronously. */
  readonly onTransition?: (from: BreakerState, to: BreakerState, reason: string) => void;
}

export interface CircuitBreakerStats {
  readonly state: BreakerState;
  /** Times the breaker opened. */
  readonly opened: number;
  /** Times openMs ran out and it went half-open. */
  readonly halfOpened: number;
  /** Times a probe's success closed it. */
  readonly closed: number;
  /** Calls refused by acquire() without reaching the upstream. */
  readonly shortCircuited: number;
  /** Outcomes reported, including those of calls begun in an earlier state. */
  readonly successes: number;
  readonly failures: number;
}

/** The right to make one call; settle it exactly once (a second settle is ignored). */
export interface BreakerPermit {
  /** The upstream answered well. */
  success(): void;
  /** The upstream failed (error, timeout, bad answer). `retrying`: the caller tries again,
   *  so the failure counts toward the ratio but not toward the run of consecutive
   *  failures; at a steady share of failed attempts a run of them comes by chance at any
   *  volume, a run of calls failed after their retries does not. */
  failure(retrying?: boolean): void;
  /** The outcome says nothing about the upstream (the caller gave up, the request was
   *  aborted): a half-open probe's slot is released without changing state. */
  cancel(): void;
}

type Outcome = 'success' | 'failure' | 'retried-failure' | 'cancel';
type Settle = (permit: Permit, outcome: Outcome) => void;

class Permit implements BreakerPermit {
  private settled = false;

  constructor(
    private readonly settle: Settle,
    /** The breaker's epoch when the call began. */
    readonly epoch: number,
    /** The one call a half-open breaker lets through. */
    readonly probe: boolean,
  ) {}

  success(): void {
    this.end('success');
  }

  failure(retrying = false): void {
    this.end(retrying ? 'retried-failure' : 'failure');
  }

  cancel(): void {
    this.end('cancel');
  }

  private end(outcome: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(this, outcome);
  }
}

const CALLS = 0;
const FAILURES = 1;
const DEFAULT_BUCKETS = 10;

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  /** Bumped on every transition; a permit from another epoch does not move the breaker. */
  private epoch = 0;
  private consecutive = 0;
  private readonly window: RollingCounts;
  /** While open: when a probe may go (monotonic ms). */
  private openUntil = 0;
  /** While half-open: the probe is out. */
  private probeOut = false;
  private readonly now: () => number;
  /** Bound once so permits carry no closure of their own. */
  private readonly settleBound: Settle = (permit, outcome) => this.settle(permit, outcome);
  private opened = 0;
  private halfOpened = 0;
  private closed = 0;
  private shortCircuited = 0;
  private successes = 0;
  private failures = 0;

  constructor(private readonly options: CircuitBreakerOptions) {
    const { consecutiveFailures, failureRatio, minCalls, openMs } = options;
    if (!(Number.isInteger(consecutiveFailures) && consecutiveFailures >= 0)) {
      throw new RangeError(`consecutiveFailures must be an integer >= 0, not ${consecutiveFailures}`);
    }
    if (!(failureRatio >= 0 && failureRatio <= 1)) throw new RangeError(`failureRatio must be within 0..1, not ${failureRatio}`);
    if (!(Number.isInteger(minCalls) && minCalls >= 1)) throw new RangeError(`minCalls must be an integer >= 1, not ${minCalls}`);
    if (!(openMs >= 0 && Number.isFinite(openMs))) throw new RangeError(`openMs must be a number >= 0, not ${openMs}`);
    this.now = options.now ?? (() => performance.now());
    this.window = new RollingCounts(options.windowMs, options.buckets ?? DEFAULT_BUCKETS, 2, this.now());
  }

  get state(): BreakerState {
    this.probeIfDue(this.now());
    return this.current;
  }

  /** A permit for one call, or undefined to fail fast: open, or half-open with its probe out. */
  acquire(): BreakerPermit | undefined {
    const state = this.current === 'open' ? this.probeIfDue(this.now()) : this.current;
    if (state === 'closed') return new Permit(this.settleBound, this.epoch, false);
    if (state === 'half-open' && !this.probeOut) {
      this.probeOut = true;
      return new Permit(this.settleBound, this.epoch, true);
    }
    this.shortCircuited++;
    return undefined;
  }

  /** While open, ms until a probe will be let through; 0 otherwise. */
  retryAfterMs(): number {
    const now = this.now();
    return this.probeIfDue(now) === 'open' ? this.openUntil - now : 0;
  }

  stats(): CircuitBreakerStats {
    return {
      state: this.state,
      opened: this.opened,
      halfOpened: this.halfOpened,
      closed: this.closed,
      shortCircuited: this.shortCircuited,
      successes: this.successes,
      failures: this.failures,
    };
  }

  /** Open -> half-open once openMs has passed; returns the state after. */
  private probeIfDue(now: number): BreakerState {
    if (this.current === 'open' && now >= this.openUntil) {
      this.probeOut = false;
      this.halfOpened++;
      this.transition('half-open', `open for ${this.options.openMs} ms: one probe may go`);
    }
    return this.current;
  }

  private settle(permit: Permit, outcome: Outcome): void {
    if (outcome === 'success') this.successes++;
    else if (outcome !== 'cancel') this.failures++;
    if (permit.epoch !== this.epoch) return;
    if (permit.probe) {
      this.probeOut = false;
      if (outcome === 'success') this.close();
      else if (outcome !== 'cancel') this.open(this.now(), 'the probe failed');
      return;
    }
    if (outcome === 'cancel') return;
    const now = this.now();
    this.window.add(CALLS, now);
    if (outcome === 'success') {
      this.consecutive = 0;
    } else {
      this.window.add(FAILURES, now);
      if (outcome === 'failure') this.consecutive++;
    }
    // A success too: it may be the call that brings the window to minCalls.
    this.openIfTripped(now);
  }

  private openIfTripped(now: number): void {
    const { consecutiveFailures, failureRatio, minCalls, windowMs } = this.options;
    if (consecutiveFailures > 0 && this.consecutive >= consecutiveFailures) {
      this.open(now, `${this.consecutive} consecutive failures`);
      return;
    }
    if (failureRatio === 0) return;
    const calls = this.window.total(CALLS, now);
    const failures = this.window.total(FAILURES, now);
    if (calls >= minCalls && failures / calls >= failureRatio) {
      this.open(now, `${failures} of ${calls} calls failed within ${windowMs} ms`);
    }
  }

  private open(now: number, reason: string): void {
    this.openUntil = now + this.options.openMs;
    this.opened++;
    this.transition('open', reason);
  }

  private close(): void {
    this.consecutive = 0;
    this.window.clear();
    this.closed++;
    this.transition('closed', 'the probe succeeded');
  }

  private transition(to: BreakerState, reason: string): void {
    const from = this.current;
    this.current = to;
    this.epoch++;
    this.options.onTransition?.(from, to, reason);
  }
}
