// The only place that writes buffered response bodies (respond-stream.ts writes streamed
// ones). Responses are encoded once into bytes plus their Content-Type/Content-Length (so
// a cache can keep them) and written with one writeHead(flat header list) and one
// end(body), a small body as a string so that it leaves with the head (wire-body.ts).
// A compressible type gets Vary: Accept-Encoding whether or not it is compressed; a
// cached response also carries its validators (ETag, Last-Modified), is answered 304
// when they match, and has its compressed variants made once and kept (stored-representation.ts); the
// ETag is that of the variant the request gets, checked before any compression work.
// Once shutdown stops accepting connections every head says Connection: close, decided
// when the head is written, so a request already in flight releases its client too.
import { STATUS_CODES } from 'node:http';
import { isCompressibleType, type Coding } from '../compression/codings.js';
import { StoredRepresentation, type Variant } from './stored-representation.js';
import { evaluatePreconditions } from './conditional.js';
import type { RequestContext } from './context.js';
import type { HttpError } from './http-error.js';
import { wireBody, type WireBody } from './wire-body.js';

export const JSON_TYPE = 'application/json';
export const PROBLEM_TYPE = 'application/problem+json';

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

const NO_HEADERS: readonly string[] = Object.freeze([]);
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

/** An RFC 9457 problem document. `detail` is ours, never an exception's message. */
export function encodeProblem(status: number, detail: string): Encoded {
  const title = STATUS_CODES[status] ?? 'Error';
  return encodeBytes(status, PROBLEM_TYPE, Buffer.from(JSON.stringify({ type: 'about:blank', title, status, detail })));
}

/** The head every response starts with; callers push more [name, value] pairs. */
export function baseHeaders(ctx: RequestContext, contentType: string): string[] {
  return ['content-type', contentType, 'x-request-id', ctx.id];
}

/** Writes the head (plus the handler's headers and Connection: close when draining). */
export function writeHead(ctx: RequestContext, status: number, headers: string[], extra: readonly string[]): void {
  for (let i = 0; i < extra.length; i++) headers.push(extra[i] as string);
  if (ctx.lifecycle.closing) headers.push('connection', 'close');
  ctx.status = status;
  ctx.res.writeHead(status, headers);
}

function writeBody(ctx: RequestContext, status: number, headers: string[], extra: readonly string[], body: WireBody, length: string): void {
  if (ctx.res.destroyed) return; // gone while a variant was being compressed
  headers.push('content-length', length);
  writeHead(ctx, status, headers, extra);
  if (ctx.method === 'HEAD') {
    ctx.res.end();
  } else {
    ctx.bytes = body.length;
    ctx.res.end(body, 'latin1');
  }
  ctx.finish();
}

/** Writes an encoded response. `extra` is a flat [name, value, ...] header list. May
 *  return a promise: the first request for a compressed variant waits for it. HEAD gets
 *  the head GET would get (status, Content-Encoding, validators), and never makes a body:
 *  Content-Length is sent only when the bytes exist already. */
export function sendEncoded(ctx: RequestContext, encoded: Encoded, extra: readonly string[] = NO_HEADERS): void | Promise<void> {
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return;
  const headers = baseHeaders(ctx, encoded.contentType);
  if (!encoded.compressible && encoded.stored === null) {
    return writeBody(ctx, encoded.status, headers, extra, encoded.wire, encoded.contentLength);
  }
  let coding: Coding | 'identity' = 'identity';
  if (encoded.compressible) {
    headers.push('vary', 'Accept-Encoding');
    const accept = ctx.req.headers['accept-encoding'];
    const selected = ctx.compression.select(encoded.status, accept, encoded.body.length, extra);
    if (selected === 'none') {
      // Nothing acceptable: 406 for a success; an error is better sent as it is.
      if (encoded.status < 300) return sendNotAcceptable(ctx, extra);
    } else {
      coding = selected;
    }
  }
  const stored = encoded.stored;
  if (stored === null) {
    if (coding === 'identity') return writeBody(ctx, encoded.status, headers, extra, encoded.wire, encoded.contentLength);
    headers.push('content-encoding', coding);
    if (ctx.method === 'HEAD') return writeHeadOnly(ctx, encoded.status, headers, extra);
    return ctx.compression.compress(coding, encoded.body).then(
      (body) => writeBody(ctx, encoded.status, headers, extra, wireBody(body), String(body.length)),
      (error: unknown) => compressionFailed(ctx, error),
    );
  }
  // The variant served now (fast, or upgraded since); none yet: the fast one about to be made.
  const ready = coding === 'identity' ? undefined : stored.variant(coding);
  const etag = coding === 'identity' ? stored.etag : ready !== undefined ? ready.etag : stored.firstEtag(coding, ctx.compression);
  headers.push('etag', etag, 'last-modified', stored.lastModified);
  if (encoded.status < 300 && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
    const precondition = evaluatePreconditions(ctx.req.headers, etag, stored.lastModifiedMs);
    if (precondition === 'not-modified') return sendNotModified(ctx, headers, extra);
    if (precondition === 'failed') return sendUnencodedProblem(ctx, 412, 'a precondition (If-Match or If-Unmodified-Since) does not hold for the current representation', NO_HEADERS);
  }
  if (coding === 'identity') return writeBody(ctx, encoded.status, headers, extra, encoded.wire, encoded.contentLength);
  headers.push('content-encoding', coding);
  if (ready !== undefined) {
    if (!ready.upgradeAsked) stored.reused(coding, ready, ctx.compression);
    return writeBody(ctx, encoded.status, headers, extra, ready.wire, ready.contentLength);
  }
  if (ctx.method === 'HEAD') return writeHeadOnly(ctx, encoded.status, headers, extra);
  return stored.makeVariant(coding, ctx.compression).then(
    (variant: Variant) => writeBody(ctx, encoded.status, headers, extra, variant.wire, variant.contentLength),
    (error: unknown) => compressionFailed(ctx, error),
  );
}

/** A HEAD answer whose body GET would compress first: the length is not known. */
function writeHeadOnly(ctx: RequestContext, status: number, headers: string[], extra: readonly string[]): void {
  writeHead(ctx, status, headers, extra);
  ctx.res.end();
  ctx.finish();
}

/** zlib failed (out of memory, most likely): logged, and a 500 instead of a hang. The
 *  returned promises never reject, so a caller that drops one loses nothing. */
function compressionFailed(ctx: RequestContext, error: unknown): void {
  ctx.compression.failed(error);
  if (!ctx.res.destroyed) sendUnencodedProblem(ctx, 500, 'the server could not compress the response', NO_HEADERS);
}

/** A problem document written as it is, never negotiated (negotiation is what failed). */
function sendUnencodedProblem(ctx: RequestContext, status: number, detail: string, extra: readonly string[]): void {
  const problem = encodeProblem(status, detail);
  writeBody(ctx, status, baseHeaders(ctx, problem.contentType), extra, problem.wire, problem.contentLength);
}

/** 304: the validators and caching headers of the 200, no body, no Content-Length. */
function sendNotModified(ctx: RequestContext, headers: string[], extra: readonly string[]): void {
  // The 304 describes the selected representation but carries none of its content
  // metadata: drop Content-Type (it is the first pair).
  headers.splice(0, 2);
  writeHead(ctx, 304, headers, extra);
  ctx.res.end();
  ctx.finish();
}

/** 406 as a plain problem document: negotiating it again would refuse it again. It
 *  says Vary as the 200 would (Accept-Encoding, and the handler's own Vary), since
 *  other request headers get another answer. */
export function sendNotAcceptable(ctx: RequestContext, extra: readonly string[]): void {
  const detail = 'no content coding in Accept-Encoding is acceptable; this server offers ' + ctx.compression.codings.join(', ') + ' and identity';
  const vary = ['vary', 'Accept-Encoding'];
  for (let i = 0; i < extra.length; i += 2) {
    if ((extra[i] as string).toLowerCase() === 'vary') vary.push('vary', extra[i + 1] as string);
  }
  sendUnencodedProblem(ctx, 406, detail, vary);
}

export function sendJson(ctx: RequestContext, status: number, value: unknown, extra?: readonly string[]): void | Promise<void> {
  return sendEncoded(ctx, encodeJson(status, value), extra);
}

export function sendProblem(ctx: RequestContext, status: number, detail: string, extra?: readonly string[]): void | Promise<void> {
  return sendEncoded(ctx, encodeProblem(status, detail), extra);
}

export function sendHttpError(ctx: RequestContext, error: HttpError): void | Promise<void> {
  return sendProblem(ctx, error.status, error.detail, error.headers);
}

/** A 204 (OPTIONS) or other bodiless answer. */
export function sendEmpty(ctx: RequestContext, status: number, extra: readonly string[] = NO_HEADERS): void {
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return;
  writeHead(ctx, status, ['x-request-id', ctx.id], extra);
  res.end();
  ctx.finish();
}
