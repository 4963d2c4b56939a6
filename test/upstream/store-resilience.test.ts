// The whole app with STORE_URL pointing at the real inventory service (a child process),
// its faults switched through /_control, its /_stats counting what reached it: failures,
// hangs and garbage mapped to problems and never cached, recovery, retries and their
// Retry-After, the retry budget under a burst, the breaker opening with its log line and
// metrics, one probe when half-open, stale copies while the store fails, /readyz, the
// cache's singleflight across retries, a cached 404, and the inventory killed mid-run.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_KNOBS } from '../../scripts/upstream/knobs.js';
import type { CacheStats } from '../../src/cache/ttl-cache.js';
import type { Config } from '../../src/config.js';
import { generateProduct } from '../../src/products/catalog.js';
import type { StoreStats } from '../../src/products/resilient-store.js';
import { request, withApp, type Reply } from '../helpers/http.js';
import { startInventory, type Inventory } from '../helpers/inventory.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';

/** The retry budget's floor in app.ts: 10 retries a second over its 10 s window. */
const BUDGET_FLOOR = 10 * 10;

/** Small bounds so every failure is quick; each test loosens what it exercises. */
function settings(inventory: Inventory, more: Partial<Config> = {}): Partial<Config> {
  return {
    storeUrl: inventory.url,
    storeTimeoutMs: 100,
    storeRetries: 0,
    storeRetryBaseMs: 1,
    breakerFailures: 0,
    breakerFailureRatio: 0,
    breakerOpenMs: 300,
    cacheTtlMs: 150,
    staleIfErrorMs: 60_000,
    requestDeadlineMs: 2_000,
    ...more,
  };
}

interface Metrics {
  readonly store: StoreStats;
  readonly cache: CacheStats & { readonly storeCalls: number };
}

async function metrics(port: number): Promise<Metrics> {
  return (await request(port, '/metrics')).json<Metrics>();
}

async function prometheus(port: number): Promise<ReturnType<typeof parsePrometheus>> {
  return parsePrometheus((await request(port, '/metrics?format=prometheus')).text);
}

const get = (port: number, id: number): Promise<Reply> => request(port, `/products/${id}`);
const getAll = (port: number, ids: readonly number[]): Promise<Reply[]> => Promise.all(ids.map((id) => get(port, id)));
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

/** A problem document for a store failure, with nothing of the upstream's body in it. */
function assertStoreProblem(reply: Reply, status: number): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.headers['content-type'], 'application/problem+json');
  assert.equal(reply.headers['x-cache'], undefined, 'a failure is not a cache answer');
  const problem = reply.json<Record<string, unknown>>();
  assert.deepEqual(Object.keys(problem), ['type', 'title', 'status', 'detail']);
  assert.equal(problem['status'], status);
}

/** The product as the upstream has it, as turbina must serve it. */
function assertProduct(reply: Reply, id: number, cache: string): void {
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.headers['x-cache'], cache);
  assert.deepEqual(reply.json(), JSON.parse(JSON.stringify(generateProduct(id))));
}

async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('the product store behind the inventory service', { timeout: 20_000 }, () => {
  let inventory: Inventory;
  before(async () => {
    inventory = await startInventory();
  });
  after(async () => {
    await inventory.stop();
  });
  beforeEach(async () => {
    await inventory.control(DEFAULT_KNOBS);
    await inventory.resetStats();
  });

  test('it fails (502), hangs (504 at STORE_TIMEOUT_MS, the hang abandoned), answers garbage (502, never cached), then recovers', async () => {
    await withApp(async ({ port }) => {
      await inventory.control({ errorRate: 1 });
      assertStoreProblem(await get(port, 1), 502);
      assertStoreProblem(await get(port, 1), 502);
      assert.equal((await inventory.stats()).byOutcome.error, 2, 'a failure is not cached: each request asked again');

      await inventory.control({ errorRate: 0, hangRate: 1 });
      const started = performance.now();
      assertStoreProblem(await get(port, 2), 504);
      const took = performance.now() - started;
      assert.ok(took >= 95 && took < 1_500, `answered after ${took} ms, STORE_TIMEOUT_MS is 100`);
      await until(async () => (await inventory.stats()).inFlight === 0, 'the inventory to see the hung request abandoned');

      await inventory.control({ hangRate: 0, garbageRate: 1 });
      const product = generateProduct(3);
      for (let i = 0; i < 4; i++) {
        // The four kinds take turns: truncated JSON, wrong types, HTML, another product.
        const reply = await get(port, 3);
        assertStoreProblem(reply, 502);
        for (const piece of ['<', product.sku, product.name, '"id"']) assert.ok(!reply.text.includes(piece), `${JSON.stringify(piece)} from the garbage in ${reply.text}`);
      }
      assert.equal((await inventory.stats()).byOutcome.garbage, 4, 'garbage is never cached: each request asked again');

      await inventory.control({ garbageRate: 0 });
      assertProduct(await get(port, 3), 3, 'MISS');
      assertProduct(await get(port, 3), 3, 'HIT');
      assertProduct(await get(port, 1), 1, 'MISS');
      const { store } = await metrics(port);
      assert.deepEqual(store.failures, { connect: 0, reset: 0, status: 2, invalid: 4, 'too-large': 0, timeout: 1, other: 0 });
      assert.equal(store.breaker.state, 'closed');
    }, settings(inventory));
  });

  test('retries: turbina and the inventory count the same attempts', async () => {
    await withApp(async ({ port }) => {
      await inventory.control({ errorRate: 1 });
      assertStoreProblem(await get(port, 1), 502);
      assert.equal((await inventory.stats()).requests, 3, 'the first attempt and two retries');
      const { store, cache } = await metrics(port);
      assert.equal(store.calls, 1);
      assert.equal(store.attempts, 3);
      assert.equal(store.retries, 2);
      assert.equal(store.failures.status, 3);
      assert.equal(cache.storeCalls, 3);
      const prom = await prometheus(port);
      assert.equal(sampleValue(prom, 'turbina_store_retries_total'), 2);
      assert.equal(sampleValue(prom, 'turbina_store_calls_total'), 3);
      assert.equal(sampleValue(prom, 'turbina_store_attempt_failures_total', { cause: 'status' }), 3);
    }, settings(inventory, { storeRetries: 2, storeRetryBaseMs: 20 }));
  });

  test("a retry waits for the upstream's Retry-After, then succeeds", async () => {
    await withApp(async ({ port }) => {
      await inventory.control({ errorRate: 1, retryAfter: '1' });
      const started = performance.now();
      const pending = get(port, 1);
      await sleep(600);
      assert.equal((await inventory.stats()).requests, 1, 'no retry before the second Retry-After asked for');
      await inventory.control({ errorRate: 0 });
      assertProduct(await pending, 1, 'MISS');
      const took = performance.now() - started;
      assert.ok(took >= 1_000, `answered after ${took} ms`);
      assert.deepEqual((await inventory.stats()).byOutcome, { ok: 1, notFound: 0, badRequest: 0, error: 1, hang: 0, garbage: 0, drip: 0, refused: 0 });
    }, settings(inventory, { storeRetries: 1, requestDeadlineMs: 3_000 }));
  });

  test('the retry budget holds under a burst of failing misses: requests <= calls x (1 + ratio) + floor', async () => {
    const calls = 100;
    const ratio = 0.1;
    await withApp(async ({ port }) => {
      await inventory.control({ errorRate: 1 });
      const replies = await getAll(port, range(1, calls));
      for (const reply of replies) assertStoreProblem(reply, 502);
      const seen = (await inventory.stats()).requests;
      // Without the budget: 300 (every call and its two retries).
      assert.ok(seen <= calls * (1 + ratio) + BUDGET_FLOOR, `${seen} requests reached the inventory`);
      const { store } = await metrics(port);
      assert.equal(store.calls, calls);
      assert.equal(store.attempts, seen, "turbina's attempts are the inventory's requests");
      assert.equal(store.retries, seen - calls);
      assert.ok(store.retriesRefused > 0);
      assert.equal(sampleValue(await prometheus(port), 'turbina_store_retries_skipped_total', { reason: 'budget' }), store.retriesRefused);
    }, settings(inventory, { storeRetries: 2, storeRetryBudget: ratio, storeTimeoutMs: 1_000 }));
  });

  test('the breaker opens (log line, metrics, 503 without calling), lets exactly one probe through after BREAKER_OPEN_MS, and closes on its success', async () => {
    await withApp(async ({ app, port, logs }) => {
      await inventory.control({ errorRate: 1 });
      for (const id of [1, 2, 3]) assertStoreProblem(await get(port, id), 502);
      const opened = logs().find((line) => typeof line['msg'] === 'string' && line['msg'].startsWith('store circuit breaker open'));
      assert.ok(opened !== undefined, 'the breaker logged its opening');
      assert.equal(opened['level'], 40, 'a warning');
      assert.equal(opened['from'], 'closed');
      assert.equal(opened['to'], 'open');
      assert.match(String(opened['reason']), /3 consecutive failures/);

      const shortCircuited = await get(port, 4);
      assertStoreProblem(shortCircuited, 503);
      assert.equal(shortCircuited.headers['retry-after'], '1');
      assert.equal((await inventory.stats()).requests, 3, 'the open breaker called nothing');
      const { store } = await metrics(port);
      assert.equal(store.shortCircuited, 1);
      assert.deepEqual(store.breaker, { state: 'open', opened: 1, halfOpened: 0, closed: 0 });
      let prom = await prometheus(port);
      assert.equal(sampleValue(prom, 'turbina_store_breaker_state', { state: 'open' }), 1);
      assert.equal(sampleValue(prom, 'turbina_store_breaker_state', { state: 'closed' }), 0);
      assert.equal(sampleValue(prom, 'turbina_store_short_circuited_total'), 1);
      const notReady = await request(port, '/readyz');
      assert.equal(notReady.status, 503, 'open, and nothing cached to serve');

      // The probe takes a while, so every other request arrives while it is out.
      await inventory.control({ errorRate: 0, latencyMs: 150 });
      await sleep(app.store.breakerOpenForMs() + 5);
      await inventory.resetStats();
      const replies = await getAll(port, range(11, 10));
      assert.equal((await inventory.stats()).requests, 1, 'one probe');
      assert.deepEqual(replies.map((r) => r.status).sort(), [200, ...Array<number>(9).fill(503)]);
      const messages = logs().map((line) => String(line['msg']));
      assert.ok(messages.some((m) => m.startsWith('store circuit breaker half-open')));
      assert.ok(messages.some((m) => m.startsWith('store circuit breaker closed')));
      assertProduct(await get(port, 21), 21, 'MISS');
      assert.deepEqual((await metrics(port)).store.breaker, { state: 'closed', opened: 1, halfOpened: 1, closed: 1 });
      prom = await prometheus(port);
      assert.equal(sampleValue(prom, 'turbina_store_breaker_state', { state: 'closed' }), 1);
      assert.equal(sampleValue(prom, 'turbina_store_breaker_transitions_total', { to: 'closed' }), 1);
      assert.equal((await request(port, '/readyz')).status, 200);
    }, settings(inventory, { breakerFailures: 3, storeTimeoutMs: 1_000 }));
  });

  test('stale copies while the store fails and the breaker is open: no 5xx for what was cached, /readyz degraded but 200', async () => {
    await withApp(async ({ port }) => {
      const ids = range(1, 5);
      const fresh = await getAll(port, ids);
      for (const [i, reply] of fresh.entries()) assertProduct(reply, ids[i]!, 'MISS');
      await sleep(200); // past CACHE_TTL_MS
      await inventory.control({ errorRate: 1 });
      await inventory.resetStats();
      for (let round = 0; round < 8; round++) {
        for (const [i, id] of ids.entries()) {
          const reply = await get(port, id);
          assert.equal(reply.status, 200, `round ${round}, product ${id}: ${reply.text}`);
          assert.equal(reply.headers['x-cache'], 'STALE');
          assert.deepEqual(reply.body, fresh[i]!.body, 'the old bytes');
          assert.equal(reply.headers['etag'], fresh[i]!.headers['etag']);
        }
      }
      for (const reply of await getAll(port, [...ids, ...ids, ...ids])) assert.equal(reply.status, 200);
      // The first two calls failed after their two attempts each and opened the breaker;
      // everything after was served stale without asking.
      assert.equal((await inventory.stats()).requests, 4);
      const { store, cache } = await metrics(port);
      assert.equal(store.breaker.state, 'open');
      assert.equal(cache.staleServed, 8 * 5 + 15);

      const ready = await request(port, '/readyz');
      assert.equal(ready.status, 200);
      assert.match(ready.json<{ store: string }>().store, /circuit breaker open/);
      const uncached = await get(port, 6);
      assertStoreProblem(uncached, 503);
      assert.equal(uncached.headers['retry-after'], '5', 'what is left of BREAKER_OPEN_MS, in seconds');
    }, settings(inventory, { storeRetries: 1, breakerFailures: 2, breakerOpenMs: 5_000 }));
  });

  test('a hanging store: the stale copy goes out before the request deadline would answer 504', async () => {
    await withApp(async ({ port }) => {
      const fresh = await get(port, 1);
      assertProduct(fresh, 1, 'MISS');
      await sleep(200); // past CACHE_TTL_MS
      await inventory.control({ hangRate: 1 });
      const started = performance.now();
      const reply = await get(port, 1);
      const took = performance.now() - started;
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.headers['x-cache'], 'STALE');
      assert.deepEqual(reply.body, fresh.body);
      // Five retries of 100 ms would pass the 500 ms deadline; the call's share of it stops them.
      assert.ok(took < 500, `answered after ${took} ms`);
      const { store } = await metrics(port);
      assert.ok(store.retries >= 1 && store.retriesPastDeadline === 1, JSON.stringify(store));
    }, settings(inventory, { storeRetries: 5, requestDeadlineMs: 500 }));
  });

  test('singleflight across retries: concurrent misses for one id make one upstream request per attempt', async () => {
    await withApp(async ({ port }) => {
      // Each attempt takes 60 ms, so all the requests join the first one's load.
      await inventory.control({ errorRate: 1, latencyMs: 60 });
      for (const reply of await getAll(port, Array<number>(10).fill(7))) assertStoreProblem(reply, 502);
      assert.equal((await inventory.stats()).requests, 3, 'one call: its first attempt and two retries');
      await inventory.control({ errorRate: 0 });
      await inventory.resetStats();
      for (const reply of await getAll(port, Array<number>(10).fill(8))) assert.equal(reply.status, 200);
      assert.equal((await inventory.stats()).requests, 1);
      const { store, cache } = await metrics(port);
      assert.equal(store.calls, 2);
      assert.equal(cache.loads, 2);
    }, settings(inventory, { storeRetries: 2 }));
  });

  test('STORE_MAX_SOCKETS bounds the connections: the calls beyond it wait, and /metrics shows them waiting', async () => {
    await withApp(async ({ port }) => {
      await inventory.control({ latencyMs: 300 });
      const replies = getAll(port, range(21, 4));
      await sleep(150);
      const during = await metrics(port);
      assert.equal(during.store.waiting, 3, 'one call on the only connection, three waiting for it');
      assert.equal((await inventory.stats()).inFlight, 1);
      for (const reply of await replies) assert.equal(reply.status, 200);
      assert.equal((await metrics(port)).store.waiting, 0);
    }, settings(inventory, { storeMaxSockets: 1, storeTimeoutMs: 2_000 }));
  });

  test("the upstream's 404 is a cached 404, not a failure", async () => {
    await withApp(async ({ port }) => {
      const missing = 999_999; // the inventory has products 1..10000
      const first = await get(port, missing);
      assert.equal(first.status, 404);
      assert.equal(first.headers['x-cache'], 'MISS');
      const second = await get(port, missing);
      assert.equal(second.status, 404);
      assert.equal(second.headers['x-cache'], 'HIT');
      assert.equal((await inventory.stats()).byOutcome.notFound, 1);
      const { store } = await metrics(port);
      assert.equal(store.attempts, 1, 'not retried');
      assert.ok(Object.values(store.failures).every((n) => n === 0), JSON.stringify(store.failures));
      assert.equal(store.breaker.state, 'closed', 'BREAKER_FAILURES=1 would have opened on a failure');
      assertProduct(await get(port, 1), 1, 'MISS');
    }, settings(inventory, { storeRetries: 2, breakerFailures: 1 }));
  });
});

test('the inventory killed mid-run: connect failures, stale copies and 502/503, no crash; back when it returns on the same port', { timeout: 10_000 }, async () => {
  let inventory = await startInventory();
  const port = inventory.port;
  try {
    await withApp(async (t) => {
      assertProduct(await get(t.port, 1), 1, 'MISS');
      await inventory.kill();
      await sleep(200); // past CACHE_TTL_MS
      const stale = await get(t.port, 1);
      assert.equal(stale.status, 200, stale.text);
      assert.equal(stale.headers['x-cache'], 'STALE');
      const uncached = await get(t.port, 2);
      assert.ok(uncached.status === 502 || uncached.status === 503, `${uncached.status} ${uncached.text}`);
      assertStoreProblem(uncached, uncached.status);
      assert.equal((await request(t.port, '/healthz')).status, 200, 'the server is alive');
      const { store } = await metrics(t.port);
      assert.ok(store.failures.connect >= 1, JSON.stringify(store.failures));
      assert.equal(store.breaker.state, 'open');

      inventory = await startInventory({}, { args: ['--port', String(port)] });
      await sleep(t.app.store.breakerOpenForMs() + 5);
      assertProduct(await get(t.port, 2), 2, 'MISS');
      assertProduct(await get(t.port, 1), 1, 'MISS');
      assert.equal((await metrics(t.port)).store.breaker.state, 'closed');
    }, settings(inventory, { storeRetries: 1, breakerFailures: 2 }));
  } finally {
    await inventory.stop();
  }
});
