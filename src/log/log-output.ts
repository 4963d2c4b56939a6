// Where the logger's batches go: stdout, with a bound on what may wait for it. On Linux,
// process.stdout to a pipe or socket is a non-blocking handle: when the reader stops
// (`| sleep`, a stuck log shipper), write() never blocks, it queues, and the queue
// (writableLength) grows by every line logged. So a batch is dropped whole when the
// queue already holds LOG_QUEUE_BYTES: lines stay whole JSON, the event loop never
// waits, and memory stays bounded. Files and terminals are written synchronously and
// never queue. Once the queue is down to half the bound (or empty: 'drain'), one warning
// line says how many lines were lost there; `dropped` counts them all (/metrics).
import type { LogSink } from './line-batch.js';

/** What the output needs of a stream (process.stdout; a fake in tests). */
export interface QueueingStream {
  readonly writableLength: number;
  write(chunk: Buffer): boolean;
  on(event: 'drain' | 'error', listener: () => void): unknown;
}

/** For /metrics: lines dropped so far, and the bytes waiting for the reader now. */
export interface LogOutputStats {
  readonly dropped: number;
  readonly queuedBytes: number;
}

const NEWLINE = 0x0a;

function countLines(chunk: Buffer): number {
  let lines = 0;
  for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, at + 1)) lines++;
  return lines;
}

export class BoundedLogOutput implements LogOutputStats {
  private droppedTotal = 0;
  /** Lines dropped since the output last took a batch. */
  private unreported = 0;
  private blocked = false;
  private describe: (dropped: number) => string = () => '';

  /** Hands whole batches to the stream, or drops them while it is blocked. */
  readonly sink: LogSink = (chunk) => this.write(chunk);

  constructor(
    private readonly out: QueueingStream,
    private readonly limitBytes: number,
  ) {
    out.on('drain', () => {
      if (this.blocked) this.recover();
    });
    // A closed stdout (piped into `head`, say) must not crash the server.
    out.on('error', () => {});
  }

  get dropped(): number {
    return this.droppedTotal;
  }

  get queuedBytes(): number {
    return this.out.writableLength;
  }

  /** The warning line (newline-terminated, or '' for none) written when output recovers.
   *  Set after construction: the logger that formats it writes to this output. */
  warnWith(describe: (dropped: number) => string): void {
    this.describe = describe;
  }

  private write(chunk: Buffer): void {
    const queued = this.out.writableLength;
    // Half the bound to resume: a reader that keeps up only barely gets one warning per
    // half a queue, not one per batch.
    if (this.blocked ? queued > this.limitBytes / 2 : queued >= this.limitBytes) {
      this.blocked = true;
      const lines = countLines(chunk);
      this.droppedTotal += lines;
      this.unreported += lines;
      return;
    }
    if (this.blocked) this.recover();
    this.out.write(chunk);
  }

  private recover(): void {
    this.blocked = false;
    const dropped = this.unreported;
    this.unreported = 0;
    const warning = dropped === 0 ? '' : this.describe(dropped);
    if (warning !== '') this.out.write(Buffer.from(warning));
  }
}
