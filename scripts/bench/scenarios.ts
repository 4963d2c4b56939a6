// What the benchmark loads each target with. `io` is the seed study's scenario; the
// others exercise turbina's cache; `ramp` repeats io at growing connection counts.
import type { PathPlan } from '../load/types.js';

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Warm-up plan (for misses, ids that the measured run will not request). */
  readonly warm: PathPlan;
  readonly plan: PathPlan;
  readonly headers?: Readonly<Record<string, string>>;
  /** Connection counts to step through; undefined = the run's --connections. */
  readonly steps?: readonly number[];
  /** Extra environment for every target in this scenario. */
  readonly env: Readonly<Record<string, string>>;
  /** Undefined when it can run; otherwise why not. */
  readonly skipReason?: string;
  /** The targets that implement it (undefined: all but the variants). */
  readonly only?: readonly string[];
  /** 'node': always the project's generator, which tells 2xx latency from refusals' (wrk cannot). */
  readonly loadgen?: 'node';
  /** Clients wait as Retry-After asks before asking again (the project's generator only). */
  readonly honourRetryAfter?: boolean;
}

// Distinct ids far beyond anything cached: the catalog is made large enough to hold them.
const MISS_ENV = { CATALOG_SIZE: '1000000000' };

/** Distinct 1000-product pages, each a miss that costs only CPU: the overload scenarios'
 *  load, offered by the project's generator (it tells admitted latency from refusals'). */
const OVERLOAD = {
  warm: { prefix: '/products?limit=1000&offset=', first: 900_000_000 },
  plan: { prefix: '/products?limit=1000&offset=', first: 0 },
  steps: [1, 8, 256],
  env: { ...MISS_ENV, STORE_LATENCY_MS: '0' },
  only: ['turbina', 'turbina-shed', 'turbina-with'],
  loadgen: 'node',
} as const satisfies Partial<Scenario>;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'io',
    description: 'GET /io: 1 ms of simulated I/O per request (the Go-vs-Python study)',
    warm: { path: '/io' },
    plan: { path: '/io' },
    env: {},
  },
  {
    name: 'product-hit',
    description: 'GET /products/1: a cached product',
    warm: { path: '/products/1' },
    plan: { path: '/products/1' },
    env: {},
  },
  {
    name: 'product-miss',
    description: 'GET /products/{distinct id}: every request misses and waits 20 ms for the store',
    warm: { prefix: '/products/', first: 100_000_000 },
    plan: { prefix: '/products/', first: 500_000_000 },
    env: MISS_ENV,
  },
  {
    name: 'list-gzip',
    description: 'GET /products?limit=1000 with Accept-Encoding: gzip',
    warm: { path: '/products?limit=1000' },
    plan: { path: '/products?limit=1000' },
    headers: { 'Accept-Encoding': 'gzip' },
    env: {},
    // The FastAPI peer implements the study's /io and /products/{id} only.
    only: ['turbina', 'turbina-cluster', 'node-bare', 'node-bare-tuned', 'node-bare-cluster', 'node-bare-cluster-tuned', 'go'],
  },
  {
    name: 'export',
    description: 'GET /products/export: 1000 products streamed as NDJSON through pooled Buffers (BUFFER_POOL on vs off)',
    warm: { path: '/products/export' },
    plan: { path: '/products/export' },
    // Every connection streams: the bound on concurrent exports would turn most into 503s.
    env: { CATALOG_SIZE: '1000', STORE_LATENCY_MS: '0', EXPORT_MAX_CONCURRENT: '100000' },
    only: ['turbina', 'turbina-nopool'],
  },
  {
    ...OVERLOAD,
    name: 'overload',
    description: 'GET /products?limit=1000&offset={distinct}: every request a cache miss serialising 1000 products (CPU only, no store latency) at 1 (unloaded), 8 (saturated) and 256 connections; load shedding off and on',
  },
  {
    ...OVERLOAD,
    name: 'overload-polite',
    description: 'overload with clients that wait as Retry-After asks before asking again (a 503 holds that connection for 1 s)',
    honourRetryAfter: true,
  },
  {
    name: 'ramp',
    description: 'GET /io at 10, 50, 100, 250, 500 and 1000 connections',
    warm: { path: '/io' },
    plan: { path: '/io' },
    steps: [10, 50, 100, 250, 500, 1000],
    env: {},
  },
];
