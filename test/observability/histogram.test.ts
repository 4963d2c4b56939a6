// Histogram: bucket placement (a value on a bound belongs to that bucket), count, sum,
// mean, max, interpolated percentiles that stay inside their bucket, overflow = max.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Histogram, LATENCY_BOUNDS_MS } from '../../src/observability/histogram.js';

describe('Histogram', () => {
  test('an empty histogram reports 0 everywhere', () => {
    const h = new Histogram();
    assert.equal(h.count, 0);
    assert.equal(h.mean(), 0);
    assert.equal(h.max, 0);
    for (const q of [0.5, 0.9, 0.99, 1]) assert.equal(h.percentile(q), 0);
    assert.equal(h.counts.length, LATENCY_BOUNDS_MS.length + 1);
  });

  test('a value equal to a bound lands in that bucket; just above lands in the next', () => {
    const h = new Histogram([10, 20, 30]);
    h.observe(0);
    h.observe(10);
    h.observe(10.001);
    h.observe(20);
    h.observe(30);
    h.observe(30.5);
    h.observe(1e9);
    assert.deepEqual([...h.counts], [2, 2, 1, 2]);
    assert.equal(h.count, 7);
    assert.equal(h.max, 1e9);
  });

  test('count, sum, mean and max', () => {
    const h = new Histogram();
    for (const v of [1, 2, 3, 4, 10]) h.observe(v);
    assert.equal(h.count, 5);
    assert.equal(h.sum, 20);
    assert.equal(h.mean(), 4);
    assert.equal(h.max, 10);
  });

  test('percentiles interpolate linearly within the bucket holding the rank', () => {
    const h = new Histogram([10, 20, 30]);
    // 500 in (0,10], 300 in (10,20], 200 in (20,30], spread evenly; max is 29.95.
    for (let i = 0; i < 500; i++) h.observe(0.01 + (i * 9.98) / 499);
    for (let i = 0; i < 300; i++) h.observe(10.05 + (i * 9.9) / 299);
    for (let i = 0; i < 200; i++) h.observe(20.05 + (i * 9.9) / 199);
    assert.deepEqual([...h.counts], [500, 300, 200, 0]);
    assert.ok(Math.abs(h.max - 29.95) < 1e-9, String(h.max));
    assert.equal(h.percentile(0.25), 5); // rank 250 of 500 in [0,10]
    assert.equal(h.percentile(0.5), 10); // rank 500: the top of bucket 0
    assert.equal(h.percentile(0.65), 15); // rank 650: 150 of 300 in [10,20]
    assert.equal(h.percentile(0.8), 20);
    // Rank 900: 100 of 200 in [20, max], the bucket's upper end capped at the max seen.
    assert.ok(Math.abs(h.percentile(0.9) - 24.975) < 1e-9, String(h.percentile(0.9)));
    assert.equal(h.percentile(1), h.max);
  });

  test('1000 observations: every percentile lies within the bounds of its true bucket', () => {
    const h = new Histogram();
    const values: number[] = [];
    // Deterministic spread across 1 ms .. 300 ms buckets.
    for (let i = 0; i < 1000; i++) {
      const v = 0.6 + ((i * 7919) % 1000) * 0.3;
      values.push(v);
      h.observe(v);
    }
    values.sort((a, b) => a - b);
    const bucketOf = (v: number): number => {
      const i = LATENCY_BOUNDS_MS.findIndex((b) => v <= b);
      return i < 0 ? LATENCY_BOUNDS_MS.length : i;
    };
    for (const q of [0.1, 0.5, 0.9, 0.95, 0.99, 0.999]) {
      const truth = values[Math.ceil(q * values.length) - 1];
      assert.ok(truth !== undefined);
      const i = bucketOf(truth);
      const lower = LATENCY_BOUNDS_MS[i - 1] ?? 0;
      const upper = LATENCY_BOUNDS_MS[i] ?? Infinity;
      const p = h.percentile(q);
      assert.ok(p >= lower && p <= upper, `p${q * 100} = ${p}, true ${truth} is in (${lower}, ${upper}]`);
    }
    assert.equal(h.percentile(1), h.max);
  });

  test('percentiles in the overflow bucket report the max', () => {
    const h = new Histogram([10, 20]);
    for (let i = 0; i < 90; i++) h.observe(5);
    for (let i = 0; i < 10; i++) h.observe(100 + i);
    assert.equal(h.max, 109);
    assert.equal(h.percentile(0.95), 109);
    assert.equal(h.percentile(0.99), 109);
    assert.equal(h.percentile(1), 109);
    assert.ok(h.percentile(0.5) <= 10);
  });

  test('a single observation: every percentile is at most that value', () => {
    const h = new Histogram();
    h.observe(3);
    // Bucket (2.5, 5], upper capped at max 3.
    assert.equal(h.percentile(1), 3);
    assert.equal(h.percentile(0.5), 2.75);
  });
});
