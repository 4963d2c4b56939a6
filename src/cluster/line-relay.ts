// Cluster mode, when stdout is a pipe, a socket or a terminal (worker-stdio.ts): every
// worker writes its log to its own pipe, and the primary copies them to the real stdout
// in whole lines only. The primary is then the one writer of stdout, so lines from
// different workers can never interleave, whatever their length. (Sharing a pipe does
// not work: a write to it is atomic only up to PIPE_BUF, 4096 bytes; and once it is
// full, Node queues the writes and flushes them later with writev, which is not atomic
// either.) A slow reader of stdout pauses the workers' pipes rather than growing the
// primary's memory.
import type { Readable, Writable } from 'node:stream';

const NEWLINE = 0x0a;
/** A "line" that has not ended after this many bytes is passed on as it is. */
const MAX_PARTIAL_BYTES = 1024 * 1024;

export class LineRelay {
  private readonly paused = new Set<Readable>();

  constructor(private readonly out: Writable) {
    out.on('drain', () => {
      for (const source of this.paused) source.resume();
      this.paused.clear();
    });
    // A closed stdout (piped into `head`, say) must not crash the primary.
    out.on('error', () => {});
  }

  /** Copies `source` to the output line by line; resolves when it has ended. */
  attach(source: Readable | null): Promise<void> {
    if (source === null) return Promise.resolve();
    let partial: Buffer | undefined;
    source.on('data', (chunk: Buffer) => {
      const cut = chunk.lastIndexOf(NEWLINE);
      if (cut < 0) {
        partial = partial === undefined ? chunk : Buffer.concat([partial, chunk]);
        if (partial.length >= MAX_PARTIAL_BYTES) {
          this.write(source, partial);
          partial = undefined;
        }
        return;
      }
      const whole = chunk.subarray(0, cut + 1);
      this.write(source, partial === undefined ? whole : Buffer.concat([partial, whole]));
      partial = cut + 1 < chunk.length ? chunk.subarray(cut + 1) : undefined;
    });
    return new Promise((resolve) => {
      const done = (): void => {
        // What a killed worker left unterminated still gets its own line.
        if (partial !== undefined) this.out.write(Buffer.concat([partial, Buffer.from('\n')]));
        partial = undefined;
        resolve();
      };
      source.once('end', done);
      source.once('error', done);
    });
  }

  private write(source: Readable, data: Buffer): void {
    if (this.out.write(data)) return;
    source.pause();
    this.paused.add(source);
  }
}
