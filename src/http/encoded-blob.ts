// A cached response as one Buffer, for a cache shared between processes: one header line
// of tab-separated text, then the body, then each compressed variant made so far.
//
//   T1 <tag> <status> <lastModifiedMs> <expiresAtMs> <contentType> <bodyLength> [<coding>:<level>:<length>]...\n
//
// <tag> is the body's hash (its ETag's opaque part), or '-' for an answer without
// validators (a 404's problem document). The line up to the tag is the representation's
// identity: a shared cache replaces an entry with one that has more variants only while it
// still starts with it. expiresAtMs is wall-clock time, the one clock every instance shares.
// Everything read back is checked: bytes from a shared server are not trusted to be ours.
import type { Coding } from '../compression/codings.js';
import type { Compression } from '../compression/compression.js';
import { encodeBytes, type Encoded } from './encoded.js';
import { StoredRepresentation } from './stored-representation.js';

const MAGIC = 'T1';
const NO_TAG = '-';
/** The header line is short; anything longer is not ours. */
const MAX_HEADER_BYTES = 512;
const TAG = /^[A-Za-z0-9_-]{22}$/;
/** What a Content-Type header may carry. */
const HEADER_TEXT = /^[\x20-\x7e]{1,200}$/;
const NEWLINE = 10;

/** The start of a blob that names its representation (see replace in redis-cache.ts). */
export function blobIdentity(encoded: Encoded): string | undefined {
  return encoded.stored === null ? undefined : `${MAGIC}\t${encoded.stored.tag}\t`;
}

/** The blob for encoded, expiring at the wall-clock time expiresAtMs, with its variants made so far. */
export function encodeBlob(encoded: Encoded, expiresAtMs: number): Buffer {
  const stored = encoded.stored;
  let header = `${MAGIC}\t${stored?.tag ?? NO_TAG}\t${encoded.status}\t${stored?.lastModifiedMs ?? 0}\t${Math.round(expiresAtMs)}\t${encoded.contentType}\t${encoded.body.length}`;
  const parts: Buffer[] = [Buffer.alloc(0), encoded.body];
  if (stored !== null) {
    for (const [coding, variant] of stored.variants()) {
      const bytes = typeof variant.wire === 'string' ? Buffer.from(variant.wire, 'latin1') : variant.wire;
      header += `\t${coding}:${variant.level}:${bytes.length}`;
      parts.push(bytes);
    }
  }
  parts[0] = Buffer.from(header + '\n', 'latin1');
  return Buffer.concat(parts);
}

export interface DecodedBlob {
  readonly encoded: Encoded;
  /** Wall-clock ms left until it expires (> 0). */
  readonly ttlMs: number;
  readonly expiresAtMs: number;
}

/** The response a blob holds; 'expired' past its time (clocks may differ), 'invalid' when it is not one of ours. */
export function decodeBlob(blob: Buffer, nowMs: number, compression: Compression): DecodedBlob | 'expired' | 'invalid' {
  const end = blob.indexOf(NEWLINE);
  if (end < 0 || end > MAX_HEADER_BYTES) return 'invalid';
  const fields = blob.toString('latin1', 0, end).split('\t');
  const [magic, tag, statusText, modifiedText, expiresText, contentType, lengthText] = fields;
  if (magic !== MAGIC || tag === undefined || contentType === undefined || !HEADER_TEXT.test(contentType)) return 'invalid';
  if (tag !== NO_TAG && !TAG.test(tag)) return 'invalid';
  const status = whole(statusText);
  const lastModifiedMs = whole(modifiedText);
  const expiresAtMs = whole(expiresText);
  const bodyLength = whole(lengthText);
  if (status < 200 || status > 599 || lastModifiedMs < 0 || expiresAtMs < 0 || bodyLength < 0) return 'invalid';
  const variants: { coding: Coding; level: number; length: number }[] = [];
  let total = end + 1 + bodyLength;
  for (let i = 7; i < fields.length; i++) {
    const [coding, levelText, variantLength] = (fields[i] as string).split(':');
    const level = whole(levelText);
    const length = whole(variantLength);
    if (!isCoding(coding) || level < 0 || length < 0) return 'invalid';
    variants.push({ coding, level, length });
    total += length;
  }
  if (total !== blob.length) return 'invalid';
  const ttlMs = expiresAtMs - nowMs;
  if (ttlMs <= 0) return 'expired';

  let offset = end + 1;
  const body = blob.subarray(offset, (offset += bodyLength));
  const plain = encodeBytes(status, contentType, body);
  if (tag === NO_TAG) return { encoded: plain, ttlMs, expiresAtMs };
  const stored = new StoredRepresentation(body, lastModifiedMs, tag);
  for (const { coding, level, length } of variants) {
    const bytes = blob.subarray(offset, (offset += length));
    // A coding this Node cannot make (zstd before 22.15) is left out; its clients get another.
    if (!compression.codings.includes(coding)) continue;
    stored.adopt(coding, level, bytes, !compression.upgradable(coding) || level === compression.level(coding, 'best'));
  }
  return { encoded: { ...plain, stored }, ttlMs, expiresAtMs };
}

/** A whole number written in decimal digits, else -1. */
function whole(text: string | undefined): number {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return -1;
  return Number(text);
}

function isCoding(text: string | undefined): text is Coding {
  return text === 'gzip' || text === 'br' || text === 'zstd';
}
