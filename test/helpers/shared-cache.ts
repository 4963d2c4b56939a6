// For tests of the shared (Redis) cache: a server's view of it, and a client of our own to
// look at and tamper with what the servers keep in Redis.
import { RedisClient } from '../../src/cache/redis/redis-client.js';
import { FORMAT_VERSION } from '../../src/cache/redis/redis-cache.js';
import type { MetricsReport } from '../../src/metrics/report.js';
import type { SharedCacheStats } from '../../src/products/shared-responses.js';
import { eventuallyAsync, request } from './http.js';

/** The Redis key a server with REDIS_KEY_PREFIX `prefix` keeps cache key `key` under. */
export function redisKey(key: string, prefix = 'turbina:'): string {
  return `${prefix}${FORMAT_VERSION}:${key}`;
}

export async function metricsOf(port: number): Promise<MetricsReport> {
  return (await request(port, '/metrics')).json<MetricsReport>();
}

/** The server's /metrics redis block (throws when it has none). */
export async function redisStats(port: number): Promise<SharedCacheStats> {
  const redis = (await metricsOf(port)).redis;
  if (redis === null) throw new Error(`the server on port ${port} has no shared cache`);
  return redis;
}

/** Resolves once the server's Redis connection is ready and tracks invalidations. */
export function untilTracking(port: number, timeoutMs = 3000): Promise<void> {
  return eventuallyAsync(async () => (await redisStats(port)).tracking, `CLIENT TRACKING on the server on port ${port}`, timeoutMs);
}

/** A plain client of the test's own (closed by the caller). */
export function redisClient(url: string): RedisClient {
  return new RedisClient({ url, maxQueue: 100, commandTimeoutMs: 2000, maxBulkBytes: 1 << 24, reconnectBaseMs: 10, reconnectMaxMs: 50 });
}

/** The header line of one of our blobs ('' for anything else). */
export function blobHeader(value: unknown): string {
  if (!Buffer.isBuffer(value)) return '';
  const end = value.indexOf(10);
  return end < 0 ? '' : value.toString('latin1', 0, end);
}
