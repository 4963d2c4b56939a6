// A cached response as one Buffer, for a cache shared between processes: one header line
// of tab-separated text, then the body, then each compressed variant made so far.
//
//   T1 <tag> <status> <lastModifiedMs> <lastModified> <expiresAtMs> <contentType> <bodyLength> [<coding>:<level>:<length>]...\n
//
// <tag> is the body's hash (its ETag's opaque part), or '-' for an answer without
// validators (a 404's problem document); <lastModified> is the HTTP-date ('-' without
// validators), made once by the writer. The line up to the expiry is the entry's identity:
// a shared cache replaces an entry with one that has more variants only while it still
// starts with it (the same representation, written at the same time). expiresAtMs is wall-clock time, the one clock every instance shares.
// Everything read back is checked, byte by byte (it is read on every shared-cache hit):
// bytes from a shared server are not trusted to be ours.
import type { Coding } from '../compression/codings.js';
import type { Compression } from '../compression/compression.js';
import { encodeBytes, type Encoded } from './encoded.js';
import { StoredRepresentation } from './stored-representation.js';

const MAGIC = 'T1';
const NO_TAG = '-';
/** The header line is short; anything longer is not ours. */
const MAX_HEADER_BYTES = 512;
const TAG_LENGTH = 22;
const MAX_TEXT = 200;
const TAB = 9;
const NEWLINE = 10;
const COLON = 58;

/** The start of the blob written for encoded and expiresAtMs, through the expiry (see
 *  replace in redis-cache.ts); undefined for an answer without validators. */
export function blobIdentity(encoded: Encoded, expiresAtMs: number): string | undefined {
  return encoded.stored === null ? undefined : headUntilExpiry(encoded, expiresAtMs);
}

function headUntilExpiry(encoded: Encoded, expiresAtMs: number): string {
  const stored = encoded.stored;
  return `${MAGIC}\t${stored?.tag ?? NO_TAG}\t${encoded.status}\t${stored?.lastModifiedMs ?? 0}\t${stored?.lastModified ?? NO_TAG}\t${Math.round(expiresAtMs)}\t`;
}

/** The blob for encoded, expiring at the wall-clock time expiresAtMs, with its variants made so far. */
export function encodeBlob(encoded: Encoded, expiresAtMs: number): Buffer {
  const stored = encoded.stored;
  let header = `${headUntilExpiry(encoded, expiresAtMs)}${encoded.contentType}\t${encoded.body.length}`;
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
  readonly value: Encoded;
  /** Wall-clock ms left until it expires (> 0). */
  readonly ttlMs: number;
  readonly expiresAtMs: number;
}

/** Reads the header line field by field; decodeBlob is synchronous, so one cursor serves all calls. */
const EMPTY: Buffer = Buffer.alloc(0);
const cursor = { blob: EMPTY, at: 0, end: 0 };

/** The end of the field at the cursor (the next tab or `stop`, the end of the line), or -1 past the line. */
function fieldEnd(stop: number): number {
  const { blob, at } = cursor;
  if (at > cursor.end) return -1;
  for (let i = at; i < stop; i++) if (blob[i] === TAB) return i;
  return stop;
}

/** A whole number of 1 to 15 decimal digits (a safe integer) ending at `end` (a separator), else -1; the cursor moves past it. */
function wholeUntil(end: number): number {
  const { blob, at } = cursor;
  if (end <= at || end - at > 15) return -1;
  let value = 0;
  for (let i = at; i < end; i++) {
    const digit = (blob[i] ?? 0) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  cursor.at = end + 1;
  return value;
}

function whole(): number {
  return wholeUntil(fieldEnd(cursor.end));
}

/** 1 to MAX_TEXT visible ASCII characters or spaces (what a header value may carry), else undefined. */
function text(): string | undefined {
  const { blob, at } = cursor;
  const end = fieldEnd(cursor.end);
  if (end <= at || end - at > MAX_TEXT) return undefined;
  for (let i = at; i < end; i++) {
    const byte = blob[i] ?? 0;
    if (byte < 0x20 || byte > 0x7e) return undefined;
  }
  cursor.at = end + 1;
  return blob.toString('latin1', at, end);
}

/** The representation's tag: '-' or 22 base64url characters. */
function tag(): string | undefined {
  const value = text();
  if (value === undefined || value === NO_TAG) return value;
  if (value.length !== TAG_LENGTH) return undefined;
  for (let i = 0; i < TAG_LENGTH; i++) {
    const c = value.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
    if (!ok) return undefined;
  }
  return value;
}

interface VariantField {
  readonly coding: Coding;
  readonly level: number;
  readonly length: number;
}

/** `<coding>:<level>:<length>`, else undefined. */
function variantField(): VariantField | undefined {
  const { blob, at } = cursor;
  const end = fieldEnd(cursor.end);
  if (end < 0) return undefined;
  const colon = blob.indexOf(COLON, at);
  if (colon < 0 || colon >= end) return undefined;
  const name = blob.toString('latin1', at, colon);
  const coding: Coding | undefined = name === 'gzip' || name === 'br' || name === 'zstd' ? name : undefined;
  if (coding === undefined) return undefined;
  cursor.at = colon + 1;
  const second = blob.indexOf(COLON, cursor.at);
  if (second < 0 || second >= end) return undefined;
  const level = wholeUntil(second);
  const length = level < 0 ? -1 : wholeUntil(end);
  return length < 0 ? undefined : { coding, level, length };
}

/** The response a blob holds; 'expired' past its time (clocks may differ), 'invalid' when it is not one of ours. */
export function decodeBlob(blob: Buffer, nowMs: number, compression: Compression): DecodedBlob | 'expired' | 'invalid' {
  // Only the first bytes can hold the header's end: a large value without one is not scanned.
  const end = (blob.length > MAX_HEADER_BYTES ? blob.subarray(0, MAX_HEADER_BYTES + 1) : blob).indexOf(NEWLINE);
  if (end < 3 || end > MAX_HEADER_BYTES || blob[0] !== 84 /* T */ || blob[1] !== 49 /* 1 */ || blob[2] !== TAB) return 'invalid';
  cursor.blob = blob;
  cursor.at = 3;
  cursor.end = end;
  try {
    const representation = tag();
    const status = whole();
    const lastModifiedMs = whole();
    const lastModified = text();
    const expiresAtMs = whole();
    const contentType = text();
    const bodyLength = whole();
    if (representation === undefined || lastModified === undefined || contentType === undefined) return 'invalid';
    if (status < 200 || status > 599 || lastModifiedMs < 0 || expiresAtMs < 0 || bodyLength < 0) return 'invalid';
    let variants: VariantField[] | undefined;
    let total = end + 1 + bodyLength;
    while (cursor.at <= end) {
      const variant = variantField();
      if (variant === undefined) return 'invalid';
      (variants ??= []).push(variant);
      total += variant.length;
    }
    if (total !== blob.length) return 'invalid';
    const ttlMs = expiresAtMs - nowMs;
    if (ttlMs <= 0) return 'expired';

    let offset = end + 1;
    const body = blob.subarray(offset, (offset += bodyLength));
    const plain = encodeBytes(status, contentType, body);
    if (representation === NO_TAG) return { value: plain, ttlMs, expiresAtMs };
    const stored = new StoredRepresentation(body, lastModifiedMs, { hash: representation, lastModified });
    for (const { coding, level, length } of variants ?? []) {
      const bytes = blob.subarray(offset, (offset += length));
      // A coding this Node cannot make (zstd before 22.15) is left out; its clients get another.
      if (!compression.codings.includes(coding)) continue;
      stored.adopt(coding, level, bytes, !compression.upgradable(coding) || level === compression.level(coding, 'best'));
    }
    return { value: { ...plain, stored }, ttlMs, expiresAtMs };
  } finally {
    cursor.blob = EMPTY;
  }
}
