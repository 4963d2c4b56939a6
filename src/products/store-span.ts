// The span of one store call through the resilient store (an internal span: our own
// work, retries and their waits included), ended with how many attempts the call made
// and how it ended. The attempts that reach a remote store are that store's own client
// spans, children of this one.
import type { Span } from '../trace/tracer.js';
import { errorType } from './upstream/upstream-error.js';

/** ok: the store answered (a product that does not exist included); failed: the last
 *  attempt failed and no retry followed; circuit-open: the breaker refused the call;
 *  aborted: every request waiting on it gave up. */
export type StoreCallOutcome = 'ok' | 'failed' | 'circuit-open' | 'aborted';

export const STORE_GET_SPAN = 'store get';
export const STORE_LIST_SPAN = 'store list';

/** Ends the call's span, if it is traced; `error` is the failure that ended it (none for ok). */
export function endStoreSpan(span: Span | undefined, attempts: number, outcome: StoreCallOutcome, error?: unknown): void {
  if (span === undefined || !span.sampled) return;
  span.set('turbina.store.attempts', attempts);
  span.set('turbina.store.outcome', outcome);
  if (outcome !== 'ok') {
    span.set('error.type', outcome === 'failed' ? errorType(error, false) : outcome);
    span.fail(error instanceof Error ? error.message : outcome);
  }
  span.end();
}
