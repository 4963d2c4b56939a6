// GET /products/export: the whole catalog as NDJSON, one product per line, streamed.
// Products come from the store a page at a time and are serialised into pooled Buffers;
// a Buffer is written when full and goes back to the pool from its write callback, so
// the memory in use is a page of products plus a few Buffers, whatever CATALOG_SIZE is
// and however slowly the client reads.
import { openBodyStream, type BodyStream } from '../http/respond-stream.js';
import type { Router } from '../http/router.js';
import type { BufferPool } from '../pool/buffer-pool.js';
import type { ProductPage, ProductStore } from './store.js';

export const NDJSON_TYPE = 'application/x-ndjson';
/** Products fetched per store call: one round trip per thousand lines. */
const EXPORT_PAGE = 1000;

export interface ExportDeps {
  readonly store: ProductStore;
  readonly pool: BufferPool;
}

export function registerExportRoute(router: Router, deps: ExportDeps): void {
  router.add('GET', '/products/export', async (ctx) => {
    // The first page before the head: a store that fails at once gets a clean problem
    // document instead of a 200 cut short.
    const first = ctx.method === 'HEAD' ? undefined : await deps.store.list(0, EXPORT_PAGE);
    const body = openBodyStream(ctx, 200, NDJSON_TYPE, ['cache-control', 'no-store']);
    if (body === undefined || first === undefined) return;
    return exportCatalog(body, first, deps);
  });
}

const NOT_POOLED = (): void => undefined;

/** Fills pooled Buffers with lines and writes each when full. */
class ChunkWriter {
  private buffer: Buffer;
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
    const full = this.buffer;
    const used = this.used;
    this.used = 0;
    if (more) this.buffer = this.pool.acquire();
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
    this.pool.release(this.buffer);
    for (const buffer of this.inFlight) this.pool.abandon(buffer);
    this.inFlight.clear();
  }
}

async function exportCatalog(body: BodyStream, first: ProductPage, deps: ExportDeps): Promise<void> {
  const { store, pool } = deps;
  const out = new ChunkWriter(body, pool);
  let offset = 0;
  let next: ProductPage | undefined = first;
  try {
    while (!body.closed) {
      const page = next ?? (await store.list(offset, EXPORT_PAGE));
      next = undefined;
      for (const product of page.items) {
        if (!out.line(JSON.stringify(product) + '\n')) await body.drained();
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
}
