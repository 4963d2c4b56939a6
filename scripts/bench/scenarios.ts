// What the benchmark loads each target with. `io` is the seed study's scenario; the
// others exercise turbina's cache; `ramp` repeats io at growing connection counts; the
// upstream ones put the inventory service behind the targets as their product store.
import type { PathPlan } from '../load/types.js';
import type { UpstreamSpec } from './upstream.js';

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
  /** The inventory service as the targets' product store (STORE_URL), one process for the
   *  scenario's runs (upstream.ts). */
  readonly upstream?: UpstreamSpec;
  /** One redis-server for the scenario's runs (redis-server.ts), given to the targets as
   *  REDIS_URL; redis-benchmark's GET rate against it is measured once, beside them. */
  readonly redis?: boolean;
  /** A quiet OTLP collector for the scenario's runs (span-sink.ts), given to the targets as
   *  TURBINA_BENCH_COLLECTOR: the traced targets send their spans to it, the rest ignore it. */
  readonly collector?: boolean;
}

/** The embedded catalog's ids (CATALOG_SIZE's default): product-l2 reads all of them. */
const CATALOG_IDS = 10_000;

/** Ids of upstream-faulty: with the warm-up's, under the default CACHE_MAX_ENTRIES (10000),
 *  so none is evicted (an evicted entry has no stale copy left). */
const UPSTREAM_FAULTY_IDS = 8000;

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
    // What tracing costs, on the cheapest request: each traced target is paired with
    // turbina untraced (--paired) or measured beside it.
    name: 'product-traced',
    description: 'GET /products/1 (product-hit) with tracing on: every request sampled, or 1 in 100, spans sent to a local collector',
    warm: { path: '/products/1' },
    plan: { path: '/products/1' },
    env: {},
    collector: true,
    only: ['turbina', 'turbina-traced', 'turbina-traced-1pct'],
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
    name: 'product-upstream',
    description: 'GET /products/{distinct id} through the inventory service (STORE_URL, 1 ms per call): every request a cache miss over HTTP',
    warm: { prefix: '/products/', first: 100_000_000 },
    plan: { prefix: '/products/', first: 500_000_000 },
    env: {},
    upstream: { catalogSize: 1_000_000_000, knobs: { latencyMs: 1 } },
    // The Go peer fetches from STORE_URL too; the bare node:http and FastAPI peers do not.
    only: ['turbina', 'turbina-with', 'go'],
    loadgen: 'node',
  },
  {
    name: 'upstream-faulty',
    description:
      'GET /products/{random id of 8000} through an inventory failing 10% of calls (503) and hanging 0.2%: ' +
      'first misses, hits, and entries expiring every 2 s and reloading (a stale copy kept)',
    // Elsewhere in the catalog, so the measured run starts cold and counts first misses; a
    // few ids, so the warm-up's entries leave the run's room in the cache.
    warm: { prefix: '/products/', first: 500_000, span: 500 },
    plan: { prefix: '/products/', first: 1, span: UPSTREAM_FAULTY_IDS },
    // What a user would set against such an upstream: a hang costs 150 ms, not the default 1 s.
    env: { STORE_TIMEOUT_MS: '150', CACHE_TTL_MS: '2000' },
    upstream: { catalogSize: 1_000_000, knobs: { latencyMs: 1, errorRate: 0.1, hangRate: 0.002 } },
    // The Go peer has a timeout and no retries or stale copies: what the faults cost without them.
    only: ['turbina', 'turbina-with', 'go'],
    loadgen: 'node',
  },
  {
    name: 'product-l2',
    description: 'GET /products/{random id of 10000} with the L1 cache off (CACHE_MAX_ENTRIES=0): every request a Redis hit',
    // Every id in turn, so the run that follows finds each one in Redis; the ids past the
    // catalog are 404s, which the run never asks for.
    warm: { prefix: '/products/', first: 1 },
    plan: { prefix: '/products/', first: 1, span: CATALOG_IDS },
    // No store latency: the warm-up's misses fill Redis quickly (the run has none). Entries
    // live 60 s, as the ioredis peer's (PX 60000).
    env: { CACHE_MAX_ENTRIES: '0', CACHE_TTL_MS: '60000', CATALOG_SIZE: String(CATALOG_IDS), STORE_LATENCY_MS: '0' },
    redis: true,
    only: ['turbina', 'turbina-with', 'node-ioredis'],
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
