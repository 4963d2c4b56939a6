// A response encoded once into bytes plus its Content-Type/Content-Length: what a handler
// builds, what the cache stores, what the responder writes. A cached one also carries its
// validators and compressed variants (stored-representation.ts).
import { STATUS_CODES } from '../platform/node-http.js';
import type { Growth } from '../cache/ttl-cache.js';
import { isCompressibleType } from '../compression/codings.js';
import type { InvalidInput } from './http-error.js';
import { StoredRepresentation } from './stored-representation.js';
import { wireBody, type WireBody } from './wire-body.js';

const JSON_TYPE = 'application/json';
const PROBLEM_TYPE = 'application/problem+json';

/** A response ready to write: what the cache stores. */
export interface Encoded {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  /** The body as res.end gets it (wire-body.ts). */
  readonly wire: WireBody;
  readonly contentLength: string;
  /** The type is worth compressing; the size is checked when sending. */
  readonly compressible: boolean;
  /** Validators and compressed variants, for responses kept in a cache. */
  readonly stored: StoredRepresentation | null;
}

/** For answers about this instant (health, metrics) that no cache should keep. */
export const NO_STORE: readonly string[] = Object.freeze(['cache-control', 'no-store']);

export function encodeBytes(status: number, contentType: string, body: Buffer): Encoded {
  return { status, contentType, body, wire: wireBody(body), contentLength: String(body.length), compressible: isCompressibleType(contentType), stored: null };
}

export function encodeJson(status: number, value: unknown): Encoded {
  return encodeBytes(status, JSON_TYPE, Buffer.from(JSON.stringify(value)));
}

/** JSON meant for a cache: hashed once for its ETag, with room for compressed variants. */
export function encodeStoredJson(value: unknown, lastModifiedMs: number): Encoded {
  const body = Buffer.from(JSON.stringify(value));
  return { ...encodeBytes(200, JSON_TYPE, body), stored: new StoredRepresentation(body, lastModifiedMs) };
}

/** An RFC 9457 problem document. `detail` is ours, never an exception's message;
 *  `errors` lists the bad inputs of a 400. */
export function encodeProblem(status: number, detail: string, errors?: readonly InvalidInput[]): Encoded {
  const title = STATUS_CODES[status] ?? 'Error';
  const problem = errors === undefined ? { type: 'about:blank', title, status, detail } : { type: 'about:blank', title, status, detail, errors };
  return encodeBytes(status, PROBLEM_TYPE, Buffer.from(JSON.stringify(problem)));
}

// What a cached response costs the cache's byte budget (CACHE_MAX_BYTES): its body, the
// string copy a small body is written from (wire-body.ts), its compressed variants as
// they are made, and an allowance for the objects around them.

/** The entry, response, representation, header strings and map slot around the bodies. */
export const ENTRY_OVERHEAD_BYTES = 256;

/** The bytes an encoded response holds now; a stored one reports its variants to `growth` as they are made. */
export function measureEncoded(encoded: Encoded, growth: Growth): number {
  const copy = typeof encoded.wire === 'string' ? encoded.wire.length : 0;
  const variants = encoded.stored === null ? 0 : encoded.stored.track(growth);
  return ENTRY_OVERHEAD_BYTES + encoded.body.length + copy + variants;
}
