// GET /products/export: the whole catalog as NDJSON, one product per line, streamed.
// Products come from the store a page at a time and are serialised into pooled Buffers;
// a Buffer is written when full and goes back to the pool from its write callback, so
// the memory in use is a page of products plus a few Buffers, whatever CATALOG_SIZE is
// and however slowly the client reads. Only EXPORT_MAX_CONCURRENT exports run at once
// (the others get 503 with Retry-After), an export whose client takes nothing for
// EXPORT_IDLE_TIMEOUT_MS is cut, and an export yields the event loop after each chunk, so
// the requests arriving meanwhile wait for a chunk of each export, never for a catalog.
// Once its head is out, an export is bounded by the idle timeout, not the request deadline.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { RequestContext } from '../http/context.js';
import type { BodyStream, IdleTimeout } from '../http/body-stream.js';
import { encodeProblem, NO_STORE } from '../http/encoded.js';
import type { Responder } from '../http/responder.js';
import type { Router } from '../http/router.js';
import type { Logger } from '../log/logger.js';
import type { BufferPool } from '../pool/buffer-pool.js';
import type { Span } from '../trace/tracer.js';
import type { ExportSlots } from './export-slots.js';
import { STORE_UPSTREAM, type ProductPage, type ProductStore } from './store.js';

const NDJSON_TYPE = 'application/x-ndjson';
/** Products fetched per store call: one round trip per thousand lines. */
const EXPORT_PAGE = 1000;

/** Whole seconds a refused client should wait: a slot frees when any export ends. */
const RETRY_AFTER_SECONDS = 1;
const BUSY = encodeProblem(503, 'too many exports are running; retry later');
const BUSY_HEADERS: readonly string[] = Object.freeze(['retry-after', String(RETRY_AFTER_SECONDS), 'cache-control', 'no-store']);

export interface ExportDeps {
  readonly store: ProductStore;
  readonly pool: BufferPool;
  readonly slots: ExportSlots;
  /** EXPORT_IDLE_TIMEOUT_MS. */
  readonly idleTimeoutMs: number;
  readonly logger: Logger;
  readonly respond: Responder;
}

export function registerExportRoute(router: Router, deps: ExportDeps): void {
  const { slots, logger, idleTimeoutMs, respond } = deps;
  const idle: IdleTimeout = {
    ms: idleTimeoutMs,
    onTimeout: (ctx: RequestContext) => {
      slots.idleTimedOut();
      logger.warn('export cut: the client took nothing for the idle timeout', {
        reqId: ctx.id,
        idleTimeoutMs,
        bytes: ctx.bytes,
        remote: ctx.remote,
      });
    },
  };
  router.add('GET', '/products/export', async (ctx) => {
    if (!slots.tryAcquire()) return respond.encoded(ctx, BUSY, BUSY_HEADERS);
    try {
      // The first page before the head: a store that fails at once gets a clean problem
      // document instead of a 200 cut short.
      ctx.upstream = STORE_UPSTREAM;
      const first = ctx.method === 'HEAD' ? undefined : await deps.store.list(0, EXPORT_PAGE, ctx.signal, ctx.span);
      ctx.upstream = '';
      const body = respond.openBody(ctx, 200, NDJSON_TYPE, NO_STORE, idle);
      if (body === undefined || first === undefined) return;
      await exportCatalog(body, first, deps, ctx.signal, ctx.span);
    } finally {
      slots.release();
    }
  });
}

const NOT_POOLED = (): void => undefined;

/** Fills pooled Buffers with lines and writes each when full. */
class ChunkWriter {
  private buffer: Buffer;
  /** `buffer` is ours to fill: false once the last one is written or given back. */
  private holding = true;
  private used = 0;
  /** Written, and not yet called back. */
  private readonly inFlight = new Set<Buffer>();

  constructor(
    private readonly body: BodyStream,
    private readonly pool: BufferPool,
  ) {
    this.buffer = pool.acquire();
  }

  /** Appends a line; returns false when the caller should wait for the body to drain. */
  line(text: string): boolean {
    const bytes = Buffer.byteLength(text);
    let ok = true;
    if (this.used + bytes > this.buffer.length) ok = this.flush(true);
    if (bytes > this.buffer.length) {
      // Longer than a whole pooled Buffer: write it on its own.
      return this.body.write(Buffer.from(text), NOT_POOLED) && ok;
    }
    this.used += this.buffer.write(text, this.used);
    return ok;
  }

  /** Writes what is buffered; takes a fresh Buffer when `more` are coming. */
  flush(more: boolean): boolean {
    if (!this.holding) return true;
    const full = this.buffer;
    const used = this.used;
    this.used = 0;
    if (more) this.buffer = this.pool.acquire();
    else this.holding = false;
    if (used === 0) {
      this.pool.release(full);
      return true;
    }
    this.inFlight.add(full);
    return this.body.write(full.subarray(0, used), () => {
      if (this.inFlight.delete(full)) this.pool.release(full);
    });
  }

  /** The client left mid-stream: gives back the unwritten Buffer, and abandons those
   *  whose writes may never call back (a destroyed compressor drops a parked write). */
  discard(): void {
    if (this.holding) this.pool.release(this.buffer);
    this.holding = false;
    for (const buffer of this.inFlight) this.pool.abandon(buffer);
    this.inFlight.clear();
  }
}

/** `signal` aborts a store call when the client leaves. */
async function exportCatalog(body: BodyStream, first: ProductPage, deps: ExportDeps, signal: AbortSignal, span: Span | undefined): Promise<void> {
  const { store, pool } = deps;
  const out = new ChunkWriter(body, pool);
  let offset = 0;
  let next: ProductPage | undefined = first;
  try {
    while (!body.closed) {
      const page = next ?? (await store.list(offset, EXPORT_PAGE, signal, span));
      next = undefined;
      for (const product of page.items) {
        if (!out.line(JSON.stringify(product) + '\n')) {
          await body.drained();
          // A socket that takes every chunk at once drains within this turn: go round the
          // event loop anyway, so no export holds it for more than a chunk.
          if (!body.closed) await nextTurn();
        }
        if (body.closed) break;
      }
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) break;
    }
  } catch (error) {
    out.discard();
    throw error;
  }
  if (body.closed) {
    out.discard();
    return;
  }
  out.flush(false);
  body.end();
  // The slot is held until the socket has taken the last byte (or the idle timeout cut it).
  await body.finished();
  if (body.closed) out.discard();
}
