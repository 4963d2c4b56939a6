// A ProductStore decorator that makes every store call bounded and resilient, for the
// embedded catalog and the upstream service alike (resilience4j's order: the retry loop
// outside, each attempt through the circuit breaker):
// - each attempt has its own AbortController and timer (STORE_TIMEOUT_MS), so a hung
//   attempt is cancelled without cancelling the call; the caller's signal aborts both;
// - a failure worth retrying (connection error, timeout, 502/503/504) is retried after a
//   full-jitter backoff, or the upstream's Retry-After if longer, while the retry budget
//   allows and the retry can end inside the call's budget (a share of the request deadline);
// - the breaker fails the call at once while open (503 with Retry-After);
// - the last failure becomes the problem the client sees: 502 (the upstream answered
//   wrong or could not be reached), 503 (circuit open) or 504 (no answer in time).
// The cache's singleflight sits outside: one call, retries included, per missing key.
// A traced call has a span of its own (store-span.ts), the parent the store behind hangs
// each attempt's span on.
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { HttpError } from '../http/http-error.js';
import type { BreakerState, CircuitBreaker } from '../resilience/circuit-breaker.js';
import { fullJitter } from '../resilience/backoff.js';
import { parseRetryAfter } from '../resilience/retry-after.js';
import type { RetryBudget } from '../resilience/retry-budget.js';
import type { Logger } from '../log/logger.js';
import type { Span } from '../trace/tracer.js';
import type { Product } from './catalog.js';
import type { ProductPage, ProductStore } from './store.js';
import { endStoreSpan, STORE_GET_SPAN, STORE_LIST_SPAN } from './store-span.js';
import { UpstreamError, type UpstreamErrorKind } from './upstream/upstream-error.js';

export interface ResilienceOptions {
  /** STORE_TIMEOUT_MS: each attempt's bound. */
  readonly attemptTimeoutMs: number;
  /** STORE_RETRIES: attempts after the first. */
  readonly retries: number;
  /** STORE_RETRY_BASE_MS: the backoff before retry n is random up to base x 2^n. */
  readonly retryBaseMs: number;
  /** Retries (their waits and attempts) end within this from the call's start (0: only
   *  STORE_TIMEOUT_MS bounds them); the first attempt has STORE_TIMEOUT_MS whatever it is. */
  readonly callBudgetMs: number;
  readonly breaker: CircuitBreaker;
  readonly retryBudget: RetryBudget;
  /** Where a call's last failure is told, in full (the client gets a detail without the
   *  upstream's address); at most one line a second. */
  readonly logger?: Logger;
  /** Calls waiting for a connection to the store (STORE_MAX_SOCKETS biting); none without. */
  readonly waiting?: () => number;
  /** Injectable for tests. */
  readonly random?: () => number;
}

/** Why an attempt failed, as counted. */
export type AttemptFailure = UpstreamErrorKind | 'other';

export interface StoreStats {
  /** Store calls (cache loads), each one or more attempts. */
  readonly calls: number;
  readonly attempts: number;
  readonly retries: number;
  /** Failed attempts by cause. */
  readonly failures: Readonly<Record<AttemptFailure, number>>;
  /** Failures not retried because the retry budget was spent. */
  readonly retriesRefused: number;
  /** Failures not retried because the wait would have ended past the call's budget (or is longer than a timer can wait). */
  readonly retriesPastDeadline: number;
  /** Calls failed at once by the open breaker. */
  readonly shortCircuited: number;
  /** Calls waiting now for a connection to the upstream (all STORE_MAX_SOCKETS busy). */
  readonly waiting: number;
  readonly breaker: { readonly state: BreakerState; readonly opened: number; readonly halfOpened: number; readonly closed: number };
}

const FAILURE_KINDS: readonly AttemptFailure[] = ['connect', 'reset', 'status', 'invalid', 'too-large', 'timeout', 'other'];

/** A retry is made only if this much of the call's budget (or all of STORE_TIMEOUT_MS, if
 *  less) is left for it after its wait. */
const MIN_RETRY_ATTEMPT_MS = 100;
/** Failed calls are logged at most once per this, with the count of those not logged. */
const FAILURE_LOG_INTERVAL_MS = 1_000;
/** setTimeout's longest delay: a longer one fires after 1 ms (with a TimeoutOverflowWarning),
 *  so a Retry-After beyond it would retry at once instead of never. */
const MAX_WAIT_MS = 2 ** 31 - 1;

export class ResilientStore implements ProductStore {
  private callCount = 0;
  private attemptCount = 0;
  private retryCount = 0;
  private pastDeadline = 0;
  private readonly failures: Record<AttemptFailure, number> = Object.fromEntries(FAILURE_KINDS.map((kind) => [kind, 0])) as Record<AttemptFailure, number>;
  private readonly random: () => number;
  private lastFailureLogAt = -Infinity;
  private failuresNotLogged = 0;

  constructor(
    private readonly inner: ProductStore,
    private readonly options: ResilienceOptions,
  ) {
    this.random = options.random ?? Math.random;
  }

  /** Attempts made: the calls that reached the store behind (what the cache saves). */
  get calls(): number {
    return this.attemptCount;
  }

  get(id: number, signal?: AbortSignal, span?: Span): Promise<Product | undefined> {
    return this.call((bound, callSpan) => this.inner.get(id, bound, callSpan), signal, span, STORE_GET_SPAN);
  }

  list(offset: number, limit: number, signal?: AbortSignal, span?: Span): Promise<ProductPage> {
    return this.call((bound, callSpan) => this.inner.list(offset, limit, bound, callSpan), signal, span, STORE_LIST_SPAN);
  }

  /** Ms until the open breaker lets a probe through; 0 while calls go to the store. */
  breakerOpenForMs(): number {
    return this.options.breaker.retryAfterMs();
  }

  stats(): StoreStats {
    const breaker = this.options.breaker.stats();
    return {
      calls: this.callCount,
      attempts: this.attemptCount,
      retries: this.retryCount,
      failures: { ...this.failures },
      retriesRefused: this.options.retryBudget.stats().refused,
      retriesPastDeadline: this.pastDeadline,
      shortCircuited: breaker.shortCircuited,
      waiting: this.options.waiting?.() ?? 0,
      breaker: { state: breaker.state, opened: breaker.opened, halfOpened: breaker.halfOpened, closed: breaker.closed },
    };
  }

  /** `parent`: the request's span, when traced; the call's own span is its child. */
  private async call<T>(
    attempt: (signal: AbortSignal, span: Span | undefined) => Promise<T>,
    outer: AbortSignal | undefined,
    parent: Span | undefined,
    spanName: string,
  ): Promise<T> {
    const { breaker, retryBudget, callBudgetMs, retries } = this.options;
    outer?.throwIfAborted();
    this.callCount++;
    const span = parent?.child(spanName);
    const endsAt = callBudgetMs > 0 ? performance.now() + callBudgetMs : Infinity;
    for (let retry = 0; ; retry++) {
      const permit = breaker.acquire();
      if (permit === undefined) {
        const refused = circuitOpen(breaker.retryAfterMs());
        endStoreSpan(span, retry, 'circuit-open', refused);
        throw refused;
      }
      // Only calls that reach the store earn retries: refused ones would fill the budget
      // while the breaker is open, for the moment the upstream comes back.
      if (retry === 0) retryBudget.recordCall();
      this.attemptCount++;
      try {
        // The first attempt has STORE_TIMEOUT_MS; a retry only what is left of the budget.
        const timeoutMs = retry === 0 ? this.options.attemptTimeoutMs : Math.min(this.options.attemptTimeoutMs, endsAt - performance.now());
        const value = await this.attempt(attempt, outer, timeoutMs, span);
        permit.success();
        endStoreSpan(span, retry + 1, 'ok');
        return value;
      } catch (error) {
        if (outer?.aborted === true) {
          permit.cancel(); // the caller gave up: it says nothing about the store
          endStoreSpan(span, retry + 1, 'aborted', outer.reason);
          throw outer.reason;
        }
        const kind = failureKind(error);
        this.failures[kind]++;
        const wait = retry < retries && isRetryable(error) ? this.retryWait(retry, error, endsAt) : undefined;
        // The breaker's run of failures counts calls, not the attempts retried within one.
        permit.failure(wait !== undefined);
        // Not retried, or this failure opened the breaker (a probe's does): no wait for a 503.
        if (wait === undefined || breaker.state !== 'closed') {
          endStoreSpan(span, retry + 1, 'failed', error);
          throw this.failed(error);
        }
        if (wait > 0) {
          try {
            await pause(wait, outer);
          } catch (reason) {
            endStoreSpan(span, retry + 1, 'aborted', reason);
            throw reason;
          }
        }
        this.retryCount++;
      }
    }
  }

  /** A call's last failure: logged (at most once a second), and turned into what the client sees. */
  private failed(error: unknown): unknown {
    const { logger } = this.options;
    if (logger !== undefined && error instanceof UpstreamError) {
      const now = performance.now();
      if (now - this.lastFailureLogAt < FAILURE_LOG_INTERVAL_MS) {
        this.failuresNotLogged++;
      } else {
        logger.warn('store call failed', { err: error, kind: error.kind, status: error.status ?? null, notLogged: this.failuresNotLogged });
        this.lastFailureLogAt = now;
        this.failuresNotLogged = 0;
      }
    }
    return asProblem(error);
  }

  /** The wait before retry n, or undefined when it is not to be made: the wait would end
   *  past the call's budget (or is longer than a timer can wait), or the budget is spent. */
  private retryWait(retry: number, error: unknown, endsAt: number): number | undefined {
    const wait = this.backoff(retry, error);
    // The retry must have time for an attempt worth making, not a sure timeout.
    const attemptMs = Math.min(this.options.attemptTimeoutMs, MIN_RETRY_ATTEMPT_MS);
    if (wait > MAX_WAIT_MS || performance.now() + wait + attemptMs > endsAt) {
      this.pastDeadline++;
      return undefined;
    }
    return this.options.retryBudget.tryRetry() ? wait : undefined;
  }

  /** Full jitter, or what the upstream's Retry-After asks if that is longer. */
  private backoff(retry: number, error: unknown): number {
    const jitter = fullJitter(retry, this.options.retryBaseMs, Number.MAX_SAFE_INTEGER, this.random);
    const asked = error instanceof UpstreamError ? parseRetryAfter(error.retryAfter, Date.now()) : undefined;
    return asked === undefined ? jitter : Math.max(jitter, asked);
  }

  /** One attempt with its own controller: aborted at its timeout or when the caller's signal aborts. */
  private attempt<T>(call: (signal: AbortSignal, span: Span | undefined) => Promise<T>, outer: AbortSignal | undefined, timeoutMs: number, span: Span | undefined): Promise<T> {
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      const stop = (reason: unknown): void => {
        settled();
        controller.abort(reason);
        reject(reason);
      };
      const onAbort = (): void => stop(outer?.reason);
      const timer = setTimeout(() => stop(new UpstreamError('timeout', `the product store did not answer within ${Math.round(timeoutMs)} ms`)), Math.max(1, timeoutMs));
      outer?.addEventListener('abort', onAbort, { once: true });
      const settled = (): void => {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onAbort);
      };
      try {
        // The store may ignore its signal: the attempt fails on time all the same.
        call(controller.signal, span).then(
          (value) => {
            settled();
            resolve(value);
          },
          (error: unknown) => {
            settled();
            reject(error);
          },
        );
      } catch (error) {
        settled();
        reject(error); // a store that throws instead of rejecting
      }
    });
  }
}

/** Waits ms; the caller's abort ends the wait with the caller's reason. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return sleep(ms);
  return sleep(ms, undefined, { signal }).catch(() => {
    throw signal.reason;
  });
}

function failureKind(error: unknown): AttemptFailure {
  return error instanceof UpstreamError ? error.kind : 'other';
}

function isRetryable(error: unknown): boolean {
  return error instanceof UpstreamError && error.retryable;
}

/** What a client is told of each failure: never the upstream's address or error text. */
const CLIENT_DETAIL: Readonly<Record<UpstreamErrorKind, string>> = {
  connect: 'the product store could not be reached',
  reset: 'the product store closed the connection before it answered',
  status: 'the product store answered with an error',
  invalid: 'the product store sent an answer that is not what was asked for',
  'too-large': 'the product store sent an answer too large to read',
  timeout: 'the product store did not answer in time',
};

/** The problem a client sees for a store call's last failure. */
function asProblem(error: unknown): unknown {
  if (!(error instanceof UpstreamError)) return error; // a bug or an HttpError: as it is
  // A timeout's message is ours (how long we waited); the rest name the upstream.
  const detail = error.kind === 'timeout' ? error.message : CLIENT_DETAIL[error.kind];
  return new HttpError(error.kind === 'timeout' ? 504 : 502, detail);
}

function circuitOpen(retryAfterMs: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new HttpError(503, 'the product store is failing: calls to it are paused (circuit breaker open)', ['retry-after', String(seconds)]);
}
