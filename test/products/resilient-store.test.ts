// ResilientStore over scripted fake stores: retries and their full-jitter waits (random
// injected), Retry-After, what is never retried, the call's budget, the retry budget, the
// circuit breaker per attempt (its clock held by the test), the caller's abort during an
// attempt and during a wait, and the problem each failure becomes.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError } from '../../src/http/http-error.js';
import { Logger } from '../../src/log/logger.js';
import { generateProduct, type Product } from '../../src/products/catalog.js';
import { ResilientStore, type ResilienceOptions, type StoreStats } from '../../src/products/resilient-store.js';
import type { ProductPage, ProductStore } from '../../src/products/store.js';
import { UpstreamError, type UpstreamErrorKind } from '../../src/products/upstream/upstream-error.js';
import { CircuitBreaker } from '../../src/resilience/circuit-breaker.js';
import { RetryBudget } from '../../src/resilience/retry-budget.js';

/** What the fake store does with its n-th call (from 0). */
type Script = (n: number, signal: AbortSignal) => Promise<Product | undefined>;

/** A store that follows a script and records when each call began and its signal. */
class ScriptedStore implements ProductStore {
  readonly starts: number[] = [];
  readonly signals: AbortSignal[] = [];

  constructor(private readonly script: Script) {}

  get calls(): number {
    return this.starts.length;
  }

  /** ms between the starts of consecutive calls. */
  gaps(): number[] {
    return this.starts.slice(1).map((at, i) => at - this.starts[i]!);
  }

  get(_id: number, signal?: AbortSignal): Promise<Product | undefined> {
    assert.ok(signal !== undefined, 'every attempt has its own signal');
    const n = this.starts.length;
    this.starts.push(performance.now());
    this.signals.push(signal);
    return this.script(n, signal);
  }

  async list(offset: number, _limit: number, signal?: AbortSignal): Promise<ProductPage> {
    const product = await this.get(offset + 1, signal);
    return { items: product === undefined ? [] : [product], total: 1 };
  }
}

const PRODUCT = generateProduct(1);

function upstream(kind: UpstreamErrorKind, status?: number, retryAfter?: string): UpstreamError {
  return new UpstreamError(kind, `the upstream failed (${kind} ${status ?? ''})`, {
    ...(status === undefined ? {} : { status }),
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });
}

const unavailable = (retryAfter?: string): UpstreamError => upstream('status', 503, retryAfter);

/** Every call fails with a fresh error. */
const failing =
  (error: () => unknown): Script =>
  () =>
    Promise.reject(error());

/** The first `times` calls fail, the rest answer PRODUCT. */
const failingThenOk =
  (times: number, error: () => unknown): Script =>
  (n) =>
    n < times ? Promise.reject(error()) : Promise.resolve(PRODUCT);

/** Never answers; rejects with its signal's reason, as a store honouring its signal does. */
const hang = (signal: AbortSignal): Promise<never> =>
  new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

interface RigOptions extends Partial<Omit<ResilienceOptions, 'breaker' | 'retryBudget'>> {
  /** Consecutive failed attempts that open the breaker (0: it never opens). */
  readonly breakerFailures?: number;
  readonly openMs?: number;
  /** The breaker's failure ratio over attempts (0: off; minCalls 2). */
  readonly breakerRatio?: number;
  readonly retryBudget?: RetryBudget;
}

interface Rig {
  readonly store: ResilientStore;
  readonly inner: ScriptedStore;
  readonly breaker: CircuitBreaker;
  /** The breaker's clock: the test moves it past openMs. */
  readonly clock: { ms: number };
  readonly transitions: string[];
}

/** A budget with room for any retry these tests make. */
const ample = (): RetryBudget => new RetryBudget({ ratio: 1, minPerSecond: 1000, windowMs: 10_000 });

function rig(script: Script, options: RigOptions = {}): Rig {
  const { breakerFailures = 0, breakerRatio = 0, openMs = 5_000, retryBudget = ample(), ...resilience } = options;
  const clock = { ms: 10_000 };
  const transitions: string[] = [];
  const breaker = new CircuitBreaker({
    consecutiveFailures: breakerFailures,
    failureRatio: breakerRatio,
    minCalls: 2,
    windowMs: 10_000,
    openMs,
    now: () => clock.ms,
    onTransition: (from, to) => transitions.push(`${from}->${to}`),
  });
  const inner = new ScriptedStore(script);
  const store = new ResilientStore(inner, {
    attemptTimeoutMs: 1_000,
    retries: 2,
    retryBaseMs: 1,
    callBudgetMs: 0,
    random: () => 1,
    breaker,
    retryBudget,
    ...resilience,
  });
  return { store, inner, breaker, clock, transitions };
}

const isProblem =
  (status: number) =>
  (error: unknown): boolean =>
    error instanceof HttpError && error.status === status;

/** The counts of stats(), leaving out the breaker and the zero failure kinds. */
function counts(stats: StoreStats): Record<string, number> {
  const failures = Object.fromEntries(Object.entries(stats.failures).filter(([, n]) => n > 0));
  return {
    calls: stats.calls,
    attempts: stats.attempts,
    retries: stats.retries,
    retriesRefused: stats.retriesRefused,
    retriesPastDeadline: stats.retriesPastDeadline,
    shortCircuited: stats.shortCircuited,
    ...Object.fromEntries(Object.entries(failures).map(([kind, n]) => [`failures.${kind}`, n])),
  };
}

const ZERO = { calls: 0, attempts: 0, retries: 0, retriesRefused: 0, retriesPastDeadline: 0, shortCircuited: 0 };

describe('retries', () => {
  test('a retryable failure is retried STORE_RETRIES times, retry n after random() x base x 2^n', async () => {
    const { store, inner } = rig(failing(() => unavailable()), { retries: 3, retryBaseMs: 50, random: () => 1 });
    await assert.rejects(store.get(1), isProblem(502));
    assert.equal(inner.calls, 4, 'the first attempt and three retries');
    const gaps = inner.gaps();
    // A timer never fires early (a millisecond of rounding aside); a busy machine may fire
    // it late, so the upper bound is on the sum, and below what one doubling more would take.
    [50, 100, 200].forEach((wait, n) => assert.ok(gaps[n]! >= wait - 1, `retry ${n}: ${gaps[n]} ms after the attempt before it, expected ${wait}`));
    const total = gaps.reduce((sum, gap) => sum + gap, 0);
    assert.ok(total < 1.9 * 350, `the three waits took ${total} ms, expected 350`);
    assert.deepEqual(counts(store.stats()), { ...ZERO, calls: 1, attempts: 4, retries: 3, 'failures.status': 4 });
  });

  test('the wait is a random share of the ceiling: random() = 0 retries at once', async () => {
    const { store, inner } = rig(failing(() => unavailable()), { retries: 3, retryBaseMs: 1_000, random: () => 0 });
    const started = performance.now();
    await assert.rejects(store.get(1), isProblem(502));
    assert.equal(inner.calls, 4);
    assert.ok(performance.now() - started < 500, 'no wait of up to 1, 2 and 4 s');
  });

  test('a retry that succeeds is the answer', async () => {
    const { store } = rig(failingThenOk(2, () => upstream('reset')), { retries: 2 });
    assert.deepEqual(await store.get(1), PRODUCT);
    assert.deepEqual(counts(store.stats()), { ...ZERO, calls: 1, attempts: 3, retries: 2, 'failures.reset': 2 });
  });

  test('list() is retried the same way', async () => {
    const { store } = rig(failingThenOk(1, () => upstream('timeout')), { retries: 1 });
    assert.deepEqual(await store.list(0, 1), { items: [PRODUCT], total: 1 });
    assert.deepEqual(counts(store.stats()), { ...ZERO, calls: 1, attempts: 2, retries: 1, 'failures.timeout': 1 });
  });

  test("the upstream's Retry-After is honoured when it is longer than the jitter", async () => {
    const { store, inner } = rig(failingThenOk(1, () => unavailable('1')), { retries: 1, retryBaseMs: 10, random: () => 1 });
    assert.deepEqual(await store.get(1), PRODUCT);
    assert.ok(inner.gaps()[0]! >= 999, `the retry came ${inner.gaps()[0]} ms after the 503 with Retry-After: 1`);
  });

  test('a Retry-After shorter than the jitter: the jitter', async () => {
    const { store, inner } = rig(failingThenOk(1, () => unavailable('0')), { retries: 1, retryBaseMs: 60, random: () => 1 });
    assert.deepEqual(await store.get(1), PRODUCT);
    assert.ok(inner.gaps()[0]! >= 59, `the retry came ${inner.gaps()[0]} ms after the first attempt, expected 60`);
  });

  test('a failure no retry can fix is not retried', async () => {
    const cases: [string, () => unknown][] = [
      ['500', () => upstream('status', 500)],
      ['404 as a failure', () => upstream('status', 404)],
      ['invalid', () => upstream('invalid', 200)],
      ['too-large', () => upstream('too-large', 200)],
      ['TLS (connect, not retryable)', () => new UpstreamError('connect', 'certificate', { retryable: false })],
      ['a bug', () => new TypeError('x is not a function')],
    ];
    for (const [name, error] of cases) {
      const { store, inner } = rig(failing(error), { retries: 3 });
      await assert.rejects(store.get(1));
      assert.equal(inner.calls, 1, name);
      assert.equal(store.stats().retries, 0, name);
    }
  });
});

describe("the call's budget (a share of the request deadline)", () => {
  test('a retry with too little of the budget left for its attempt is not made', async () => {
    // Waiting 100 ms of a 150 ms budget would leave 50 ms: a sure timeout, not an attempt.
    const { store, inner } = rig(failing(() => unavailable()), { retries: 3, retryBaseMs: 100, random: () => 1, callBudgetMs: 150 });
    await assert.rejects(store.get(1), isProblem(502));
    assert.equal(inner.calls, 1);
    assert.equal(store.stats().retriesPastDeadline, 1);
  });

  test('a wait that would end past callBudgetMs is not taken, and counted', async () => {
    // Retry 0 waits 100 ms and leaves 150 for its attempt; retry 1 would wait 200, leaving
    // none (a retry needs 100 ms, or STORE_TIMEOUT_MS if less, after its wait).
    const { store, inner } = rig(failing(() => unavailable()), { retries: 3, retryBaseMs: 100, random: () => 1, callBudgetMs: 350 });
    await assert.rejects(store.get(1), isProblem(502));
    assert.equal(inner.calls, 2);
    assert.deepEqual(counts(store.stats()), { ...ZERO, calls: 1, attempts: 2, retries: 1, retriesPastDeadline: 1, 'failures.status': 2 });
  });

  test('a Retry-After past the budget fails the call at once instead of waiting', async () => {
    const { store, inner } = rig(failing(() => unavailable('1')), { retries: 2, callBudgetMs: 300 });
    const started = performance.now();
    await assert.rejects(store.get(1), isProblem(502));
    assert.ok(performance.now() - started < 250, 'it did not wait');
    assert.equal(inner.calls, 1);
    assert.equal(store.stats().retriesPastDeadline, 1);
  });

  test('without a budget, a Retry-After longer than a timer can wait fails the call instead of retrying at once', async () => {
    // 2147484 s is past setTimeout's 2^31 - 1 ms: such a timer fires after 1 ms.
    const { store, inner } = rig(failing(() => unavailable('2147484')), { retries: 1, callBudgetMs: 0 });
    await assert.rejects(store.get(1), isProblem(502));
    assert.equal(inner.calls, 1, 'no retry');
    assert.equal(store.stats().retriesPastDeadline, 1);
  });

  test('the first attempt has the whole STORE_TIMEOUT_MS, however small the budget', async () => {
    const { store } = rig(() => new Promise((resolve) => setTimeout(resolve, 150, PRODUCT)), { attemptTimeoutMs: 1_000, callBudgetMs: 30 });
    assert.deepEqual(await store.get(1), PRODUCT);
  });

  test('a retry has only what is left of the budget', async () => {
    const { store, inner } = rig((n, signal) => (n === 0 ? Promise.reject(unavailable()) : hang(signal)), {
      retries: 1,
      random: () => 0,
      attemptTimeoutMs: 5_000,
      callBudgetMs: 250,
    });
    const started = performance.now();
    await assert.rejects(store.get(1), isProblem(504));
    const took = performance.now() - started;
    assert.ok(took >= 240 && took < 2_000, `the retry was cut after ${took} ms, expected 250 (not 5000)`);
    const reason: unknown = inner.signals[1]?.reason;
    assert.ok(reason instanceof UpstreamError && reason.kind === 'timeout');
  });
});

test('the retry budget refuses retries beyond ratio x calls + floor, and counts them', async () => {
  // 0.25 per call, and a floor of 0.2 per second over 10 s: 2. Its clock stands still.
  const retryBudget = new RetryBudget({ ratio: 0.25, minPerSecond: 0.2, windowMs: 10_000, now: () => 0 });
  const { store, inner } = rig(failing(() => unavailable()), { retries: 2, random: () => 0, retryBudget });
  for (let i = 0; i < 8; i++) await assert.rejects(store.get(i + 1), isProblem(502));
  assert.equal(inner.calls, 8 * (1 + 0.25) + 2, 'every retry the budget had was taken, and no other');
  // Call 1 takes the floor's two; calls 4 and 8 bring a whole retry each; the other
  // calls, and the second retries of calls 4 and 8, are refused.
  assert.deepEqual(counts(store.stats()), { ...ZERO, calls: 8, attempts: 12, retries: 4, retriesRefused: 7, 'failures.status': 12 });
});

describe('the circuit breaker', () => {
  test('calls the open breaker refuses earn no retries: the budget counts calls that reached the store', async () => {
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 0, windowMs: 10_000 });
    const { store } = rig(failing(() => unavailable()), { breakerFailures: 1, retries: 0, retryBudget: budget });
    await assert.rejects(store.get(1), isProblem(502));
    for (let i = 0; i < 50; i++) await assert.rejects(store.get(1), isProblem(503));
    assert.equal(budget.stats().calls, 1);
  });

  test("a half-open probe's failure is not retried: the call ends at once, without the backoff or Retry-After", async () => {
    const { store, inner, clock } = rig(failing(() => unavailable('2')), { breakerFailures: 1, retries: 2, openMs: 1_000 });
    await assert.rejects(store.get(1), isProblem(502));
    const before = inner.calls;
    clock.ms += 1_000;
    const started = performance.now();
    await assert.rejects(store.get(1), isProblem(502), "the probe's own failure");
    assert.ok(performance.now() - started < 500, 'no 2 s wait for a retry the open breaker would refuse');
    assert.equal(inner.calls, before + 1);
  });

  test('opens after N calls in a row failed after their retries, then fails calls at once: 503, Retry-After, no store call', async () => {
    const { store, inner, transitions } = rig(failing(() => unavailable()), { breakerFailures: 3, retries: 2, openMs: 2_500 });
    await assert.rejects(store.get(1), isProblem(502));
    await assert.rejects(store.get(1), isProblem(502));
    assert.deepEqual(transitions, [], 'six failed attempts, two failed calls: still closed');
    await assert.rejects(store.get(1), isProblem(502));
    assert.equal(inner.calls, 9);
    assert.deepEqual(transitions, ['closed->open']);
    assert.equal(store.breakerOpenForMs(), 2_500);
    await assert.rejects(store.get(2), (error) => {
      assert.ok(error instanceof HttpError && error.status === 503, String(error));
      assert.deepEqual(error.headers, ['retry-after', '3'], 'openMs left, rounded up to seconds');
      return true;
    });
    assert.equal(inner.calls, 9, 'the store was not called');
    const stats = store.stats();
    assert.deepEqual(counts(stats), { ...ZERO, calls: 4, attempts: 9, retries: 6, shortCircuited: 1, 'failures.status': 9 });
    assert.deepEqual(stats.breaker, { state: 'open', opened: 1, halfOpened: 0, closed: 0 });
  });

  test('a failed attempt that is retried does not extend the run of failures: calls that succeed on a retry never open it', async () => {
    // Every call's first attempt fails, its retry succeeds: 50 failed attempts, no failed call.
    const { store, inner, transitions } = rig((n) => (n % 2 === 0 ? Promise.reject(unavailable()) : Promise.resolve(PRODUCT)), { breakerFailures: 2, retries: 1 });
    for (let i = 0; i < 50; i++) assert.deepEqual(await store.get(1), PRODUCT);
    assert.equal(inner.calls, 100);
    assert.deepEqual(transitions, []);
  });

  test("a call's retries stop at the breaker its attempts opened (the ratio rule), with the upstream's failure: 502", async () => {
    const { store, inner, breaker } = rig(failing(() => unavailable()), { breakerRatio: 0.5, retries: 5 });
    await assert.rejects(store.get(1), isProblem(502));
    assert.equal(inner.calls, 2);
    assert.equal(breaker.state, 'open');
    assert.deepEqual([store.stats().retries, store.stats().shortCircuited], [1, 0], 'no wait for a retry the breaker would refuse');
  });

  test('after openMs exactly one probe goes through while concurrent calls fail fast; its success closes the breaker', async () => {
    let answerProbe: (product: Product) => void = () => {};
    const { store, inner, clock, transitions } = rig(
      (n) => {
        if (n === 0) return Promise.reject(unavailable());
        if (n === 1) return new Promise((resolve) => (answerProbe = resolve));
        return Promise.resolve(PRODUCT);
      },
      { breakerFailures: 1, retries: 0, openMs: 1_000 },
    );
    await assert.rejects(store.get(1), isProblem(502));
    clock.ms += 999;
    await assert.rejects(store.get(1), isProblem(503));
    clock.ms += 1;
    const probe = store.get(1);
    const others = await Promise.allSettled([1, 2, 3, 4, 5].map((id) => store.get(id)));
    for (const other of others) assert.ok(other.status === 'rejected' && isProblem(503)(other.reason), 'failed fast while the probe is out');
    assert.equal(inner.calls, 2, 'the probe only');
    answerProbe(PRODUCT);
    assert.deepEqual(await probe, PRODUCT);
    assert.deepEqual(transitions, ['closed->open', 'open->half-open', 'half-open->closed']);
    assert.deepEqual(await store.get(6), PRODUCT);
    assert.equal(inner.calls, 3);
    assert.deepEqual(store.stats().breaker, { state: 'closed', opened: 1, halfOpened: 1, closed: 1 });
    assert.equal(store.stats().shortCircuited, 6);
  });

  test('a failed probe opens it again', async () => {
    const { store, inner, clock, transitions } = rig(failing(() => unavailable()), { breakerFailures: 1, retries: 0, openMs: 1_000 });
    await assert.rejects(store.get(1), isProblem(502));
    clock.ms += 1_000;
    await assert.rejects(store.get(1), isProblem(502));
    await assert.rejects(store.get(1), isProblem(503));
    assert.equal(inner.calls, 2);
    assert.deepEqual(transitions, ['closed->open', 'open->half-open', 'half-open->open']);
  });
});

describe("the caller's abort", () => {
  test('mid-attempt: the call rejects with the reason, the permit is cancelled, so a half-open breaker lets the next call probe', async () => {
    const { store, inner, clock, breaker } = rig(
      (n, signal) => {
        // A 500 is not retried: the call fails with it and opens the breaker.
        if (n === 0) return Promise.reject(new UpstreamError('status', 'answered 500', { status: 500 }));
        if (n === 1) return hang(signal);
        return Promise.resolve(PRODUCT);
      },
      { breakerFailures: 1, retries: 2, openMs: 1_000, attemptTimeoutMs: 5_000 },
    );
    await assert.rejects(store.get(1), isProblem(502), 'the first failed call opened it');
    assert.equal(breaker.state, 'open');
    clock.ms += 1_000;
    const controller = new AbortController();
    const started = performance.now();
    const probe = store.get(1, controller.signal);
    const reason = new Error('the client went away');
    setTimeout(() => controller.abort(reason), 10);
    await assert.rejects(probe, (error) => error === reason);
    assert.ok(performance.now() - started < 1_000, 'at once, not at STORE_TIMEOUT_MS');
    assert.equal(inner.signals[1]?.reason, reason, "the attempt's signal aborted with the caller's reason");
    assert.equal(breaker.state, 'half-open', 'an abort says nothing about the store');
    assert.deepEqual(await store.get(1), PRODUCT, 'the next call is the probe');
    assert.equal(breaker.state, 'closed');
    assert.equal(inner.calls, 3, 'the aborted attempt was not retried');
    assert.deepEqual(store.stats().failures.status, 1);
  });

  test('mid-attempt while closed: not a failure, not retried', async () => {
    const { store, inner, breaker } = rig((_n, signal) => hang(signal), { breakerFailures: 1, retries: 2, attemptTimeoutMs: 5_000 });
    const controller = new AbortController();
    const started = performance.now();
    const call = store.get(1, controller.signal);
    const reason = new DOMException('deadline', 'TimeoutError');
    setTimeout(() => controller.abort(reason), 10);
    await assert.rejects(call, (error) => error === reason);
    assert.ok(performance.now() - started < 1_000, 'at once, not at STORE_TIMEOUT_MS');
    assert.equal(inner.signals[0]?.reason, reason);
    assert.equal(inner.calls, 1);
    assert.equal(breaker.state, 'closed');
    assert.deepEqual(counts(store.stats()), { ...ZERO, calls: 1, attempts: 1 });
  });

  test('during a backoff wait: the call rejects at once with the reason, no further attempt', async () => {
    const { store, inner } = rig(failing(() => unavailable()), { retries: 2, retryBaseMs: 10_000, random: () => 1 });
    const controller = new AbortController();
    const reason = new Error('gave up');
    const started = performance.now();
    setTimeout(() => controller.abort(reason), 30);
    await assert.rejects(store.get(1, controller.signal), (error) => error === reason);
    assert.ok(performance.now() - started < 1_000, 'not the 10 s wait');
    assert.equal(inner.calls, 1);
    assert.equal(store.stats().retries, 0);
  });
});

test('the last failure becomes the problem: 502 for status, invalid, connect, reset, too-large; 504 for timeout; anything else as it is', async () => {
  const bug = new TypeError('x is not a function');
  const notFound = new HttpError(404, 'no such thing');
  const thrown = new RangeError('thrown, not rejected');
  const cases: [string, Script, (error: unknown) => boolean][] = [
    ['status 503', failing(() => unavailable()), isProblem(502)],
    ['status 500', failing(() => upstream('status', 500)), isProblem(502)],
    ['invalid', failing(() => upstream('invalid', 200)), isProblem(502)],
    ['connect', failing(() => upstream('connect')), isProblem(502)],
    ['reset', failing(() => upstream('reset')), isProblem(502)],
    ['too-large', failing(() => upstream('too-large', 200)), isProblem(502)],
    ['no answer within STORE_TIMEOUT_MS', (_n, signal) => hang(signal), isProblem(504)],
    ["a store's own timeout error", failing(() => upstream('timeout')), isProblem(504)],
    ['a bug', failing(() => bug), (error) => error === bug],
    ['an HttpError', failing(() => notFound), (error) => error === notFound],
    [
      'a store that throws',
      () => {
        throw thrown;
      },
      (error) => error === thrown,
    ],
  ];
  for (const [name, script, expected] of cases) {
    const { store } = rig(script, { retries: 0, attemptTimeoutMs: 20 });
    await assert.rejects(store.get(1), expected, name);
  }
  // The client is told what kind of failure it was, never the upstream's address or error text.
  const secret = new UpstreamError('connect', 'could not connect to http://10.1.2.3:9000 (ECONNREFUSED)');
  const { store } = rig(failing(() => secret), { retries: 0 });
  await assert.rejects(store.get(1), (error) => error instanceof HttpError && error.detail === 'the product store could not be reached');
});

test("a call's last failure is logged in full, at most once a second, with the count of those not logged", async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger('info', (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const { store } = rig(failing(() => new UpstreamError('connect', 'could not connect to http://10.1.2.3:9000 (ECONNREFUSED)')), { retries: 0, logger });
  for (let i = 0; i < 3; i++) await assert.rejects(store.get(1), isProblem(502));
  logger.flush();
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.['msg'], 'store call failed');
  assert.equal(lines[0]?.['level'], 40, 'warn');
  assert.match(JSON.stringify(lines[0]), /10\.1\.2\.3:9000/);
  await sleep(1_050);
  await assert.rejects(store.get(1), isProblem(502));
  logger.flush();
  assert.equal(lines.length, 2);
  assert.equal(lines[1]?.['notLogged'], 2);
});

test('stats() counts failures by cause across calls', async () => {
  const errors = [upstream('connect'), upstream('reset'), unavailable(), upstream('invalid', 200), new TypeError('bug')];
  const { store } = rig((n) => (n < errors.length ? Promise.reject(errors[n]) : Promise.resolve(PRODUCT)), { retries: 5 });
  await assert.rejects(store.get(1), isProblem(502), 'connect, reset and 503 are retried; invalid ends the call');
  await assert.rejects(store.get(1), TypeError);
  assert.deepEqual(await store.get(1), PRODUCT);
  assert.deepEqual(counts(store.stats()), {
    ...ZERO,
    calls: 3,
    attempts: 6,
    retries: 3,
    'failures.connect': 1,
    'failures.reset': 1,
    'failures.status': 1,
    'failures.invalid': 1,
    'failures.other': 1,
  });
  assert.equal(store.calls, 6, 'calls (what the cache saves) counts attempts');
});
