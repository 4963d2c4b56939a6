// When and how a response is compressed: the configured thresholds and levels, the
// per-response rules (never 1xx, 204, 304, no-transform, or an already-encoded body; a
// HEAD is negotiated like its GET, and the responder makes no body for it), on-the-fly
// compression, cached variants (fast first, then upgraded to the best level by a bounded
// background queue), and counters for /metrics (open streams must return to 0).
import type { Transform } from 'node:stream';
import { selectEncoding, type Selection } from '../http/negotiate.js';
import { codingLevel, compressBody, createCompressor, type Coding, type Strength } from './codings.js';
import { JobQueue } from './job-queue.js';

export interface CompressionSettings {
  /** Bodies shorter than this are sent as they are (COMPRESS_MIN_BYTES). */
  readonly minBytes: number;
  /** gzip level for on-the-fly compression and first variants (COMPRESS_LEVEL). */
  readonly gzipLevel: number;
  /** Best-level upgrades of cached variants running at once (COMPRESS_UPGRADES); 0 = none. */
  readonly upgrades: number;
  /** Upgrades waiting at most (COMPRESS_UPGRADE_BACKLOG); more are dropped. */
  readonly upgradeBacklog: number;
}

export interface CompressionStats {
  readonly minBytes: number;
  readonly gzipLevel: number;
  readonly codings: readonly Coding[];
  /** Buffered bodies compressed per request (not cached). */
  readonly onTheFly: number;
  readonly streamsOpened: number;
  /** Compressing streams not yet finished or destroyed. */
  readonly streamsOpen: number;
  readonly failures: number;
  /** Cached variants made (at the fast level, while a request waited). */
  readonly variants: number;
  readonly upgradeConcurrency: number;
  readonly upgradeBacklog: number;
  readonly upgradesRunning: number;
  readonly upgradesQueued: number;
  /** Cached variants replaced by their best-level version. */
  readonly upgrades: number;
  /** Not queued: the backlog was full. The variant stays at the fast level. */
  readonly upgradesDropped: number;
  /** Given up because the entry left the cache first (while waiting, or while running). */
  readonly upgradesCancelled: number;
  /** zlib failed; the fast variant stays. */
  readonly upgradesFailed: number;
}

export class Compression {
  private onTheFly = 0;
  private streamsOpened = 0;
  private streamsOpen = 0;
  private failures = 0;
  private variants = 0;
  private upgraded = 0;
  private upgradesDiscarded = 0;
  private upgradesFailed = 0;
  /** Runs best-level compression of cached variants off the request path. */
  readonly upgrades: JobQueue;

  constructor(
    readonly settings: CompressionSettings,
    readonly codings: readonly Coding[],
    /** Told when zlib fails on a body (the response becomes a 500, or an upgrade is skipped). */
    private readonly onError: (error: unknown) => void,
  ) {
    this.upgrades = new JobQueue(settings.upgrades, settings.upgradeBacklog);
  }

  failed(error: unknown): void {
    this.failures++;
    this.onError(error);
  }

  /**
   * The coding for a body of a compressible type. `bodyBytes` is undefined for a stream
   * (always worth it). `extra` is the handler's flat header list.
   */
  select(status: number, acceptEncoding: string | undefined, bodyBytes: number | undefined, extra: readonly string[]): Selection {
    if (status === 204 || status === 304 || status < 200) return 'identity';
    const worthIt = bodyBytes === undefined || bodyBytes >= this.settings.minBytes;
    const selected = selectEncoding(acceptEncoding, worthIt, this.codings);
    // Checked only when a coding was chosen: most responses never pay for the scan.
    return selected !== 'identity' && selected !== 'none' && forbidsEncoding(extra) ? 'identity' : selected;
  }

  /** Compresses a body that will not be kept, at the fast level. */
  compress(coding: Coding, body: Buffer): Promise<Buffer> {
    this.onTheFly++;
    return compressBody(coding, body, 'fast', this.settings.gzipLevel);
  }

  /** The level (brotli: quality) a coding gets at a strength. */
  level(coding: Coding, strength: Strength): number {
    return codingLevel(coding, strength, this.settings.gzipLevel);
  }

  /** Whether a variant made at the fast level is worth making again at the best one. */
  upgradable(coding: Coding): boolean {
    return this.settings.upgrades > 0 && this.level(coding, 'fast') !== this.level(coding, 'best');
  }

  /** A cached body's variant: fast first (a request waits), best in an upgrade. */
  compressVariant(coding: Coding, body: Buffer, strength: Strength): Promise<Buffer> {
    if (strength === 'fast') this.variants++;
    return compressBody(coding, body, strength, this.settings.gzipLevel);
  }

  /** An upgrade's outcome, from variants.ts. */
  upgradeApplied(): void {
    this.upgraded++;
  }

  upgradeDiscarded(): void {
    this.upgradesDiscarded++;
  }

  upgradeFailed(error: unknown): void {
    this.upgradesFailed++;
    this.onError(error);
  }

  /** A streaming compressor, counted until it ends or is destroyed. */
  openStream(coding: Coding): Transform {
    const stream = createCompressor(coding, this.settings.gzipLevel);
    this.streamsOpened++;
    this.streamsOpen++;
    // 'close' comes after end or destroy, once zlib has let go of its native handle.
    stream.once('close', () => this.streamsOpen--);
    return stream;
  }

  stats(): CompressionStats {
    const queue = this.upgrades.stats();
    return {
      minBytes: this.settings.minBytes,
      gzipLevel: this.settings.gzipLevel,
      codings: this.codings,
      onTheFly: this.onTheFly,
      streamsOpened: this.streamsOpened,
      streamsOpen: this.streamsOpen,
      failures: this.failures,
      variants: this.variants,
      upgradeConcurrency: this.upgrades.concurrency,
      upgradeBacklog: this.upgrades.backlog,
      upgradesRunning: queue.running,
      upgradesQueued: queue.queued,
      upgrades: this.upgraded,
      upgradesDropped: queue.dropped,
      upgradesCancelled: queue.cancelled + this.upgradesDiscarded,
      upgradesFailed: this.upgradesFailed,
    };
  }
}

/** Cache-Control: no-transform, or a Content-Encoding the handler set itself. */
function forbidsEncoding(extra: readonly string[]): boolean {
  for (let i = 0; i < extra.length; i += 2) {
    const name = (extra[i] as string).toLowerCase();
    if (name === 'content-encoding') return true;
    if (name === 'cache-control' && /(?:^|[\s,])no-transform(?:$|[\s,])/i.test(extra[i + 1] as string)) return true;
  }
  return false;
}
