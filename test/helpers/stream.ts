// Test helpers for encoded and streamed bodies: decoding any content coding with node:zlib,
// a client that reads a response slowly, and one that leaves after the first chunk.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { generateProduct } from '../../src/products/catalog.js';

type Decoder = (body: Buffer) => Buffer;

/** Decodes a body sent with `coding` (Content-Encoding; undefined or identity: as is). */
export function decode(coding: string | undefined, body: Buffer): Buffer {
  if (coding === undefined || coding === 'identity') return body;
  if (coding === 'gzip') return zlib.gunzipSync(body);
  if (coding === 'br') return zlib.brotliDecompressSync(body);
  const zstd = (zlib as unknown as Record<string, Decoder | undefined>)['zstdDecompressSync'];
  if (coding === 'zstd' && zstd !== undefined) return zstd(body);
  throw new Error(`cannot decode ${coding}`);
}

/** The streaming decoder for a Content-Encoding (zlib works off the main thread). */
function decoder(coding: string): NodeJS.ReadWriteStream {
  if (coding === 'gzip') return zlib.createGunzip();
  if (coding === 'br') return zlib.createBrotliDecompress();
  const zstd = (zlib as unknown as Record<string, (() => NodeJS.ReadWriteStream) | undefined>)['createZstdDecompress'];
  if (coding === 'zstd' && zstd !== undefined) return zstd();
  throw new Error(`cannot decode ${coding}`);
}

export interface DecodedReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Bytes on the wire (after any chunked framing is removed). */
  readonly wireBytes: number;
  /** The body with its Content-Encoding undone, decoded as it arrives. */
  readonly body: Buffer;
}

/** A GET whose body is decoded while it streams in, for bodies too big to decode twice. */
export async function getDecoded(port: number, path: string, headers: Record<string, string> = {}): Promise<DecodedReply> {
  const res = await openResponse(port, path, headers);
  let wireBytes = 0;
  res.on('data', (chunk: Buffer) => (wireBytes += chunk.length));
  const chunks: Buffer[] = [];
  const coding = res.headers['content-encoding'];
  const collect = async (source: AsyncIterable<Buffer | string>): Promise<void> => {
    for await (const chunk of source) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };
  if (coding === undefined) await pipeline(res, collect);
  else await pipeline(res, decoder(coding), collect);
  return { status: res.statusCode ?? 0, headers: res.headers, wireBytes, body: Buffer.concat(chunks) };
}

/** Opens a GET and resolves with the response head; the body is left unread. */
export function openResponse(port: number, path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/**
 * Reads `res` slowly: one chunk every `everyMs` for `forMs`, paused in between, then
 * destroys it. Resolves with the number of body bytes read.
 */
export async function readSlowly(res: IncomingMessage, everyMs: number, forMs: number, onTick: () => void = () => {}): Promise<number> {
  let bytes = 0;
  res.pause();
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    res.pause();
  });
  const deadline = Date.now() + forMs;
  while (Date.now() < deadline && !res.complete) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    res.resume();
    onTick();
  }
  res.destroy();
  return bytes;
}

/** A GET that destroys its socket as soon as the first body chunk arrives. */
export function abortAfterFirstChunk(port: number, path: string, headers: Record<string, string> = {}): Promise<void> {
  return openResponse(port, path, headers).then(
    (res) =>
      new Promise<void>((resolve) => {
        res.once('data', () => {
          res.destroy();
          resolve();
        });
        res.once('end', resolve); // too short to abort: the caller's check will say so
      }),
  );
}

/** The exact NDJSON /products/export sends for a catalog of `size` products. */
export function catalogNdjson(size: number): Buffer {
  const lines: string[] = [];
  for (let id = 1; id <= size; id++) lines.push(JSON.stringify(generateProduct(id)) + '\n');
  return Buffer.from(lines.join(''));
}
