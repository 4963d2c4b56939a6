// LatencyHistogram: exact below 1024 us, < 0.2% relative error above, exact moments,
// the documented rank rule for percentiles, and merge() equal to recording everything once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LatencyHistogram } from '../../scripts/load/latency-histogram.js';

function fed(values: readonly number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

/** Two-pass mean and population stdev, the reference the summary must match. */
function direct(values: readonly number[]): { mean: number; stdev: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, stdev: Math.sqrt(variance) };
}

const ms = (us: number): number => Math.round(us) / 1000;

// A deterministic pseudo-random sequence (LCG), so failures reproduce.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('LatencyHistogram', () => {
  test('an empty histogram summarises to all zeros', () => {
    const h = new LatencyHistogram();
    assert.deepEqual(h.summary(), { avg: 0, stdev: 0, min: 0, max: 0, p50: 0, p90: 0, p99: 0, p999: 0, withinStdevPct: 0 });
    assert.equal(h.percentileUs(0.5), 0);
  });

  test('1..1000 us uniform: percentiles are exact under the ceil(q*count) rank rule', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const h = fed(values);
    const s = h.summary();
    assert.equal(s.p50, 0.5);
    assert.equal(s.p90, 0.9);
    assert.equal(s.p99, 0.99);
    assert.equal(s.p999, 0.999);
    assert.equal(s.min, 0.001);
    assert.equal(s.max, 1);
    assert.equal(s.avg, 0.501); // 500.5 us rounds to 501
    // stdev of 1..1000 is sqrt((1000^2 - 1) / 12) = 288.675 us
    assert.equal(s.stdev, 0.289);
    // avg +/- stdev = [211.825, 789.175]: values 212..789, 578 of 1000
    assert.equal(s.withinStdevPct, 57.8);
  });

  test('below 1024 us every value is its own bucket: the rank rule holds exactly for every count', () => {
    // For 1..n, the q-percentile is the smallest k with k >= q*n (at least 1).
    for (const n of [1, 2, 3, 7, 10, 99, 100, 101, 333, 999, 1023]) {
      const h = fed(Array.from({ length: n }, (_, i) => i + 1));
      for (const [q, permille] of [[0.5, 500], [0.9, 900], [0.99, 990], [0.999, 999]] as const) {
        const want = Math.max(1, Math.ceil((permille * n) / 1000));
        assert.equal(h.percentileUs(q), want, `n=${n} q=${q}`);
      }
    }
  });

  test('percentiles are positional, not value-averaged: a skewed set', () => {
    // 90 samples at 100 us, 9 at 500 us, 1 at 1000 us.
    const values = [...Array<number>(90).fill(100), ...Array<number>(9).fill(500), 1000];
    const s = fed(values).summary();
    assert.equal(s.p50, 0.1);
    assert.equal(s.p90, 0.1); // rank 90 is the last 100 us sample
    assert.equal(s.p99, 0.5); // rank 99 is the last 500 us sample
    assert.equal(s.p999, 1); // rank ceil(99.9) = 100
  });

  test('above 1024 us a value is reported within 0.2% (and never above it)', () => {
    const next = lcg(7);
    const samples = [1024, 1025, 2047, 2048, 4095, 123456, 999_999, 1_000_000, 60_000_000, 2 ** 31 - 2];
    for (let i = 0; i < 500; i++) samples.push(1024 + Math.floor(next() * 100_000_000));
    for (const v of samples) {
      // With a smaller sample beside it, q=1 returns the bucket's lower bound, clamped to max.
      const h = fed([1, v]);
      const got = h.percentileUs(1);
      assert.ok(got <= v, `${v} -> ${got}`);
      assert.ok((v - got) / v < 0.002, `${v} -> ${got}: ${(((v - got) / v) * 100).toFixed(3)}%`);
    }
  });

  test('123456 us as the median of a spread stays within 0.2%', () => {
    const h = fed([50, 123456, 900_000]);
    const p50 = h.summary().p50;
    assert.ok(Math.abs(p50 - 123.456) / 123.456 < 0.002, String(p50));
    // min and max are the recorded values themselves, not bucket bounds
    assert.equal(h.summary().min, 0.05);
    assert.equal(h.summary().max, 900);
  });

  test('a single large sample reports itself exactly (clamped to min/max)', () => {
    const s = fed([123456]).summary();
    assert.equal(s.p50, 123.456);
    assert.equal(s.p999, 123.456);
    assert.equal(s.min, 123.456);
    assert.equal(s.max, 123.456);
    assert.equal(s.avg, 123.456);
    assert.equal(s.stdev, 0);
  });

  test('min, max, avg and stdev equal a direct computation over the raw samples', () => {
    const next = lcg(42);
    const values: number[] = [];
    // A latency-like mix: mostly 1-5 ms, a tail to 200 ms; integer us so sums are exact.
    for (let i = 0; i < 20_000; i++) values.push(next() < 0.98 ? 1000 + Math.floor(next() * 4000) : 5000 + Math.floor(next() * 195_000));
    const s = fed(values).summary();
    const { mean, stdev } = direct(values);
    assert.equal(s.min, ms(Math.min(...values)));
    assert.equal(s.max, ms(Math.max(...values)));
    assert.equal(s.avg, ms(mean));
    assert.equal(s.stdev, ms(stdev));
  });

  test('fractional microseconds: moments keep the fractions, buckets round', () => {
    const values = [0.4, 0.6, 1.5, 2.5];
    const h = fed(values);
    assert.equal(h.sum, 5);
    assert.equal(h.min, 0.4);
    assert.equal(h.max, 2.5);
    // 0.4 -> bucket 0 and 0.6 -> bucket 1: rank 1 returns bucket 0's bound clamped up to min
    assert.equal(h.percentileUs(0.25), 0.4);
  });

  test('merge() of two histograms equals one histogram fed every sample', () => {
    const next = lcg(3);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 5000; i++) a.push(200 + Math.floor(next() * 3000));
    for (let i = 0; i < 3000; i++) b.push(1500 + Math.floor(next() * 500_000));
    const merged = fed(a);
    merged.merge(fed(b));
    const whole = fed([...a, ...b]);
    assert.deepEqual([...merged.counts], [...whole.counts]);
    assert.equal(merged.count, 8000);
    assert.equal(merged.sum, whole.sum);
    assert.equal(merged.sumSquares, whole.sumSquares);
    assert.equal(merged.min, whole.min);
    assert.equal(merged.max, whole.max);
    assert.deepEqual(merged.summary(), whole.summary());
  });

  test('merging an empty histogram changes nothing, and merging into an empty one copies', () => {
    const h = fed([5, 10, 2000]);
    const before = h.summary();
    h.merge(new LatencyHistogram());
    assert.deepEqual(h.summary(), before);
    const empty = new LatencyHistogram();
    empty.merge(h);
    assert.deepEqual(empty.summary(), before);
    assert.equal(empty.min, 5);
  });

  test('withinStdevPct for a known distribution: 68 of 100 inside avg +/- stdev', () => {
    // 16 at 100, 68 at 500, 16 at 900 us: mean 500, stdev sqrt(0.32 * 400^2) = 226.27;
    // only the 500s lie in [273.7, 726.3].
    const values = [...Array<number>(16).fill(100), ...Array<number>(68).fill(500), ...Array<number>(16).fill(900)];
    const s = fed(values).summary();
    assert.equal(s.avg, 0.5);
    assert.equal(s.stdev, ms(Math.sqrt(0.32) * 400));
    assert.equal(s.withinStdevPct, 68);
  });
});
