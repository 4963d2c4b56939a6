// TtlCache with an injected clock: expiry at exactly expiresAt, TTL overrides, LRU at the
// cap, counters, sweep, singleflight loads and their failures; then the real sweep timer
// and a check that it does not keep the process alive.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CacheEntry, TtlCache, type CacheOptions, type Growth, type Loaded } from '../../src/cache/ttl-cache.js';

/** A cache on a hand-moved clock, no sweep timer. */
function fixture(options: Partial<CacheOptions<string>> = {}): { cache: TtlCache<string>; clock: { t: number } } {
  const clock = { t: 1000 };
  const cache = new TtlCache<string>({ ttlMs: 100, maxEntries: 10, maxBytes: 1_000_000, sweepMs: 0, now: () => clock.t, ...options });
  return { cache, clock };
}

/** A promise with its resolve/reject exposed, to hold a loader open. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('TtlCache get/set and expiry', () => {
  test('set then get returns the same entry with expiresAt = now + ttl', () => {
    const { cache } = fixture();
    const entry = cache.set('k', 'v');
    assert.ok(entry instanceof CacheEntry);
    assert.equal(entry.key, 'k');
    assert.equal(entry.value, 'v');
    assert.equal(entry.expiresAt, 1100);
    assert.equal(cache.get('k'), entry);
    assert.equal(cache.get('other'), undefined);
    assert.equal(cache.size, 1);
  });

  test('an entry is live just before expiresAt and expired exactly at it', () => {
    const { cache, clock } = fixture();
    cache.set('k', 'v');
    clock.t = 1099;
    assert.equal(cache.get('k')?.value, 'v');
    clock.t = 1100;
    assert.equal(cache.get('k'), undefined);
    // The lazy expiry removed it and counted it.
    assert.equal(cache.size, 0);
    assert.equal(cache.stats().expirations, 1);
  });

  test('a per-entry ttlMs overrides the default', () => {
    const { cache, clock } = fixture();
    cache.set('short', 'a', 10);
    cache.set('long', 'b', 500);
    clock.t = 1010;
    assert.equal(cache.get('short'), undefined);
    assert.equal(cache.get('long')?.value, 'b');
    clock.t = 1499;
    assert.equal(cache.get('long')?.value, 'b');
    clock.t = 1500;
    assert.equal(cache.get('long'), undefined);
  });

  test('ttlMs <= 0 returns an entry but stores nothing, and drops an older value for the key', () => {
    const { cache } = fixture();
    const zero = cache.set('z', 'v', 0);
    assert.equal(zero.value, 'v');
    assert.equal(cache.set('n', 'v', -5).value, 'v');
    assert.equal(cache.size, 0);
    assert.equal(cache.get('z'), undefined);
    // A stale value must not outlive a newer "do not cache" answer.
    cache.set('k', 'old');
    cache.set('k', 'new', 0);
    assert.equal(cache.get('k'), undefined);
  });

  test('set on an existing key replaces its value and TTL', () => {
    const { cache, clock } = fixture();
    cache.set('k', 'one');
    clock.t = 1050;
    cache.set('k', 'two');
    assert.equal(cache.size, 1);
    clock.t = 1120;
    assert.equal(cache.get('k')?.value, 'two');
  });

  test('ttlLeft counts down to 0 and never below', () => {
    const { cache, clock } = fixture();
    const entry = cache.set('k', 'v');
    assert.equal(cache.ttlLeft(entry), 100);
    clock.t = 1075;
    assert.equal(cache.ttlLeft(entry), 25);
    clock.t = 5000;
    assert.equal(cache.ttlLeft(entry), 0);
  });

  test('delete', () => {
    const { cache } = fixture();
    cache.set('a', '1');
    cache.set('b', '2');
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.delete('a'), false);
    assert.equal(cache.size, 1);
    assert.equal(cache.get('b')?.value, '2');
  });
});

describe('TtlCache LRU and counters', () => {
  test('second chance: a hit spares an entry from one eviction pass, not forever', () => {
    const evicted: string[] = [];
    const { cache } = fixture({ maxEntries: 3, released: (value) => evicted.push(value) });
    cache.set('a', '1');
    cache.set('b', '2');
    cache.set('c', '3');
    cache.get('a');
    cache.set('d', '4'); // a is the oldest but was hit: b goes instead
    assert.deepEqual(evicted, ['2']);
    cache.set('e', '5'); // c is now the oldest unflagged entry
    assert.deepEqual(evicted, ['2', '3']);
    cache.set('f', '6'); // d
    cache.set('g', '7'); // a: its flag was spent on the first pass and it was not hit again
    assert.deepEqual(evicted, ['2', '3', '4', '1']);
    assert.equal(cache.stats().evictions, 4);
  });

  test('a hot key among a full cache costs the same per hit as in a small one', () => {
    // Guards against LRU-by-reinsertion, which V8 makes O(size) per hit for a hot key.
    const time = (size: number): number => {
      const { cache } = fixture({ maxEntries: size + 1, ttlMs: 1e12 });
      for (let i = 0; i < size; i++) cache.set(String(i), 'v');
      for (let i = 0; i < 20_000; i++) cache.get('0');
      const started = performance.now();
      for (let i = 0; i < 200_000; i++) cache.get('0');
      return performance.now() - started;
    };
    const small = time(10);
    const large = time(20_000);
    assert.ok(large < small * 4 + 20, `20,000 entries: ${large.toFixed(1)} ms vs 10 entries: ${small.toFixed(1)} ms`);
  });

  test('at maxEntries the least recently used entry is evicted; a get refreshes recency', () => {
    const { cache } = fixture({ maxEntries: 3 });
    cache.set('a', '1');
    cache.set('b', '2');
    cache.set('c', '3');
    assert.equal(cache.get('a')?.value, '1'); // a is now the most recent; b is the oldest
    cache.set('d', '4');
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a')?.value, '1');
    assert.equal(cache.get('c')?.value, '3');
    assert.equal(cache.get('d')?.value, '4');
    assert.equal(cache.stats().evictions, 1);
  });

  test('overwriting a key at the cap evicts nothing and refreshes its recency', () => {
    const { cache } = fixture({ maxEntries: 2 });
    cache.set('a', '1');
    cache.set('b', '2');
    cache.set('a', '1b');
    assert.equal(cache.stats().evictions, 0);
    cache.set('c', '3'); // b is the oldest now
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a')?.value, '1b');
  });

  test('hits, misses, hitRate, entries, expirations and evictions are counted', () => {
    const { cache, clock } = fixture({ maxEntries: 2 });
    assert.deepEqual(cache.stats(), {
      hits: 0,
      misses: 0,
      hitRate: 0,
      entries: 0,
      maxEntries: 2,
      bytes: 0,
      maxBytes: 1_000_000,
      evictions: 0,
      tooLarge: 0,
      expirations: 0,
      invalidations: 0,
      staleServed: 0,
      loads: 0,
      loadErrors: 0,
      inflight: 0,
    });
    cache.set('a', '1');
    cache.get('a'); // hit
    cache.get('a'); // hit
    cache.get('a'); // hit
    cache.get('x'); // miss
    cache.set('b', '2');
    cache.set('c', '3'); // evicts b: a was hit, so it gets a second chance
    clock.t = 1100;
    cache.get('a'); // expired: miss + expiration
    assert.deepEqual(cache.stats(), {
      hits: 3,
      misses: 2,
      hitRate: 0.6,
      entries: 1,
      maxEntries: 2,
      bytes: 0,
      maxBytes: 1_000_000,
      evictions: 1,
      tooLarge: 0,
      expirations: 1,
      invalidations: 0,
      staleServed: 0,
      loads: 0,
      loadErrors: 0,
      inflight: 0,
    });
  });

  test('sweep() removes only expired entries and returns how many', () => {
    const { cache, clock } = fixture();
    cache.set('a', '1', 10);
    cache.set('b', '2', 20);
    cache.set('c', '3', 30);
    cache.set('d', '4', 1000);
    clock.t = 1020; // a and b expire (expiresAt <= now); c, d live
    assert.equal(cache.sweep(), 2);
    assert.equal(cache.size, 2);
    assert.equal(cache.stats().expirations, 2);
    assert.equal(cache.sweep(), 0);
    assert.equal(cache.get('c')?.value, '3');
    assert.equal(cache.get('d')?.value, '4');
    // Sweeping counts no hits or misses.
    assert.equal(cache.stats().misses, 0);
  });

  test('a flood of 10000 distinct keys with maxEntries 100 keeps the size at 100', () => {
    const { cache } = fixture({ maxEntries: 100, ttlMs: 60_000 });
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, String(i));
    assert.equal(cache.size, 100);
    assert.equal(cache.stats().evictions, 9900);
    // The survivors are the 100 most recent.
    assert.equal(cache.get('k9899'), undefined);
    assert.equal(cache.get('k9900')?.value, '9900');
    assert.equal(cache.get('k9999')?.value, '9999');
  });
});

/** A cache of strings that cost their length in bytes, keeping each value's Growth to grow it later. */
function sizedFixture(maxBytes: number, options: Partial<CacheOptions<string>> = {}): { cache: TtlCache<string>; growth: Map<string, Growth>; released: string[] } {
  const growth = new Map<string, Growth>();
  const released: string[] = [];
  const { cache } = fixture({
    maxEntries: 1000,
    maxBytes,
    measure: (value, g) => {
      growth.set(value, g);
      return value.length;
    },
    released: (value) => released.push(value),
    ...options,
  });
  return { cache, growth, released };
}

describe('TtlCache byte budget', () => {
  test('bytes are summed on set and given back on replace and delete', () => {
    const { cache } = sizedFixture(1000);
    cache.set('a', 'x'.repeat(10));
    cache.set('b', 'y'.repeat(20));
    assert.deepEqual([cache.stats().bytes, cache.stats().maxBytes], [30, 1000]);
    cache.set('a', 'z'.repeat(5)); // replaced: its 10 bytes go, 5 come
    assert.equal(cache.stats().bytes, 25);
    cache.delete('b');
    assert.equal(cache.stats().bytes, 5);
    cache.delete('a');
    assert.deepEqual([cache.stats().bytes, cache.size], [0, 0]);
  });

  test('expiry, lazy or swept, gives the bytes back', () => {
    const clock = { t: 0 };
    const { cache } = sizedFixture(1000, { now: () => clock.t });
    cache.set('a', 'x'.repeat(10), 10);
    cache.set('b', 'y'.repeat(20), 20);
    cache.set('c', 'z'.repeat(40), 1000);
    clock.t = 10;
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.stats().bytes, 60);
    clock.t = 20;
    assert.equal(cache.sweep(), 1);
    assert.equal(cache.stats().bytes, 40);
  });

  test('past maxBytes, second-chance eviction runs until the bytes fit, and tells released()', () => {
    const { cache, released } = sizedFixture(100);
    for (const key of ['a', 'b', 'c', 'd']) cache.set(key, key.repeat(10));
    cache.get('a'); // a gets a second chance
    for (const key of ['e', 'f', 'g', 'h', 'i']) cache.set(key, key.repeat(12));
    // 100 bytes: exactly the budget.
    assert.deepEqual([cache.stats().bytes, cache.stats().evictions, released.length], [100, 0, 0]);
    cache.set('j', 'j'.repeat(12)); // 112: b, then c, go; a is spared
    assert.deepEqual(released, ['b'.repeat(10), 'c'.repeat(10)]);
    assert.equal(cache.size, 8); // the ten set, but b and c
    assert.deepEqual([cache.stats().bytes, cache.stats().evictions], [92, 2]);
  });

  test('a value above an eighth of maxBytes is returned but not kept, counted as tooLarge, and drops an older value for its key', () => {
    const { cache, growth, released } = sizedFixture(800);
    cache.set('k', 'old');
    const entry = cache.set('k', 'v'.repeat(101));
    assert.equal(entry.value, 'v'.repeat(101), 'the caller still serves it');
    assert.equal(entry.cached, false);
    assert.equal(cache.get('k'), undefined);
    assert.deepEqual(released, ['old']);
    assert.deepEqual([cache.stats().tooLarge, cache.stats().bytes, cache.size], [1, 0, 0]);
    // Its later growth is charged to no one.
    growth.get('v'.repeat(101))?.grow(1000);
    assert.equal(cache.stats().bytes, 0);
    // Exactly an eighth is kept.
    cache.set('k', 'w'.repeat(100));
    assert.deepEqual([cache.stats().tooLarge, cache.stats().bytes, cache.size], [1, 100, 1]);
  });

  test('growth reported after set is charged, evicts others to fit, is ignored once the entry has left, and past an eighth drops the entry', () => {
    const { cache, growth } = sizedFixture(400); // an entry may hold 50 bytes
    const grow = (value: string, delta: number): void => (growth.get(value) as Growth).grow(delta);
    for (const key of ['a', 'b', 'c']) cache.set(key, key.repeat(20));
    grow('c'.repeat(20), 10); // a compressed variant appeared
    assert.equal(cache.stats().bytes, 70);
    for (const key of ['d', 'e', 'f', 'g', 'h', 'i']) cache.set(key, key.repeat(50));
    grow('b'.repeat(20), 30);
    assert.deepEqual([cache.stats().bytes, cache.stats().evictions], [400, 0]);
    grow('d'.repeat(50), -10); // a variant replaced by a smaller one
    assert.equal(cache.stats().bytes, 390);
    cache.get('a');
    grow('a'.repeat(20), 20); // 410: a was hit, so b (50 bytes), the next oldest, goes
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a')?.value, 'a'.repeat(20));
    assert.deepEqual([cache.stats().bytes, cache.stats().evictions], [360, 1]);
    grow('b'.repeat(20), 5); // b has left: not charged
    assert.equal(cache.stats().bytes, 360);
    grow('c'.repeat(20), 21); // c would hold 51 bytes: dropped
    assert.equal(cache.get('c'), undefined);
    assert.deepEqual([cache.stats().bytes, cache.stats().tooLarge, cache.stats().evictions], [330, 1, 1]);
  });

  test('a flood of large values keeps the bytes within the budget, and the running total equals the entries\' sizes', () => {
    const { cache } = sizedFixture(10_000, { maxEntries: 100_000 });
    for (let i = 0; i < 5000; i++) cache.set(`k${i}`, String(i).padEnd(1000 + (i % 250), '.'));
    assert.ok(cache.stats().bytes <= 10_000, `${cache.stats().bytes} bytes`);
    assert.ok(cache.size >= 7, `${cache.size} entries`);
    let sum = 0;
    for (let i = 0; i < 5000; i++) sum += cache.get(`k${i}`)?.value.length ?? 0;
    assert.equal(cache.stats().bytes, sum);
  });
});

describe('TtlCache singleflight loads', () => {
  test('100 concurrent loads for one key call the loader once and share one entry', async () => {
    const { cache } = fixture();
    const gate = deferred<Loaded<string>>();
    let calls = 0;
    const loader = (): Promise<Loaded<string>> => {
      calls++;
      return gate.promise;
    };
    const waiters = Array.from({ length: 100 }, () => cache.load('k', loader));
    assert.equal(calls, 1);
    assert.equal(cache.stats().inflight, 1);
    gate.resolve({ value: 'v' });
    const entries = await Promise.all(waiters);
    assert.equal(calls, 1);
    for (const entry of entries) assert.equal(entry, entries[0]);
    assert.equal(entries[0]?.value, 'v');
    assert.equal(cache.get('k'), entries[0]);
    assert.deepEqual([cache.stats().loads, cache.stats().inflight], [1, 0]);
  });

  test('a loaded ttlMs overrides the default TTL', async () => {
    const { cache, clock } = fixture();
    const entry = await cache.load('k', async () => ({ value: 'v', ttlMs: 5 }));
    assert.equal(entry.expiresAt, 1005);
    clock.t = 1005;
    assert.equal(cache.get('k'), undefined);
  });

  test('a rejected loader rejects every waiter, caches nothing, counts loadErrors, and the next load retries', async () => {
    const { cache } = fixture();
    const gate = deferred<Loaded<string>>();
    let calls = 0;
    const failing = (): Promise<Loaded<string>> => {
      calls++;
      return gate.promise;
    };
    const waiters = Array.from({ length: 10 }, () => cache.load('k', failing));
    const boom = new Error('store down');
    gate.reject(boom);
    const results = await Promise.allSettled(waiters);
    for (const result of results) assert.deepEqual(result, { status: 'rejected', reason: boom });
    assert.equal(calls, 1);
    assert.equal(cache.size, 0);
    assert.equal(cache.get('k'), undefined);
    assert.deepEqual([cache.stats().loadErrors, cache.stats().inflight], [1, 0]);

    let retried = 0;
    const entry = await cache.load('k', async () => {
      retried++;
      return { value: 'recovered' };
    });
    assert.equal(retried, 1);
    assert.equal(entry.value, 'recovered');
    assert.equal(cache.stats().loads, 2);
  });

  test('loads for different keys run independently', async () => {
    const { cache } = fixture();
    let calls = 0;
    const loader = (value: string) => async (): Promise<Loaded<string>> => {
      calls++;
      return { value };
    };
    const [a, b] = await Promise.all([cache.load('a', loader('A')), cache.load('b', loader('B'))]);
    assert.equal(calls, 2);
    assert.deepEqual([a.value, b.value], ['A', 'B']);
  });
});

describe('TtlCache sweep timer', () => {
  test('with sweepMs 20 and the real clock, expired entries vanish without any get; stop() ends the sweeping', async () => {
    const cache = new TtlCache<string>({ ttlMs: 30, maxEntries: 100, maxBytes: 1_000_000, sweepMs: 20 });
    try {
      for (let i = 0; i < 5; i++) cache.set(`k${i}`, 'v');
      cache.set('long', 'v', 60_000);
      await sleep(150);
      // size reads the Map directly: only the timer can have removed them.
      assert.equal(cache.size, 1);
      assert.equal(cache.stats().expirations, 5);
      assert.equal(cache.stats().misses, 0);

      cache.stop();
      cache.set('after-stop', 'v', 10);
      await sleep(100);
      // Expired but not swept: the timer is gone; expiry is lazy again.
      assert.equal(cache.size, 2);
      assert.equal(cache.get('after-stop'), undefined);
      assert.equal(cache.size, 1);
    } finally {
      cache.stop();
    }
  });

  test('the sweep timer does not keep the process alive', async () => {
    // A process whose only handle is the cache's timer must exit on its own.
    const moduleUrl = new URL('../../src/cache/ttl-cache.js', import.meta.url).href;
    assert.ok(fileURLToPath(moduleUrl).endsWith('dist/suite/src/cache/ttl-cache.js'));
    const script = `import { TtlCache } from ${JSON.stringify(moduleUrl)};
const cache = new TtlCache({ ttlMs: 1000, maxEntries: 10, maxBytes: 1000, sweepMs: 1000 });
cache.set('k', 'v');
console.log('started');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
    try {
      const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
      assert.equal(signal, null, 'the process was still running after 2 s: the timer keeps it alive');
      assert.equal(code, 0, err);
      assert.equal(out, 'started\n');
    } finally {
      clearTimeout(killer);
    }
  });
});
