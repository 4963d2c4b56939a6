// Latency histogram in microseconds with log-linear buckets: exact below 1024 us, then
// 512 buckets per power of two (relative error under 0.2%) up to ~35 minutes. Mergeable
// across worker threads, so percentiles are computed over every sample, not averaged.

const LINEAR = 1024;
const SUB = 512;
const BUCKETS = LINEAR + 22 * SUB;

function bucketOf(us: number): number {
  const v = Math.max(0, Math.min(Math.round(us), 2 ** 31 - 1));
  if (v < LINEAR) return v;
  const shift = 31 - Math.clz32(v) - 9; // v >>> shift lands in [512, 1023]
  return LINEAR + (shift - 1) * SUB + ((v >>> shift) - SUB);
}

/** The lowest value that falls in a bucket. */
function lowerBound(index: number): number {
  if (index < LINEAR) return index;
  const shift = Math.floor((index - LINEAR) / SUB) + 1;
  return ((index - LINEAR) % SUB + SUB) * 2 ** shift;
}

export interface LatencySummary {
  /** All in milliseconds. */
  readonly avg: number;
  readonly stdev: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  /** Share of samples within avg +/- stdev, in percent (wrk's "+/- Stdev"). */
  readonly withinStdevPct: number;
}

export class LatencyHistogram {
  readonly counts: Float64Array;
  count = 0;
  sum = 0;
  sumSquares = 0;
  min = Infinity;
  max = 0;

  constructor(counts?: Float64Array) {
    this.counts = counts ?? new Float64Array(BUCKETS);
  }

  record(us: number): void {
    this.counts[bucketOf(us)]!++; // bucketOf clamps to the buckets
    this.count++;
    this.sum += us;
    this.sumSquares += us * us;
    if (us < this.min) this.min = us;
    if (us > this.max) this.max = us;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i] ?? 0;
    this.count += other.count;
    this.sum += other.sum;
    this.sumSquares += other.sumSquares;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** The smallest recorded value (to bucket precision) at or below which a share q of samples lie. */
  percentileUs(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const [i, inBucket] of this.counts.entries()) {
      seen += inBucket;
      if (seen >= rank) return Math.min(Math.max(lowerBound(i), this.min), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    if (this.count === 0) {
      return { avg: 0, stdev: 0, min: 0, max: 0, p50: 0, p90: 0, p99: 0, p999: 0, withinStdevPct: 0 };
    }
    const mean = this.sum / this.count;
    const stdev = Math.sqrt(Math.max(0, this.sumSquares / this.count - mean * mean));
    let within = 0;
    for (const [i, inBucket] of this.counts.entries()) {
      const value = lowerBound(i);
      if (value >= mean - stdev && value <= mean + stdev) within += inBucket;
    }
    const ms = (us: number): number => Math.round(us) / 1000;
    return {
      avg: ms(mean),
      stdev: ms(stdev),
      min: ms(this.min),
      max: ms(this.max),
      p50: ms(this.percentileUs(0.5)),
      p90: ms(this.percentileUs(0.9)),
      p99: ms(this.percentileUs(0.99)),
      p999: ms(this.percentileUs(0.999)),
      withinStdevPct: Math.round((within / this.count) * 10000) / 100,
    };
  }
}
