// The real server (dist/server.js) with STORE_URL pointing at the inventory service, both
// child processes: the breaker's transitions as JSON log lines, and SIGTERM while a store
// call hangs still exiting 0 once STORE_TIMEOUT_MS ends that call.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type Child } from '../helpers/child.js';
import { request } from '../helpers/http.js';
import { startInventory } from '../helpers/inventory.js';

const STORE_TIMEOUT_MS = 300;
const BREAKER_OPEN_MS = 300;

/** The breaker's log line for entering `to` (at most a few seconds away). */
function transition(child: Child, to: string): Promise<Record<string, unknown>> {
  return child.waitForLine((line) => typeof line['msg'] === 'string' && line['msg'].startsWith(`store circuit breaker ${to}`) && line['to'] === to, 3_000);
}

test('STORE_URL: the breaker opens, half-opens and closes in JSON log lines; SIGTERM during a hung store call exits 0 promptly', { timeout: 20_000 }, async () => {
  const inventory = await startInventory();
  const { child, port } = await startServer([], {
    STORE_URL: inventory.url,
    STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
    STORE_RETRIES: '0',
    BREAKER_FAILURES: '2',
    BREAKER_FAILURE_RATIO: '0',
    BREAKER_OPEN_MS: String(BREAKER_OPEN_MS),
    SHUTDOWN_TIMEOUT_MS: '10000',
  });
  try {
    await inventory.control({ errorRate: 1 });
    assert.equal((await request(port, '/products/1')).status, 502);
    assert.equal((await request(port, '/products/2')).status, 502);
    const opened = await transition(child, 'open');
    assert.equal(opened['level'], 40, 'opening is a warning');
    assert.equal(opened['from'], 'closed');
    assert.match(String(opened['reason']), /^2 consecutive failures$/);
    assert.equal((await request(port, '/products/3')).status, 503);

    await inventory.control({ errorRate: 0 });
    await sleep(BREAKER_OPEN_MS + 20);
    assert.equal((await request(port, '/products/4')).status, 200);
    const halfOpen = await transition(child, 'half-open');
    assert.equal(halfOpen['level'], 30);
    assert.equal(halfOpen['from'], 'open');
    const closed = await transition(child, 'closed');
    assert.equal(closed['level'], 30);
    assert.equal(closed['from'], 'half-open');
    assert.equal(closed['reason'], 'the probe succeeded');
    const order = [opened, halfOpen, closed].map((line) => child.lines.indexOf(line));
    assert.deepEqual(order, [...order].sort((a, b) => a - b), 'logged in the order they happened');

    await inventory.control({ hangRate: 1 });
    const hung = request(port, '/products/5');
    const deadline = Date.now() + 2_000;
    while ((await inventory.stats()).byOutcome.hang === 0) {
      assert.ok(Date.now() < deadline, 'the store call reached the inventory');
      await sleep(10);
    }
    const signalled = performance.now();
    child.kill('SIGTERM');
    const exit = await child.exited;
    const took = performance.now() - signalled;
    assert.deepEqual(exit, { code: 0, signal: null }, child.stderr());
    // The hung call ends at STORE_TIMEOUT_MS, then the drained server exits: far from SHUTDOWN_TIMEOUT_MS.
    assert.ok(took < STORE_TIMEOUT_MS + 1_500, `exited ${took} ms after SIGTERM`);
    assert.equal((await hung).status, 504);
    const done = child.lines.find((line) => line['msg'] === 'shutdown complete');
    assert.equal(done?.['reason'], 'drained');
    assert.ok(!child.lines.some((line) => line['level'] === 50), 'no error line');
  } finally {
    child.kill('SIGKILL');
    await inventory.stop();
  }
});
