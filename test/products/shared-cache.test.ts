// The shared (L2) cache end to end, over a real redis-server: two real server processes
// sharing it (a product and a compressed variant made on one served by the other without
// its store or its compressor; an invalidation through one dropping the other's copy),
// then in-process apps for the DELETE route's access rules, no process cache, hostile
// values under our prefix, two prefixes on one Redis, and no Redis at all.
// (Redis dying or hanging under load: shared-cache-outage.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { RedisClient } from '../../src/cache/redis/redis-client.js';
import type { Config } from '../../src/config.js';
import type { Product } from '../../src/products/catalog.js';
import { freePort } from '../../scripts/bench/run-target.js';
import { startServer, type Child } from '../helpers/child.js';
import { eventually, eventuallyAsync, request, startApp, type Reply, type TestApp } from '../helpers/http.js';
import { assertInvalid } from '../helpers/problem.js';
import { SKIP_WITHOUT_REDIS, startRedis, type TestRedis } from '../helpers/redis.js';
import { blobHeader, metricsOf, redisClient, redisKey, redisStats, untilTracking } from '../helpers/shared-cache.js';

const TOKEN = 'shared-cache-test-token';

/** What a client sees of a reply, but for the headers that differ on every one. */
function visible(reply: Reply): { status: number; headers: Record<string, unknown>; body: string } {
  const { 'x-request-id': _id, date: _date, ...headers } = reply.headers;
  return { status: reply.status, headers, body: reply.text };
}

/** X-Cache of `times` GETs of path, one after the other. */
async function xCacheOf(port: number, path: string, times: number): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (let i = 0; i < times; i++) seen.push((await request(port, path)).headers['x-cache']);
  return seen;
}

describe('two server processes sharing one Redis', { skip: SKIP_WITHOUT_REDIS, timeout: 20_000 }, () => {
  let redis: TestRedis;
  let a: { child: Child; port: number };
  let b: { child: Child; port: number };
  let direct: RedisClient;
  before(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url };
    [a, b] = await Promise.all([startServer([], env), startServer([], env)]);
    direct = redisClient(redis.url);
    // Invalidations reach an instance only once its CLIENT TRACKING is on.
    await Promise.all([untilTracking(a.port), untilTracking(b.port)]);
  });
  after(async () => {
    a?.child.kill('SIGKILL');
    b?.child.kill('SIGKILL');
    await direct?.close();
    await redis?.stop();
  });

  test("a product fetched through A is HIT-L2 through B without B's store; A's gzip variant is served by B uncompressed by B", async () => {
    const pushed = (await redisStats(b.port)).invalidations;
    const viaA = await request(a.port, '/products/1');
    assert.equal(viaA.status, 200);
    assert.equal(viaA.headers['x-cache'], 'MISS');
    // Redis tells B of A's write: had B read the key before that push arrived, the push
    // would drop B's fresh copy (a second HIT-L2 instead of a HIT).
    await eventuallyAsync(async () => (await redisStats(b.port)).invalidations > pushed, "the push of A's write to B");
    const viaB = await request(b.port, '/products/1');
    assert.equal(viaB.status, 200);
    assert.equal(viaB.headers['x-cache'], 'HIT-L2');
    assert.deepEqual(viaB.body, viaA.body);
    assert.equal(viaB.headers.etag, viaA.headers.etag);
    assert.equal(viaB.json<Product>().id, 1);
    const m = await metricsOf(b.port);
    assert.equal(m.cache.storeCalls, 0, "B's store was not asked");
    assert.equal(m.redis?.hits, 1);
    // Served from B's process cache from now on.
    assert.equal((await request(b.port, '/products/1')).headers['x-cache'], 'HIT');

    const page = '/products?offset=0&limit=50';
    const gzip = { 'accept-encoding': 'gzip' };
    const pageA = await request(a.port, page, { headers: gzip });
    assert.equal(pageA.headers['x-cache'], 'MISS');
    assert.equal(pageA.headers['content-encoding'], 'gzip');
    // The variant is written back after A answered.
    await eventuallyAsync(async () => blobHeader(await direct.send(['GET', redisKey('list:0:50')])).includes('\tgzip:'), "A's gzip variant in Redis");
    const pageB = await request(b.port, page, { headers: gzip });
    assert.equal(pageB.status, 200);
    assert.equal(pageB.headers['x-cache'], 'HIT-L2');
    assert.equal(pageB.headers['content-encoding'], 'gzip');
    assert.equal(pageB.headers.etag, pageA.headers.etag);
    assert.deepEqual(gunzipSync(pageB.body), gunzipSync(pageA.body));
    const later = await metricsOf(b.port);
    assert.equal(later.compression.variants, 0, 'B compressed nothing');
    assert.equal(later.cache.storeCalls, 0);
  });

  test("DELETE /products/{id}/cache through A drops B's process-cache copy (Redis tells B)", async () => {
    const first = await request(b.port, '/products/2');
    assert.equal(first.headers['x-cache'], 'MISS');
    assert.equal((await request(b.port, '/products/2')).headers['x-cache'], 'HIT');
    const pushed = (await redisStats(b.port)).invalidations;
    const deleted = await request(a.port, '/products/2/cache', { method: 'DELETE' });
    assert.equal(deleted.status, 204, deleted.text);
    await eventuallyAsync(async () => (await redisStats(b.port)).invalidations > pushed, "the push of the DELETE to B");
    const next = await request(b.port, '/products/2');
    assert.equal(next.status, 200);
    // Not in B's process cache, and not in Redis either.
    assert.equal(next.headers['x-cache'], 'MISS');
    assert.deepEqual(next.body, first.body);
  });
});

describe('the shared cache in process', { skip: SKIP_WITHOUT_REDIS, timeout: 20_000 }, () => {
  let redis: TestRedis;
  let direct: RedisClient;
  const apps: TestApp[] = [];
  /** An app closed after these tests; with the live Redis, once its connection tracks invalidations. */
  async function app(overrides: Partial<Config>, options: Parameters<typeof startApp>[1] = {}): Promise<TestApp> {
    const made = await startApp(overrides, options);
    apps.push(made);
    const shared = made.app.shared;
    if (overrides.redisUrl === redis.url && shared !== undefined) await eventually(() => shared.stats().tracking, 'CLIENT TRACKING on');
    return made;
  }
  before(async () => {
    redis = await startRedis();
    direct = redisClient(redis.url);
  });
  after(async () => {
    await Promise.all(apps.map((made) => made.close()));
    await direct?.close();
    await redis?.stop();
  });

  test('DELETE /products/{id}/cache: the /debug door, 400 for bad ids, 503 when Redis is unreachable', async () => {
    const remote = await app({ redisUrl: redis.url, debugToken: TOKEN }, { isLocalClient: () => false });
    const unknown = visible(await request(remote.port, '/nope', { method: 'DELETE' }));
    assert.equal(unknown.status, 404);
    assert.deepEqual(visible(await request(remote.port, '/products/1/cache', { method: 'DELETE' })), unknown, 'no token: as an unknown path');
    assert.deepEqual(visible(await request(remote.port, '/products/abc/cache', { method: 'DELETE' })), unknown, 'no token: not even the id is read');
    const bearer = { authorization: `Bearer ${TOKEN}` };
    assert.equal((await request(remote.port, '/products/1/cache', { method: 'DELETE', headers: bearer })).status, 204);
    for (const id of ['abc', '-1', '1234567890123456']) {
      assertInvalid(await request(remote.port, `/products/${id}/cache`, { method: 'DELETE', headers: bearer }), 'path', 'id');
    }

    const off = await app({ redisUrl: redis.url, debugEndpoints: 'off' });
    assert.deepEqual(visible(await request(off.port, '/products/1/cache', { method: 'DELETE' })), visible(await request(off.port, '/nope', { method: 'DELETE' })), 'DEBUG_ENDPOINTS=off: no route');

    const unreachable = await app({ redisUrl: `redis://127.0.0.1:${await freePort()}` });
    assert.equal((await request(unreachable.port, '/products/3')).headers['x-cache'], 'MISS');
    assert.equal((await request(unreachable.port, '/products/3')).headers['x-cache'], 'HIT');
    const refused = await request(unreachable.port, '/products/3/cache', { method: 'DELETE' });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.headers['content-type'], 'application/problem+json');
    assert.match(refused.json<{ detail: string }>().detail, /shared cache \(Redis\) could not be reached/);
    assert.equal((await request(unreachable.port, '/products/3')).headers['x-cache'], 'MISS', 'the process cache dropped it all the same');
  });

  test('CACHE_MAX_ENTRIES=0: every request after the first is HIT-L2; without Redis each is a MISS', async () => {
    const l2Only = await app({ redisUrl: redis.url, cacheMaxEntries: 0 });
    assert.deepEqual(await xCacheOf(l2Only.port, '/products/21', 3), ['MISS', 'HIT-L2', 'HIT-L2']);
    assert.equal(l2Only.app.store.calls, 1);

    const none = await app({ cacheMaxEntries: 0 });
    assert.deepEqual(await xCacheOf(none.port, '/products/21', 3), ['MISS', 'MISS', 'MISS']);
  });

  test('values under our prefix that are not ours are misses answered by the store, never a 5xx', async () => {
    const t = await app({ redisUrl: redis.url, cacheMaxEntries: 0 });
    // A blob of ours with one byte of its body cut off.
    assert.equal((await request(t.port, '/products/9')).headers['x-cache'], 'MISS');
    const blob = await direct.send(['GET', redisKey('9')]);
    assert.ok(Buffer.isBuffer(blob));
    assert.equal(await direct.send(['SET', redisKey('9'), blob.subarray(0, blob.length - 1), 'PX', 30_000]), 'OK');
    assert.equal(await direct.send(['SET', redisKey('7'), 'garbage', 'PX', 30_000]), 'OK');
    assert.equal(await direct.send(['HSET', redisKey('8'), 'field', 'value']), 1);
    const start = t.app.shared!.stats();
    for (const id of [7, 8, 9]) {
      const reply = await request(t.port, `/products/${id}`);
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.headers['x-cache'], 'MISS', `id ${id}`);
      assert.equal(reply.json<Product>().id, id);
    }
    const stats = t.app.shared!.stats();
    assert.equal(stats.invalid - start.invalid, 2, 'the garbage and the cut blob');
    assert.equal(stats.errors - start.errors, 1, 'WRONGTYPE');
    // The store's answers replaced them.
    for (const id of [7, 8, 9]) assert.equal((await request(t.port, `/products/${id}`)).headers['x-cache'], 'HIT-L2', `id ${id}`);
  });

  test('REDIS_KEY_PREFIX separates two deployments on one Redis', async () => {
    const blue = await app({ redisUrl: redis.url, cacheMaxEntries: 0, redisKeyPrefix: 'blue:' });
    const green = await app({ redisUrl: redis.url, cacheMaxEntries: 0, redisKeyPrefix: 'green:' });
    assert.equal((await request(blue.port, '/products/30')).headers['x-cache'], 'MISS');
    assert.equal((await request(blue.port, '/products/30')).headers['x-cache'], 'HIT-L2');
    assert.equal((await request(green.port, '/products/30')).headers['x-cache'], 'MISS', "blue's entry is not green's");
    assert.ok(Buffer.isBuffer(await direct.send(['GET', 'blue:1:30'])));
    assert.ok(Buffer.isBuffer(await direct.send(['GET', 'green:1:30'])));
    assert.equal(await direct.send(['EXISTS', redisKey('30')]), 0);
  });
});

test('without REDIS_URL: /metrics redis is null, no Redis families, no redis member in /readyz', async () => {
  const t = await startApp();
  try {
    assert.equal(t.app.shared, undefined);
    assert.equal((await metricsOf(t.port)).redis, null);
    const prometheus = (await request(t.port, '/metrics?format=prometheus')).text;
    assert.match(prometheus, /^turbina_cache_hits_total /m, 'the cache families are there');
    assert.doesNotMatch(prometheus, /turbina_redis_|turbina_cache_l2_/);
    const ready = await request(t.port, '/readyz');
    assert.equal(ready.status, 200);
    assert.equal('redis' in ready.json<Record<string, unknown>>(), false, ready.text);
  } finally {
    await t.close();
  }
});
