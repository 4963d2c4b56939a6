// The paired comparison's arithmetic: CPU per request from CPU seconds and answered
// requests, the ratio the right way round (above 1: the target costs less), the median
// of the rounds, errors counted, and a table that says what it compares.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuUsPerRequest, pairedRound, pairedSummary, pairedTable } from '../../scripts/bench/paired.js';
import type { LoadResult } from '../../scripts/load/types.js';

function result(requests: number, errors: Partial<LoadResult['errors']> = {}, non2xx3xx = 0, p99 = 1): LoadResult {
  return {
    tool: 'wrk',
    requests,
    durationSec: 1,
    requestsPerSec: requests,
    transferBytesPerSec: 0,
    latencyMs: { min: 1, avg: 1, stdev: 0, max: 1, p50: 1, p90: 1, p99, p999: 1, withinStdevPct: 100 },
    errors: { connect: 0, read: 0, write: 0, timeout: 0, ...errors },
    non2xx3xx,
    connections: 100,
    threads: 1,
  };
}

test('CPU per request in microseconds; nothing answered is 0, not a division by zero', () => {
  assert.equal(cpuUsPerRequest(2, 100_000), 20);
  assert.equal(cpuUsPerRequest(1, 0), 0);
});

test('a round: the target costing 25 us against 20 us is 0.8x', () => {
  const r = pairedRound(result(80_000), 2, result(100_000), 2);
  assert.equal(r.targetCpuUsPerRequest, 25);
  assert.equal(r.baseCpuUsPerRequest, 20);
  assert.equal(r.ratio, 0.8);
  assert.equal(r.targetErrors, 0);
  const failing = pairedRound(result(10, { timeout: 2, read: 1 }, 4), 1, result(10, { connect: 5 }), 1);
  assert.equal(failing.targetErrors, 7);
  assert.equal(failing.baseErrors, 5);
  assert.equal(pairedRound(result(0), 1, result(10), 1).ratio, 0);
});

test("a round records each side's p99, and the summary their medians", () => {
  const r = pairedRound(result(10, {}, 0, 7.126), 1, result(10, {}, 0, 9.5), 1);
  assert.deepEqual([r.targetP99Ms, r.baseP99Ms], [7.13, 9.5]);
  const p99s: [number, number][] = [[8, 5], [6, 9], [7, 4]];
  const rounds = p99s.map(([t, b]) => pairedRound(result(10, {}, 0, t), 1, result(10, {}, 0, b), 1));
  const s = pairedSummary('turbina-cluster', 'node-bare-cluster', 'io', rounds);
  // Each side's own median, not the p99s of one round.
  assert.deepEqual([s.targetP99Ms, s.baseP99Ms], [7, 5]);
});

test('the summary is the median round, with the range', () => {
  const rounds = [0.91, 0.8, 0.85].map((ratio) => ({ ...pairedRound(result(1), 1, result(1), 1), ratio }));
  const s = pairedSummary('turbina', 'node-bare', 'product-hit', rounds);
  assert.deepEqual([s.ratio, s.minRatio, s.maxRatio], [0.85, 0.8, 0.91]);
  // An even count takes the lower middle: a pessimistic median.
  assert.equal(pairedSummary('t', 'b', 's', rounds.slice(0, 2)).ratio, 0.8);
  assert.equal(pairedSummary('t', 'b', 's', []).ratio, 0);
});

test('the table names each baseline and shows the median round and both p99s', () => {
  const single = [pairedRound(result(80_000, {}, 0, 4.5), 2, result(100_000, {}, 0, 5), 2)];
  const cluster = [pairedRound(result(100_000, {}, 0, 12), 2, result(90_000, {}, 0, 10.25), 2)];
  const table = pairedTable(
    [pairedSummary('turbina', 'node-bare', 'io', single), pairedSummary('turbina-cluster', 'node-bare-cluster', 'io', cluster)],
    { turbina: 'turbina (1 process)', 'node-bare': 'bare node:http', 'node-bare-cluster': 'bare cluster' },
  );
  assert.match(table, /^Paired, each target with its baseline/);
  assert.ok(table.includes('| scenario | target | baseline | target CPU us/req | baseline CPU us/req | vs baseline | rounds\' range | p99 target / baseline | rounds | errors |'), table);
  assert.ok(table.includes('| io | turbina (1 process) | bare node:http | 25.00 | 20.00 | 0.80x | 0.80-0.80x | 4.50 / 5.00 ms | 1 | 0 |'), table);
  assert.ok(table.includes('| io | turbina-cluster | bare cluster | 20.00 | 22.22 | 1.11x | 1.11-1.11x | 12.00 / 10.25 ms | 1 | 0 |'), table);
  assert.equal(pairedTable([], {}), '');
});
