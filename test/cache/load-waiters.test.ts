// Singleflight loads with waiters that give up: a waiter whose signal aborts leaves at
// once, the others keep waiting, and the loader's signal aborts only when the last one
// has left (then the load is forgotten and the next caller starts a new one).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TtlCache, type Loaded } from '../../src/cache/ttl-cache.js';

function cache(): TtlCache<string> {
  return new TtlCache<string>({ ttlMs: 60_000, maxEntries: 10, maxBytes: 1 << 20, sweepMs: 0 });
}

/** A loader that answers when told, and keeps the signal it was given. */
function deferredLoader(): { loader: (signal: AbortSignal) => Promise<Loaded<string>>; signals: AbortSignal[]; answer(value: string): void } {
  const signals: AbortSignal[] = [];
  let answer: (value: string) => void = () => assert.fail('no load started');
  return {
    signals,
    loader: (signal) => {
      signals.push(signal);
      return new Promise((resolve) => (answer = (value) => resolve({ value })));
    },
    answer: (value) => answer(value),
  };
}

test('one waiter gives up: it rejects with its reason at once; the load goes on for the other', async () => {
  const c = cache();
  const { loader, signals, answer } = deferredLoader();
  const impatient = new AbortController();
  const patient = new AbortController();
  const first = c.load('k', loader, impatient.signal);
  const second = c.load('k', loader, patient.signal);
  assert.equal(signals.length, 1, 'one shared load');
  const reason = new Error('deadline');
  impatient.abort(reason);
  await assert.rejects(first, (error) => error === reason);
  assert.equal(signals[0]?.aborted, false, 'the other still waits');
  answer('v');
  assert.equal((await second).value, 'v');
  assert.equal(c.get('k')?.value, 'v', 'cached');
  assert.equal(c.stats().inflight, 0);
});

test('every waiter gives up: the loader is aborted with the last reason, forgotten, not cached, and the next caller loads again', async () => {
  const c = cache();
  const { loader, signals, answer } = deferredLoader();
  const one = new AbortController();
  const two = new AbortController();
  const a = c.load('k', loader, one.signal);
  const b = c.load('k', loader, two.signal);
  one.abort(new Error('first'));
  await assert.rejects(a, /first/);
  assert.equal(signals[0]?.aborted, false);
  const last = new Error('last');
  two.abort(last);
  await assert.rejects(b, /last/);
  assert.equal(signals[0]?.aborted, true);
  assert.equal(signals[0]?.reason, last);
  assert.equal(c.stats().inflight, 0, 'forgotten at once');
  answer('late'); // the store answers anyway: nobody waits, nothing is stored
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(c.get('k'), undefined);
  assert.equal(c.stats().loadErrors, 1, 'the abandoned load counted once');
  const again = c.load('k', loader);
  assert.equal(signals.length, 2, 'a new load');
  answer('fresh');
  assert.equal((await again).value, 'fresh');
});

test('a caller without a signal keeps the load alive; an already aborted signal never starts one', async () => {
  const c = cache();
  const { loader, signals, answer } = deferredLoader();
  const gone = new AbortController();
  gone.abort(new Error('gone before'));
  await assert.rejects(c.load('k', loader, gone.signal), /gone before/);
  assert.equal(signals.length, 0);
  const pinned = c.load('k', loader);
  const leaving = new AbortController();
  const left = c.load('k', loader, leaving.signal);
  leaving.abort(new Error('bye'));
  await assert.rejects(left, /bye/);
  assert.equal(signals[0]?.aborted, false, 'the caller without a signal still waits');
  answer('v');
  assert.equal((await pinned).value, 'v');
});
