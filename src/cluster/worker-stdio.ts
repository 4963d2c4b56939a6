// Where cluster workers' stdout and stderr go. On a pipe, a socket or a terminal a write
// can be split (a pipe write is atomic only up to PIPE_BUF, and once it is full Node
// queues writes and sends them later with writev), so there the workers write through
// the primary, which passes on whole lines only (line-relay.ts). A regular file or a
// device such as /dev/null takes each write whole (Linux serialises writes to one open
// file and keeps their offsets apart), so the workers inherit those and write directly,
// sparing the primary a read and a write of every byte.
import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';

export type WorkerOutput = 'inherit' | 'pipe';

/** 'inherit' when a write to `fd` lands whole, else 'pipe' (relayed in whole lines). */
export function workerOutput(fd: number): WorkerOutput {
  try {
    const stat = fstatSync(fd);
    if (stat.isFile()) return 'inherit';
    if (stat.isCharacterDevice() && !isatty(fd)) return 'inherit';
  } catch {
    // Closed or unknown: relay, as for a pipe (the relay ignores write errors).
  }
  return 'pipe';
}
