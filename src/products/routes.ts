// GET /products/{id} and GET /products?offset=&limit=: served from the cache of encoded
// responses; a miss goes to the store once per key (singleflight), a 404 is cached too.
// A request that gives up on a miss (its deadline, its client gone) leaves the shared
// load; the store call is aborted when no request waits on it any more. When the store
// fails, an entry expired less than STALE_IF_ERROR_MS ago is served with X-Cache: STALE.
// With a shared cache (REDIS_URL) a miss asks it before the store (X-Cache: HIT-L2), and
// DELETE /products/{id}/cache drops a product's entry here, in Redis and in every instance.
import type { CacheEntry, Loaded, Loader, TtlCache } from '../cache/ttl-cache.js';
import type { CacheStatus, RequestContext } from '../http/context.js';
import { encodeProblem, encodeStoredJson, NO_STORE, type Encoded } from '../http/encoded.js';
import { notFound } from '../http/http-error.js';
import type { Responder } from '../http/responder.js';
import type { Router } from '../http/router.js';
import { int, MAX_WHOLE } from '../http/validation/fields.js';
import { pathParams } from '../http/validation/path-params.js';
import { query } from '../http/validation/query-schema.js';
import type { Span } from '../trace/tracer.js';
import type { Product } from './catalog.js';
import type { SharedResponses } from './shared-responses.js';
import { isStoreFailure, STORE_UPSTREAM, type ProductStore } from './store.js';

/** 1 to 15 decimal digits: no sign, no junk, always a safe integer ("007" is 7). */
const productPath = pathParams('/products/{id}', { id: int({ max: MAX_WHOLE }) });
const productId = productPath.params.id;
const cachePath = pathParams('/products/{id}/cache', { id: int({ max: MAX_WHOLE }) });
const cachedId = cachePath.params.id;
const listQuery = query({
  offset: int({ max: MAX_WHOLE, default: 0 }),
  limit: int({ min: 1, max: 1000, default: 20 }),
});

/** Cache-Control values are kept for max-ages up to this (an hour); longer TTLs build theirs. */
const MAX_SHARED_MAX_AGE = 3600;

export interface ProductRoutesDeps {
  readonly cache: TtlCache<Encoded>;
  readonly store: ProductStore;
  /** TTL of a cached 404. */
  readonly negativeTtlMs: number;
  /** STALE_IF_ERROR_MS: told to downstream caches as Cache-Control stale-if-error (0: not). */
  readonly staleIfErrorMs: number;
  readonly respond: Responder;
  /** The second level (Redis); absent: the process cache only. */
  readonly shared?: SharedResponses;
  /** Who may invalidate (the /debug rules); absent: no DELETE /products/{id}/cache route. */
  readonly mayInvalidate?: (ctx: RequestContext) => boolean;
}

export function registerProductRoutes(router: Router, deps: ProductRoutesDeps): void {
  const { cache, store, negativeTtlMs, respond, shared } = deps;
  // RFC 5861: caches between us and the client may serve a copy this long past max-age
  // when they cannot reach us, as we do with the store.
  const staleDirective = deps.staleIfErrorMs >= 1000 ? `, stale-if-error=${Math.floor(deps.staleIfErrorMs / 1000)}` : '';
  // One Cache-Control value per max-age, made once: a hit builds no string.
  const cacheControls: string[] = [];
  const cacheControl = (maxAge: number): string => {
    if (maxAge > MAX_SHARED_MAX_AGE) return 'public, max-age=' + maxAge + staleDirective;
    return (cacheControls[maxAge] ??= 'public, max-age=' + maxAge + staleDirective);
  };

  const send = (ctx: RequestContext, entry: CacheEntry<Encoded>, status: CacheStatus): void | Promise<void> => {
    ctx.cache = status;
    const maxAge = Math.floor(cache.ttlLeft(entry) / 1000);
    return respond.encoded(ctx, entry.value, ['x-cache', status, 'cache-control', cacheControl(maxAge)]);
  };

  /** A miss: Redis's copy when there is one, else the store. */
  const serveMiss = (ctx: RequestContext, key: string, fromStore: (signal: AbortSignal) => Promise<Loaded<Encoded>>): void | Promise<void> => {
    if (shared === undefined) return serveFromStore(ctx, key, fromStore);
    const mark = cache.openRead();
    return shared.read(key, ctx.span).then((hit) => {
      if (hit === undefined) {
        cache.endRead();
        return serveFromStore(ctx, key, (signal, ticket) => shared.fromStore(key, signal, ticket, fromStore, ctx.span));
      }
      return send(ctx, cache.closeRead(key, mark, hit.value, hit.ttlMs), 'HIT-L2');
    });
  };

  /** One shared load per key however many requests miss it together (singleflight). */
  const serveFromStore = (ctx: RequestContext, key: string, loader: Loader<Encoded>): Promise<void> => {
    ctx.upstream = STORE_UPSTREAM;
    return cache.load(key, loader, ctx.signal).then(
      (entry) => {
        ctx.upstream = '';
        return send(ctx, entry, 'MISS');
      },
      (error: unknown) => {
        ctx.upstream = '';
        // Stale-if-error: the store failed, but an expired copy may still be served.
        const stale = !ctx.done && isStoreFailure(error) ? cache.stale(key) : undefined;
        if (stale === undefined) throw error;
        return send(ctx, stale, 'STALE');
      },
    );
  };

  // The span is the request's whose loader runs (the singleflight's leader): the store
  // call is in its trace, and the requests that share the load wait inside their own spans.
  const loadProduct = async (id: number, signal: AbortSignal, span: Span | undefined): Promise<Loaded<Encoded>> => {
    const product = await store.get(id, signal, span);
    if (product === undefined) {
      return { value: encodeProblem(404, `product ${id} does not exist`), ttlMs: negativeTtlMs };
    }
    return { value: encodeStoredJson(product, Date.parse(product.updatedAt)) };
  };

  const loadPage = async (offset: number, limit: number, signal: AbortSignal, span: Span | undefined): Promise<Loaded<Encoded>> => {
    const page = await store.list(offset, limit, signal, span);
    const next = offset + page.items.length;
    return {
      value: encodeStoredJson(
        { items: page.items, total: page.total, offset, limit, nextOffset: next < page.total ? next : null },
        lastUpdate(page.items),
      ),
    };
  };

  router.add('GET', productPath.pattern, (ctx) => {
    const id = productId.read(ctx);
    const key = productKey(id, productId.text(ctx));
    // A hit makes no loader closure.
    const hit = cache.get(key);
    if (hit !== undefined) return send(ctx, hit, 'HIT');
    return serveMiss(ctx, key, (signal) => loadProduct(id, signal, ctx.span));
  });

  router.add('GET', '/products', (ctx) => {
    const { offset, limit } = listQuery.read(ctx.rawQuery);
    const key = `list:${offset}:${limit}`;
    const hit = cache.get(key);
    if (hit !== undefined) return send(ctx, hit, 'HIT');
    return serveMiss(ctx, key, (signal) => loadPage(offset, limit, signal, ctx.span));
  });

  const mayInvalidate = deps.mayInvalidate;
  if (mayInvalidate === undefined) return;
  router.add('DELETE', cachePath.pattern, async (ctx) => {
    // Before the id is read: a client that may not invalidate learns nothing, as on /debug.
    if (!mayInvalidate(ctx)) throw notFound();
    const key = productKey(cachedId.read(ctx), cachedId.text(ctx));
    cache.invalidate(key);
    if (shared !== undefined) {
      try {
        await shared.delete(key, ctx.span);
      } catch {
        return respond.problem(ctx, 503, 'dropped from this instance only: the shared cache (Redis) could not be reached, so other instances keep their copies until they expire', NO_STORE);
      }
    }
    return respond.empty(ctx, 204, NO_STORE);
  });
}

/** "007" and "7" are one product and one cache entry; the key is the text sent unless it
 *  has leading zeros, so a hit makes no string. */
function productKey(id: number, raw: string): string {
  return raw.length > 1 && raw.charCodeAt(0) === 48 /* 0 */ ? String(id) : raw;
}

/** A page changes when any product on it does. (An empty page: the epoch.) */
function lastUpdate(items: readonly Product[]): number {
  let latest = 0;
  for (const item of items) latest = Math.max(latest, Date.parse(item.updatedAt));
  return latest;
}
