// What the cache keeps beside a response's identity bytes: its validators (a strong ETag
// per representation, Last-Modified) and each compressed variant, made once on first
// demand at the strongest level and then served with no compression work at all. Each
// variant's bytes are reported to the cache entry holding it (its byte budget).
import { createHash } from 'node:crypto';
import type { Growth } from '../cache/ttl-cache.js';
import { wireBody, type WireBody } from '../http/wire-body.js';
import { compressBody, type Coding } from './codings.js';

export interface Variant {
  /** The compressed bytes, as res.end gets them (wire-body.ts). */
  readonly wire: WireBody;
  readonly contentLength: string;
  readonly etag: string;
}

const SUFFIX: Record<Coding, string> = { br: '-br', zstd: '-zstd', gzip: '-gz' };

export class StoredRepresentation {
  /** The identity representation's ETag; each coding's differs (RFC 9110 8.8.3: the
   *  gzip bytes are a different representation and must not share a strong ETag). */
  readonly etag: string;
  /** HTTP-date, and the same instant in ms (whole seconds, as the header carries). */
  readonly lastModified: string;
  readonly lastModifiedMs: number;
  private readonly hash: string;
  private readonly ready = new Map<Coding, Variant>();
  private readonly pending = new Map<Coding, Promise<Variant>>();
  /** The cache entry holding this representation: told of each variant's bytes. */
  private growth: Growth | null = null;

  constructor(body: Buffer, lastModifiedMs: number) {
    this.hash = createHash('sha1').update(body).digest('base64url').slice(0, 22);
    this.etag = `"${this.hash}"`;
    // Never later than now (RFC 9110 8.8.2.1): a future date would make caches distrust it.
    this.lastModifiedMs = Math.floor(Math.min(lastModifiedMs, Date.now()) / 1000) * 1000;
    this.lastModified = new Date(this.lastModifiedMs).toUTCString();
  }

  etagFor(coding: Coding | 'identity'): string {
    return coding === 'identity' ? this.etag : `"${this.hash}${SUFFIX[coding]}"`;
  }

  /** Reports variants made from now on to `growth`; returns the bytes of those made already. */
  track(growth: Growth): number {
    this.growth = growth;
    let bytes = 0;
    for (const variant of this.ready.values()) bytes += variant.wire.length;
    return bytes;
  }

  /** The variant if it has been made, else undefined. */
  variant(coding: Coding): Variant | undefined {
    return this.ready.get(coding);
  }

  /** Makes the variant once, however many requests ask for it meanwhile. */
  makeVariant(coding: Coding, identity: Buffer): Promise<Variant> {
    let pending = this.pending.get(coding);
    if (pending === undefined) {
      pending = compressBody(coding, identity, 'stored', 0).then(
        (body) => {
          const variant: Variant = { wire: wireBody(body), contentLength: String(body.length), etag: this.etagFor(coding) };
          this.ready.set(coding, variant);
          this.pending.delete(coding);
          this.growth?.grow(variant.wire.length);
          return variant;
        },
        (error: unknown) => {
          this.pending.delete(coding);
          throw error;
        },
      );
      this.pending.set(coding, pending);
    }
    return pending;
  }
}
