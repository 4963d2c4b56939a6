// RATE_LIMIT_RPS in cluster mode (the real server, WORKERS=2): each worker enforces its
// share, so however the kernel spreads one client's connections, the server as a whole
// never admits more than the configured burst (the refill at 0.01/s adds nothing within
// the test), and /metrics sums the refusals over the workers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricsReport } from '../../src/metrics/report.js';
import { startServer } from '../helpers/child.js';
import { request } from '../helpers/http.js';

const BURST = 10;
const REQUESTS = 40;

test('WORKERS=2: many connections from one client get at most the configured burst in total', async () => {
  const { child, port } = await startServer([], { WORKERS: '2', RATE_LIMIT_RPS: '0.01', RATE_LIMIT_BURST: String(BURST) });
  try {
    const statuses: number[] = [];
    const policies = new Set<string>();
    // A new connection per request, a few at a time, so both workers get some.
    for (let i = 0; i < REQUESTS; i += 4) {
      const replies = await Promise.all(Array.from({ length: 4 }, () => request(port, '/products/1')));
      for (const reply of replies) {
        statuses.push(reply.status);
        policies.add(String(reply.headers['ratelimit-policy']));
      }
    }
    const admitted = statuses.filter((s) => s === 200).length;
    assert.ok(admitted <= BURST, `${admitted} admitted, more than the burst of ${BURST}`);
    assert.ok(admitted >= BURST / 2, `${admitted} admitted: not even one worker's share`);
    assert.equal(statuses.filter((s) => s === 429).length, REQUESTS - admitted);
    // Each worker advertises the share it enforces: 5 tokens at 0.005/s, 1000 s to fill.
    assert.deepEqual([...policies], ['"default";q=5;w=1000']);
    const report = (await request(port, '/metrics')).json<MetricsReport>();
    assert.equal(report.rateLimit.limited, REQUESTS - admitted);
    assert.ok(report.rateLimit.clients >= 1 && report.rateLimit.clients <= 2, JSON.stringify(report.rateLimit));
  } finally {
    child.kill();
    await child.exited;
  }
});
