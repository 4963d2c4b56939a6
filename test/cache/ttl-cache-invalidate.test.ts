// TtlCache invalidation: invalidate() and clear() drop entries and mark loads under way, whose
// values reach their waiters but are not kept (they may predate the change); the counter;
// `maxEntries: 0` (no process cache) never stores and never evicts; reads outside load() (openRead/closeRead) keep nothing invalidated while they were open.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TtlCache, type CacheOptions, type Loaded, type LoadTicket } from '../../src/cache/ttl-cache.js';

function fixture(options: Partial<CacheOptions<string>> = {}): { cache: TtlCache<string>; released: string[] } {
  const released: string[] = [];
  const cache = new TtlCache<string>({ ttlMs: 100, maxEntries: 10, maxBytes: 1_000_000, sweepMs: 0, now: () => 1000, released: (value) => released.push(value), ...options });
  return { cache, released };
}

/** A loader held open until `finish`; `ticket` is what the cache handed it. */
function heldLoader(): { loader: (signal: AbortSignal, ticket: LoadTicket) => Promise<Loaded<string>>; finish: (loaded: Loaded<string>) => void; fail: (error: Error) => void; ticket: () => LoadTicket; calls: () => number } {
  let finish!: (loaded: Loaded<string>) => void;
  let fail!: (error: Error) => void;
  let ticket: LoadTicket | undefined;
  let calls = 0;
  return {
    loader: (_signal, given) => {
      calls++;
      ticket = given;
      return new Promise<Loaded<string>>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
    },
    finish: (loaded) => finish(loaded),
    fail: (error) => fail(error),
    ticket: () => {
      assert.ok(ticket !== undefined, 'the loader was called');
      return ticket;
    },
    calls: () => calls,
  };
}

describe('TtlCache.invalidate', () => {
  test('drops a stored entry: the next get misses, the entry is released and counted', () => {
    const { cache, released } = fixture();
    const entry = cache.set('k', 'old');
    cache.set('other', 'kept');
    assert.equal(cache.invalidate('k'), true);
    assert.equal(entry.cached, false);
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.get('other')?.value, 'kept');
    assert.deepEqual(released, ['old']);
    assert.equal(cache.stats().invalidations, 1);
    // A key with neither an entry nor a load: nothing to count.
    assert.equal(cache.invalidate('k'), false);
    assert.equal(cache.invalidate('never'), false);
    assert.equal(cache.stats().invalidations, 1);
  });

  test('during a load: every waiter gets the value, it is not stored, the ticket says invalidated', async () => {
    const { cache } = fixture();
    const held = heldLoader();
    const first = cache.load('k', held.loader);
    const second = cache.load('k', held.loader);
    assert.equal(held.ticket().invalidated, false);
    assert.equal(cache.invalidate('k'), false); // no entry yet, but the load is marked
    assert.equal(held.ticket().invalidated, true);
    assert.equal(cache.stats().invalidations, 1);
    held.finish({ value: 'read before the change' });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a, b);
    assert.equal(a.value, 'read before the change');
    assert.equal(a.cached, false);
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.size, 0);
    assert.equal(held.calls(), 1);
    assert.equal(cache.stats().inflight, 0);

    // The next load is a new one, unmarked, and its value is kept.
    const next = heldLoader();
    const third = cache.load('k', next.loader);
    assert.equal(next.ticket().invalidated, false);
    next.finish({ value: 'after the change' });
    assert.equal((await third).cached, true);
    assert.equal(cache.get('k')?.value, 'after the change');
  });

  test('during a load with an entry already stored (a refresh): both are dropped and counted once', async () => {
    const { cache } = fixture();
    cache.set('k', 'old');
    const held = heldLoader();
    const loading = cache.load('k', held.loader);
    assert.equal(cache.invalidate('k'), true);
    assert.equal(cache.stats().invalidations, 1);
    held.finish({ value: 'new' });
    assert.equal((await loading).cached, false);
    assert.equal(cache.get('k'), undefined);
  });

  test('a load of another key is not marked', async () => {
    const { cache } = fixture();
    const held = heldLoader();
    const loading = cache.load('k', held.loader);
    cache.invalidate('other');
    assert.equal(held.ticket().invalidated, false);
    assert.equal(cache.stats().invalidations, 0);
    held.finish({ value: 'v' });
    assert.equal((await loading).cached, true);
  });

  test('an invalidated load that fails: every waiter sees the error, nothing is stored', async () => {
    const { cache } = fixture();
    const held = heldLoader();
    const first = cache.load('k', held.loader);
    const second = cache.load('k', held.loader);
    cache.invalidate('k');
    held.fail(new Error('store down'));
    await assert.rejects(first, /store down/);
    await assert.rejects(second, /store down/);
    assert.equal(cache.size, 0);
    assert.equal(cache.stats().loadErrors, 1);
  });
});

describe('TtlCache.clear', () => {
  test('drops every entry and marks every load under way; their values are served, not kept', async () => {
    const { cache, released } = fixture();
    for (const key of ['a', 'b', 'c']) cache.set(key, `old ${key}`);
    const heldX = heldLoader();
    const heldY = heldLoader();
    const x = cache.load('x', heldX.loader);
    const y = cache.load('y', heldY.loader);
    assert.equal(cache.clear(), 3);
    assert.equal(heldX.ticket().invalidated, true);
    assert.equal(heldY.ticket().invalidated, true);
    assert.equal(cache.size, 0);
    assert.equal(cache.stats().bytes, 0);
    assert.deepEqual(released.sort(), ['old a', 'old b', 'old c']);
    // Three entries and two loads.
    assert.equal(cache.stats().invalidations, 5);
    heldX.finish({ value: 'x1' });
    heldY.finish({ value: 'y1' });
    assert.equal((await x).value, 'x1');
    assert.equal((await y).value, 'y1');
    assert.equal(cache.size, 0);
    for (const key of ['a', 'b', 'c', 'x', 'y']) assert.equal(cache.get(key), undefined, key);
  });

  test('an empty cache: nothing dropped, nothing counted', () => {
    const { cache } = fixture();
    assert.equal(cache.clear(), 0);
    assert.equal(cache.stats().invalidations, 0);
  });
});

describe('TtlCache with maxEntries: 0 (no process cache)', () => {
  test('set serves the entry but never stores it, and evicts nothing', () => {
    let measured = 0;
    const { cache, released } = fixture({ maxEntries: 0, measure: () => ++measured });
    const entry = cache.set('k', 'v');
    assert.equal(entry.value, 'v');
    assert.equal(entry.cached, false);
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.size, 0);
    const stats = cache.stats();
    assert.equal(stats.evictions, 0);
    assert.equal(stats.bytes, 0);
    assert.equal(stats.tooLarge, 0);
    assert.equal(measured, 0);
    assert.deepEqual(released, []);
  });

  test('loads still share one call among concurrent callers, and every load goes to the loader', async () => {
    const { cache } = fixture({ maxEntries: 0 });
    const held = heldLoader();
    const first = cache.load('k', held.loader);
    const second = cache.load('k', held.loader);
    held.finish({ value: 'v' });
    assert.equal((await first).value, 'v');
    assert.equal((await second).value, 'v');
    assert.equal(held.calls(), 1);
    const again = heldLoader();
    const third = cache.load('k', again.loader);
    again.finish({ value: 'v2' });
    assert.equal((await third).value, 'v2');
    assert.equal(again.calls(), 1);
    const stats = cache.stats();
    assert.equal(stats.loads, 2);
    assert.equal(stats.evictions, 0);
    assert.equal(stats.entries, 0);
  });
});

describe('reads outside load(): openRead / closeRead', () => {
  test('a read closed with no invalidation of its key stores the value; one invalidated, or cleared, while open serves it unstored', () => {
    const { cache } = fixture();
    const plain = cache.openRead();
    assert.equal(cache.closeRead('a', plain, 'from redis', 1000).cached, true);
    assert.equal(cache.get('a')?.value, 'from redis');

    // Invalidated while the read was open (the push came with the reply): served, not kept.
    const raced = cache.openRead();
    cache.invalidate('b');
    const entry = cache.closeRead('b', raced, 'old b', 1000);
    assert.equal(entry.value, 'old b');
    assert.equal(entry.cached, false);
    assert.equal(cache.get('b'), undefined);

    // Another key's invalidation does not touch it; an invalidation before the read began neither.
    cache.invalidate('c');
    const later = cache.openRead();
    cache.invalidate('other');
    assert.equal(cache.closeRead('c', later, 'c', 1000).cached, true);

    const cleared = cache.openRead();
    cache.clear();
    assert.equal(cache.closeRead('d', cleared, 'd', 1000).cached, false);
    // After the clear, a new read keeps again.
    assert.equal(cache.closeRead('d', cache.openRead(), 'd', 1000).cached, true);
  });

  test('overlapping reads of one key: only those open at the invalidation lose; endRead() closes a read that found nothing', () => {
    const { cache } = fixture();
    const first = cache.openRead();
    cache.openRead(); // a read that will find nothing
    cache.invalidate('k');
    const second = cache.openRead();
    cache.endRead(); // that read ends
    assert.equal(cache.closeRead('k', second, 'new', 1000).cached, true);
    assert.equal(cache.closeRead('k', first, 'old', 1000).cached, false);
    // The old value did not replace... it was not stored, but set() drops the key's entry first.
    assert.equal(cache.get('k'), undefined);
  });

  test('with 10,000 keys invalidated while a read is open, the next counts as clearing all (the record is bounded)', () => {
    const { cache } = fixture();
    const open = cache.openRead();
    for (let i = 0; i < 10_001; i++) cache.invalidate(`k${i}`);
    assert.equal(cache.closeRead('untouched', open, 'v', 1000).cached, false);
    assert.equal(cache.closeRead('untouched', cache.openRead(), 'v', 1000).cached, true);
  });
});

describe('TtlCache.shorten (invalidations were lost: read again soon, do not drop)', () => {
  test('entries live at most the given time more, then keep their stale window; shorter ones are untouched; loads under way are not kept', async () => {
    let now = 1000;
    const cache = new TtlCache<string>({ ttlMs: 60_000, maxEntries: 10, maxBytes: 1_000_000, sweepMs: 0, staleMs: 5000, now: () => now });
    cache.set('long', 'a');
    cache.set('short', 'b', 500);
    const held = heldLoader();
    const pending = cache.load('loading', held.loader);
    assert.equal(cache.shorten(1000), 1);
    assert.equal(held.ticket().invalidated, true);
    held.finish({ value: 'c' });
    assert.equal((await pending).cached, false);
    now += 999;
    assert.equal(cache.get('long')?.value, 'a');
    now += 1;
    assert.equal(cache.get('long'), undefined);
    assert.equal(cache.stale('long')?.value, 'a', 'still served if the reload fails');
    assert.equal(cache.get('short'), undefined);
  });
});
