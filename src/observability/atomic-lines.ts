// Log batches for processes that share one stdout (cluster mode). The kernel keeps a
// write() to a pipe in one piece only up to PIPE_BUF (4096 bytes on Linux); a 64 KB batch
// from one worker can be split and another worker's bytes land inside one of its lines.
// This sink keeps batching but cuts each batch at line boundaries into writes of at most
// PIPE_BUF bytes, so every line arrives whole. A single line longer than PIPE_BUF (a
// 16 KB URL, a long stack) cannot be written atomically: it is replaced by a short valid
// line that keeps its level, time, pid, hostname and msg plus the start of the original.
import type { LogSink } from './logger.js';

/** POSIX guarantees 512; Linux gives 4096. */
export const PIPE_BUF = 4096;
const NEWLINE = 0x0a;

export function atomicLineSink(sink: LogSink, limit = PIPE_BUF): LogSink {
  return (chunk) => {
    let start = 0;
    while (start < chunk.length) {
      if (chunk.length - start <= limit) {
        sink(chunk.subarray(start));
        return;
      }
      // The last newline within the limit ends this write.
      const cut = chunk.lastIndexOf(NEWLINE, start + limit - 1);
      if (cut >= start) {
        sink(chunk.subarray(start, cut + 1));
        start = cut + 1;
        continue;
      }
      // The next line alone is over the limit.
      const end = chunk.indexOf(NEWLINE, start);
      const lineEnd = end < 0 ? chunk.length : end + 1;
      sink(Buffer.from(shortenedLine(chunk.toString('utf8', start, lineEnd), limit)));
      start = lineEnd;
    }
  };
}

/** A valid JSON line of at most `limit` bytes standing for an over-long one. */
export function shortenedLine(line: string, limit: number): string {
  let head: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null) head = parsed as Record<string, unknown>;
  } catch {
    // not JSON: keep only the text's start
  }
  const base: Record<string, unknown> = {};
  for (const key of ['level', 'time', 'pid', 'hostname', 'msg']) {
    const value = head[key];
    if (typeof value === 'number' || (typeof value === 'string' && value.length <= 200)) base[key] = value;
  }
  base['truncated'] = true;
  base['originalBytes'] = Buffer.byteLength(line);
  let keep = Math.min(line.length, limit);
  for (;;) {
    const text = JSON.stringify({ ...base, start: line.slice(0, keep).trimEnd() }) + '\n';
    if (Buffer.byteLength(text) <= limit || keep === 0) return text;
    keep = Math.floor(keep * 0.75);
  }
}
