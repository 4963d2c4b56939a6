// Streamed response bodies of unknown length: chunked, no Content-Length, compressed on
// the fly (fast level) when the client accepts a coding. The producer writes chunks and
// waits for 'drain' whenever a write returns false, so memory stays flat however slowly
// the client reads; when the client goes away, pipeline() destroys the compressor (its
// native memory is freed now, not at the next GC) and the producer sees `closed`.
// A client that stops reading altogether would park the producer (and whatever it holds)
// for as long as the connection lives: with an idle timeout, a wait that sees no progress
// for that long cuts the connection, since a half body must not look complete.
import type { EventEmitter } from 'node:events';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { isCompressibleType } from '../compression/codings.js';
import type { RequestContext } from './context.js';
import type { Selection } from '../compression/accept-encoding.js';
import { baseHeaders, sendNotAcceptable, writeHead } from './respond.js';

/** How long a streamed body may wait for the client, and who is told when it gave up. */
export interface IdleTimeout {
  readonly ms: number;
  /** Called once, just before the connection is cut. */
  readonly onTimeout: (ctx: RequestContext) => void;
}

export class BodyStream {
  private finishedWriting = false;

  constructor(
    private readonly ctx: RequestContext,
    /** The response itself, or the compressor piped into it. */
    private readonly target: Writable,
    /** Writing to the response itself: count the body bytes for the access log. */
    private readonly countsBytes: boolean,
    private readonly idle: IdleTimeout | undefined,
  ) {}

  /** The client is gone (or the stream failed): stop producing. */
  get closed(): boolean {
    return this.ctx.res.destroyed || this.target.destroyed;
  }

  /** Writes a chunk; `written` is called once nothing reads `chunk` any more (also on
   *  error). Returns false when the caller should wait for drained(). */
  write(chunk: Buffer, written: (error?: Error | null) => void): boolean {
    if (this.closed) {
      process.nextTick(written);
      return false;
    }
    if (this.countsBytes) this.ctx.bytes += chunk.length;
    return this.target.write(chunk, written);
  }

  /** Resolves when the target wants more, or when the response has closed (also when
   *  the idle timeout cut it). */
  async drained(): Promise<void> {
    if (this.closed || !this.target.writableNeedDrain) return;
    await this.waitFor(this.target, 'drain');
  }

  end(): void {
    if (this.finishedWriting || this.closed) return;
    this.finishedWriting = true;
    this.target.end();
  }

  /** After end(): resolves once the last byte is handed to the socket, or the response
   *  has closed (also when the idle timeout cut it). */
  async finished(): Promise<void> {
    const res = this.ctx.res;
    if (this.closed || res.writableFinished) return;
    await this.waitFor(res, 'finish');
  }

  private async waitFor(emitter: EventEmitter, event: string): Promise<void> {
    const res = this.ctx.res;
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    res.once('close', onClose);
    const timer = this.idle === undefined ? undefined : setTimeout(cutIdle, this.idle.ms, this.ctx, this.idle);
    try {
      await once(emitter, event, { signal: gone.signal });
    } catch {
      // Aborted: the response closed while waiting; `closed` tells the producer.
    } finally {
      clearTimeout(timer);
      res.off('close', onClose);
    }
  }
}

function cutIdle(ctx: RequestContext, idle: IdleTimeout): void {
  if (ctx.res.destroyed) return;
  idle.onTimeout(ctx);
  // A reset, not a FIN: the kernel drops the send queue the client never read (a FIN would
  // wait behind it), and the client sees an error, never a body that looks complete.
  const socket = ctx.res.socket;
  if (socket !== null) socket.resetAndDestroy();
  else ctx.res.destroy();
}

/**
 * Writes the head of a streamed response and returns the stream to write the body to,
 * or undefined when there is no body to write (HEAD, 406, or the client has gone).
 * HEAD gets GET's head, Content-Encoding included.
 * The request completes when the last byte has been handed to the socket. With `idle`,
 * each wait for the client (drained(), finished()) is bounded.
 */
export function openBodyStream(
  ctx: RequestContext,
  status: number,
  contentType: string,
  extra: readonly string[],
  idle?: IdleTimeout,
): BodyStream | undefined {
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return undefined;
  const headers = baseHeaders(ctx, contentType);
  let coding: Selection = 'identity';
  if (isCompressibleType(contentType)) {
    headers.push('vary', 'Accept-Encoding');
    coding = ctx.compression.select(status, ctx.req.headers['accept-encoding'], undefined, extra);
    if (coding === 'none') {
      sendNotAcceptable(ctx, extra);
      return undefined;
    }
  }
  if (coding !== 'identity') headers.push('content-encoding', coding);
  writeHead(ctx, status, headers, extra);
  if (ctx.method === 'HEAD') {
    res.end();
    ctx.finish();
    return undefined;
  }
  res.once('finish', () => ctx.finish());
  if (coding === 'identity') return new BodyStream(ctx, res, true, idle);
  const compressor = ctx.compression.openStream(coding);
  compressor.on('data', (chunk: Buffer) => {
    ctx.bytes += chunk.length;
  });
  // pipeline destroys both sides when either fails or the client goes away.
  pipeline(compressor, res, () => {});
  return new BodyStream(ctx, compressor, false, idle);
}

/**
 * Streams a body (a heap snapshot) with backpressure: pipeline pauses the source while
 * the socket's buffer is full, and destroys it if the client leaves (the connection
 * tracker then completes the request as aborted).
 */
export async function sendStream(ctx: RequestContext, status: number, contentType: string, body: Readable, extra: readonly string[] = []): Promise<void> {
  const res = ctx.res;
  if (res.headersSent || res.destroyed) {
    body.destroy();
    return;
  }
  writeHead(ctx, status, baseHeaders(ctx, contentType), extra);
  body.on('data', (chunk: Buffer) => (ctx.bytes += chunk.length));
  try {
    await pipelineAsync(body, res);
  } catch (error) {
    if (ctx.done || res.destroyed) return; // the client left; already counted as aborted
    throw error;
  }
  ctx.finish();
}
