// A ProductStore decorator that bounds every call: a store that hangs must not hang the
// requests waiting on it (nor, through singleflight, every later request for that key).
// A late call fails with 504 and is aborted; the cache does not keep failures, so the
// next request retries. The caller's signal is passed on, and the call fails at once
// when it aborts, even if the store behind ignores its signal.
import { HttpError } from '../http/http-error.js';
import type { ProductPage, ProductStore } from './store.js';
import type { Product } from './catalog.js';

export class DeadlineStore implements ProductStore {
  constructor(
    private readonly inner: ProductStore & { readonly calls?: number },
    private readonly timeoutMs: number,
  ) {}

  get calls(): number {
    return this.inner.calls ?? 0;
  }

  get(id: number, signal?: AbortSignal): Promise<Product | undefined> {
    return this.bounded((bound) => this.inner.get(id, bound), signal);
  }

  list(offset: number, limit: number, signal?: AbortSignal): Promise<ProductPage> {
    return this.bounded((bound) => this.inner.list(offset, limit, bound), signal);
  }

  private bounded<T>(call: (signal: AbortSignal) => Promise<T>, outer: AbortSignal | undefined): Promise<T> {
    if (outer?.aborted === true) return Promise.reject(outer.reason);
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      const stop = (reason: unknown): void => {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onAbort);
        controller.abort(reason);
        reject(reason);
      };
      const onAbort = (): void => stop(outer?.reason);
      const timer = setTimeout(() => stop(new HttpError(504, `the product store did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      outer?.addEventListener('abort', onAbort, { once: true });
      const settled = (): void => {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onAbort);
      };
      const failed = (error: unknown): void => {
        settled();
        reject(error);
      };
      try {
        call(controller.signal).then((value) => {
          settled();
          resolve(value);
        }, failed);
      } catch (error) {
        failed(error); // a store that throws instead of rejecting
      }
    });
  }
}
