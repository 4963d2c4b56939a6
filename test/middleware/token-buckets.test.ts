// The bucket store on its own, with a clock the test moves: burst, refill, the numbers a
// response reports, the bound on clients (a million distinct keys), and the sweep's
// bounded work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBuckets, type TokenBucketOptions } from '../../src/middleware/token-buckets.js';

function buckets(options: Partial<TokenBucketOptions> = {}): { store: TokenBuckets; clock: { ms: number } } {
  const clock = { ms: 1000 };
  const store = new TokenBuckets({ ratePerSecond: 2, burst: 3, maxClients: 100, sweepMs: 0, now: () => clock.ms, ...options });
  return { store, clock };
}

test('a burst is admitted, then refused until the refill brings a whole token', () => {
  const { store, clock } = buckets();
  assert.equal(store.take('a'), true);
  assert.equal(store.remaining, 2);
  assert.equal(store.waitMs, 500);
  assert.equal(store.take('a'), true);
  assert.equal(store.take('a'), true);
  assert.equal(store.remaining, 0);
  assert.equal(store.take('a'), false);
  assert.equal(store.waitMs, 500);
  // Another client has its own bucket.
  assert.equal(store.take('b'), true);
  clock.ms += 499;
  assert.equal(store.take('a'), false);
  assert.ok(store.waitMs > 0 && store.waitMs < 1.001, String(store.waitMs));
  clock.ms += 1;
  assert.equal(store.take('a'), true);
  assert.equal(store.take('a'), false);
  // A long pause refills to the burst, never beyond it.
  clock.ms += 60_000;
  for (let i = 0; i < 3; i++) assert.equal(store.take('a'), true);
  assert.equal(store.take('a'), false);
  assert.deepEqual(store.stats(), { limited: 4, clients: 2, evictions: 0 });
});

test('a fractional rate: one request every two seconds', () => {
  const { store, clock } = buckets({ ratePerSecond: 0.5, burst: 1 });
  assert.equal(store.take('a'), true);
  assert.equal(store.take('a'), false);
  assert.equal(store.waitMs, 2000);
  clock.ms += 1999;
  assert.equal(store.take('a'), false);
  clock.ms += 1;
  assert.equal(store.take('a'), true);
});

test('a million distinct clients never grow the store past its cap; each one still gets a token', () => {
  const { store } = buckets({ maxClients: 1000, ratePerSecond: 1, burst: 5 });
  for (let i = 0; i < 1_000_000; i++) {
    if (!store.take(String(i))) assert.fail(`client ${i} was refused`);
    if (store.size > 1000) assert.fail(`store grew to ${store.size}`);
  }
  assert.deepEqual(store.stats(), { limited: 0, clients: 1000, evictions: 999_000 });
});

test('at the cap a full bucket (no state) is dropped before a client that is being limited', () => {
  const { store, clock } = buckets({ maxClients: 3, ratePerSecond: 1, burst: 2 });
  store.take('limited');
  store.take('limited');
  assert.equal(store.take('limited'), false);
  store.take('idle');
  clock.ms += 5000; // 'idle' has refilled; 'limited' too, but its third take above was refused
  store.take('limited'); // 'limited' is now below full again
  store.take('third');
  store.take('newcomer'); // the cap bites: 'idle' is full and goes
  assert.equal(store.size, 3);
  assert.equal(store.stats().evictions, 1);
  assert.equal(store.take('limited'), true);
  assert.equal(store.take('limited'), false, 'the limited client kept its bucket');
});

test('the sweep drops refilled buckets, looking at no more than its batch per tick', () => {
  const { store, clock } = buckets({ maxClients: 100_000, ratePerSecond: 10, burst: 10 });
  for (let i = 0; i < 50_000; i++) store.take(String(i));
  assert.equal(store.sweep(1000), 1000);
  assert.equal(store.size, 50_000, 'nothing has refilled yet');
  clock.ms += 1000;
  store.take('0'); // taken again just now: not full, stays
  let ticks = 0;
  while (store.size > 1 && ticks < 200) {
    assert.ok(store.sweep(1000) <= 1000);
    ticks++;
  }
  assert.equal(store.size, 1);
  assert.ok(ticks >= 50, `${ticks} ticks`);
  assert.equal(store.take('0'), true);
  assert.equal(store.remaining, 8);
});
