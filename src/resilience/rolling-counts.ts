// Counts over a rolling window of time, kept in a ring of buckets instead of a list of
// timestamps: memory is fixed, adding is O(1), and the totals are kept up to date as
// buckets fall out, so reading them is O(1) too (a bucket is cleared when time moves
// past it, at most `buckets` per call however long the pause). The window covers the
// current bucket and the buckets-1 before it, so an event counts for between
// windowMs - windowMs/buckets and windowMs.
//
// Shared by the circuit breaker (calls, failures) and the retry budget (calls, retries).

export class RollingCounts {
  private readonly bucketMs: number;
  /** buckets x kinds counts, bucket-major. */
  private readonly counts: Float64Array;
  /** Per kind, the sum over every bucket in the window. */
  private readonly totals: Float64Array;
  /** The absolute number (time / bucketMs) of the newest bucket. */
  private head: number;

  /**
   * @param windowMs length of the window, > 0
   * @param buckets how many slices the window is cut into, an integer >= 1
   * @param kinds how many things are counted, each an index 0..kinds-1
   * @param now the clock's reading at creation (monotonic ms)
   */
  constructor(
    windowMs: number,
    private readonly buckets: number,
    private readonly kinds: number,
    now: number,
  ) {
    if (!(windowMs > 0 && Number.isFinite(windowMs))) throw new RangeError(`windowMs must be a positive number, not ${windowMs}`);
    if (!(Number.isInteger(buckets) && buckets >= 1)) throw new RangeError(`buckets must be an integer >= 1, not ${buckets}`);
    this.bucketMs = windowMs / buckets;
    this.counts = new Float64Array(buckets * kinds);
    this.totals = new Float64Array(kinds);
    this.head = Math.floor(now / this.bucketMs);
  }

  /** Counts one event of `kind` at `now`. */
  add(kind: number, now: number): void {
    this.advance(now);
    this.counts[this.slotOf(this.head) * this.kinds + kind]! += 1;
    this.totals[kind]! += 1;
  }

  /** Events of `kind` in the window ending at `now`. */
  total(kind: number, now: number): number {
    this.advance(now);
    return this.totals[kind]!;
  }

  /** Forgets every event. */
  clear(): void {
    this.counts.fill(0);
    this.totals.fill(0);
  }

  /** Clears the buckets time has moved past. A clock that steps back counts into the newest bucket. */
  private advance(now: number): void {
    const bucket = Math.floor(now / this.bucketMs);
    if (bucket <= this.head) return;
    const stale = Math.min(bucket - this.head, this.buckets);
    for (let step = 1; step <= stale; step++) {
      const base = this.slotOf(this.head + step) * this.kinds;
      for (let kind = 0; kind < this.kinds; kind++) {
        this.totals[kind]! -= this.counts[base + kind]!;
        this.counts[base + kind] = 0;
      }
    }
    this.head = bucket;
  }

  private slotOf(bucket: number): number {
    const slot = bucket % this.buckets;
    return slot < 0 ? slot + this.buckets : slot;
  }
}
