// What the cache keeps beside a response's identity bytes: its validators (a strong ETag
// per representation, Last-Modified) and each compressed variant, made once on first
// demand and then served with no compression work at all.
//
// A request waits only for the fast level: brotli 11 takes hundreds of milliseconds on a
// large page, and clients choose the keys (every distinct page is a new entry). The first
// hit on a fast variant (it is being reused, so smaller bytes will pay) offers an upgrade
// to the best level to the policy's bounded background queue, once; done, it replaces
// the fast variant. A page asked for once costs no upgrade, and an entry that leaves the
// cache first is taken out of the queue. Each variant's bytes, and the upgrade's
// difference, are reported to the cache entry holding it (its byte budget).
import { createHash } from 'node:crypto';
import type { Growth } from '../cache/ttl-cache.js';
import { wireBody, type WireBody } from './wire-body.js';
import type { Coding } from '../compression/codings.js';
import type { Job } from '../compression/job-queue.js';
import type { Compression } from '../compression/compression.js';
import type { Span } from '../trace/tracer.js';
import { endCompressSpan, failCompressSpan, startCompressSpan } from './compression-spans.js';

export interface Variant {
  /** The compressed bytes, as res.end gets them (wire-body.ts). */
  readonly wire: WireBody;
  readonly contentLength: string;
  readonly etag: string;
  /** The compression level that made it (part of the ETag). */
  readonly level: number;
  /** False on a fast variant until a hit asks for its upgrade (one field check per hit). */
  upgradeAsked: boolean;
}

/** What a representation read back from a shared cache brings made already. */
export interface KnownValidators {
  /** representationHash of the identity bytes. */
  readonly hash: string;
  /** The HTTP-date of lastModifiedMs. */
  readonly lastModified: string;
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
  /** Upgrades queued or running, by coding. */
  private readonly upgrades = new Map<Coding, Upgrade>();
  /** The cache entry holding this representation: told of each variant's bytes. */
  private growth: Growth | null = null;
  /** Told after each variant is made or upgraded (a shared cache keeps them too). */
  onVariant: (() => void) | null = null;

  constructor(
    private readonly identity: Buffer,
    lastModifiedMs: number,
    /** Its hash and HTTP-date when they were made already (read back from a shared cache). */
    known?: KnownValidators,
  ) {
    this.hash = known?.hash ?? representationHash(identity);
    this.etag = `"${this.hash}"`;
    if (known !== undefined) {
      this.lastModifiedMs = lastModifiedMs;
      this.lastModified = known.lastModified;
    } else {
      // Never later than now (RFC 9110 8.8.2.1): a future date would make caches distrust it.
      this.lastModifiedMs = Math.floor(Math.min(lastModifiedMs, Date.now()) / 1000) * 1000;
      this.lastModified = new Date(this.lastModifiedMs).toUTCString();
    }
  }

  /** The ETag of a coding's bytes at a level: the fast and the best variant are different
   *  bytes, so different strong ETags; the same level gives the same bytes and tag. */
  etagFor(coding: Coding, level: number): string {
    return `"${this.hash}${SUFFIX[coding]}${level}"`;
  }

  /** The ETag a request for coding is answered with when no variant is ready: the fast one's. */
  firstEtag(coding: Coding, compression: Compression): string {
    return this.etagFor(coding, compression.level(coding, 'fast'));
  }

  /** Reports variants made from now on to `growth`; returns the bytes of those made already. */
  track(growth: Growth): number {
    this.growth = growth;
    let bytes = 0;
    for (const variant of this.ready.values()) bytes += variant.wire.length;
    return bytes;
  }

  /** The hash the ETags are made of: 22 base64url characters. */
  get tag(): string {
    return this.hash;
  }

  /** The variants made so far. */
  variants(): IterableIterator<[Coding, Variant]> {
    return this.ready.entries();
  }

  /** Takes a variant made elsewhere (by another instance, read from a shared cache). `final`:
   *  it is at the best level, or its coding has no upgrade. Before track(), which counts it. */
  adopt(coding: Coding, level: number, body: Buffer, final: boolean): void {
    this.ready.set(coding, toVariant(body, this.etagFor(coding, level), level, final));
  }

  /** The variant if it has been made, else undefined. */
  variant(coding: Coding): Variant | undefined {
    return this.ready.get(coding);
  }

  /** Makes the fast variant once, however many requests ask for it meanwhile. `parent`: the
   *  span of the request that asks; the one whose request starts the work gets a `compress`
   *  child, the others wait on it without one. */
  makeVariant(coding: Coding, compression: Compression, parent?: Span): Promise<Variant> {
    let pending = this.pending.get(coding);
    if (pending === undefined) {
      const level = compression.level(coding, 'fast');
      const span = parent === undefined ? undefined : startCompressSpan(parent, coding, level, this.identity.length);
      pending = compression.compressVariant(coding, this.identity, 'fast').then(
        (body) => {
          if (span !== undefined) endCompressSpan(span, body.length);
          const variant = toVariant(body, this.etagFor(coding, level), level, !compression.upgradable(coding));
          this.ready.set(coding, variant);
          this.pending.delete(coding);
          this.growth?.grow(variant.wire.length);
          this.onVariant?.();
          return variant;
        },
        (error: unknown) => {
          if (span !== undefined) failCompressSpan(span, error);
          this.pending.delete(coding);
          throw error;
        },
      );
      this.pending.set(coding, pending);
    }
    return pending;
  }

  /** A hit on a fast variant (upgradeAsked false): offers its upgrade, once. */
  reused(coding: Coding, variant: Variant, compression: Compression): void {
    variant.upgradeAsked = true;
    if (this.growth?.cached !== true || this.upgrades.has(coding)) return;
    const upgrade = new Upgrade(this, coding, compression);
    // Registered first: the queue may start it at once, and it deletes itself when done.
    this.upgrades.set(coding, upgrade);
    if (!compression.upgrades.offer(upgrade)) this.upgrades.delete(coding);
  }

  /** The entry left the cache: upgrades still waiting are taken out of the queue. */
  release(): void {
    for (const upgrade of this.upgrades.values()) upgrade.compression.upgrades.cancel(upgrade);
    this.upgrades.clear();
  }

  /** Runs in the upgrade queue: the variant at the best level replaces the fast one. */
  async upgrade(coding: Coding, compression: Compression): Promise<void> {
    try {
      const body = await compression.compressVariant(coding, this.identity, 'best');
      const old = this.ready.get(coding);
      if (this.growth?.cached !== true || old === undefined) {
        compression.upgradeDiscarded();
        return;
      }
      const level = compression.level(coding, 'best');
      const variant = toVariant(body, this.etagFor(coding, level), level, true);
      this.ready.set(coding, variant);
      this.growth.grow(variant.wire.length - old.wire.length);
      this.onVariant?.();
      compression.upgradeApplied();
    } catch (error) {
      compression.upgradeFailed(error);
    } finally {
      this.upgrades.delete(coding);
    }
  }
}

/** One variant's upgrade, as the queue holds it. */
class Upgrade implements Job {
  constructor(
    private readonly representation: StoredRepresentation,
    private readonly coding: Coding,
    readonly compression: Compression,
  ) {}

  run(): Promise<void> {
    return this.representation.upgrade(this.coding, this.compression);
  }
}

function toVariant(body: Buffer, etag: string, level: number, final: boolean): Variant {
  return { wire: wireBody(body), contentLength: String(body.length), etag, level, upgradeAsked: final };
}

/** 22 base64url characters (132 bits) of the body's SHA-1: the strong ETag's opaque part. */
export function representationHash(identity: Buffer): string {
  return createHash('sha1').update(identity).digest('base64url').slice(0, 22);
}
