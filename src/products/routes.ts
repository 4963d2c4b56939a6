// GET /products/{id} and GET /products?offset=&limit=: served from the cache of encoded
// responses; a miss goes to the store once per key (singleflight), a 404 is cached too.
// A request that gives up on a miss (its deadline, its client gone) leaves the shared
// load; the store call is aborted when no request waits on it any more.
import type { CacheEntry, Loaded, TtlCache } from '../cache/ttl-cache.js';
import type { CacheStatus, RequestContext } from '../http/context.js';
import { badRequest } from '../http/http-error.js';
import { encodeProblem, encodeStoredJson, type Encoded } from '../http/encoded.js';
import { intParam, type QueryParser } from '../http/query.js';
import type { Responder } from '../http/responder.js';
import type { Router } from '../http/router.js';
import type { Product } from './catalog.js';
import { STORE_UPSTREAM, type ProductStore } from './store.js';

const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 20;
const MAX_OFFSET = 999_999_999_999_999;
/** Decimal digits only: no sign, no junk, at most 15 digits (always a safe integer). */
const PRODUCT_ID = /^[0-9]{1,15}$/;

export interface ProductRoutesDeps {
  readonly cache: TtlCache<Encoded>;
  readonly store: ProductStore;
  /** TTL of a cached 404. */
  readonly negativeTtlMs: number;
  readonly respond: Responder;
  readonly queries: QueryParser;
}

export function registerProductRoutes(router: Router, deps: ProductRoutesDeps): void {
  const { cache, store, negativeTtlMs, respond, queries } = deps;

  const send = (ctx: RequestContext, entry: CacheEntry<Encoded>, status: CacheStatus): void | Promise<void> => {
    ctx.cache = status;
    const maxAge = Math.floor(cache.ttlLeft(entry) / 1000);
    return respond.encoded(ctx, entry.value, ['x-cache', status, 'cache-control', 'public, max-age=' + maxAge]);
  };

  /** One shared load per key however many requests miss it together (singleflight). */
  const serveMiss = (ctx: RequestContext, key: string, loader: (signal: AbortSignal) => Promise<Loaded<Encoded>>): Promise<void> => {
    ctx.upstream = STORE_UPSTREAM;
    return cache.load(key, loader, ctx.signal).then((entry) => {
      ctx.upstream = '';
      return send(ctx, entry, 'MISS');
    });
  };

  const loadProduct = async (id: number, signal: AbortSignal): Promise<Loaded<Encoded>> => {
    const product = await store.get(id, signal);
    if (product === undefined) {
      return { value: encodeProblem(404, `product ${id} does not exist`), ttlMs: negativeTtlMs };
    }
    return { value: encodeStoredJson(product, Date.parse(product.updatedAt)) };
  };

  const loadPage = async (offset: number, limit: number, signal: AbortSignal): Promise<Loaded<Encoded>> => {
    const page = await store.list(offset, limit, signal);
    const next = offset + page.items.length;
    return {
      value: encodeStoredJson(
        { items: page.items, total: page.total, offset, limit, nextOffset: next < page.total ? next : null },
        lastUpdate(page.items),
      ),
    };
  };

  router.add('GET', '/products/{id}', (ctx) => {
    const raw = ctx.params[0] ?? '';
    if (!PRODUCT_ID.test(raw)) {
      throw badRequest(`product id must be 1 to 15 decimal digits, got "${raw.slice(0, 32)}"`);
    }
    // "007" and "7" are one product and one cache entry.
    const key = raw.length > 1 && raw.charCodeAt(0) === 48 /* 0 */ ? String(Number(raw)) : raw;
    // A hit makes no loader closure.
    const hit = cache.get(key);
    if (hit !== undefined) return send(ctx, hit, 'HIT');
    return serveMiss(ctx, key, (signal) => loadProduct(Number(key), signal));
  });

  router.add('GET', '/products', (ctx) => {
    const query = queries.parse(ctx.rawQuery);
    const offset = intParam(query, 'offset', 0, 0, MAX_OFFSET);
    const limit = intParam(query, 'limit', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    const key = `list:${offset}:${limit}`;
    const hit = cache.get(key);
    if (hit !== undefined) return send(ctx, hit, 'HIT');
    return serveMiss(ctx, key, (signal) => loadPage(offset, limit, signal));
  });
}

/** A page changes when any product on it does. (An empty page: the epoch.) */
function lastUpdate(items: readonly Product[]): number {
  let latest = 0;
  for (const item of items) latest = Math.max(latest, Date.parse(item.updatedAt));
  return latest;
}
