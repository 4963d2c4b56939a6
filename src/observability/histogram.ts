// A fixed-bucket histogram: observe() is a short linear scan and two additions, no
// allocation. Percentiles are interpolated within the bucket that holds them.

/** Upper bounds in milliseconds; the last bucket (index = bounds.length) is overflow. */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000,
];

/** A histogram as plain data, for sending to another process. */
export interface HistogramData {
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
  readonly max: number;
}

export class Histogram {
  readonly counts: Float64Array;
  count = 0;
  sum = 0;
  max = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BOUNDS_MS) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    // counts has a bucket past the last bound.
    this.counts[i]!++;
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  /** Adds another histogram's data (same bounds): how workers' latencies are merged. */
  merge(other: HistogramData): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i] ?? 0;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** Plain data for IPC or JSON. */
  data(): HistogramData {
    return { counts: Array.from(this.counts), count: this.count, sum: this.sum, max: this.max };
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** The q-quantile (0 < q <= 1), linear within its bucket; the overflow bucket reports max. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = q * this.count;
    let seen = 0;
    for (const [i, inBucket] of this.counts.entries()) {
      if (inBucket === 0 || seen + inBucket < rank) {
        seen += inBucket;
        continue;
      }
      const bound = this.bounds[i];
      if (bound === undefined) return this.max; // the overflow bucket
      const lower = this.bounds[i - 1] ?? 0;
      const upper = Math.min(bound, this.max);
      return lower + (Math.max(upper, lower) - lower) * ((rank - seen) / inBucket);
    }
    return this.max;
  }
}
