// The backing store behind the cache. Small and async so an upstream HTTP service or
// Redis can stand in later; the embedded one simulates a store's latency on a timer.
// A call takes an optional AbortSignal: when every request waiting on the call has given
// up, it is aborted, and a store should stop and reject (an AbortError) instead of
// finishing work nobody will read. It takes an optional span too, when the request is
// traced: the parent a store hangs its own spans on (a remote call's client span), so that
// they join the request's trace; a store that makes none ignores it.
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError } from '../http/http-error.js';
import type { Span } from '../trace/tracer.js';
import { generateProduct, type Product } from './catalog.js';

/** What a request waits on during a store call, as a request deadline's 504 names it (ctx.upstream). */
export const STORE_UPSTREAM = 'the product store';

/** A failure of the store itself (502, 503 or 504, as the resilient store answers them),
 *  not of the request: what stale-if-error may answer instead. */
export function isStoreFailure(error: unknown): boolean {
  return error instanceof HttpError && error.status >= 502 && error.status <= 504;
}

export interface ProductPage {
  readonly items: readonly Product[];
  readonly total: number;
}

export interface ProductStore {
  /** The product, or undefined when no product has this id. `span`: the parent of the
   *  call's own spans, absent when the request is not traced. */
  get(id: number, signal?: AbortSignal, span?: Span): Promise<Product | undefined>;
  /** Products in id order starting at offset (0-based), at most limit of them. */
  list(offset: number, limit: number, signal?: AbortSignal, span?: Span): Promise<ProductPage>;
}

export class EmbeddedStore implements ProductStore {
  /** Backing calls made: what the cache is there to save. */
  calls = 0;

  constructor(
    readonly size: number,
    private readonly latencyMs: number,
  ) {}

  async get(id: number, signal?: AbortSignal): Promise<Product | undefined> {
    await this.delay(signal);
    return Number.isSafeInteger(id) && id >= 1 && id <= this.size ? generateProduct(id) : undefined;
  }

  async list(offset: number, limit: number, signal?: AbortSignal): Promise<ProductPage> {
    await this.delay(signal);
    const items: Product[] = [];
    const start = Math.max(0, offset);
    const end = Math.min(this.size, start + Math.max(0, limit));
    for (let id = start + 1; id <= end; id++) items.push(generateProduct(id));
    return { items, total: this.size };
  }

  /** An abort clears the timer and rejects with an AbortError (its cause: the reason). */
  private delay(signal: AbortSignal | undefined): Promise<void> | undefined {
    this.calls++;
    return this.latencyMs > 0 ? sleep(this.latencyMs, undefined, { signal }) : undefined;
  }
}
