// Shapes shared by the load generator, its worker threads and the benchmark.
import type { LatencySummary } from './latency-histogram.js';

/** What to request: one fixed path; distinct ids `prefix + n` (n counts up from first);
 *  or ids drawn at random from first .. first + span - 1, a bounded set that repeats (a
 *  cache holds some of them, others expire and reload). */
export type PathPlan =
  | { readonly path: string }
  | { readonly prefix: string; readonly first: number }
  | { readonly prefix: string; readonly first: number; readonly span: number };

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly plan: PathPlan;
  readonly connections: number;
  readonly threads: number;
  readonly durationMs: number;
  /** A request unanswered this long counts as a timeout and its connection is replaced. */
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Clients that wait as a 429 or 503 asks (Retry-After, whole seconds) before asking
   *  again on that connection; by default they ask again at once, as wrk does. */
  readonly honourRetryAfter?: boolean;
}

export interface SocketErrors {
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly timeout: number;
}

/** The same fields whichever generator ran (wrk or ours). */
export interface LoadResult {
  readonly tool: string;
  readonly requests: number;
  readonly durationSec: number;
  readonly requestsPerSec: number;
  readonly transferBytesPerSec: number;
  readonly latencyMs: LatencySummary;
  readonly errors: SocketErrors;
  /** Responses with a status outside 2xx/3xx. */
  readonly non2xx3xx: number;
  /** Our generator only: the 2xx responses apart (goodput, and the admitted requests'
   *  latency when the others are fast refusals), and the 503s. */
  readonly admitted?: { readonly requests: number; readonly latencyMs: LatencySummary };
  readonly refused503?: number;
  /** Our generator only: responses with a 5xx status. */
  readonly status5xx?: number;
  /** Our generator only: responses served from an expired copy (`X-Cache: STALE`). */
  readonly stale?: number;
  readonly connections: number;
  readonly threads: number;
}
