// The circuit breaker with a clock the test moves: both trip rules and the minimum call
// volume, fail fast while open without counting failures, exactly one half-open probe
// whose outcome decides, cancel() releasing a probe, settle-once permits, outcomes of
// calls begun in an earlier state, and the lazy (timer-free) move to half-open.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CircuitBreaker, type BreakerPermit, type BreakerState, type CircuitBreakerOptions } from '../../src/resilience/circuit-breaker.js';

interface Rig {
  breaker: CircuitBreaker;
  clock: { ms: number };
  transitions: string[];
}

function rig(options: Partial<CircuitBreakerOptions> = {}): Rig {
  const clock = { ms: 50_000 };
  const transitions: string[] = [];
  const breaker = new CircuitBreaker({
    consecutiveFailures: 3,
    failureRatio: 0,
    minCalls: 1,
    windowMs: 10_000,
    openMs: 5_000,
    now: () => clock.ms,
    onTransition: (from: BreakerState, to: BreakerState, reason: string) => transitions.push(`${from}->${to}: ${reason}`),
    ...options,
  });
  return { breaker, clock, transitions };
}

function permit(breaker: CircuitBreaker): BreakerPermit {
  const p = breaker.acquire();
  assert.ok(p !== undefined, `expected a permit, the breaker is ${breaker.state}`);
  return p;
}

function fail(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) permit(breaker).failure();
}

function succeed(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) permit(breaker).success();
}

/** Trips the breaker (3 consecutive failures) and moves past openMs to half-open. */
function toHalfOpen(r: Rig): void {
  fail(r.breaker, 3);
  r.clock.ms += 5_000;
  assert.equal(r.breaker.state, 'half-open');
}

describe('trip rules', () => {
  test('opens after consecutiveFailures failures in a row; a success in between starts the count over', () => {
    const { breaker, transitions } = rig();
    fail(breaker, 2);
    succeed(breaker, 1);
    fail(breaker, 2);
    assert.equal(breaker.state, 'closed');
    fail(breaker, 1);
    assert.equal(breaker.state, 'open');
    assert.deepEqual(transitions, ['closed->open: 3 consecutive failures']);
  });

  test('a failure the caller retries counts toward the ratio but neither extends nor breaks the run', () => {
    const { breaker, transitions } = rig({ consecutiveFailures: 3, failureRatio: 0.9, minCalls: 10 });
    fail(breaker, 2);
    for (let i = 0; i < 5; i++) breaker.acquire()?.failure(true);
    assert.equal(breaker.state, 'closed', 'two failed calls; the retried failures are not calls that failed');
    fail(breaker, 1);
    assert.deepEqual(transitions, ['closed->open: 3 consecutive failures']);
    const ratio = rig({ consecutiveFailures: 0, failureRatio: 0.5, minCalls: 4 });
    for (let i = 0; i < 4; i++) ratio.breaker.acquire()?.failure(true);
    assert.equal(ratio.breaker.state, 'open', 'four retried failures of four attempts trip the ratio rule');
  });

  test('one failure of one call does not trip the ratio rule: it waits for minCalls', () => {
    const { breaker } = rig({ consecutiveFailures: 0, failureRatio: 0.5, minCalls: 10 });
    fail(breaker, 1);
    assert.equal(breaker.state, 'closed');
    fail(breaker, 8);
    assert.equal(breaker.state, 'closed', '9 failures of 9 calls is still under minCalls');
    fail(breaker, 1);
    assert.equal(breaker.state, 'open');
  });

  test('the ratio rule opens at failures / calls >= failureRatio, and the call that reaches minCalls may be a success', () => {
    const { breaker, transitions } = rig({ consecutiveFailures: 0, failureRatio: 0.5, minCalls: 10 });
    for (let i = 0; i < 4; i++) {
      permit(breaker).failure();
      permit(breaker).success();
    }
    permit(breaker).failure();
    assert.equal(breaker.state, 'closed', '5 of 9: under minCalls');
    permit(breaker).success();
    assert.equal(breaker.state, 'open', '5 of 10 = 0.5');
    assert.deepEqual(transitions, ['closed->open: 5 of 10 calls failed within 10000 ms']);
  });

  test('below the ratio the breaker stays closed however many calls fail', () => {
    const { breaker } = rig({ consecutiveFailures: 0, failureRatio: 0.5, minCalls: 4 });
    for (let i = 0; i < 50; i++) {
      succeed(breaker, 2);
      permit(breaker).failure();
    }
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.stats().failures, 50);
  });

  test('failures leave the rolling window: old ones do not count towards the ratio', () => {
    const { breaker, clock } = rig({ consecutiveFailures: 0, failureRatio: 0.5, minCalls: 4, windowMs: 10_000 });
    fail(breaker, 3);
    clock.ms += 10_000;
    // Were the three old failures still counted, this would be 4 of 5.
    permit(breaker).failure();
    succeed(breaker, 3);
    assert.equal(breaker.state, 'closed');
    // Within the window they do count: 2 more failures make 3 of 6.
    fail(breaker, 2);
    assert.equal(breaker.state, 'open');
  });

  test('cancelled calls are not calls: they neither fill minCalls nor lower the ratio nor break a run', () => {
    const ratio = rig({ consecutiveFailures: 0, failureRatio: 0.5, minCalls: 3 }).breaker;
    permit(ratio).failure();
    for (let i = 0; i < 10; i++) permit(ratio).cancel();
    permit(ratio).failure();
    assert.equal(ratio.state, 'closed', '2 calls: under minCalls');
    permit(ratio).failure();
    assert.equal(ratio.state, 'open', '3 of 3');
    const run = rig({ consecutiveFailures: 2 }).breaker;
    permit(run).failure();
    for (let i = 0; i < 10; i++) permit(run).cancel();
    permit(run).failure();
    assert.equal(run.state, 'open');
  });
});

describe('open', () => {
  test('fails fast until openMs has passed; short-circuited calls are counted, not failures', () => {
    const { breaker, clock } = rig();
    fail(breaker, 3);
    for (let i = 0; i < 5; i++) assert.equal(breaker.acquire(), undefined);
    assert.equal(breaker.retryAfterMs(), 5_000);
    clock.ms += 4_999;
    assert.equal(breaker.acquire(), undefined);
    assert.equal(breaker.retryAfterMs(), 1);
    const stats = breaker.stats();
    assert.deepEqual(stats, { state: 'open', opened: 1, halfOpened: 0, closed: 0, shortCircuited: 6, successes: 0, failures: 3 });
    clock.ms += 1;
    assert.equal(breaker.retryAfterMs(), 0);
    assert.ok(breaker.acquire() !== undefined);
  });

  test('goes half-open when looked at, without a timer and without an acquire (a readiness check sees it)', () => {
    const r = rig();
    fail(r.breaker, 3);
    r.clock.ms += 5_000;
    assert.equal(r.breaker.state, 'half-open');
    assert.equal(r.breaker.stats().halfOpened, 1);
    assert.deepEqual(r.transitions, ['closed->open: 3 consecutive failures', 'open->half-open: open for 5000 ms: one probe may go']);
  });
});

describe('half-open', () => {
  test('admits exactly one probe at a time; the rest fail fast', () => {
    const r = rig();
    toHalfOpen(r);
    const probe = permit(r.breaker);
    for (let i = 0; i < 100; i++) assert.equal(r.breaker.acquire(), undefined);
    r.clock.ms += 60_000;
    assert.equal(r.breaker.acquire(), undefined, 'a probe still out is not replaced because time passed');
    assert.equal(r.breaker.retryAfterMs(), 0);
    probe.success();
    assert.equal(r.breaker.state, 'closed');
  });

  test("the probe's success closes the breaker and forgets the failures before it", () => {
    const r = rig({ failureRatio: 0.5, minCalls: 4 });
    // 2 of 4 trips the ratio rule; consecutiveFailures (3) has not.
    succeed(r.breaker, 2);
    fail(r.breaker, 2);
    assert.equal(r.breaker.state, 'open');
    r.clock.ms += 5_000;
    permit(r.breaker).success();
    assert.equal(r.breaker.state, 'closed');
    // Were the window kept, the first failure here would make 3 of 5; were the run kept, the second would make 4 in a row.
    fail(r.breaker, 2);
    succeed(r.breaker, 1);
    assert.equal(r.breaker.state, 'closed');
    assert.equal(r.breaker.stats().closed, 1);
    assert.equal(r.transitions.at(-1), 'half-open->closed: the probe succeeded');
  });

  test("the probe's failure re-opens the breaker and re-arms openMs from then", () => {
    const r = rig();
    toHalfOpen(r);
    const probe = permit(r.breaker);
    r.clock.ms += 2_000;
    probe.failure();
    assert.equal(r.breaker.state, 'open');
    assert.equal(r.breaker.retryAfterMs(), 5_000);
    r.clock.ms += 4_999;
    assert.equal(r.breaker.acquire(), undefined);
    r.clock.ms += 1;
    assert.ok(r.breaker.acquire() !== undefined);
    assert.deepEqual(r.breaker.stats(), { state: 'half-open', opened: 2, halfOpened: 2, closed: 0, shortCircuited: 1, successes: 0, failures: 4 });
    assert.equal(r.transitions[2], 'half-open->open: the probe failed');
  });

  test('cancel() releases the probe slot without changing state; a probe never settled would leave the breaker stuck', () => {
    const r = rig();
    toHalfOpen(r);
    permit(r.breaker).cancel();
    assert.equal(r.breaker.state, 'half-open');
    const second = permit(r.breaker);
    assert.equal(r.breaker.acquire(), undefined);
    second.success();
    assert.equal(r.breaker.state, 'closed');
  });
});

describe('permits', () => {
  test('a permit settles once: a second success, failure or cancel is ignored', () => {
    const { breaker } = rig({ consecutiveFailures: 2 });
    const once = permit(breaker);
    once.failure();
    once.failure();
    once.success();
    assert.equal(breaker.state, 'closed', 'one failure, not two');
    assert.deepEqual([breaker.stats().failures, breaker.stats().successes], [1, 0]);
  });

  test('a settled probe cannot release the slot of the next probe', () => {
    const r = rig();
    toHalfOpen(r);
    const first = permit(r.breaker);
    first.cancel();
    permit(r.breaker);
    first.cancel();
    assert.equal(r.breaker.acquire(), undefined, 'the second probe is still out');
  });

  test('a call begun before the breaker opened does not decide for the probe; its outcome is counted', () => {
    const r = rig();
    const slowSuccess = permit(r.breaker);
    const slowFailure = permit(r.breaker);
    toHalfOpen(r);
    const probe = permit(r.breaker);
    slowSuccess.success();
    assert.equal(r.breaker.state, 'half-open', 'a success from before the trip does not close');
    slowFailure.failure();
    assert.equal(r.breaker.state, 'half-open', 'a failure from before the trip does not re-open');
    assert.equal(r.breaker.acquire(), undefined, 'nor frees the probe slot');
    probe.success();
    assert.equal(r.breaker.state, 'closed');
    assert.deepEqual([r.breaker.stats().successes, r.breaker.stats().failures], [2, 4]);
  });

  test('a call begun in an earlier closed period does not count in the next one', () => {
    const r = rig({ consecutiveFailures: 3 });
    const stale = [permit(r.breaker), permit(r.breaker)];
    toHalfOpen(r);
    permit(r.breaker).success();
    permit(r.breaker).failure();
    for (const p of stale) p.failure();
    assert.equal(r.breaker.state, 'closed', 'one failure of this period, not three');
  });
});

test('options are checked when the breaker is made', () => {
  const base = { consecutiveFailures: 5, failureRatio: 0.5, minCalls: 10, windowMs: 10_000, openMs: 1_000 };
  assert.doesNotThrow(() => new CircuitBreaker(base));
  for (const bad of [
    { consecutiveFailures: -1 }, { consecutiveFailures: 1.5 }, { failureRatio: 1.1 }, { failureRatio: Number.NaN },
    { minCalls: 0 }, { windowMs: 0 }, { openMs: -1 }, { openMs: Number.POSITIVE_INFINITY }, { buckets: 0 },
  ]) {
    assert.throws(() => new CircuitBreaker({ ...base, ...bad }), RangeError, JSON.stringify(bad));
  }
});
