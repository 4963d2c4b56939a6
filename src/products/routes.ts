// GET /products/{id} and GET /products?offset=&limit=: served from the cache of encoded
// responses; a miss goes to the store once per key (singleflight), a 404 is cached too.
import type { CacheEntry, Loaded, TtlCache } from '../cache/ttl-cache.js';
import type { CacheStatus, RequestContext } from '../http/context.js';
import { badRequest } from '../http/http-error.js';
import { intParam, parseQuery } from '../http/query.js';
import { encodeJson, encodeProblem, sendEncoded, type Encoded } from '../http/respond.js';
import type { Router } from '../http/router.js';
import type { ProductStore } from './store.js';

export const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 20;
const MAX_OFFSET = 999_999_999_999_999;
/** Decimal digits only: no sign, no junk, at most 15 digits (always a safe integer). */
const PRODUCT_ID = /^[0-9]{1,15}$/;

export interface ProductRoutesDeps {
  readonly cache: TtlCache<Encoded>;
  readonly store: ProductStore;
  /** TTL of a cached 404. */
  readonly negativeTtlMs: number;
}

export function registerProductRoutes(router: Router, deps: ProductRoutesDeps): void {
  const { cache, store, negativeTtlMs } = deps;

  const send = (ctx: RequestContext, entry: CacheEntry<Encoded>, status: CacheStatus): void => {
    ctx.cache = status;
    const maxAge = Math.floor(cache.ttlLeft(entry) / 1000);
    sendEncoded(ctx, entry.value, ['x-cache', status, 'cache-control', 'public, max-age=' + maxAge]);
  };

  /** Answers from the cache; false on a miss. No closure is made on this path. */
  const serveHit = (ctx: RequestContext, key: string): boolean => {
    const hit = cache.get(key);
    if (hit === undefined) return false;
    send(ctx, hit, 'HIT');
    return true;
  };

  /** One shared load per key (singleflight), then the answer. */
  const serveMiss = (ctx: RequestContext, key: string, loader: () => Promise<Loaded<Encoded>>): Promise<void> =>
    cache.load(key, loader).then((entry) => send(ctx, entry, 'MISS'));

  const loadProduct = async (id: number): Promise<Loaded<Encoded>> => {
    const product = await store.get(id);
    if (product === undefined) {
      return { value: encodeProblem(404, `product ${id} does not exist`), ttlMs: negativeTtlMs };
    }
    return { value: encodeJson(200, product) };
  };

  const loadPage = async (offset: number, limit: number): Promise<Loaded<Encoded>> => {
    const page = await store.list(offset, limit);
    const next = offset + page.items.length;
    return {
      value: encodeJson(200, {
        items: page.items,
        total: page.total,
        offset,
        limit,
        nextOffset: next < page.total ? next : null,
      }),
    };
  };

  router.add('GET', '/products/{id}', (ctx) => {
    const raw = ctx.params[0] ?? '';
    if (!PRODUCT_ID.test(raw)) {
      throw badRequest(`product id must be 1 to 15 decimal digits, got "${raw.slice(0, 32)}"`);
    }
    // "007" and "7" are one product and one cache entry.
    const key = raw.length > 1 && raw.charCodeAt(0) === 48 /* 0 */ ? String(Number(raw)) : raw;
    if (serveHit(ctx, key)) return;
    return serveMiss(ctx, key, () => loadProduct(Number(key)));
  });

  router.add('GET', '/products', (ctx) => {
    const query = parseQuery(ctx.rawQuery);
    const offset = intParam(query, 'offset', 0, 0, MAX_OFFSET);
    const limit = intParam(query, 'limit', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    const key = `list:${offset}:${limit}`;
    if (serveHit(ctx, key)) return;
    return serveMiss(ctx, key, () => loadPage(offset, limit));
  });
}
