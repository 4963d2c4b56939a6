// A retry budget (as in Finagle, and the idea behind gRPC's retry throttling): retries
// may add at most `ratio` of the calls made over a rolling window, plus a floor of
// `minPerSecond` so a quiet service can still retry. Per-call retry limits alone let a
// struggling upstream receive (1 + maxRetries) times its load exactly when it can take
// least; the budget caps the extra load whatever the per-call policy says.
import { performance } from 'node:perf_hooks';
import { RollingCounts } from './rolling-counts.js';

export interface RetryBudgetOptions {
  /** Retries allowed per call in the window, >= 0 (0.2: one retry for every five calls). */
  readonly ratio: number;
  /** Retries allowed per second whatever the traffic, >= 0. */
  readonly minPerSecond: number;
  /** Length of the rolling window. */
  readonly windowMs: number;
  /** Slices of the window (default 10). */
  readonly buckets?: number;
  /** Monotonic ms; injectable so tests can move time. */
  readonly now?: () => number;
}

export interface RetryBudgetStats {
  /** First attempts recorded. */
  readonly calls: number;
  /** Retries allowed. */
  readonly retries: number;
  /** Retries refused because the budget was spent. */
  readonly refused: number;
}

const CALLS = 0;
const RETRIES = 1;
const DEFAULT_BUCKETS = 10;
/** Rounding slack so ratio * calls = 2.9999999999999996 still allows the third retry. */
const EPSILON = 1e-9;

export class RetryBudget {
  private readonly window: RollingCounts;
  private readonly now: () => number;
  /** The floor's share of the window: minPerSecond over windowMs. */
  private readonly reserve: number;
  private calls = 0;
  private retries = 0;
  private refused = 0;

  constructor(private readonly options: RetryBudgetOptions) {
    const { ratio, minPerSecond, windowMs } = options;
    if (!(ratio >= 0 && Number.isFinite(ratio))) throw new RangeError(`ratio must be a number >= 0, not ${ratio}`);
    if (!(minPerSecond >= 0 && Number.isFinite(minPerSecond))) throw new RangeError(`minPerSecond must be a number >= 0, not ${minPerSecond}`);
    this.now = options.now ?? (() => performance.now());
    this.window = new RollingCounts(windowMs, options.buckets ?? DEFAULT_BUCKETS, 2, this.now());
    this.reserve = (minPerSecond * windowMs) / 1000;
  }

  /** Counts a first attempt: each one adds `ratio` of a retry to the budget. */
  recordCall(): void {
    this.calls++;
    this.window.add(CALLS, this.now());
  }

  /** Withdraws one retry: true if the budget had one, false (and counted) if it is spent. */
  tryRetry(): boolean {
    const now = this.now();
    const allowed = this.options.ratio * this.window.total(CALLS, now) + this.reserve;
    if (this.window.total(RETRIES, now) + 1 > allowed + EPSILON) {
      this.refused++;
      return false;
    }
    this.retries++;
    this.window.add(RETRIES, now);
    return true;
  }

  stats(): RetryBudgetStats {
    return { calls: this.calls, retries: this.retries, refused: this.refused };
  }
}
