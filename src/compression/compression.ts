// When and how a response is compressed: the configured thresholds and levels, the
// per-response rules (never 1xx, 204, 304, no-transform, or an already-encoded body; a
// HEAD is negotiated like its GET, and the responder makes no body for it), on-the-fly
// compression, cached variants (fast first, then upgraded to the best level by a bounded
// background queue), and counters for /metrics (open streams must return to 0).
// Whole bodies are compressed on the libuv thread pool, which DNS lookups, file reads and
// crypto share: at most `requestJobs` such jobs run at once (with the upgrades, the pool
// keeps a thread for the rest), the others wait their turn in order.
import type { Transform } from 'node:stream';
import { AcceptEncoding, type Selection } from './accept-encoding.js';
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
  /** Whole-body compressions for requests running at once; the rest wait (never dropped:
   *  each waits for a request in flight). */
  readonly requestJobs: number;
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
  /** Whole-body compressions for requests: the bound, running now, waiting now, and how
   *  many had to wait since start. */
  readonly requestJobs: number;
  readonly requestJobsRunning: number;
  readonly requestJobsWaiting: number;
  readonly requestJobsWaited: number;
}

/** libuv's thread pool size: UV_THREADPOOL_SIZE (read when the pool starts), 4 by default. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number(env['UV_THREADPOOL_SIZE']);
  return Number.isInteger(size) && size >= 1 ? Math.min(size, 1024) : 4;
}

/** Compressions for requests at once: the pool less the upgrades' threads and one left
 *  for everything else, and at least one. */
export function requestCompressionJobs(upgrades: number, poolSize: number = threadPoolSize()): number {
  return Math.max(1, poolSize - upgrades - 1);
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
  private readonly acceptEncoding = new AcceptEncoding();
  /** Runs best-level compression of cached variants off the request path. */
  readonly upgrades: JobQueue;
  /** Runs the compressions requests wait for, a bounded number at once. */
  private readonly requestQueue: JobQueue;

  constructor(
    readonly settings: CompressionSettings,
    readonly codings: readonly Coding[],
    /** Told when zlib fails on a body (the response becomes a 500, or an upgrade is skipped). */
    private readonly onError: (error: unknown) => void,
  ) {
    this.upgrades = new JobQueue(settings.upgrades, settings.upgradeBacklog);
    this.requestQueue = new JobQueue(settings.requestJobs, Infinity);
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
    const selected = this.acceptEncoding.select(acceptEncoding, worthIt, this.codings);
    // Checked only when a coding was chosen: most responses never pay for the scan.
    return selected !== 'identity' && selected !== 'none' && forbidsEncoding(extra) ? 'identity' : selected;
  }

  /** Compresses a body that will not be kept, at the fast level. */
  compress(coding: Coding, body: Buffer): Promise<Buffer> {
    this.onTheFly++;
    return this.forRequest(coding, body);
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
    if (strength === 'best') return compressBody(coding, body, strength, this.settings.gzipLevel);
    this.variants++;
    return this.forRequest(coding, body);
  }

  /** A fast compression a request waits for, run when the bound lets it. */
  private forRequest(coding: Coding, body: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.requestQueue.offer({ run: () => compressBody(coding, body, 'fast', this.settings.gzipLevel).then(resolve, reject) });
    });
  }

  /** An upgrade's outcome, from stored-representation.ts. */
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
    const requests = this.requestQueue.stats();
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
      requestJobs: this.requestQueue.concurrency,
      requestJobsRunning: requests.running,
      requestJobsWaiting: requests.queued,
      requestJobsWaited: requests.waited,
    };
  }
}

/** Cache-Control: no-transform, or a Content-Encoding the handler set itself. */
function forbidsEncoding(extra: readonly string[]): boolean {
  for (let i = 0; i < extra.length; i += 2) {
    const name = (extra[i] ?? '').toLowerCase();
    if (name === 'content-encoding') return true;
    if (name === 'cache-control' && /(?:^|[\s,])no-transform(?:$|[\s,])/i.test(extra[i + 1] ?? '')) return true;
  }
  return false;
}
