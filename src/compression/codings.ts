// The content codings node:zlib provides: gzip and brotli on every supported Node, zstd
// where the running Node has it (platform/node-features.ts). Two strengths: "fast" for
// every body a request waits for (on the fly, streamed, or the first variant of a cached
// one; COMPRESS_LEVEL for gzip), and "best" for a cached variant made again off the
// request path (stored-representation.ts), where its cost is paid once per entry and
// nobody waits for it.
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { zlibZstd, type ZstdApi, type ZstdOptions } from '../platform/node-features.js';

export type Coding = 'br' | 'zstd' | 'gzip';
export type Strength = 'fast' | 'best';

/** Supported codings in the server's order of preference when a client ranks them equally. */
export const zlibCodings: readonly Coding[] = Object.freeze(zlibZstd ? ['br', 'zstd', 'gzip'] : ['br', 'gzip']);

/** Levels: brotli 4 and zstd 3 fast, near gzip 5 in speed and ratio; at best, brotli 11
 *  and zstd 19 (22 needs far more memory for little gain). */
const BROTLI_QUALITY: Record<Strength, number> = { best: zlib.constants.BROTLI_MAX_QUALITY, fast: 4 };
const ZSTD_LEVELS: Record<Strength, number> = { best: 19, fast: 3 };

/** The level (brotli: quality) a coding gets at a strength; gzip's fast one is COMPRESS_LEVEL. */
export function codingLevel(coding: Coding, strength: Strength, gzipLevel: number): number {
  if (coding === 'gzip') return strength === 'best' ? zlib.constants.Z_BEST_COMPRESSION : gzipLevel;
  return coding === 'br' ? BROTLI_QUALITY[strength] : ZSTD_LEVELS[strength];
}

function brotliOptions(strength: Strength, sizeHint: number): zlib.BrotliOptions {
  const params: Record<number, number> = { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY[strength] };
  if (sizeHint > 0) params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = sizeHint;
  return { params };
}

/** zlib's zstd; zlibCodings offers zstd only where it exists. */
function zstd(): ZstdApi {
  if (zlibZstd === undefined) throw new Error('zstd is not available on this Node');
  return zlibZstd;
}

function zstdOptions(api: ZstdApi, strength: Strength): ZstdOptions {
  return { params: { [api.constants.ZSTD_c_compressionLevel]: ZSTD_LEVELS[strength] } };
}

/** zlib hands output back one chunk at a time, and each chunk is a trip from the thread
 *  pool to the event loop and back to the end of the pool's queue: on a busy server each
 *  trip waits behind the other requests. A quarter of the body holds what a compressible
 *  body compresses to, so it is one trip. */
const MIN_CHUNK_BYTES = 16 * 1024;
const MAX_CHUNK_BYTES = 1024 * 1024;

function chunkSize(body: Buffer): number {
  return Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, body.length >>> 2));
}

/** zlib returns a lone output chunk as it is, a view of its whole chunk buffer (which on
 *  Node 24 may itself be a slice of the 64 KiB Buffer pool): a kept variant would hold all
 *  of it. So a view is copied into memory of its own, exactly its size. */
function compact(result: Buffer): Buffer {
  if (result.buffer.byteLength === result.length) return result;
  const owned = Buffer.allocUnsafeSlow(result.length);
  result.copy(owned);
  return owned;
}

/** Compresses a whole body on the libuv thread pool (never blocks the event loop). */
export function compressBody(coding: Coding, body: Buffer, strength: Strength, gzipLevel: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer): void => (error ? reject(error) : resolve(compact(result)));
    const chunk = chunkSize(body);
    if (coding === 'gzip') zlib.gzip(body, { level: codingLevel('gzip', strength, gzipLevel), chunkSize: chunk }, done);
    else if (coding === 'br') zlib.brotliCompress(body, { ...brotliOptions(strength, body.length), chunkSize: chunk }, done);
    else {
      const api = zstd();
      api.zstdCompress(body, { ...zstdOptions(api, strength), chunkSize: chunk }, done);
    }
  });
}

/** A streaming compressor at the fast level, for bodies of unknown length. */
export function createCompressor(coding: Coding, gzipLevel: number): Transform {
  if (coding === 'gzip') return zlib.createGzip({ level: gzipLevel });
  if (coding === 'br') return zlib.createBrotliCompress(brotliOptions('fast', 0));
  const api = zstd();
  return api.createZstdCompress(zstdOptions(api, 'fast'));
}

/** Media types worth compressing: text, JSON and friends, SVG. Images, video, archives
 *  are compressed already. Parameters (`; charset=...`) are ignored. */
export function isCompressibleType(contentType: string): boolean {
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/problem+json' ||
    type === 'application/x-ndjson' ||
    type === 'application/javascript' ||
    type === 'image/svg+xml'
  );
}
