// One token bucket per client key: `burst` tokens at most, refilled at `ratePerSecond`,
// one taken per request. The store is bounded: at `maxClients` a new client makes room
// by dropping a bucket near the sweep hand (a full one if any of the next few is full,
// else the first: the dropped client starts over with a full bucket), so a flood of
// distinct addresses costs memory up to the cap and is never refused for it. A bucket
// that has refilled completely says nothing a new one would not, so the sweep drops it;
// each tick looks at a bounded batch, resuming where the last one stopped (a Map
// iterator stays valid while entries come and go).
import { performance } from 'node:perf_hooks';

export interface TokenBucketOptions {
  readonly ratePerSecond: number;
  /** Bucket size, at least 1. */
  readonly burst: number;
  readonly maxClients: number;
  /** Interval of the sweep; 0 = no timer (call sweep() yourself). */
  readonly sweepMs: number;
  /** Buckets looked at per sweep tick. */
  readonly sweepBatch?: number;
  /** Monotonic ms; injectable so refill tests need not sleep. */
  readonly now?: () => number;
}

export interface RateLimitStats {
  /** Requests refused with 429. */
  readonly limited: number;
  /** Clients with a bucket now. */
  readonly clients: number;
  /** Buckets dropped to make room at RATE_LIMIT_MAX_CLIENTS. */
  readonly evictions: number;
}

class Bucket {
  constructor(
    public tokens: number,
    /** When `tokens` was computed (monotonic ms). */
    public updated: number,
  ) {}
}

/** Buckets looked at for a full one before dropping the first seen. */
const EVICT_SCAN = 8;
const SWEEP_BATCH = 10_000;

export class TokenBuckets {
  private readonly map = new Map<string, Bucket>();
  private hand: Iterator<[string, Bucket]>;
  private readonly perMs: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | undefined;
  private limited = 0;
  private evictions = 0;
  /** After take(): whole tokens left (0 when refused). A field, so take() allocates nothing. */
  remaining = 0;
  /** After take(): ms until the next whole token. */
  waitMs = 0;

  constructor(private readonly options: TokenBucketOptions) {
    this.perMs = options.ratePerSecond / 1000;
    this.now = options.now ?? (() => performance.now());
    this.hand = this.map.entries();
    if (options.sweepMs > 0) {
      this.timer = setInterval(() => this.sweep(), options.sweepMs);
      this.timer.unref();
    }
  }

  get size(): number {
    return this.map.size;
  }

  /** Takes a token for `key`: true if there was one. remaining and waitMs describe the bucket after. */
  take(key: string): boolean {
    const now = this.now();
    const burst = this.options.burst;
    let bucket = this.map.get(key);
    let tokens: number;
    if (bucket === undefined) {
      if (this.map.size >= this.options.maxClients) this.evictOne(now);
      bucket = new Bucket(burst, now);
      this.map.set(key, bucket);
      tokens = burst;
    } else {
      tokens = bucket.tokens + (now - bucket.updated) * this.perMs;
      if (tokens > burst) tokens = burst;
    }
    bucket.updated = now;
    if (tokens >= 1) {
      tokens -= 1;
      bucket.tokens = tokens;
      const whole = Math.floor(tokens);
      this.remaining = whole;
      this.waitMs = (whole + 1 - tokens) / this.perMs;
      return true;
    }
    bucket.tokens = tokens;
    this.remaining = 0;
    this.waitMs = (1 - tokens) / this.perMs;
    this.limited++;
    return false;
  }

  /** Drops up to `batch` buckets' worth of full ones, from where the last sweep stopped;
   *  returns how many buckets it looked at. */
  sweep(batch: number = this.options.sweepBatch ?? SWEEP_BATCH): number {
    const now = this.now();
    let seen = 0;
    while (seen < batch) {
      const next = this.hand.next();
      if (next.done === true) {
        this.hand = this.map.entries();
        break; // one pass at most per tick
      }
      seen++;
      const [key, bucket] = next.value;
      if (this.isFull(bucket, now)) this.map.delete(key);
    }
    return seen;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  stats(): RateLimitStats {
    return { limited: this.limited, clients: this.map.size, evictions: this.evictions };
  }

  private isFull(bucket: Bucket, now: number): boolean {
    return bucket.tokens + (now - bucket.updated) * this.perMs >= this.options.burst;
  }

  private evictOne(now: number): void {
    let first: string | undefined;
    for (let looked = 0; looked < EVICT_SCAN; ) {
      const next = this.hand.next();
      if (next.done === true) {
        this.hand = this.map.entries();
        if (this.map.size === 0) return;
        continue;
      }
      looked++;
      const [key, bucket] = next.value;
      if (this.isFull(bucket, now)) {
        this.map.delete(key);
        this.evictions++;
        return;
      }
      first ??= key;
    }
    if (first !== undefined) {
      this.map.delete(first);
      this.evictions++;
    }
  }
}
