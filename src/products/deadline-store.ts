// A ProductStore decorator that bounds every call: a store that hangs must not hang the
// requests waiting on it (nor, through singleflight, every later request for that key).
// A late call fails with 504; the cache does not keep failures, so the next request retries.
import { HttpError } from '../http/http-error.js';
import type { ProductPage, ProductStore } from './store.js';
import type { Product } from './catalog.js';

export class DeadlineStore implements ProductStore {
  constructor(
    private readonly inner: ProductStore & { readonly calls?: number },
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.inner.size;
  }

  get calls(): number {
    return this.inner.calls ?? 0;
  }

  get(id: number): Promise<Product | undefined> {
    return this.bounded(this.inner.get(id));
  }

  list(offset: number, limit: number): Promise<ProductPage> {
    return this.bounded(this.inner.list(offset, limit));
  }

  private bounded<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new HttpError(504, `the product store did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
