// The cluster primary's restart backoff: exponential per failure in a row, capped, and
// reset once a worker had been up a while.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restartBackoff } from '../../src/cluster/primary.js';

test('a worker dying at once again and again waits 100 ms, doubling, at most 10 s', () => {
  let failures = 0;
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    const next = restartBackoff(failures, 50);
    failures = next.failures;
    delays.push(next.delayMs);
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
});

test('a worker that had run 10 s starts the backoff over', () => {
  assert.deepEqual(restartBackoff(7, 10_000), { failures: 1, delayMs: 100 });
  assert.deepEqual(restartBackoff(7, 9_999), { failures: 8, delayMs: 10_000 });
});
