// The content codings node:zlib provides: gzip and brotli on every supported Node, zstd
// where the running Node has it (22.15+/23.8+; feature-checked, since @types/node 20 and
// Node 20 know nothing of it). Two strengths: "stored" for bodies compressed once and
// kept in the cache (the strongest level; the cost is paid once per entry), and "stream"
// for bodies compressed on the fly (a fast level, COMPRESS_LEVEL for gzip).
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';

export type Coding = 'br' | 'zstd' | 'gzip';
export type Strength = 'stored' | 'stream';

type Callback = (error: Error | null, result: Buffer) => void;
interface ZstdApi {
  zstdCompress?: (body: Buffer, options: { params: Record<number, number> }, callback: Callback) => void;
  createZstdCompress?: (options: { params: Record<number, number> }) => Transform;
  constants: { ZSTD_c_compressionLevel?: number };
}
const zstd = zlib as unknown as ZstdApi;
const ZSTD_LEVEL = zstd.constants.ZSTD_c_compressionLevel;
const hasZstd = typeof zstd.zstdCompress === 'function' && typeof zstd.createZstdCompress === 'function' && ZSTD_LEVEL !== undefined;

/** Supported codings in the server's order of preference when a client ranks them equally. */
export const zlibCodings: readonly Coding[] = Object.freeze(hasZstd ? ['br', 'zstd', 'gzip'] : ['br', 'gzip']);

/** Levels: brotli 11 and zstd 19 (22 needs far more memory for little gain) when stored;
 *  brotli 4 and zstd 3 on the fly, near gzip 5 in speed and ratio. */
const BROTLI_QUALITY: Record<Strength, number> = { stored: zlib.constants.BROTLI_MAX_QUALITY, stream: 4 };
const ZSTD_LEVELS: Record<Strength, number> = { stored: 19, stream: 3 };

function brotliOptions(strength: Strength, sizeHint: number): zlib.BrotliOptions {
  const params: Record<number, number> = { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY[strength] };
  if (sizeHint > 0) params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = sizeHint;
  return { params };
}

function zstdOptions(strength: Strength): { params: Record<number, number> } {
  return { params: { [ZSTD_LEVEL as number]: ZSTD_LEVELS[strength] } };
}

/** Compresses a whole body on the libuv thread pool (never blocks the event loop). */
export function compressBody(coding: Coding, body: Buffer, strength: Strength, gzipLevel: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done: Callback = (error, result) => (error ? reject(error) : resolve(result));
    if (coding === 'gzip') zlib.gzip(body, { level: strength === 'stored' ? zlib.constants.Z_BEST_COMPRESSION : gzipLevel }, done);
    else if (coding === 'br') zlib.brotliCompress(body, brotliOptions(strength, body.length), done);
    else (zstd.zstdCompress as NonNullable<ZstdApi['zstdCompress']>)(body, zstdOptions(strength), done);
  });
}

/** A streaming compressor at the fast level, for bodies of unknown length. */
export function createCompressor(coding: Coding, gzipLevel: number): Transform {
  if (coding === 'gzip') return zlib.createGzip({ level: gzipLevel });
  if (coding === 'br') return zlib.createBrotliCompress(brotliOptions('stream', 0));
  return (zstd.createZstdCompress as NonNullable<ZstdApi['createZstdCompress']>)(zstdOptions('stream'));
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
