// One process's metrics as plain data: what /metrics renders in single-process mode and
// what each worker sends the primary in cluster mode (structured-clone/JSON safe).
import { performance } from 'node:perf_hooks';
import type { CacheStats } from '../cache/ttl-cache.js';
import type { CompressionStats } from '../compression/compression.js';
import type { ConnectionTracker } from '../http/connections.js';
import type { BufferPoolStats } from '../pool/buffer-pool.js';
import type { ExportStats } from '../products/export-slots.js';
import type { RateLimitStats } from '../middleware/token-buckets.js';
import type { DeadlineStats } from '../middleware/request-deadline.js';
import type { SheddingStats } from '../middleware/load-shedding.js';
import type { StoreStats } from '../products/resilient-store.js';
import type { SharedCacheStats } from '../products/shared-responses.js';
import type { ExporterStats } from '../trace/exporter.js';
import type { EventLoopMonitor, EventLoopWindow } from '../observability/event-loop.js';
import { round } from '../observability/round.js';
import type { HistogramData } from '../observability/histogram.js';
import type { RequestCount, RequestMetrics } from '../observability/request-metrics.js';

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
  /** Log lines dropped because stdout was not taking them (log-output.ts). */
  readonly logs: () => LogCounters;
  readonly exports: () => ExportStats;
  /** Zeros when rate limiting is off. */
  readonly rateLimit: () => RateLimitStats;
  readonly deadline: () => DeadlineStats;
  readonly shedding: () => SheddingStats;
  readonly store: () => StoreStats;
  /** The shared cache (REDIS_URL); null without one. */
  readonly shared: () => SharedCacheStats | null;
  /** The span exporter (tracing on); null when tracing is off. */
  readonly tracing: () => ExporterStats | null;
}

export interface MemoryUsage {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
}

export interface RequestCounters {
  readonly total: number;
  readonly inFlight: number;
  readonly aborted: number;
  readonly clientErrors: number;
}

export interface LogCounters {
  /** Lines dropped whole while stdout's queue was over LOG_QUEUE_BYTES. */
  readonly dropped: number;
  /** Bytes written to stdout and not yet taken by its reader (bounded by LOG_QUEUE_BYTES). */
  readonly queuedBytes: number;
}

/** What one process and the whole server both report. */
export interface ServerNumbers {
  readonly uptimeSeconds: number;
  readonly requests: RequestCounters & { readonly counts: readonly RequestCount[] };
  readonly connections: { readonly active: number; readonly total: number };
  readonly cache: CacheStats & { readonly storeCalls: number };
  readonly eventLoop: EventLoopWindow;
  readonly compression: CompressionStats;
  readonly bufferPool: BufferPoolStats;
  readonly logs: LogCounters;
  readonly exports: ExportStats;
  readonly rateLimit: RateLimitStats;
  /** REQUEST_DEADLINE_MS and the requests it answered. */
  readonly deadline: DeadlineStats;
  /** Load shedding: its thresholds, whether it is refusing now, and the refusals. */
  readonly shedding: SheddingStats;
  /** Store calls, attempts, retries, failures by cause, the circuit breaker. */
  readonly store: StoreStats;
  /** The shared cache (REDIS_URL): reads, writes, invalidations, the connection, its breaker; null without one. */
  readonly redis: SharedCacheStats | null;
  /** Spans exported, queued, dropped by reason, batches and retries; null when tracing is off. */
  readonly tracing: ExporterStats | null;
  readonly memory: MemoryUsage;
}

export interface ProcessSnapshot extends ServerNumbers {
  readonly pid: number;
  /** The worker's slot (0..WORKERS-1), set by the primary; 0 in single-process mode. */
  readonly worker: number;
  /** Epoch seconds. */
  readonly startTimeSeconds: number;
  /** User + system CPU time. */
  readonly cpuSeconds: number;
  readonly latencyMs: HistogramData;
}

/** What the primary adds to the workers' snapshots. */
export interface ClusterView {
  /** WORKERS: how many there should be. */
  readonly workers: number;
  /** Workers restarted after an unexpected exit, since the primary started. */
  readonly restarts: number;
  /** Workers that did not answer this scrape in time (or were between restarts). */
  readonly missing: readonly { readonly worker: number; readonly pid: number | null }[];
  /** Missing answers summed over every scrape so far. */
  readonly missingTotal: number;
  /** The primary's own log lines dropped (the workers' are in their snapshots). */
  readonly primaryLogsDropped: number;
  readonly timeoutMs: number;
}

export interface Gathered {
  readonly snapshots: readonly ProcessSnapshot[];
  readonly view: ClusterView;
}

/** Asks every worker for its snapshot (cluster mode); always resolves. */
export interface MetricsGatherer {
  gather(): Promise<Gathered>;
}

export function takeSnapshot(src: MetricsSources): ProcessSnapshot {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const uptime = (performance.now() - src.startedAt) / 1000;
  return {
    pid: process.pid,
    worker: 0,
    uptimeSeconds: round(uptime),
    startTimeSeconds: round((performance.timeOrigin + src.startedAt) / 1000),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    requests: {
      total: src.requests.total,
      inFlight: src.requests.inFlight,
      aborted: src.requests.aborted,
      clientErrors: src.requests.clientErrors,
      counts: src.requests.counts(),
    },
    latencyMs: src.requests.latency.data(),
    connections: { active: src.connections.active, total: src.connections.total },
    cache: { ...src.cacheStats(), storeCalls: src.storeCalls() },
    eventLoop: src.eventLoop.snapshot(),
    compression: src.compression(),
    bufferPool: src.bufferPool(),
    logs: src.logs(),
    exports: src.exports(),
    rateLimit: src.rateLimit(),
    deadline: src.deadline(),
    shedding: src.shedding(),
    store: src.store(),
    redis: src.shared(),
    tracing: src.tracing(),
    memory: {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
    },
  };
}
