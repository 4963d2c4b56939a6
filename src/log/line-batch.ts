// Log lines gathered into one Buffer and handed to the sink a batch at a time: one write
// per FLUSH_INTERVAL_MS or per BATCH_BYTES, never one syscall per line. Lines arrive as
// strings encoded straight into the batch (append), or are written into it in place
// (beginLine/endLine). Not one big string: V8 would flatten the long rope when the batch
// is converted for writing, a copy of everything per batch.

/** Receives whole batches of newline-terminated lines; it may keep the Buffer. */
export type LogSink = (chunk: Buffer) => void;

const BATCH_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 50;

export class LineBatch {
  private batch = Buffer.allocUnsafe(BATCH_BYTES);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: (() => void) | undefined;
  private draining = false;

  constructor(private readonly sink: LogSink) {}

  /** Registers lines kept elsewhere until written (the access log's ring): drained before
   *  any appended line and on every flush. */
  setPending(drain: () => void): void {
    this.pending = drain;
  }

  /** Makes sure a flush (which drains pending lines) happens within FLUSH_INTERVAL_MS. */
  scheduleFlush(): void {
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /** Adds a newline-terminated line; one too big for any batch goes to the sink alone. */
  append(line: string): void {
    // Lines still waiting (the access log's) come first: the output keeps its order.
    this.drainPending();
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (this.used + line.length * 3 > BATCH_BYTES) {
      this.flush();
      if (line.length * 3 > BATCH_BYTES) {
        this.sink(Buffer.from(line));
        return;
      }
    }
    this.used += this.batch.write(line, this.used, 'utf8');
    this.scheduleFlush();
  }

  /**
   * Starts a line the caller writes in place, at most `maxBytes` long: returns the offset
   * in `lineBuffer` to write it at, flushing first when the batch lacks the room, or -1
   * when no batch could hold it. The caller passes the end to endLine; one that gives up
   * simply never calls endLine.
   */
  beginLine(maxBytes: number): number {
    if (maxBytes > BATCH_BYTES) return -1;
    if (this.used + maxBytes > BATCH_BYTES) this.flush();
    return this.used;
  }

  /** The Buffer a line begun with beginLine is written into (valid until endLine). */
  get lineBuffer(): Buffer {
    return this.batch;
  }

  /** Commits a line begun with beginLine: `end` is the offset after its newline. */
  endLine(end: number): void {
    this.used = end;
    this.scheduleFlush();
  }

  /** Writes everything pending now. Called on a timer, at the batch size, and before exit. */
  flush(): void {
    this.drainPending();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.used === 0) return;
    const chunk = this.batch.subarray(0, this.used);
    // A fresh batch: the sink may still be writing the old one asynchronously.
    this.batch = Buffer.allocUnsafe(BATCH_BYTES);
    this.used = 0;
    this.sink(chunk);
  }

  private drainPending(): void {
    if (this.pending === undefined || this.draining) return;
    this.draining = true;
    try {
      this.pending();
    } finally {
      this.draining = false;
    }
  }
}
