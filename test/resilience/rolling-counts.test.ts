// The bucketed window the breaker and the budget share: how long an event counts,
// totals kept right as buckets fall out, a long pause, a clock that steps back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RollingCounts } from '../../src/resilience/rolling-counts.js';

const A = 0;
const B = 1;

test('an event counts until its bucket leaves the window (windowMs - bucketMs to windowMs later)', () => {
  // 10 buckets of 100 ms.
  const counts = new RollingCounts(1_000, 10, 2, 5_000);
  counts.add(A, 5_050);
  counts.add(A, 5_099);
  counts.add(B, 5_100);
  assert.deepEqual([counts.total(A, 5_999), counts.total(B, 5_999)], [2, 1]);
  assert.deepEqual([counts.total(A, 6_000), counts.total(B, 6_000)], [0, 1], 'the bucket of 5000..5099 left at 6000');
  assert.equal(counts.total(B, 6_099), 1);
  assert.equal(counts.total(B, 6_100), 0);
});

test('totals stay right over many turns of the ring, one event per 30 ms', () => {
  const counts = new RollingCounts(1_000, 10, 2, 0);
  for (let ms = 0; ms < 20_000; ms += 30) {
    counts.add(A, ms);
    // The events in the buckets from floor(ms/100)-9 to now.
    const first = (Math.floor(ms / 100) - 9) * 100;
    let expected = 0;
    for (let at = 0; at <= ms; at += 30) if (at >= first) expected++;
    assert.equal(counts.total(A, ms), expected, `at ${ms}`);
  }
});

test('a pause longer than the window empties it; clear() too', () => {
  const counts = new RollingCounts(1_000, 10, 2, 0);
  for (let i = 0; i < 5; i++) counts.add(B, 950);
  assert.equal(counts.total(B, 1e9), 0);
  counts.add(B, 1e9);
  assert.equal(counts.total(B, 1e9 + 500), 1);
  counts.clear();
  assert.equal(counts.total(B, 1e9 + 500), 0);
  counts.add(B, 1e9 + 500);
  assert.equal(counts.total(B, 1e9 + 500), 1);
});

test('a clock that steps back counts into the newest bucket; negative times work', () => {
  const counts = new RollingCounts(1_000, 10, 1, -5_000);
  counts.add(A, -4_000);
  counts.add(A, -4_500);
  assert.equal(counts.total(A, -3_001), 2);
  assert.equal(counts.total(A, -3_000), 0);
});
