// What writes every response, built once at startup with the server's compression policy
// and lifecycle state; handlers get it with their other dependencies. Buffered bodies
// are written with one writeHead(flat header list) and one end(body), a small body as a
// string so that it leaves with the head (wire-body.ts). A compressible type gets Vary:
// Accept-Encoding whether or not it is compressed; a cached response also carries its
// validators (ETag, Last-Modified), is answered 304 when they match, and has its
// compressed variants made once and kept (stored-representation.ts); the ETag is that of
// the variant the request gets, checked before any compression work. Streamed bodies of
// unknown length go through openBody() and stream() (body-stream.ts). Once shutdown
// stops accepting connections every head says Connection: close, decided when the head
// is written, so a request already in flight releases its client too. With tracing, each
// compression a request waits on or streams through is a `compress` span (compression-spans.ts).
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import type { Selection } from '../compression/accept-encoding.js';
import { isCompressibleType, type Coding } from '../compression/codings.js';
import type { Compression } from '../compression/compression.js';
import { BodyStream, type IdleTimeout } from './body-stream.js';
import { endCompressSpan, failCompressSpan, startCompressSpan, traceCompressStream } from './compression-spans.js';
import { evaluatePreconditions } from './conditional.js';
import type { RequestContext } from './context.js';
import { encodeJson, encodeProblem, type Encoded } from './encoded.js';
import type { HttpError } from './http-error.js';
import type { LifecycleState } from './lifecycle-state.js';
import type { Variant } from './stored-representation.js';
import { wireBody, type WireBody } from './wire-body.js';

const NO_HEADERS: readonly string[] = Object.freeze([]);

export class Responder {
  constructor(
    /** The server's compression policy, read when a body is written. */
    private readonly compression: Compression,
    /** Read when a head is written: Connection: close once shutdown closes. */
    private readonly lifecycle: LifecycleState,
  ) {}

  /** Writes an encoded response. `extra` is a flat [name, value, ...] header list. May
   *  return a promise: the first request for a compressed variant waits for it. HEAD gets
   *  the head GET would get (status, Content-Encoding, validators), and never makes a body:
   *  Content-Length is sent only when the bytes exist already. */
  encoded(ctx: RequestContext, encoded: Encoded, extra: readonly string[] = NO_HEADERS): void | Promise<void> {
    const res = ctx.res;
    if (res.headersSent || res.destroyed) return;
    const headers = baseHeaders(ctx, encoded.contentType);
    if (!encoded.compressible && encoded.stored === null) {
      return this.writeBody(ctx, encoded.status, headers, extra, encoded.wire, encoded.contentLength);
    }
    const compression = this.compression;
    let coding: Coding | 'identity' = 'identity';
    if (encoded.compressible) {
      headers.push('vary', 'Accept-Encoding');
      const accept = ctx.req.headers['accept-encoding'];
      const selected = compression.select(encoded.status, accept, encoded.body.length, extra);
      if (selected === 'none') {
        // Nothing acceptable: 406 for a success; an error is better sent as it is.
        if (encoded.status < 300) return this.notAcceptable(ctx, extra);
      } else {
        coding = selected;
      }
    }
    const stored = encoded.stored;
    if (stored === null) {
      if (coding === 'identity') return this.writeBody(ctx, encoded.status, headers, extra, encoded.wire, encoded.contentLength);
      headers.push('content-encoding', coding);
      if (ctx.method === 'HEAD') return this.writeHeadOnly(ctx, encoded.status, headers, extra);
      const span = ctx.span === undefined ? undefined : startCompressSpan(ctx.span, coding, compression.level(coding, 'fast'), encoded.body.length);
      return compression.compress(coding, encoded.body).then(
        (body) => {
          if (span !== undefined) endCompressSpan(span, body.length);
          return this.writeBody(ctx, encoded.status, headers, extra, wireBody(body), String(body.length));
        },
        (error: unknown) => {
          if (span !== undefined) failCompressSpan(span, error);
          this.compressionFailed(ctx, error);
        },
      );
    }
    // The variant served now (fast, or upgraded since); none yet: the fast one about to be made.
    const ready = coding === 'identity' ? undefined : stored.variant(coding);
    const etag = coding === 'identity' ? stored.etag : ready !== undefined ? ready.etag : stored.firstEtag(coding, compression);
    headers.push('etag', etag, 'last-modified', stored.lastModified);
    if (encoded.status < 300 && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      const precondition = evaluatePreconditions(ctx.req.headers, etag, stored.lastModifiedMs);
      if (precondition === 'not-modified') return this.notModified(ctx, headers, extra);
      if (precondition === 'failed') return this.unencodedProblem(ctx, 412, 'a precondition (If-Match or If-Unmodified-Since) does not hold for the current representation', NO_HEADERS);
    }
    if (coding === 'identity') return this.writeBody(ctx, encoded.status, headers, extra, encoded.wire, encoded.contentLength);
    headers.push('content-encoding', coding);
    if (ready !== undefined) {
      if (!ready.upgradeAsked) stored.reused(coding, ready, compression);
      return this.writeBody(ctx, encoded.status, headers, extra, ready.wire, ready.contentLength);
    }
    if (ctx.method === 'HEAD') return this.writeHeadOnly(ctx, encoded.status, headers, extra);
    return stored.makeVariant(coding, compression, ctx.span).then(
      (variant: Variant) => this.writeBody(ctx, encoded.status, headers, extra, variant.wire, variant.contentLength),
      (error: unknown) => this.compressionFailed(ctx, error),
    );
  }

  json(ctx: RequestContext, status: number, value: unknown, extra?: readonly string[]): void | Promise<void> {
    return this.encoded(ctx, encodeJson(status, value), extra);
  }

  /** An RFC 9457 problem document; `detail` is shown to the client. */
  problem(ctx: RequestContext, status: number, detail: string, extra?: readonly string[]): void | Promise<void> {
    return this.encoded(ctx, encodeProblem(status, detail), extra);
  }

  error(ctx: RequestContext, error: HttpError): void | Promise<void> {
    return this.encoded(ctx, encodeProblem(error.status, error.detail, error.errors), error.headers);
  }

  /** A 204 (OPTIONS) or other bodiless answer. */
  empty(ctx: RequestContext, status: number, extra: readonly string[] = NO_HEADERS): void {
    const res = ctx.res;
    if (res.headersSent || res.destroyed) return;
    this.writeHead(ctx, status, ['x-request-id', ctx.id], extra);
    res.end();
    ctx.finish();
  }

  /**
   * Writes the head of a streamed response (chunked, no Content-Length, compressed on the
   * fly at the fast level when the client accepts a coding) and returns the stream to
   * write the body to, or undefined when there is no body to write (HEAD, 406, or the
   * client has gone). HEAD gets GET's head, Content-Encoding included. The request
   * completes when the last byte has been handed to the socket. With `idle`, each wait
   * for the client (drained(), finished()) is bounded.
   */
  openBody(ctx: RequestContext, status: number, contentType: string, extra: readonly string[], idle?: IdleTimeout): BodyStream | undefined {
    const res = ctx.res;
    if (res.headersSent || res.destroyed) return undefined;
    const headers = baseHeaders(ctx, contentType);
    let coding: Selection = 'identity';
    if (isCompressibleType(contentType)) {
      headers.push('vary', 'Accept-Encoding');
      coding = this.compression.select(status, ctx.req.headers['accept-encoding'], undefined, extra);
      if (coding === 'none') {
        this.notAcceptable(ctx, extra);
        return undefined;
      }
    }
    if (coding !== 'identity') headers.push('content-encoding', coding);
    this.writeHead(ctx, status, headers, extra);
    if (ctx.method === 'HEAD') {
      res.end();
      ctx.finish();
      return undefined;
    }
    res.once('finish', () => ctx.finish());
    if (coding === 'identity') return new BodyStream(ctx, res, true, idle);
    const compressor = this.compression.openStream(coding);
    if (ctx.span !== undefined) {
      const span = startCompressSpan(ctx.span, coding, this.compression.level(coding, 'fast'), undefined);
      if (span !== undefined) traceCompressStream(span, compressor, ctx);
    }
    compressor.on('data', (chunk: Buffer) => {
      ctx.bytes += chunk.length;
    });
    // pipeline destroys both sides when either fails or the client goes away.
    pipeline(compressor, res, () => {});
    return new BodyStream(ctx, compressor, false, idle);
  }

  /**
   * Streams a body (a heap snapshot) as it is, with backpressure: pipeline pauses the
   * source while the socket's buffer is full, and destroys it if the client leaves (the
   * connection tracker then completes the request as aborted).
   */
  async stream(ctx: RequestContext, status: number, contentType: string, body: Readable, extra: readonly string[] = NO_HEADERS): Promise<void> {
    const res = ctx.res;
    if (res.headersSent || res.destroyed) {
      body.destroy();
      return;
    }
    this.writeHead(ctx, status, baseHeaders(ctx, contentType), extra);
    body.on('data', (chunk: Buffer) => (ctx.bytes += chunk.length));
    try {
      await pipelineAsync(body, res);
    } catch (error) {
      if (ctx.done || res.destroyed) return; // the client left; already counted as aborted
      throw error;
    }
    ctx.finish();
  }

  /** Writes the head (plus the handler's headers, a middleware's ctx.responseHeaders and
   *  Connection: close when draining). */
  private writeHead(ctx: RequestContext, status: number, headers: string[], extra: readonly string[]): void {
    for (let i = 0; i < extra.length; i++) headers.push(extra[i]!);
    const added = ctx.responseHeaders;
    if (added !== undefined) for (let i = 0; i < added.length; i++) headers.push(added[i]!);
    if (this.lifecycle.closing) headers.push('connection', 'close');
    ctx.status = status;
    ctx.res.writeHead(status, headers);
  }

  private writeBody(ctx: RequestContext, status: number, headers: string[], extra: readonly string[], body: WireBody, length: string): void {
    // Gone, or answered by the request deadline, while a variant was being compressed.
    if (ctx.done || ctx.res.destroyed) return;
    headers.push('content-length', length);
    this.writeHead(ctx, status, headers, extra);
    if (ctx.method === 'HEAD') {
      ctx.res.end();
    } else {
      ctx.bytes = body.length;
      ctx.res.end(body, 'latin1');
    }
    ctx.finish();
  }

  /** A HEAD answer whose body GET would compress first: the length is not known. */
  private writeHeadOnly(ctx: RequestContext, status: number, headers: string[], extra: readonly string[]): void {
    this.writeHead(ctx, status, headers, extra);
    ctx.res.end();
    ctx.finish();
  }

  /** zlib failed (out of memory, most likely): logged, and a 500 instead of a hang. The
   *  returned promises never reject, so a caller that drops one loses nothing. */
  private compressionFailed(ctx: RequestContext, error: unknown): void {
    this.compression.failed(error);
    if (!ctx.res.destroyed) this.unencodedProblem(ctx, 500, 'the server could not compress the response', NO_HEADERS);
  }

  /** A problem document written as it is, never negotiated (negotiation is what failed). */
  private unencodedProblem(ctx: RequestContext, status: number, detail: string, extra: readonly string[]): void {
    const problem = encodeProblem(status, detail);
    this.writeBody(ctx, status, baseHeaders(ctx, problem.contentType), extra, problem.wire, problem.contentLength);
  }

  /** 304: the validators and caching headers of the 200, no body, no Content-Length. */
  private notModified(ctx: RequestContext, headers: string[], extra: readonly string[]): void {
    // The 304 describes the selected representation but carries none of its content
    // metadata: drop Content-Type (it is the first pair).
    headers.splice(0, 2);
    this.writeHead(ctx, 304, headers, extra);
    ctx.res.end();
    ctx.finish();
  }

  /** 406 as a plain problem document: negotiating it again would refuse it again. It
   *  says Vary as the 200 would (Accept-Encoding, and the handler's own Vary), since
   *  other request headers get another answer. */
  private notAcceptable(ctx: RequestContext, extra: readonly string[]): void {
    const detail = 'no content coding in Accept-Encoding is acceptable; this server offers ' + this.compression.codings.join(', ') + ' and identity';
    const vary = ['vary', 'Accept-Encoding'];
    for (let i = 0; i + 1 < extra.length; i += 2) {
      const name = extra[i];
      const value = extra[i + 1];
      if (name !== undefined && value !== undefined && name.toLowerCase() === 'vary') vary.push('vary', value);
    }
    this.unencodedProblem(ctx, 406, detail, vary);
  }
}

/** The head every response starts with; callers push more [name, value] pairs. */
function baseHeaders(ctx: RequestContext, contentType: string): string[] {
  return ['content-type', contentType, 'x-request-id', ctx.id];
}
