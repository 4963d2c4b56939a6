// When and how a response is compressed: the configured thresholds and levels, the
// per-response rules (never 1xx, 204, 304, no-transform, or an already-encoded body; a
// HEAD is negotiated like its GET, and the responder makes no body for it),
// on-the-fly compression, and counters for /metrics (open streams must return to 0).
import type { Transform } from 'node:stream';
import { selectEncoding, type Selection } from '../http/negotiate.js';
import { compressBody, createCompressor, type Coding } from './codings.js';

export interface CompressionSettings {
  /** Bodies shorter than this are sent as they are (COMPRESS_MIN_BYTES). */
  readonly minBytes: number;
  /** gzip level for on-the-fly compression (COMPRESS_LEVEL). */
  readonly gzipLevel: number;
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
}

export class Compression {
  private onTheFly = 0;
  private streamsOpened = 0;
  private streamsOpen = 0;
  private failures = 0;

  constructor(
    readonly settings: CompressionSettings,
    readonly codings: readonly Coding[],
    /** Told when zlib fails on a body (the response becomes a 500). */
    private readonly onError: (error: unknown) => void,
  ) {}

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
    return compressBody(coding, body, 'stream', this.settings.gzipLevel);
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
    return {
      minBytes: this.settings.minBytes,
      gzipLevel: this.settings.gzipLevel,
      codings: this.codings,
      onTheFly: this.onTheFly,
      streamsOpened: this.streamsOpened,
      streamsOpen: this.streamsOpen,
      failures: this.failures,
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
