// The second cache level (L2): encoded product responses in Redis, shared by every
// instance. A process-cache (L1) miss reads Redis (no singleflight: a read is as cheap as
// sharing one) before the shared load from the store; what the store gives goes to Redis
// with the same TTL; a compressed variant made by any instance is written back beside the
// body, so the next instance serves it without compressing.
import type { LoadTicket, Loaded } from '../cache/ttl-cache.js';
import type { RedisCache, RedisCacheStats } from '../cache/redis/redis-cache.js';
import type { Compression } from '../compression/compression.js';
import { blobIdentity, decodeBlob, encodeBlob } from '../http/encoded-blob.js';
import type { Encoded } from '../http/encoded.js';
import type { Span } from '../trace/tracer.js';

export interface SharedCacheStats extends RedisCacheStats {
  /** Values under our prefix that were not a response of ours (treated as misses). */
  readonly invalid: number;
}

/** Redis's copy of a response, and how long it has left. */
export interface SharedHit {
  readonly value: Encoded;
  readonly ttlMs: number;
}

export class SharedResponses {
  private invalid = 0;

  constructor(
    readonly redis: RedisCache,
    private readonly compression: Compression,
    /** The TTL of a store result that names none (CACHE_TTL_MS). */
    private readonly ttlMs: number,
  ) {}

  /** Redis's copy of key; undefined on a miss, a failure, or a value that is not ours. Never
   *  rejects. `span`: the reading request's (its GET becomes a child span). */
  read(key: string, span?: Span): Promise<SharedHit | undefined> {
    return this.redis.get(key, span).then((blob) => (blob === undefined ? undefined : this.decodeSafely(key, blob)));
  }

  /** A cache loader for key from fromStore, whose answer Redis keeps too (unless the key
   *  was invalidated meanwhile: that answer may predate the change). `span`: the loading
   *  request's (the write to Redis becomes a child span). */
  async fromStore(key: string, signal: AbortSignal, ticket: LoadTicket, load: (signal: AbortSignal) => Promise<Loaded<Encoded>>, span?: Span): Promise<Loaded<Encoded>> {
    const loaded = await load(signal);
    if (!ticket.invalidated) this.put(key, loaded, span);
    return loaded;
  }

  /** Deletes key in Redis; every other instance drops its copy (Redis tells them). Rejects
   *  when Redis cannot be reached. `span`: the deleting request's. */
  delete(key: string, span?: Span): Promise<void> {
    return this.redis.delete(key, span);
  }

  stats(): SharedCacheStats {
    return { ...this.redis.stats(), invalid: this.invalid };
  }

  /** A bug in decoding must cost a miss, not the request. */
  private decodeSafely(key: string, blob: Buffer): SharedHit | undefined {
    try {
      return this.decode(key, blob);
    } catch {
      this.invalid++;
      return undefined;
    }
  }

  private decode(key: string, blob: Buffer): SharedHit | undefined {
    // An empty value is a deleted key's tombstone: a miss.
    if (blob.length === 0) return undefined;
    const found = decodeBlob(blob, Date.now(), this.compression);
    if (typeof found !== 'object') {
      if (found === 'invalid') {
        this.invalid++;
        // Not ours: freed, so that the store's answer can take the key.
        this.redis.discard(key);
      }
      return undefined;
    }
    this.shareVariants(key, found.value, found.expiresAtMs);
    // Never longer here than this instance would keep it (a writer's clock may be ahead).
    return found.ttlMs <= this.ttlMs ? found : { value: found.value, ttlMs: this.ttlMs };
  }

  private put(key: string, loaded: Loaded<Encoded>, span: Span | undefined): void {
    const ttlMs = loaded.ttlMs ?? this.ttlMs;
    if (!(ttlMs > 0) || !this.redis.usable) return;
    const expiresAtMs = Math.round(Date.now() + ttlMs);
    this.redis.add(key, encodeBlob(loaded.value, expiresAtMs), ttlMs, span);
    this.shareVariants(key, loaded.value, expiresAtMs);
  }

  /** Each variant made from now on goes to Redis with the body, if the entry there is still
   *  this one (the same representation, written with the same expiry). */
  private shareVariants(key: string, encoded: Encoded, expiresAtMs: number): void {
    if (encoded.stored === null) return;
    // The head is made when a variant is, not on every read.
    encoded.stored.onVariant = () => {
      const head = blobIdentity(encoded, expiresAtMs);
      if (head !== undefined && Date.now() < expiresAtMs && this.redis.usable) this.redis.replace(key, head, encodeBlob(encoded, expiresAtMs));
    };
  }
}
