// Fixed-size Buffers reused across large streamed bodies, so a long export does not ask
// the allocator (and later the GC) for a fresh 64 KiB block per chunk. A Buffer must come
// back only once nothing can read it any more: after the write that carried it has called
// back. node:http and net call every write callback (with an error once destroyed), but a
// zlib stream destroyed while a write waits on its full output never calls that one back,
// and its thread may still hold the bytes: such a Buffer is abandoned (counted out, never
// reused, left to the GC). The free list is bounded; buffers beyond it go to the GC too.

export interface BufferPoolStats {
  readonly enabled: boolean;
  readonly bufferBytes: number;
  readonly maxFree: number;
  readonly free: number;
  readonly inUse: number;
  readonly hits: number;
  readonly misses: number;
  /** Given up on when their stream was destroyed mid-write (see abandon()). */
  readonly abandoned: number;
}

export class BufferPool {
  private readonly freeList: Buffer[] = [];
  private inUse = 0;
  private hits = 0;
  private misses = 0;
  private abandoned = 0;

  constructor(
    readonly bufferBytes: number,
    readonly maxFree: number,
    /** Off: every acquire allocates and release drops (the baseline the pool is measured against). */
    readonly enabled: boolean,
  ) {}

  acquire(): Buffer {
    this.inUse++;
    const reused = this.enabled ? this.freeList.pop() : undefined;
    if (reused !== undefined) {
      this.hits++;
      return reused;
    }
    this.misses++;
    // allocUnsafeSlow: a standalone block, not a slice of Node's shared 8 KiB slab.
    return Buffer.allocUnsafeSlow(this.bufferBytes);
  }

  /** Returns a Buffer from acquire(); call exactly once, when its last write is done. */
  release(buffer: Buffer): void {
    this.inUse--;
    if (this.enabled && buffer.length === this.bufferBytes && this.freeList.length < this.maxFree) {
      this.freeList.push(buffer);
    }
  }

  /** Counts out a Buffer whose write will never call back; it is not reused. */
  abandon(_buffer: Buffer): void {
    this.inUse--;
    this.abandoned++;
  }

  stats(): BufferPoolStats {
    return {
      enabled: this.enabled,
      bufferBytes: this.bufferBytes,
      maxFree: this.maxFree,
      free: this.freeList.length,
      inUse: this.inUse,
      hits: this.hits,
      misses: this.misses,
      abandoned: this.abandoned,
    };
  }
}
