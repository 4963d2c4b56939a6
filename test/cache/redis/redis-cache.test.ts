// RedisCache against one real redis-server: get/set/replace/delete under the prefix, the
// compare-and-set replace (keeps the TTL, refuses another representation, never recreates
// a deleted key); invalidations between two instances (NOLOOP, BCAST prefix, FLUSHALL); a
// stopped server (timeouts, the breaker, skipped calls, recovery); a restarted one (every
// key invalidated, tracking on again).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { RedisCache, type RedisCacheOptions } from '../../../src/cache/redis/redis-cache.js';
import { RedisClient } from '../../../src/cache/redis/redis-client.js';
import { Logger } from '../../../src/log/logger.js';
import { eventually } from '../../helpers/http.js';
import { SKIP_WITHOUT_REDIS, startRedis, type TestRedis } from '../../helpers/redis.js';

interface Instance {
  readonly redis: RedisCache;
  /** What onInvalidate was told, in order. */
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

  test('get, set, replace and delete under <prefix><format>:', async () => {
    const { redis } = instance('ops:');
    assert.equal(redis.prefix, 'ops:1:');
    await tracking({ redis, invalidated: [] });
    assert.equal(await redis.get('k'), undefined);

    const first = Buffer.from('T1\tAAAA\tfirst\r\n\0');
    redis.set('k', first, 10_000);
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

    assert.equal(await redis.delete('k'), true);
    assert.equal(await redis.delete('k'), false);
    // A late variant of a deleted entry does not bring it back.
    redis.replace('k', 'T1\tAAAA\t', more);
    assert.equal(await redis.get('k'), undefined);
    assert.equal(await admin.send(['EXISTS', 'ops:1:k']), 0);

    const stats = redis.stats();
    assert.equal(stats.hits, 3);
    assert.equal(stats.misses, 2);
    assert.equal(stats.writes, 4);
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
  });

  test('a write or delete by one instance invalidates the key at the other, not at the writer (NOLOOP)', async () => {
    const a = instance('shared:');
    const b = instance('shared:');
    await tracking(a, b);
    a.redis.set('k', Buffer.from('v'), 10_000);
    await eventually(() => b.invalidated.length === 1, 'b to hear of k');
    assert.deepEqual(b.invalidated, ['k']);
    b.redis.set('k2', Buffer.from('v'), 10_000);
    await eventually(() => a.invalidated.length === 1, 'a to hear of k2');
    // a heard of b's write only, not of its own earlier one.
    assert.deepEqual(a.invalidated, ['k2']);
    assert.equal(await a.redis.delete('k'), true);
    await eventually(() => b.invalidated.length === 2, 'b to hear of the DEL');
    assert.deepEqual(b.invalidated, ['k', 'k']);

    // Keys outside the prefix (another app, another format version) are not ours.
    await admin.send(['SET', 'elsewhere:k', 'x']);
    await admin.send(['SET', 'shared:2:k', 'x']);
    await admin.send(['SET', 'shared:1:last', 'x']);
    await eventually(() => a.invalidated.includes('last') && b.invalidated.includes('last'), 'both to hear of last');
    assert.deepEqual(a.invalidated, ['k2', 'last']);
    assert.deepEqual(b.invalidated, ['k', 'k', 'last']);

    // FLUSHALL: every key may have changed.
    await admin.send(['FLUSHALL']);
    await eventually(() => a.invalidated.includes(null) && b.invalidated.includes(null), 'both to hear of FLUSHALL');
    assert.deepEqual(a.invalidated, ['k2', 'last', null]);
    assert.equal(a.redis.stats().invalidations, 3);
  });

  test('a stopped server: reads fail within the timeout, the breaker opens and calls are skipped at once; it recovers after the open period', async () => {
    // Both see the same outage: `held` stays open long enough to look at, `recovering` probes soon.
    const held = instance('stop:', { timeoutMs: 50, breakerOpenMs: 60_000 });
    const recovering = instance('stop:', { timeoutMs: 50, breakerOpenMs: 300 });
    await tracking(held, recovering);
    const value = Buffer.from('v');
    held.redis.set('k', value, 60_000);
    assert.deepEqual(await held.redis.get('k'), value);

    server.proc().kill('SIGSTOP');
    try {
      const started = performance.now();
      // Five reads at once: one timeout drops the connection and fails the other four with it.
      const reads = await Promise.all([held, recovering].flatMap(({ redis }) => Array.from({ length: 5 }, () => redis.get('k'))));
      const took = performance.now() - started;
      assert.deepEqual(reads, Array(10).fill(undefined));
      assert.ok(took >= 45 && took < 1000, `reads failed after ${took.toFixed(0)} ms`);
      for (const { redis } of [held, recovering]) {
        const stats = redis.stats();
        assert.equal(stats.errors, 5);
        assert.ok(stats.timeouts >= 1, `${stats.timeouts} timeouts`);
        assert.equal(stats.breaker.state, 'open');
        assert.equal(stats.breaker.opened, 1);
        assert.equal(redis.usable, false);
      }
      const skippedAt = performance.now();
      assert.equal(await held.redis.get('k'), undefined);
      assert.ok(performance.now() - skippedAt < 20, 'a skipped read does not wait');
      assert.equal(held.redis.stats().skipped, 1);
    } finally {
      server.proc().kill('SIGCONT');
    }

    // Connected again, the open breaker still skips Redis, without waiting, counted.
    await eventually(() => held.redis.state === 'ready', 'held to reconnect', 5000);
    const skipped = held.redis.stats().skipped;
    assert.equal(held.redis.usable, false);
    const before = performance.now();
    assert.equal(await held.redis.get('k'), undefined);
    assert.ok(performance.now() - before < 20, 'a short-circuited read does not wait');
    assert.equal(held.redis.stats().skipped, skipped + 1);
    assert.ok(held.redis.stats().breaker.shortCircuited >= 1);
    held.redis.set('other', value, 1000);
    assert.equal(held.redis.stats().skipped, skipped + 2);

    // After the open period one probe goes through, and its success closes the breaker.
    await eventually(() => recovering.redis.stats().breaker.state === 'half-open', 'the breaker to let a probe through', 5000);
    await eventually(() => recovering.redis.state === 'ready', 'recovering to reconnect', 5000);
    assert.deepEqual(await recovering.redis.get('k'), value);
    const stats = recovering.redis.stats();
    assert.equal(stats.breaker.state, 'closed');
    assert.equal(stats.breaker.closed, 1);
    assert.equal(recovering.redis.usable, true);
  });

  test('a restarted server: every key counts as invalidated after the reconnect, and tracking is on again', async () => {
    const a = instance('restart:');
    const b = instance('restart:');
    await tracking(a, b);
    await server.stop();
    await eventually(() => a.redis.state !== 'ready' && b.redis.state !== 'ready', 'both to see the server gone');
    assert.equal(a.redis.stats().tracking, false);
    assert.deepEqual(a.invalidated, []);
    await server.restart();
    await tracking(a, b);
    assert.deepEqual(a.invalidated, [null]);
    assert.deepEqual(b.invalidated, [null]);
    assert.ok(a.redis.stats().reconnects >= 1);
    // The new connection's tracking works: a write by one reaches the other.
    a.redis.set('after', Buffer.from('v'), 10_000);
    await eventually(() => b.invalidated.length === 2, 'b to hear of after');
    assert.deepEqual(b.invalidated, [null, 'after']);
  });
});
