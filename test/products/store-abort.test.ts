// Store calls stop when their signal aborts: the embedded store clears its latency timer
// and rejects with an AbortError; ResilientStore passes the signal on, fails at once even
// when the store behind ignores it, and aborts each attempt itself at STORE_TIMEOUT_MS.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../src/http/http-error.js';
import type { Product } from '../../src/products/catalog.js';
import { ResilientStore } from '../../src/products/resilient-store.js';
import { CircuitBreaker } from '../../src/resilience/circuit-breaker.js';
import { RetryBudget } from '../../src/resilience/retry-budget.js';
import { UpstreamError } from '../../src/products/upstream/upstream-error.js';
import { EmbeddedStore, type ProductPage, type ProductStore } from '../../src/products/store.js';

/** Never answers; keeps the signals it was given. */
class DeafStore implements ProductStore {
  readonly signals: (AbortSignal | undefined)[] = [];
  get(_id: number, signal?: AbortSignal): Promise<Product | undefined> {
    this.signals.push(signal);
    return new Promise(() => {});
  }
  list(_offset: number, _limit: number, signal?: AbortSignal): Promise<ProductPage> {
    this.signals.push(signal);
    return new Promise(() => {});
  }
}

test('the embedded store: an abort clears the latency timer and rejects with an AbortError carrying the reason', async () => {
  const store = new EmbeddedStore(10, 60_000);
  for (const call of [(s: AbortSignal) => store.get(1, s), (s: AbortSignal) => store.list(0, 5, s)]) {
    const controller = new AbortController();
    const started = Date.now();
    const pending = call(controller.signal);
    const reason = new Error('given up');
    setTimeout(() => controller.abort(reason), 10);
    await assert.rejects(pending, (error: Error & { cause?: unknown }) => error.name === 'AbortError' && error.cause === reason);
    assert.ok(Date.now() - started < 1000);
  }
  // The 60 s timers are gone: a leftover one would keep this test process alive (node:test reports it).
});

/** No retries: one attempt per call, bounded by attemptTimeoutMs. */
function bounded(inner: ProductStore, attemptTimeoutMs: number): ResilientStore {
  return new ResilientStore(inner, {
    attemptTimeoutMs,
    retries: 0,
    retryBaseMs: 1,
    callBudgetMs: 0,
    breaker: new CircuitBreaker({ consecutiveFailures: 0, failureRatio: 0, minCalls: 1, windowMs: 1000, openMs: 1000 }),
    retryBudget: new RetryBudget({ ratio: 0.2, minPerSecond: 10, windowMs: 10_000 }),
  });
}

test('ResilientStore: the caller\'s abort reaches the store and fails the call at once, even if the store ignores it', async () => {
  const inner = new DeafStore();
  const store = bounded(inner, 60_000);
  const controller = new AbortController();
  const pending = store.get(3, controller.signal);
  const reason = new DOMException('deadline', 'TimeoutError');
  controller.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
  assert.equal(inner.signals[0]?.aborted, true);
  assert.equal(inner.signals[0]?.reason, reason);
  await assert.rejects(store.list(0, 1, controller.signal), (error) => error === reason);
  assert.equal(inner.signals.length, 1, 'an aborted signal makes no call');
});

test('ResilientStore: at STORE_TIMEOUT_MS the attempt is aborted and the call fails with 504', async () => {
  const inner = new DeafStore();
  const store = bounded(inner, 30);
  await assert.rejects(store.list(0, 1), (error) => error instanceof HttpError && error.status === 504);
  const signal = inner.signals[0];
  assert.equal(signal?.aborted, true);
  assert.ok(signal?.reason instanceof UpstreamError && signal.reason.kind === 'timeout');
});
