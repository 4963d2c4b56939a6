// The body of a streamed response (Responder.openBody writes its head). The producer
// writes chunks and waits for 'drain' whenever a write returns false, so memory stays
// flat however slowly the client reads; when the client goes away, pipeline() destroys the compressor (its
// native memory is freed now, not at the next GC) and the producer sees `closed`.
// A client that stops reading altogether would park the producer (and whatever it holds)
// for as long as the connection lives: with an idle timeout, a wait that sees no progress
// for that long cuts the connection, since a half body must not look complete.
import type { EventEmitter } from 'node:events';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { RequestContext } from './context.js';

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
