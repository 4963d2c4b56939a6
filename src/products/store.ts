// The backing store behind the cache. Small and async so an upstream HTTP service or
// Redis can stand in later; the embedded one simulates a store's latency on a timer.
import { setTimeout as sleep } from 'node:timers/promises';
import { generateProduct, type Product } from './catalog.js';

export interface ProductPage {
  readonly items: readonly Product[];
  readonly total: number;
}

export interface ProductStore {
  /** The product, or undefined when no product has this id. */
  get(id: number): Promise<Product | undefined>;
  /** Products in id order starting at offset (0-based), at most limit of them. */
  list(offset: number, limit: number): Promise<ProductPage>;
  readonly size: number;
}

export class EmbeddedStore implements ProductStore {
  /** Backing calls made: what the cache is there to save. */
  calls = 0;

  constructor(
    readonly size: number,
    private readonly latencyMs: number,
  ) {}

  async get(id: number): Promise<Product | undefined> {
    await this.delay();
    return Number.isSafeInteger(id) && id >= 1 && id <= this.size ? generateProduct(id) : undefined;
  }

  async list(offset: number, limit: number): Promise<ProductPage> {
    await this.delay();
    const items: Product[] = [];
    const start = Math.max(0, offset);
    const end = Math.min(this.size, start + Math.max(0, limit));
    for (let id = start + 1; id <= end; id++) items.push(generateProduct(id));
    return { items, total: this.size };
  }

  private delay(): Promise<void> | undefined {
    this.calls++;
    return this.latencyMs > 0 ? sleep(this.latencyMs) : undefined;
  }
}
