// RedisCache against one real redis-server: get/add/replace/delete under the prefix (add
// only where the key is free, a delete's tombstone, the compare-and-set replace that keeps
// the TTL, refuses another entry and never recreates a deleted key); invalidations between
// two instances (NOLOOP, BCAST prefix, a delete of a key Redis lacks, FLUSHALL); a stopped
// server (timeouts, skipped calls, recovery); a restarted one (told to resync, tracking on
// again); and, against a fake server that never answers a GET, the breaker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { RedisCache, TOMBSTONE_MS, type RedisCacheOptions } from '../../../src/cache/redis/redis-cache.js';
import { RedisClient } from '../../../src/cache/redis/redis-client.js';
import { Logger } from '../../../src/log/logger.js';
import { FakeRedis } from '../../helpers/fake-redis.js';
import { eventually, eventuallyAsync } from '../../helpers/http.js';
import { SKIP_WITHOUT_REDIS, startRedis, type TestRedis } from '../../helpers/redis.js';

interface Instance {
  readonly redis: RedisCache;
  /** What onInvalidate was told, in order ('reconnect' for onReconnect). */
  readonly invalidated: (string | null)[];
}

const opened: { close(): Promise<void> }[] = [];

after(async () => {
  await Promise.all(opened.map((made) => made.close()));
});

describe('RedisCache on a real redis-server', { skip: SKIP_WITHOUT_REDIS, timeout: 20_000 }, () => {
  let server: TestRedis;
  /** A plain client to look at and change what the caches see. */
  let admin: RedisClient;

  function instance(keyPrefix: string, options: Partial<RedisCacheOptions> = {}): Instance {
    const invalidated: (string | null)[] = [];
    const redis = new RedisCache({
      url: server.url,
      keyPrefix,
      timeoutMs: 500,
      maxValueBytes: 1 << 20,
      onInvalidate: (key) => invalidated.push(key),
      onReconnect: () => invalidated.push('reconnect'),
      logger: new Logger('error', () => {}),
      ...options,
    });
    opened.push(redis);
    return { redis, invalidated };
  }

  async function tracking(...instances: Instance[]): Promise<void> {
    await eventually(() => instances.every(({ redis }) => redis.usable && redis.stats().tracking), 'CLIENT TRACKING on every instance', 5000);
  }

  before(async () => {
    server = await startRedis();
    admin = new RedisClient({ url: server.url, maxQueue: 100, commandTimeoutMs: 2000, maxBulkBytes: 1 << 20, reconnectBaseMs: 20, reconnectMaxMs: 100 });
    opened.push(admin);
  });
  after(async () => {
    server.proc().kill('SIGCONT');
    await server.stop();
  });

  test('get, add, replace and delete under <prefix><format>:', async () => {
    const { redis } = instance('ops:');
    assert.equal(redis.prefix, 'ops:1:');
    await tracking({ redis, invalidated: [] });
    assert.equal(await redis.get('k'), undefined);

    const first = Buffer.from('T1\tAAAA\tfirst\r\n\0');
    redis.add('k', first, 10_000);
    // Only where the key is free: a second add does not replace the first.
    redis.add('k', Buffer.from('T1\tCCCC\tsecond'), 10_000);
    // Commands go out in order on one connection: the GET sees the SET.
    assert.deepEqual(await redis.get('k'), first);
    assert.deepEqual(await admin.send(['GET', 'ops:1:k']), first);
    const ttl = await admin.send(['PTTL', 'ops:1:k']);
    assert.ok(typeof ttl === 'number' && ttl > 9000 && ttl <= 10_000, `PTTL ${String(ttl)}`);

    // The same representation with more variants replaces it, keeping its TTL.
    const more = Buffer.from('T1\tAAAA\tfirst, with a variant');
    redis.replace('k', 'T1\tAAAA\t', more);
    assert.deepEqual(await redis.get('k'), more);
    const kept = await admin.send(['PTTL', 'ops:1:k']);
    assert.ok(typeof kept === 'number' && kept > 0 && kept <= ttl, `PTTL after replace ${String(kept)}`);

    // Another representation (the data changed meanwhile) is not replaced by a late write.
    redis.replace('k', 'T1\tBBBB\t', Buffer.from('T1\tBBBB\tstale'));
    assert.deepEqual(await redis.get('k'), more);

    // A delete leaves a short tombstone: an empty value (read as a miss by its owner), for
    // about TOMBSTONE_MS, where a late add cannot land.
    await redis.delete('k');
    assert.deepEqual(await admin.send(['GET', 'ops:1:k']), Buffer.alloc(0));
    const tombstone = await admin.send(['PTTL', 'ops:1:k']);
    assert.ok(typeof tombstone === 'number' && tombstone > 0 && tombstone <= TOMBSTONE_MS, `tombstone PTTL ${String(tombstone)}`);
    redis.add('k', first, 10_000);
    // A late variant of a deleted entry does not bring it back either.
    redis.replace('k', 'T1\tAAAA\t', more);
    assert.deepEqual(await redis.get('k'), Buffer.alloc(0));
    // A value that is not ours is discarded, and the key is free again.
    redis.discard('k');
    assert.equal(await admin.send(['EXISTS', 'ops:1:k']), 0);

    const stats = redis.stats();
    assert.equal(stats.hits, 4);
    assert.equal(stats.misses, 1);
    assert.equal(stats.writes, 7);
    assert.equal(stats.errors, 0);
    assert.equal(stats.skipped, 0);
    assert.equal(stats.protocol, 3);
  });

  test('a server error reply is an error but not a failure of Redis: the breaker stays closed', async () => {
    const { redis } = instance('wrongtype:');
    await tracking({ redis, invalidated: [] });
    for (let i = 0; i < 6; i++) await admin.send(['LPUSH', `wrongtype:1:k${i}`, 'x']);
    for (let i = 0; i < 6; i++) assert.equal(await redis.get(`k${i}`), undefined);
    const stats = redis.stats();
    assert.equal(stats.errors, 6);
    assert.equal(stats.breaker.state, 'closed');
    assert.equal(redis.usable, true);
    // Not ours: each such key is freed, so that the store's answer can take it.
    await eventuallyAsync(async () => (await admin.send(['EXISTS', 'wrongtype:1:k5'])) === 0, 'the list to be discarded');
  });

  test('a write or delete by one instance invalidates the key at the other, not at the writer (NOLOOP)', async () => {
    const a = instance('shared:');
    const b = instance('shared:');
    await tracking(a, b);
    a.redis.add('k', Buffer.from('v'), 10_000);
    await eventually(() => b.invalidated.length === 1, 'b to hear of k');
    assert.deepEqual(b.invalidated, ['k']);
    b.redis.add('k2', Buffer.from('v'), 10_000);
    await eventually(() => a.invalidated.length === 1, 'a to hear of k2');
    // a heard of b's write only, not of its own earlier one.
    assert.deepEqual(a.invalidated, ['k2']);
    await a.redis.delete('k');
    await eventually(() => b.invalidated.length === 2, 'b to hear of the delete');
    assert.deepEqual(b.invalidated, ['k', 'k']);
    // A delete of a key Redis does not hold (b may hold it in its process cache) is heard too.
    await a.redis.delete('never-written');
    await eventually(() => b.invalidated.length === 3, 'b to hear of a delete of a missing key');
    assert.deepEqual(b.invalidated, ['k', 'k', 'never-written']);

    // Keys outside the prefix (another app, another format version) are not ours.
    await admin.send(['SET', 'elsewhere:k', 'x']);
    await admin.send(['SET', 'shared:2:k', 'x']);
    await admin.send(['SET', 'shared:1:last', 'x']);
    await eventually(() => a.invalidated.includes('last') && b.invalidated.includes('last'), 'both to hear of last');
    assert.deepEqual(a.invalidated, ['k2', 'last']);
    assert.deepEqual(b.invalidated, ['k', 'k', 'never-written', 'last']);

    // FLUSHALL: every key may have changed.
    await admin.send(['FLUSHALL']);
    await eventually(() => a.invalidated.includes(null) && b.invalidated.includes(null), 'both to hear of FLUSHALL');
    assert.deepEqual(a.invalidated, ['k2', 'last', null]);
    assert.equal(a.redis.stats().invalidations, 3);
  });

  test('a stopped server: reads fail within the timeout, one event to the breaker; while the connection is redialled calls are skipped at once; it recovers', async () => {
    const a = instance('stop:', { timeoutMs: 50 });
    await tracking(a);
    const value = Buffer.from('v');
    a.redis.add('k', value, 60_000);
    assert.deepEqual(await a.redis.get('k'), value);

    server.proc().kill('SIGSTOP');
    try {
      const started = performance.now();
      // Five reads at once: one times out, drops the connection and fails the other four with it.
      const reads = await Promise.all(Array.from({ length: 5 }, () => a.redis.get('k')));
      const took = performance.now() - started;
      assert.deepEqual(reads, Array(5).fill(undefined));
      assert.ok(took >= 45 && took < 1000, `reads failed after ${took.toFixed(0)} ms`);
      const stats = a.redis.stats();
      assert.equal(stats.errors, 5);
      assert.equal(stats.timeouts, 1);
      // One stall is one failure, not five: the breaker stays closed.
      assert.equal(stats.breaker.failures, 1);
      assert.equal(stats.breaker.state, 'closed');
      assert.equal(a.redis.usable, false);
      const skippedAt = performance.now();
      assert.equal(await a.redis.get('k'), undefined);
      assert.ok(performance.now() - skippedAt < 20, 'a skipped read does not wait');
      assert.equal(a.redis.stats().skipped, 1);
    } finally {
      server.proc().kill('SIGCONT');
    }
    await eventually(() => a.redis.usable, 'a to reconnect', 5000);
    assert.deepEqual(await a.redis.get('k'), value);
    assert.ok(a.invalidated.includes('reconnect'));
  });

  test('a restarted server: each instance is told to resync after the reconnect, and tracking is on again', async () => {
    const a = instance('restart:');
    const b = instance('restart:');
    await tracking(a, b);
    await server.stop();
    await eventually(() => a.redis.state !== 'ready' && b.redis.state !== 'ready', 'both to see the server gone');
    assert.equal(a.redis.stats().tracking, false);
    assert.deepEqual(a.invalidated, []);
    await server.restart();
    await tracking(a, b);
    assert.deepEqual(a.invalidated, ['reconnect']);
    assert.deepEqual(b.invalidated, ['reconnect']);
    assert.ok(a.redis.stats().reconnects >= 1);
    // The new connection's tracking works: a write by one reaches the other.
    a.redis.add('after', Buffer.from('v'), 10_000);
    await eventually(() => b.invalidated.length === 2, 'b to hear of after');
    assert.deepEqual(b.invalidated, ['reconnect', 'after']);
  });
});

describe('RedisCache against a server that never answers a GET', { timeout: 20_000 }, () => {
  const fake = new FakeRedis();
  after(() => fake.close());

  test('the breaker opens after five reads that timed out in a row (one per connection), then skips Redis at once; after its open period one probe closes it', async () => {
    fake.answerGet = () => undefined;
    const port = await fake.listen();
    const redis = new RedisCache({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: 'hang:',
      timeoutMs: 30,
      maxValueBytes: 1 << 20,
      onInvalidate: () => {},
      onReconnect: () => {},
      logger: new Logger('error', () => {}),
      breakerOpenMs: 300,
    });
    opened.push(redis);
    for (let read = 0; read < 5; read++) {
      await eventually(() => redis.state === 'ready', `connection ${read + 1}`, 5000);
      const started = performance.now();
      assert.equal(await redis.get('k'), undefined);
      assert.ok(performance.now() - started < 500, 'a read waits for its timeout only');
    }
    const stats = redis.stats();
    assert.equal(stats.timeouts, 5);
    assert.equal(stats.breaker.state, 'open');
    assert.equal(stats.breaker.opened, 1);
    await eventually(() => redis.state === 'ready', 'a connection again', 5000);
    assert.equal(redis.usable, false);
    const skippedAt = performance.now();
    assert.equal(await redis.get('k'), undefined);
    assert.ok(performance.now() - skippedAt < 20, 'an open breaker does not wait');
    assert.ok(redis.stats().breaker.shortCircuited >= 1);
    // The server answers again: after the open period the probe succeeds and closes it.
    fake.answerGet = () => Buffer.from('_\r\n');
    await eventually(() => redis.stats().breaker.state === 'half-open', 'the open period to end', 5000);
    await eventually(() => redis.state === 'ready', 'a connection for the probe', 5000);
    assert.equal(await redis.get('k'), undefined);
    assert.equal(redis.stats().breaker.state, 'closed');
    assert.equal(redis.usable, true);
  });
});
