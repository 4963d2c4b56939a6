// The retry budget with a clock the test moves: the floor for a quiet service, the ratio
// of calls, retries and calls leaving the rolling window, and the counts it reports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RetryBudget, type RetryBudgetOptions } from '../../src/resilience/retry-budget.js';

function budget(options: Partial<RetryBudgetOptions> = {}): { budget: RetryBudget; clock: { ms: number } } {
  const clock = { ms: 7_000 };
  return { budget: new RetryBudget({ ratio: 0.2, minPerSecond: 0, windowMs: 10_000, now: () => clock.ms, ...options }), clock };
}

function retries(b: RetryBudget, tries: number): number {
  let allowed = 0;
  for (let i = 0; i < tries; i++) if (b.tryRetry()) allowed++;
  return allowed;
}

test('without calls, the floor allows minPerSecond retries per second of the window, then refuses', () => {
  const { budget: b, clock } = budget({ minPerSecond: 10, windowMs: 1_000 });
  assert.equal(retries(b, 15), 10);
  clock.ms += 999;
  assert.equal(b.tryRetry(), false, 'the retries are still in the window');
  clock.ms += 1;
  assert.equal(retries(b, 15), 10, 'they have left it');
  assert.deepEqual(b.stats(), { calls: 0, retries: 20, refused: 11 });
});

test('retries are at most ratio of the calls in the window', () => {
  const { budget: b } = budget({ ratio: 0.2 });
  assert.equal(b.tryRetry(), false, 'no calls, no floor: nothing to spend');
  for (let i = 0; i < 100; i++) b.recordCall();
  assert.equal(retries(b, 50), 20);
  b.recordCall();
  assert.equal(b.tryRetry(), false, '101 calls: still 20');
  for (let i = 0; i < 4; i++) b.recordCall();
  assert.equal(b.tryRetry(), true, '105 calls: 21');
  assert.deepEqual(b.stats(), { calls: 105, retries: 21, refused: 32 });
});

test('the floor adds to the ratio', () => {
  const { budget: b } = budget({ ratio: 0.5, minPerSecond: 1, windowMs: 10_000 });
  for (let i = 0; i < 10; i++) b.recordCall();
  assert.equal(retries(b, 100), 15);
});

test('calls leave the window, and with them the retries they paid for', () => {
  const { budget: b, clock } = budget({ ratio: 0.5, windowMs: 10_000 });
  for (let i = 0; i < 10; i++) b.recordCall();
  clock.ms += 5_000;
  for (let i = 0; i < 10; i++) b.recordCall();
  clock.ms += 5_000;
  // The first ten calls have left: 5 retries for the ten still in the window.
  assert.equal(retries(b, 100), 5);
});

test('a ratio that is not exact in binary still pays for its whole retries', () => {
  // 0.29 * 100 is 28.999999999999996.
  const { budget: b } = budget({ ratio: 0.29 });
  for (let i = 0; i < 100; i++) b.recordCall();
  assert.equal(retries(b, 100), 29);
});

test('options are checked when the budget is made', () => {
  for (const bad of [{ ratio: -0.1 }, { ratio: Number.POSITIVE_INFINITY }, { minPerSecond: -1 }, { minPerSecond: Number.NaN }, { windowMs: 0 }, { buckets: 1.5 }]) {
    assert.throws(() => budget(bad), RangeError, JSON.stringify(bad));
  }
});
