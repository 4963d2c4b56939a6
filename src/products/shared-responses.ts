// The second cache level (L2): encoded product responses in Redis, shared by every
// instance. A process-cache (L1) miss asks Redis before the store; what the store gives
// goes to Redis with the same TTL; a compressed variant made by any instance is written
// back beside the body, so the next instance serves it without compressing.
import type { LoadTicket, Loaded } from '../cache/ttl-cache.js';
import type { RedisCache, RedisCacheStats } from '../cache/redis/redis-cache.js';
import type { Compression } from '../compression/compression.js';
import { blobIdentity, decodeBlob, encodeBlob } from '../http/encoded-blob.js';
import type { Encoded } from '../http/encoded.js';

export interface SharedCacheStats extends RedisCacheStats {
  /** Values under our prefix that were not a response of ours (treated as misses). */
  readonly invalid: number;
}

export class SharedResponses {
  private invalid = 0;

  constructor(
    readonly redis: RedisCache,
    private readonly compression: Compression,
    /** The TTL of a store result that names none (CACHE_TTL_MS). */
    private readonly ttlMs: number,
  ) {}

  /** The cache loader for key: Redis first, then fromStore, whose result Redis keeps too
   *  (unless the key was invalidated meanwhile: that result may predate the change). */
  async load(key: string, signal: AbortSignal, ticket: LoadTicket, fromStore: (signal: AbortSignal) => Promise<Loaded<Encoded>>): Promise<Loaded<Encoded>> {
    const blob = await this.redis.get(key);
    if (blob !== undefined) {
      const found = decodeBlob(blob, Date.now(), this.compression);
      if (typeof found === 'object') {
        this.shareVariants(key, found.encoded, found.expiresAtMs);
        return { value: found.encoded, ttlMs: found.ttlMs, lower: true };
      }
      if (found === 'invalid') this.invalid++;
    }
    if (signal.aborted) throw signal.reason;
    const loaded = await fromStore(signal);
    if (!ticket.invalidated) this.put(key, loaded);
    return loaded;
  }

  /** Deletes key in Redis; every other instance drops its copy (Redis tells them). Rejects
   *  when Redis cannot be reached. */
  delete(key: string): Promise<boolean> {
    return this.redis.delete(key);
  }

  stats(): SharedCacheStats {
    return { ...this.redis.stats(), invalid: this.invalid };
  }

  private put(key: string, loaded: Loaded<Encoded>): void {
    const ttlMs = loaded.ttlMs ?? this.ttlMs;
    if (!(ttlMs > 0) || !this.redis.usable) return;
    const expiresAtMs = Date.now() + ttlMs;
    this.redis.set(key, encodeBlob(loaded.value, expiresAtMs), ttlMs);
    this.shareVariants(key, loaded.value, expiresAtMs);
  }

  /** Each variant made from now on goes to Redis with the body, if the entry there is still this representation. */
  private shareVariants(key: string, encoded: Encoded, expiresAtMs: number): void {
    const head = blobIdentity(encoded);
    if (encoded.stored === null || head === undefined) return;
    encoded.stored.onVariant = () => {
      if (Date.now() < expiresAtMs && this.redis.usable) this.redis.replace(key, head, encodeBlob(encoded, expiresAtMs));
    };
  }
}
