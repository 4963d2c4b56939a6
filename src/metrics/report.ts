// The /metrics JSON document, rendered from an aggregate of one process (single-process
// mode) or of every worker that answered (cluster mode, with the cluster's view and a
// per-worker breakdown).
import type { CacheStats } from '../cache/ttl-cache.js';
import type { EventLoopWindow } from '../observability/event-loop.js';
import type { Histogram } from '../observability/histogram.js';
import { round } from '../observability/round.js';
import type { Aggregate } from './aggregate.js';
import type { ClusterView, MemoryUsage, RequestCounters, ServerNumbers } from './snapshot.js';
import { routeCounts, statusCounts } from '../observability/request-metrics.js';

/** Each worker has its own cache in cluster mode; the document says so. */
export type CacheScope = 'process' | 'per-worker';

export interface WorkerReport {
  readonly worker: number;
  readonly pid: number;
  readonly uptimeSeconds: number;
  readonly requests: { readonly total: number; readonly inFlight: number };
  readonly connections: { readonly active: number };
  readonly cache: { readonly entries: number; readonly bytes: number; readonly hits: number; readonly misses: number };
  readonly eventLoop: EventLoopWindow;
  readonly memory: MemoryUsage;
}

export interface LatencyBuckets {
  /** Upper bounds, in milliseconds. */
  readonly boundsMs: readonly number[];
  /** cumulative[i]: responses that took at most boundsMs[i]; one entry more than the
   *  bounds, the last counting every response (Prometheus's le="+Inf"). */
  readonly cumulative: readonly number[];
}

/** Every ServerNumbers field, summed over the workers that answered in cluster mode
 *  (event-loop figures: the worst worker's), with requests and the cache as a reader wants them. */
export interface MetricsReport extends Omit<ServerNumbers, 'requests' | 'cache'> {
  readonly requests: RequestCounters & {
    readonly byStatus: Record<string, number>;
    readonly byRoute: Record<string, number>;
  };
  readonly responseTimeMs: {
    readonly avg: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
    /** The histogram behind the percentiles, as Prometheus gets it: a reader that keeps two
     *  scrapes takes windowed percentiles from their difference (the dashboard does). */
    readonly buckets: LatencyBuckets;
  };
  readonly cache: CacheStats & { readonly storeCalls: number; readonly scope: CacheScope };
  /** Cluster mode only. */
  readonly cluster?: ClusterView & { readonly answeredBy: number; readonly answered: number };
  /** Cluster mode only: one entry per worker that answered, by slot. */
  readonly workers?: readonly WorkerReport[];
}

function latencyBuckets(latency: Histogram): LatencyBuckets {
  const cumulative: number[] = [];
  let sum = 0;
  for (const inBucket of latency.counts) cumulative.push((sum += inBucket));
  return { boundsMs: latency.bounds, cumulative };
}

export function metricsReport(agg: Aggregate, view?: ClusterView): MetricsReport {
  const latency = agg.latencyMs;
  const report: MetricsReport = {
    uptimeSeconds: agg.uptimeSeconds,
    requests: {
      total: agg.requests.total,
      inFlight: agg.requests.inFlight,
      aborted: agg.requests.aborted,
      clientErrors: agg.requests.clientErrors,
      byStatus: statusCounts(agg.requests.counts),
      byRoute: routeCounts(agg.requests.counts),
    },
    responseTimeMs: {
      avg: round(latency.mean()),
      p50: round(latency.percentile(0.5)),
      p90: round(latency.percentile(0.9)),
      p99: round(latency.percentile(0.99)),
      max: round(latency.max),
      buckets: latencyBuckets(latency),
    },
    connections: agg.connections,
    cache: { ...agg.cache, hitRate: round(agg.cache.hitRate, 4), scope: view === undefined ? 'process' : 'per-worker' },
    eventLoop: agg.eventLoop,
    compression: agg.compression,
    bufferPool: agg.bufferPool,
    logs: { dropped: agg.logs.dropped + (view?.primaryLogsDropped ?? 0), queuedBytes: agg.logs.queuedBytes },
    exports: agg.exports,
    rateLimit: agg.rateLimit,
    deadline: agg.deadline,
    shedding: agg.shedding,
    store: agg.store,
    redis: agg.redis,
    tracing: agg.tracing,
    memory: agg.memory,
  };
  if (view === undefined) return report;
  return {
    ...report,
    cluster: { ...view, answeredBy: process.pid, answered: agg.processes.length },
    workers: agg.processes.map((p) => ({
      worker: p.worker,
      pid: p.pid,
      uptimeSeconds: p.uptimeSeconds,
      requests: { total: p.requests.total, inFlight: p.requests.inFlight },
      connections: { active: p.connections.active },
      cache: { entries: p.cache.entries, bytes: p.cache.bytes, hits: p.cache.hits, misses: p.cache.misses },
      eventLoop: p.eventLoop,
      memory: p.memory,
    })),
  };
}
