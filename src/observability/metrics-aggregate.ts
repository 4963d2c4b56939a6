// Whole-server numbers from per-process snapshots, each metric aggregated by its meaning:
// counters and the fixed-bucket latency histogram are summed (percentiles come from the
// merged buckets, never from averaging percentiles); connections, in-flight requests
// and memory are summed; event-loop delay and utilization take the worst worker.
import type { CacheStats } from '../cache/ttl-cache.js';
import { Histogram } from './histogram.js';
import type { MemoryUsage, ProcessSnapshot, ServerNumbers } from './metrics-snapshot.js';
import type { RequestCount } from './request-metrics.js';

/** The whole server: `uptimeSeconds` is the longest-running process's. */
export interface Aggregate extends ServerNumbers {
  readonly latencyMs: Histogram;
  /** The snapshots it was built from, by worker slot. */
  readonly processes: readonly ProcessSnapshot[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function aggregate(snapshots: readonly ProcessSnapshot[]): Aggregate {
  const processes = [...snapshots].sort((a, b) => a.worker - b.worker);
  const latencyMs = new Histogram();
  const counts = new Map<string, Mutable<RequestCount>>();
  const requests = { total: 0, inFlight: 0, aborted: 0, clientErrors: 0 };
  const connections = { active: 0, total: 0 };
  const cache: Mutable<CacheStats & { storeCalls: number }> = {
    hits: 0, misses: 0, hitRate: 0, entries: 0, maxEntries: 0, evictions: 0,
    expirations: 0, loads: 0, loadErrors: 0, inflight: 0, storeCalls: 0,
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
    for (const key of ['hits', 'misses', 'entries', 'maxEntries', 'evictions', 'expirations', 'loads', 'loadErrors', 'inflight', 'storeCalls'] as const) {
      cache[key] += p.cache[key];
    }
    for (const key of ['rssBytes', 'heapUsedBytes', 'heapTotalBytes', 'externalBytes'] as const) memory[key] += p.memory[key];
    for (const key of ['p50', 'p99', 'max'] as const) delayMs[key] = Math.max(delayMs[key], p.eventLoop.delayMs[key]);
    windowSeconds = Math.max(windowSeconds, p.eventLoop.windowSeconds);
    utilization = Math.max(utilization, p.eventLoop.utilization);
  }
  const lookups = cache.hits + cache.misses;
  cache.hitRate = lookups === 0 ? 0 : cache.hits / lookups;

  return {
    uptimeSeconds,
    requests: { ...requests, counts: [...counts.values()] },
    latencyMs,
    connections,
    cache,
    eventLoop: { windowSeconds, delayMs, utilization },
    memory,
    processes,
  };
}
