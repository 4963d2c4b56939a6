// The shared cache level: opaque values under `<prefix><FORMAT>:<key>` in one Redis, read
// and written by every instance. Redis is an optimisation, never a dependency: a read
// that cannot be answered is a miss (the caller goes on to its store), a write that fails
// is dropped, and a circuit breaker stops both while Redis keeps failing.
//
// Invalidation is Redis's client-side caching: CLIENT TRACKING in broadcast mode for our
// prefix, so Redis pushes the name of every key another instance writes or deletes (NOLOOP:
// not our own). While the connection is down those pushes are lost, so after a reconnect
// the owner is told to re-read what it holds soon. A RESP2-only server (before Redis 6)
// sends no pushes.
//
// A delete writes a short-lived empty value (a tombstone) rather than DEL: a DEL of a key
// Redis does not hold tells nobody, though other instances may hold it; and a store answer
// read before the delete cannot land after it, since entries are only added where the key
// is free (SET NX).
//
// A command sent on a request's behalf (the read on a miss, the add after a store load, the
// tombstone) is a CLIENT span under that request's span when one is given; the variant
// write-back and the connection's own commands belong to no request and have none.
import { asError } from '../../log/json-fields.js';
import type { Logger } from '../../log/logger.js';
import { CircuitBreaker, type BreakerPermit, type CircuitBreakerStats } from '../../resilience/circuit-breaker.js';
import type { Span } from '../../trace/tracer.js';
import { RedisClient, RedisClientError, type RedisState } from './redis-client.js';
import { CACHE_HIT, RedisSpans } from './redis-spans.js';
import { parseRedisUrl } from './redis-url.js';
import { RedisError, RespPush, type RespValue } from './resp.js';

/** The layout of what we store; bumped when it changes, so old entries are never read. */
export const FORMAT_VERSION = 1;

/** Commands waiting or in flight; a request beyond it skips Redis (counted by the client). */
const MAX_QUEUE = 4096;
/** Values read may be this large even where this instance writes less. */
const MAX_READ_BYTES = 64 * 1024 * 1024;
const RECONNECT_BASE_MS = 100;
const RECONNECT_MAX_MS = 5000;
/** The breaker: Redis timing out or dropping five calls in a row, or half of at least 20
 *  in 10 s, is skipped for 5 s, then one call probes it. */
const BREAKER = { consecutiveFailures: 5, failureRatio: 0.5, minCalls: 20, windowMs: 10_000, openMs: 5000 } as const;

/** How long a deleted key stays taken: longer than a store answer takes to reach Redis
 *  after its load ended. */
export const TOMBSTONE_MS = 1000;

/** Sets key to ARGV[2], keeping its TTL, only if it still starts with ARGV[1] (the same
 *  representation): a late write never replaces a newer entry or recreates a deleted one. */
const REPLACE_SCRIPT = `local head = redis.call('GETRANGE', KEYS[1], 0, #ARGV[1] - 1)
if head == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') end
return false`;

export interface RedisCacheOptions {
  readonly url: string;
  /** REDIS_KEY_PREFIX; the format version follows it. */
  readonly keyPrefix: string;
  readonly timeoutMs: number;
  /** The largest value written; a longer one is not (counted as skipped). Values up to
   *  the larger of this and 64 MiB are read (other instances may allow more); a longer
   *  one drops the connection, as from a broken server. */
  readonly maxValueBytes: number;
  /** Another instance changed or deleted `key`; null: every key was flushed. */
  readonly onInvalidate: (key: string | null) => void;
  /** Connected again after a drop: invalidations sent meanwhile were lost. */
  readonly onReconnect: () => void;
  readonly logger: Logger;
  /** How long the breaker skips Redis once open (5 s when absent; tests shorten it). */
  readonly breakerOpenMs?: number;
}

export interface RedisCacheStats {
  readonly state: RedisState;
  readonly protocol: 2 | 3 | null;
  /** Invalidations arrive (CLIENT TRACKING is on for this connection). */
  readonly tracking: boolean;
  readonly hits: number;
  readonly misses: number;
  /** Reads and writes that failed (timeout, connection lost, queue full, server error). */
  readonly errors: number;
  /** Reads and writes not tried: Redis down, the breaker open, or a value over maxValueBytes. */
  readonly skipped: number;
  readonly writes: number;
  /** Keys named by invalidation pushes, and pushes that flushed everything. */
  readonly invalidations: number;
  readonly reconnects: number;
  readonly timeouts: number;
  /** Commands waiting or in flight. */
  readonly pending: number;
  readonly breaker: CircuitBreakerStats;
}

const NOTHING: Promise<undefined> = Promise.resolve(undefined);

export class RedisCache {
  private readonly client: RedisClient;
  private readonly breaker: CircuitBreaker;
  /** `<prefix><FORMAT>:`, what every key starts with. */
  readonly prefix: string;
  private tracking = false;
  private everReady = false;
  /** 'down' has been logged since the last ready: a redial failing every few seconds logs once. */
  private downLogged = false;
  private counts = { hits: 0, misses: 0, errors: 0, skipped: 0, writes: 0, invalidations: 0 };
  private readonly onInvalidate: (key: string | null) => void;
  private readonly onReconnect: () => void;
  private readonly logger: Logger;
  private readonly maxValueBytes: number;
  private readonly spans: RedisSpans;

  constructor(options: RedisCacheOptions) {
    this.prefix = `${options.keyPrefix}${FORMAT_VERSION}:`;
    this.onInvalidate = options.onInvalidate;
    this.onReconnect = options.onReconnect;
    this.maxValueBytes = options.maxValueBytes;
    this.logger = options.logger;
    const openMs = options.breakerOpenMs ?? BREAKER.openMs;
    this.breaker = new CircuitBreaker({
      ...BREAKER,
      openMs,
      onTransition: (from, to, reason) => {
        const fields = { from, to, reason };
        if (to === 'open') this.logger.warn(`redis circuit breaker open: the shared cache is skipped for ${openMs} ms`, fields);
        else this.logger.info(`redis circuit breaker ${to}`, fields);
      },
    });
    const target = parseRedisUrl(options.url);
    this.spans = new RedisSpans(target);
    this.client = new RedisClient({
      url: target,
      maxQueue: MAX_QUEUE,
      commandTimeoutMs: options.timeoutMs,
      connectTimeoutMs: Math.max(options.timeoutMs, 1000),
      maxBulkBytes: Math.max(options.maxValueBytes, MAX_READ_BYTES),
      reconnectBaseMs: RECONNECT_BASE_MS,
      reconnectMaxMs: RECONNECT_MAX_MS,
      onPush: (push) => this.pushed(push),
      onState: (state, reason) => this.stateChanged(state, reason),
    });
  }

  get state(): RedisState {
    return this.client.state;
  }

  /** Redis is connected and its breaker lets calls through. */
  get usable(): boolean {
    return this.client.state === 'ready' && this.breaker.state !== 'open';
  }

  /** The value, or undefined on a miss and on any failure. Never rejects. `parent`: the
   *  span of the request that reads. */
  get(key: string, parent?: Span): Promise<Buffer | undefined> {
    const span = parent === undefined ? undefined : this.spans.start(parent, 'GET');
    const permit = this.permit(span);
    if (permit === undefined) return NOTHING;
    return this.client.send(['GET', this.prefix + key]).then(
      (value) => {
        permit.success();
        if (Buffer.isBuffer(value)) {
          this.counts.hits++;
          span?.set(CACHE_HIT, value.length > 0).end();
          return value;
        }
        this.counts.misses++;
        span?.set(CACHE_HIT, false).end();
        return undefined;
      },
      (error: unknown) => {
        this.failed(error, permit);
        if (span !== undefined) this.spans.failed(span, error);
        // Another type under our key (a hash, a list) is not ours: freed for the store's answer.
        if (error instanceof RedisError && error.code === 'WRONGTYPE') this.discard(key);
        return undefined;
      },
    );
  }

  /** Stores value for ttlMs where the key is free (not held, not deleted a moment ago); fire
   *  and forget. `parent`: the span of the request whose load it keeps. A value over
   *  maxValueBytes is not sent, and has no span. */
  add(key: string, value: Buffer, ttlMs: number, parent?: Span): void {
    if (value.length > this.maxValueBytes) {
      this.counts.skipped++;
      return;
    }
    this.write(['SET', this.prefix + key, value, 'PX', Math.max(1, Math.round(ttlMs)), 'NX'], parent === undefined ? undefined : this.spans.start(parent, 'SET'));
  }

  /** Removes a value that is not ours, so that the key is free again; fire and forget. */
  discard(key: string): void {
    this.write(['DEL', this.prefix + key]);
  }

  /** Replaces key's value, keeping its TTL, if it still begins with `head`; fire and forget. */
  replace(key: string, head: string, value: Buffer): void {
    if (value.length > this.maxValueBytes) {
      this.counts.skipped++;
      return;
    }
    this.write(['EVAL', REPLACE_SCRIPT, 1, this.prefix + key, head, value]);
  }

  /** Deletes key for every instance: a tombstone for TOMBSTONE_MS (an empty value, read as
   *  a miss), which Redis reports to all of them. Rejects when Redis cannot be reached: the
   *  caller says so. `parent`: the span of the request that deletes. */
  async delete(key: string, parent?: Span): Promise<void> {
    const span = parent === undefined ? undefined : this.spans.start(parent, 'SET');
    try {
      await this.client.send(['SET', this.prefix + key, '', 'PX', TOMBSTONE_MS]);
    } catch (error) {
      if (span !== undefined) this.spans.failed(span, error);
      throw error;
    }
    span?.end();
  }

  stats(): RedisCacheStats {
    const client = this.client.stats();
    return {
      state: client.state,
      protocol: client.protocol,
      tracking: this.tracking,
      ...this.counts,
      reconnects: client.reconnects,
      timeouts: client.timeouts,
      pending: client.pending,
      breaker: this.breaker.stats(),
    };
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /** `span`: the command's, when a traced request caused it. */
  private write(args: readonly (string | Buffer | number)[], span?: Span): void {
    const permit = this.permit(span);
    if (permit === undefined) return;
    this.counts.writes++;
    this.client.send(args).then(
      () => {
        permit.success();
        span?.end();
      },
      (error: unknown) => {
        this.failed(error, permit);
        if (span !== undefined) this.spans.failed(span, error);
      },
    );
  }

  /** Leave to send a command: Redis is connected and the breaker lets it through. Without
   *  one the command is skipped (counted, and said on its span). */
  private permit(span: Span | undefined): BreakerPermit | undefined {
    const state = this.client.state;
    const permit = state === 'ready' ? this.breaker.acquire() : undefined;
    if (permit === undefined) {
      this.counts.skipped++;
      if (span !== undefined) this.spans.skipped(span, state === 'ready' ? 'breaker-open' : state);
    }
    return permit;
  }

  private failed(error: unknown, permit: BreakerPermit): void {
    this.counts.errors++;
    // A server's error reply (a wrong type under our key, a script error) says Redis is up.
    if (error instanceof RedisError) permit.success();
    // Failed with everything else in flight when one command timed out or the connection
    // fell: one event, counted once (by the command that timed out), not once per command.
    else if (error instanceof RedisClientError && (error.kind === 'connection-lost' || error.kind === 'closed')) permit.cancel();
    else permit.failure();
  }

  private stateChanged(state: RedisState, reason: string): void {
    if (state === 'ready') {
      this.logger.info('redis connected', { reason });
      this.downLogged = false;
      // Invalidations sent while we were away are lost.
      if (this.everReady) this.onReconnect();
      this.everReady = true;
      this.startTracking();
    } else if (state === 'down') {
      if (!this.downLogged) this.logger.warn('redis unavailable: serving from the process cache and the store', { reason });
      this.downLogged = true;
      this.tracking = false;
    }
  }

  private startTracking(): void {
    if (this.client.protocol !== 3) {
      this.logger.warn('redis speaks RESP2 only: other instances\' invalidations will not reach this one (entries expire with their TTL)');
      return;
    }
    this.client.send(['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', this.prefix, 'NOLOOP']).then(
      () => (this.tracking = true),
      (error: unknown) => this.logger.warn('redis CLIENT TRACKING failed: other instances\' invalidations will not reach this one', { err: asError(error) }),
    );
  }

  /** `>invalidate [keys]`, or `>invalidate null` when the database was flushed. */
  private pushed(push: RespPush): void {
    const [kind, keys] = push.items;
    if (text(kind) !== 'invalidate') return;
    if (!Array.isArray(keys)) {
      this.counts.invalidations++;
      this.onInvalidate(null);
      return;
    }
    for (const key of keys as readonly RespValue[]) {
      const name = text(key);
      if (name === undefined || !name.startsWith(this.prefix)) continue;
      this.counts.invalidations++;
      this.onInvalidate(name.slice(this.prefix.length));
    }
  }
}

function text(value: RespValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  return Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}
