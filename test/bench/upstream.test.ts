// The upstream scenarios' bookkeeping: the inventory's launch, what a run cost the service
// per client request, and turbina's store counters read from its JSON /metrics and taken
// between two readings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INVENTORY_JS, storeCounters, storeCountersBetween, upstreamLaunch, upstreamUse } from '../../scripts/bench/upstream.js';

const NONE = { ok: 0, notFound: 0, badRequest: 0, error: 0, hang: 0, garbage: 0, drip: 0, refused: 0 };

function metrics(store: Record<string, unknown>, staleServed: number): string {
  return JSON.stringify({ requests: { total: 5 }, cache: { hits: 1, staleServed }, store, memory: {} });
}

const STORE = {
  calls: 4158,
  attempts: 4624,
  retries: 466,
  failures: { status: 459, timeout: 9 },
  retriesRefused: 2,
  retriesPastDeadline: 1,
  shortCircuited: 7,
  breaker: { state: 'closed', opened: 1, halfOpened: 1, closed: 1 },
};

test('the launch: the inventory script on the port, with the catalog and the knobs as its environment', () => {
  const launch = upstreamLaunch({ catalogSize: 8000, knobs: { latencyMs: 1, errorRate: 0.1, hangRate: 0.002 } }, 4321);
  assert.equal(launch.command, process.execPath);
  assert.deepEqual(launch.args, [INVENTORY_JS]);
  assert.deepEqual(launch.env, { LATENCY_MS: '1', ERROR_RATE: '0.1', HANG_RATE: '0.002', CATALOG_SIZE: '8000', PORT: '4321', HOST: '127.0.0.1' });
});

test("turbina's store counters from its JSON /metrics; nothing from other text", () => {
  assert.deepEqual(storeCounters(metrics(STORE, 12)), { attempts: 4624, retries: 466, notRetried: 3, shortCircuited: 7, breakerOpened: 1, staleServed: 12 });
  assert.equal(storeCounters(undefined), undefined);
  assert.equal(storeCounters('# HELP turbina_requests_total ...\nturbina_requests_total 5\n'), undefined);
  // A document without the store's numbers (another server, an older turbina).
  assert.equal(storeCounters(JSON.stringify({ cache: { staleServed: 0 } })), undefined);
  assert.equal(storeCounters(metrics({ ...STORE, retries: '466' }, 0)), undefined);
});

test('a run counts what happened between its two readings', () => {
  const before = storeCounters(metrics(STORE, 2));
  const after = storeCounters(metrics({ ...STORE, attempts: 5000, retries: 500, retriesRefused: 4, breaker: { opened: 3 } }, 10));
  assert.deepEqual(storeCountersBetween(before, after), { attempts: 376, retries: 34, notRetried: 2, shortCircuited: 0, breakerOpened: 2, staleServed: 8 });
  assert.equal(storeCountersBetween(undefined, after), undefined);
  assert.equal(storeCountersBetween(before, undefined), undefined);
});

test('the service per client request: calls and CPU, rounded; zero requests give zeros', () => {
  const stats = { requests: 1234, byOutcome: { ...NONE, ok: 1100, error: 134 }, inFlight: 0 };
  assert.deepEqual(upstreamUse(stats, 1000, 0.5), { calls: 1234, callsPerRequest: 1.234, byOutcome: stats.byOutcome, cpuSecondsPer10k: 5 });
  assert.deepEqual(upstreamUse(stats, 0, 0.5), { calls: 1234, callsPerRequest: 0, byOutcome: stats.byOutcome, cpuSecondsPer10k: 0 });
  const store = { attempts: 1, retries: 0, notRetried: 0, shortCircuited: 0, breakerOpened: 0, staleServed: 0 };
  assert.deepEqual(upstreamUse(stats, 3, 0, store).store, store);
});
