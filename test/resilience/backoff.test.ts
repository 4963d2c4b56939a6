// Full-jitter backoff: the ceiling doubles per retry up to the cap, the draw scales it,
// and no attempt number makes it NaN or Infinity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullJitter } from '../../src/resilience/backoff.js';

const half = (): number => 0.5;

test('the ceiling is baseMs * 2^attempt, capped at capMs, and the draw scales it', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((attempt) => fullJitter(attempt, 100, 1_000, half)), [50, 100, 200, 400, 500, 500]);
  assert.equal(fullJitter(3, 100, 1_000, () => 0), 0);
  assert.equal(fullJitter(3, 100, 1_000, () => 0.999), 799.2);
});

test('a huge attempt number gives the capped value, and a zero base gives 0 (not NaN)', () => {
  assert.equal(fullJitter(5_000, 100, 1_000, half), 500);
  assert.equal(fullJitter(5_000, 0, 1_000, half), 0);
});

test('by default the draw is Math.random: within [0, ceiling) and not constant', () => {
  const draws = Array.from({ length: 200 }, () => fullJitter(2, 10, 1_000));
  for (const ms of draws) assert.ok(ms >= 0 && ms < 40, String(ms));
  assert.ok(new Set(draws).size > 100);
});

test('a negative or fractional attempt, or a negative or infinite bound, is a RangeError', () => {
  for (const [attempt, base, cap] of [[-1, 100, 1_000], [0.5, 100, 1_000], [Number.NaN, 100, 1_000], [0, -1, 1_000], [0, 100, -1], [0, 100, Number.POSITIVE_INFINITY]] as const) {
    assert.throws(() => fullJitter(attempt, base, cap), RangeError, `${attempt} ${base} ${cap}`);
  }
});
