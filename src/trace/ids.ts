// Trace and span ids (W3C Trace Context: 16 and 8 random bytes as lowercase hex, never
// all zero). Made on every traced request, so the randomness is drawn in bulk: one
// crypto.randomFillSync fills a pool, the whole pool is hex-encoded once (natively), and
// each id is a slice of that string, which V8 keeps as a view on it, not a copy.

import { randomFillSync } from 'node:crypto';

// A fill costs tens of microseconds however small it is (in a busy server, far more
// than its bytes), so the pool is large: one fill per some 2700 traced requests.
const POOL_BYTES = 65_536;

/** Hands out ids from a pool of random bytes; `fill` is injectable for tests. */
export class IdPool {
  private readonly pool = Buffer.allocUnsafe(POOL_BYTES);
  /** pool as lowercase hex, two characters a byte. */
  private hex = '';
  /** The next unused byte of pool; POOL_BYTES forces a fill on first use. */
  private next = POOL_BYTES;

  constructor(private readonly fill: (pool: Buffer) => void = randomFillSync) {}

  /** 32 lowercase hex digits, not all zero. */
  traceId(): string {
    let start = this.take(16);
    // All zero means "invalid" to every reader; with 2^-128 odds, drawing again is free.
    while (this.allZero(start, 16)) start = this.take(16);
    return this.hex.slice(start * 2, start * 2 + 32);
  }

  /** 16 lowercase hex digits, not all zero. */
  spanId(): string {
    let start = this.take(8);
    while (this.allZero(start, 8)) start = this.take(8);
    return this.hex.slice(start * 2, start * 2 + 16);
  }

  /** The offset of `bytes` unused random bytes, filling the pool again when it runs out. */
  private take(bytes: number): number {
    if (this.next + bytes > POOL_BYTES) {
      this.fill(this.pool);
      this.hex = this.pool.toString('hex');
      this.next = 0;
    }
    const start = this.next;
    this.next += bytes;
    return start;
  }

  private allZero(start: number, bytes: number): boolean {
    const pool = this.pool;
    for (let i = start; i < start + bytes; i++) if (pool[i] !== 0) return false;
    return true;
  }
}

const shared = new IdPool();

/** A random trace id: 32 lowercase hex digits, not all zero. */
export function newTraceId(): string {
  return shared.traceId();
}

/** A random span id: 16 lowercase hex digits, not all zero. */
export function newSpanId(): string {
  return shared.spanId();
}
