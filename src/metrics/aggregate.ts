// Whole-server numbers from per-process snapshots, each metric aggregated by its meaning:
// counters and the fixed-bucket latency histogram are summed (percentiles come from the
// merged buckets, never from averaging percentiles); connections, in-flight requests
// and memory are summed; event-loop delay and utilization, and the breaker's state, take
// the worst worker.
import type { CacheStats } from '../cache/ttl-cache.js';
import type { CompressionStats } from '../compression/compression.js';
import type { BufferPoolStats } from '../pool/buffer-pool.js';
import type { ExportStats } from '../products/export-slots.js';
import type { DeadlineStats } from '../middleware/request-deadline.js';
import type { SheddingStats } from '../middleware/load-shedding.js';
import type { AttemptFailure, StoreStats } from '../products/resilient-store.js';
import type { SharedCacheStats } from '../products/shared-responses.js';
import type { ExporterStats } from '../trace/exporter.js';
import type { BreakerState } from '../resilience/circuit-breaker.js';
import { Histogram } from '../observability/histogram.js';
import type { MemoryUsage, ProcessSnapshot, ServerNumbers } from './snapshot.js';
import type { RequestCount } from '../observability/request-metrics.js';

/** The whole server: `uptimeSeconds` is the longest-running process's. */
export interface Aggregate extends ServerNumbers {
  readonly latencyMs: Histogram;
  /** The snapshots it was built from, by worker slot. */
  readonly processes: readonly ProcessSnapshot[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const COMPRESSION_SUMS = [
  'onTheFly', 'streamsOpened', 'streamsOpen', 'failures', 'variants', 'upgradesRunning', 'upgradesQueued',
  'upgrades', 'upgradesDropped', 'upgradesCancelled', 'upgradesFailed',
  'requestJobs', 'requestJobsRunning', 'requestJobsWaiting', 'requestJobsWaited',
] as const;

export function aggregate(snapshots: readonly ProcessSnapshot[]): Aggregate {
  const processes = [...snapshots].sort((a, b) => a.worker - b.worker);
  const latencyMs = new Histogram();
  const counts = new Map<string, Mutable<RequestCount>>();
  const requests = { total: 0, inFlight: 0, aborted: 0, clientErrors: 0 };
  const connections = { active: 0, total: 0 };
  const cache: Mutable<CacheStats & { storeCalls: number }> = {
    hits: 0, misses: 0, hitRate: 0, entries: 0, maxEntries: 0, bytes: 0, maxBytes: 0, evictions: 0,
    tooLarge: 0, expirations: 0, invalidations: 0, staleServed: 0, loads: 0, loadErrors: 0, inflight: 0, storeCalls: 0,
  };
  // Settings (levels, sizes) are the same in every worker: taken from the first.
  const first = processes[0];
  const compression: Mutable<CompressionStats> = {
    minBytes: first?.compression.minBytes ?? 0, gzipLevel: first?.compression.gzipLevel ?? 0, codings: first?.compression.codings ?? [],
    upgradeConcurrency: first?.compression.upgradeConcurrency ?? 0, upgradeBacklog: first?.compression.upgradeBacklog ?? 0,
    onTheFly: 0, streamsOpened: 0, streamsOpen: 0, failures: 0, variants: 0, upgradesRunning: 0, upgradesQueued: 0,
    upgrades: 0, upgradesDropped: 0, upgradesCancelled: 0, upgradesFailed: 0,
    requestJobs: 0, requestJobsRunning: 0, requestJobsWaiting: 0, requestJobsWaited: 0,
  };
  const bufferPool: Mutable<BufferPoolStats> = {
    enabled: first?.bufferPool.enabled ?? false, bufferBytes: first?.bufferPool.bufferBytes ?? 0, maxFree: 0,
    free: 0, inUse: 0, hits: 0, misses: 0, abandoned: 0,
  };
  const logs = { dropped: 0, queuedBytes: 0 };
  // Each process has its own slots: the limits and counts add up to the server's.
  const exports: Mutable<ExportStats> = { maxConcurrent: 0, active: 0, rejected: 0, idleTimeouts: 0 };
  const rateLimit = { limited: 0, clients: 0, evictions: 0 };
  const deadline: Mutable<DeadlineStats> = { ms: first?.deadline.ms ?? 0, answered503: 0, answered504: 0 };
  // Thresholds are the same in every worker; the bounds, the processes refusing now and the refusals add up.
  const shed = { eventLoopDelay: 0, eventLoopUtilization: 0, inFlight: 0 };
  const shedding: Mutable<SheddingStats> = {
    eventLoopDelayMs: first?.shedding.eventLoopDelayMs ?? 0, eventLoopUtilization: first?.shedding.eventLoopUtilization ?? 0,
    maxInFlight: 0, active: 0, shed,
  };
  const failures: Record<AttemptFailure, number> = { connect: 0, reset: 0, status: 0, invalid: 0, 'too-large': 0, timeout: 0, other: 0 };
  const breaker: Mutable<StoreStats['breaker']> = { state: 'closed', opened: 0, halfOpened: 0, closed: 0 };
  const store: Mutable<StoreStats> = {
    calls: 0, attempts: 0, retries: 0, failures, retriesRefused: 0, retriesPastDeadline: 0, shortCircuited: 0, waiting: 0, breaker,
  };
  const memory: Mutable<MemoryUsage> = { rssBytes: 0, heapUsedBytes: 0, heapTotalBytes: 0, externalBytes: 0 };
  const delayMs = { p50: 0, p99: 0, max: 0 };
  let windowSeconds = 0;
  let utilization = 0;
  let uptimeSeconds = 0;

  for (const p of processes) {
    uptimeSeconds = Math.max(uptimeSeconds, p.uptimeSeconds);
    for (const key of ['total', 'inFlight', 'aborted', 'clientErrors'] as const) requests[key] += p.requests[key];
    for (const c of p.requests.counts) {
      const key = c.method + ' ' + c.routeMethod + ' ' + c.route + ' ' + c.status;
      const seen = counts.get(key);
      if (seen === undefined) counts.set(key, { ...c });
      else seen.count += c.count;
    }
    latencyMs.merge(p.latencyMs);
    connections.active += p.connections.active;
    connections.total += p.connections.total;
    for (const key of ['hits', 'misses', 'entries', 'maxEntries', 'bytes', 'maxBytes', 'evictions', 'tooLarge', 'expirations', 'invalidations', 'staleServed', 'loads', 'loadErrors', 'inflight', 'storeCalls'] as const) {
      cache[key] += p.cache[key];
    }
    for (const key of COMPRESSION_SUMS) compression[key] += p.compression[key];
    for (const key of ['maxFree', 'free', 'inUse', 'hits', 'misses', 'abandoned'] as const) bufferPool[key] += p.bufferPool[key];
    logs.dropped += p.logs.dropped;
    logs.queuedBytes += p.logs.queuedBytes;
    for (const key of ['maxConcurrent', 'active', 'rejected', 'idleTimeouts'] as const) exports[key] += p.exports[key];
    for (const key of ['limited', 'clients', 'evictions'] as const) rateLimit[key] += p.rateLimit[key];
    deadline.answered503 += p.deadline.answered503;
    deadline.answered504 += p.deadline.answered504;
    shedding.maxInFlight += p.shedding.maxInFlight;
    shedding.active += p.shedding.active;
    for (const key of ['eventLoopDelay', 'eventLoopUtilization', 'inFlight'] as const) shed[key] += p.shedding.shed[key];
    for (const key of ['calls', 'attempts', 'retries', 'retriesRefused', 'retriesPastDeadline', 'shortCircuited', 'waiting'] as const) store[key] += p.store[key];
    for (const kind of Object.keys(failures) as AttemptFailure[]) failures[kind] += p.store.failures[kind];
    for (const key of ['opened', 'halfOpened', 'closed'] as const) breaker[key] += p.store.breaker[key];
    breaker.state = worseState(breaker.state, p.store.breaker.state);
    for (const key of ['rssBytes', 'heapUsedBytes', 'heapTotalBytes', 'externalBytes'] as const) memory[key] += p.memory[key];
    for (const key of ['p50', 'p99', 'max'] as const) delayMs[key] = Math.max(delayMs[key], p.eventLoop.delayMs[key]);
    windowSeconds = Math.max(windowSeconds, p.eventLoop.windowSeconds);
    utilization = Math.max(utilization, p.eventLoop.utilization);
  }
  const lookups = cache.hits + cache.misses;
  cache.hitRate = lookups === 0 ? 0 : cache.hits / lookups;

  return {
    uptimeSeconds,
    redis: aggregateRedis(processes),
    tracing: aggregateTracing(processes),
    requests: { ...requests, counts: [...counts.values()] },
    latencyMs,
    connections,
    cache,
    eventLoop: { windowSeconds, delayMs, utilization },
    compression,
    bufferPool,
    logs,
    exports,
    rateLimit,
    deadline,
    shedding,
    store,
    memory,
    processes,
  };
}

/** Each worker exports its own spans: the counts add up; the latest error is any worker's. */
function aggregateTracing(processes: readonly ProcessSnapshot[]): ExporterStats | null {
  const each = processes.map((p) => p.tracing).filter((t): t is ExporterStats => t !== null);
  if (each.length === 0) return null;
  const dropped = { queueFull: 0, rejected: 0, failed: 0 };
  let queued = 0;
  let exported = 0;
  let batches = 0;
  let retries = 0;
  let lastError: string | undefined;
  for (const t of each) {
    queued += t.queued;
    exported += t.exported;
    batches += t.batches;
    retries += t.retries;
    dropped.queueFull += t.dropped.queueFull;
    dropped.rejected += t.dropped.rejected;
    dropped.failed += t.dropped.failed;
    lastError = t.lastError ?? lastError;
  }
  return lastError === undefined ? { queued, exported, dropped, batches, retries } : { queued, exported, dropped, batches, retries, lastError };
}

const REDIS_SUMS = ['hits', 'misses', 'errors', 'skipped', 'writes', 'invalidations', 'reconnects', 'timeouts', 'pending', 'invalid'] as const;
const BREAKER_SUMS = ['opened', 'halfOpened', 'closed', 'shortCircuited', 'successes', 'failures'] as const;
const REDIS_STATE_RANK = { ready: 0, connecting: 1, down: 2, closed: 3 } as const;

/** Each worker has its own connection: counts add up, the state is the worst, tracking holds only if it does in all. */
function aggregateRedis(processes: readonly ProcessSnapshot[]): SharedCacheStats | null {
  const each = processes.map((p) => p.redis).filter((r): r is SharedCacheStats => r !== null);
  const first = each[0];
  if (first === undefined) return null;
  const breaker: Mutable<SharedCacheStats['breaker']> = { ...first.breaker };
  const sum: Mutable<SharedCacheStats> = { ...first, breaker };
  for (const key of REDIS_SUMS) sum[key] = 0;
  for (const key of BREAKER_SUMS) breaker[key] = 0;
  for (const r of each) {
    for (const key of REDIS_SUMS) sum[key] += r[key];
    for (const key of BREAKER_SUMS) breaker[key] += r.breaker[key];
    breaker.state = worseState(breaker.state, r.breaker.state);
    if (REDIS_STATE_RANK[r.state] > REDIS_STATE_RANK[sum.state]) sum.state = r.state;
    sum.tracking = sum.tracking && r.tracking;
  }
  return sum;
}

/** Each worker has its own breaker: the server's state is the worst of theirs. */
function worseState(a: BreakerState, b: BreakerState): BreakerState {
  const rank = { closed: 0, 'half-open': 1, open: 2 } as const;
  return rank[b] > rank[a] ? b : a;
}
