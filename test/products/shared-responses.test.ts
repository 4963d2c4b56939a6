// SharedResponses over a TtlCache and a RedisCache talking to a fake RESP3 server that can put
// an invalidation push in the same write as a GET's reply. The pitfall client-side caching
// libraries have hit: a value read just before another instance changed it must be served
// once but not kept in the process cache. Also: a store result read while invalidated is
// not written to Redis, pushes for keys outside the prefix are ignored, FLUSHALL clears the
// process cache, an undecodable value is counted and reloaded, and variants are written back;
// and the same pitfall through the real app (createApp with REDIS_URL): X-Cache stays HIT-L2.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { RedisCache } from '../../src/cache/redis/redis-cache.js';
import { TtlCache, type CacheEntry, type Loaded } from '../../src/cache/ttl-cache.js';
import { zlibCodings } from '../../src/compression/codings.js';
import { Compression } from '../../src/compression/compression.js';
import { encodeBlob } from '../../src/http/encoded-blob.js';
import { encodeStoredJson, measureEncoded, type Encoded } from '../../src/http/encoded.js';
import { Logger } from '../../src/log/logger.js';
import { SharedResponses } from '../../src/products/shared-responses.js';
import { bulk, FakeRedis, FLUSH_PUSH, invalidatePush } from '../helpers/fake-redis.js';
import { eventually, request, withApp } from '../helpers/http.js';

const PREFIX = 'turbina:1:';
const KEY = 'products/1';

/** Resolves once the server has answered everything sent before, and the client has read
 *  every push the server wrote before that answer (one connection keeps the order). */
async function roundTrip(redis: RedisCache): Promise<void> {
  await redis.delete('round-trip');
}

/** The product response another instance put in Redis. */
function sharedProduct(name: string): { encoded: Encoded; blob: Buffer } {
  const encoded = encodeStoredJson({ id: 1, name }, Date.now() - 60_000);
  return { encoded, blob: encodeBlob(encoded, Date.now() + 60_000) };
}

describe('SharedResponses over a fake RESP3 server', { timeout: 10_000 }, () => {
  const fake = new FakeRedis();
  const compression = new Compression({ minBytes: 0, gzipLevel: 5, upgrades: 0, upgradeBacklog: 8, requestJobs: 2 }, zlibCodings, () => assert.fail('no compression error expected'));
  let cache: TtlCache<Encoded>;
  let redis: RedisCache;
  let shared: SharedResponses;
  let storeCalls = 0;

  /** Resolved unless a test holds the store call open. */
  let storeGate: Promise<void> = Promise.resolve();
  const fromStore = async (): Promise<Loaded<Encoded>> => {
    storeCalls++;
    await storeGate;
    return { value: encodeStoredJson({ id: 1, name: 'from the store' }, Date.now()) };
  };
  /** The SETs the cache sent (not roundTrip's tombstones). */
  const sets = (): string[][] => fake.commands('SET').filter((args) => args[1] !== PREFIX + 'round-trip');
  /** What the product route does on a miss: Redis first (outside load()), then the shared load from the store. */
  const load = async (): Promise<{ entry: CacheEntry<Encoded>; fromRedis: boolean }> => {
    const mark = cache.openRead();
    const hit = await shared.read(KEY);
    if (hit !== undefined) return { entry: cache.closeRead(KEY, mark, hit.value, hit.ttlMs), fromRedis: true };
    cache.endRead();
    return { entry: await cache.load(KEY, (signal, ticket) => shared.fromStore(KEY, signal, ticket, fromStore)), fromRedis: false };
  };

  before(async () => {
    const port = await fake.listen();
    cache = new TtlCache<Encoded>({ ttlMs: 60_000, maxEntries: 100, maxBytes: 1 << 20, measure: measureEncoded, sweepMs: 0 });
    redis = new RedisCache({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: 'turbina:',
      timeoutMs: 1000,
      maxValueBytes: 1 << 20,
      onInvalidate: (key) => (key === null ? cache.clear() : cache.invalidate(key)),
      onReconnect: () => cache.shorten(1000),
      logger: new Logger('error', () => {}),
    });
    shared = new SharedResponses(redis, compression, 60_000);
    await eventually(() => redis.usable && redis.stats().tracking, 'the fake server to be tracked');
    assert.deepEqual(fake.commands('CLIENT')[0], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', PREFIX, 'NOLOOP']);
  });
  after(async () => {
    await redis.close();
    fake.close();
  });
  beforeEach(() => {
    cache.clear();
    fake.received.length = 0;
    storeCalls = 0;
  });

  test('a GET reply followed, in the same write, by an invalidation of its key: served once, not kept', async () => {
    const { encoded, blob } = sharedProduct('read just before the change');
    fake.answerGet = (key) => Buffer.concat([bulk(blob), invalidatePush(key)]);
    const { entry, fromRedis } = await load();
    assert.deepEqual(entry.value.body, encoded.body);
    assert.equal(fromRedis, true);
    assert.equal(entry.cached, false);
    assert.equal(storeCalls, 0);
    assert.equal(cache.get(KEY), undefined, 'the next request misses the process cache');
    assert.equal(redis.stats().invalidations, 1);

    // The same value without the push is kept.
    fake.answerGet = () => bulk(blob);
    const kept = (await load()).entry;
    assert.equal(kept.cached, true);
    assert.equal(cache.get(KEY), kept);
  });

  test('a miss, then an invalidation: before the store call its answer is kept (it follows the change); during it, served and kept in neither cache', async () => {
    fake.answerGet = (key) => Buffer.concat([Buffer.from('_\r\n'), invalidatePush(key)]);
    const first = await load();
    assert.equal(storeCalls, 1);
    assert.equal(first.fromRedis, false);
    assert.equal(first.entry.cached, true);
    await roundTrip(redis);
    assert.equal(sets().length, 1);

    cache.clear();
    fake.received.length = 0;
    fake.answerGet = () => Buffer.from('_\r\n');
    let release = (): void => {};
    storeGate = new Promise((resolve) => (release = resolve));
    const pending = load();
    await eventually(() => storeCalls === 2, 'the store call to begin');
    const seen = redis.stats().invalidations;
    fake.push(invalidatePush(PREFIX + KEY));
    await eventually(() => redis.stats().invalidations === seen + 1, 'the push to arrive');
    release();
    const during = await pending;
    assert.equal(during.entry.cached, false);
    assert.equal(cache.get(KEY), undefined);
    await roundTrip(redis);
    assert.deepEqual(sets(), []);
    storeGate = Promise.resolve();
    storeCalls = 0;

    // Without the push the store's answer goes to Redis, with the default TTL.
    fake.answerGet = () => Buffer.from('_\r\n');
    assert.equal((await load()).entry.cached, true);
    await roundTrip(redis);
    const [set] = sets();
    assert.equal(set?.[1], PREFIX + KEY);
    assert.ok(set?.[2]?.startsWith('T1\t'));
    assert.deepEqual(set?.slice(3), ['PX', '60000', 'NX']);
  });

  test('pushes: a key outside the prefix is ignored, ours drops the entry, a flush drops everything', async () => {
    const { blob } = sharedProduct('shared');
    fake.answerGet = () => bulk(blob);
    const { entry } = await load();
    cache.set('other', entry.value);
    fake.push(invalidatePush(`someone-else:1:${KEY}`, `turbina:2:${KEY}`));
    await roundTrip(redis);
    assert.ok(cache.get(KEY) !== undefined, 'a foreign key does not invalidate ours');
    fake.push(invalidatePush(PREFIX + KEY));
    await eventually(() => cache.get(KEY) === undefined, 'our key to be invalidated');
    assert.ok(cache.get('other') !== undefined);
    fake.push(FLUSH_PUSH);
    await eventually(() => cache.size === 0, 'FLUSHALL to clear the process cache');
  });

  test('an undecodable value under our prefix is counted, and the key is loaded from the store', async () => {
    const invalid = shared.stats().invalid;
    fake.answerGet = () => bulk(Buffer.from('not one of ours'));
    const { fromRedis } = await load();
    assert.equal(storeCalls, 1);
    assert.equal(fromRedis, false);
    assert.equal(shared.stats().invalid, invalid + 1);
  });

  test('a variant made from a value read from Redis is written back with the representation\'s head', async () => {
    const { blob } = sharedProduct('compress me '.repeat(50));
    fake.answerGet = () => bulk(blob);
    const { entry } = await load();
    await entry.value.stored?.makeVariant('gzip', compression);
    await eventually(() => fake.commands('EVAL').length === 1, 'the variant to be written back');
    const [, , , key, head, value] = fake.commands('EVAL')[0] ?? [];
    assert.equal(key, PREFIX + KEY);
    assert.ok(head?.startsWith(`T1\t${entry.value.stored?.tag}\t200\t`), head);
    assert.ok(value?.startsWith(head ?? '-') && /\tgzip:5:\d+\n/.test(value), 'the blob now lists the gzip variant');
  });
});

describe('the app with REDIS_URL on the fake server', { timeout: 10_000 }, () => {
  const fake = new FakeRedis();
  after(() => fake.close());

  test('a product read from Redis with its invalidation in the same write is served HIT-L2 and asked of Redis again next time', async () => {
    const port = await fake.listen();
    const { encoded, blob } = sharedProduct('from another instance');
    fake.answerGet = (key) => Buffer.concat([bulk(blob), invalidatePush(key)]);
    await withApp(
      async (t) => {
        await eventually(() => t.app.shared?.redis.usable === true && t.app.shared.redis.stats().tracking, 'the app to track the fake server');
        for (let i = 0; i < 2; i++) {
          const response = await request(t.port, '/products/1');
          assert.equal(response.status, 200);
          assert.equal(response.headers['x-cache'], 'HIT-L2', `request ${i + 1}`);
          assert.deepEqual(response.body, encoded.body);
        }
        assert.equal(fake.commands('GET').length, 2);
        // Without the push the value is kept: the next request is an L1 hit.
        fake.answerGet = () => bulk(blob);
        assert.equal((await request(t.port, '/products/1')).headers['x-cache'], 'HIT-L2');
        assert.equal((await request(t.port, '/products/1')).headers['x-cache'], 'HIT');
        assert.equal(fake.commands('GET').length, 3);
        assert.deepEqual(fake.commands('GET')[0], ['GET', `${PREFIX}1`]);
      },
      { redisUrl: `redis://127.0.0.1:${port}` },
    );
  });
});
