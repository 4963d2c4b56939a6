// The /metrics JSON document: a snapshot assembled from the live counters on request.
import { performance } from 'node:perf_hooks';
import type { CacheStats } from '../cache/ttl-cache.js';
import type { CompressionStats } from '../compression/policy.js';
import type { BufferPoolStats } from '../pool/buffer-pool.js';
import type { ConnectionTracker } from '../lifecycle/connections.js';
import { round, type EventLoopMonitor, type EventLoopWindow } from './event-loop.js';
import type { RequestMetrics } from './request-metrics.js';

export interface MetricsSources {
  /** performance.now() at startup. */
  readonly startedAt: number;
  readonly requests: RequestMetrics;
  readonly connections: ConnectionTracker;
  readonly cacheStats: () => CacheStats;
  readonly eventLoop: EventLoopMonitor;
  /** Backing-store calls made (what the cache saves). */
  readonly storeCalls: () => number;
  readonly compression: () => CompressionStats;
  readonly bufferPool: () => BufferPoolStats;
}

export interface MetricsReport {
  readonly uptimeSeconds: number;
  readonly requests: {
    readonly total: number;
    readonly inFlight: number;
    readonly aborted: number;
    readonly clientErrors: number;
    readonly byStatus: Record<string, number>;
    readonly byRoute: Record<string, number>;
  };
  readonly responseTimeMs: {
    readonly avg: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly connections: { readonly active: number; readonly total: number };
  readonly cache: CacheStats & { readonly storeCalls: number };
  readonly eventLoop: EventLoopWindow;
  readonly compression: CompressionStats;
  readonly bufferPool: BufferPoolStats;
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number; readonly heapTotalBytes: number; readonly externalBytes: number };
}

export function metricsReport(src: MetricsSources): MetricsReport {
  const latency = src.requests.latency;
  const memory = process.memoryUsage();
  const cache = src.cacheStats();
  return {
    uptimeSeconds: round((performance.now() - src.startedAt) / 1000),
    requests: {
      total: src.requests.total,
      inFlight: src.requests.inFlight,
      aborted: src.requests.aborted,
      clientErrors: src.requests.clientErrors,
      byStatus: src.requests.statusCounts(),
      byRoute: src.requests.routeCounts(),
    },
    responseTimeMs: {
      avg: round(latency.mean()),
      p50: round(latency.percentile(0.5)),
      p90: round(latency.percentile(0.9)),
      p99: round(latency.percentile(0.99)),
      max: round(latency.max),
    },
    connections: { active: src.connections.active, total: src.connections.total },
    cache: { ...cache, hitRate: round(cache.hitRate, 4), storeCalls: src.storeCalls() },
    eventLoop: src.eventLoop.snapshot(),
    compression: src.compression(),
    bufferPool: src.bufferPool(),
    memory: {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
    },
  };
}
