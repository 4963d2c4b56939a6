// Structured JSON lines, pino-compatible core fields (level number, time, pid, hostname, msg).
// Lines are built by string concatenation and encoded straight into a batch Buffer, or
// (the access log's) written into it in place with beginLine/endLine; batches are written
// one per FLUSH_INTERVAL or per BATCH_BYTES, never one syscall per request. (Appending to
// one big string instead cost ~1 us per line: V8 flattened the long rope when the batch
// was converted for writing.) A disabled level returns before building anything.
import { hostname } from 'node:os';
import type { LogLevel } from '../config.js';
import { copyBytes, writeNumber } from './ascii-bytes.js';

export type LogValue = string | number | boolean | null | undefined | Error | LogFields | readonly LogValue[];
export interface LogFields {
  readonly [key: string]: LogValue;
}

const LEVEL_NUMBERS: Readonly<Record<LogLevel, number>> = {
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  silent: Infinity,
};

/** Receives whole batches of newline-terminated lines; it may keep the Buffer. */
export type LogSink = (chunk: Buffer) => void;

const BATCH_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 50;
/** Room for the time field: String() of any clock value (a negative float at worst). */
const MAX_TIME_DIGITS = 32;

// Characters JSON requires escaping: quote, backslash, C0 controls; and surrogates, which
// JSON.stringify escapes when lone so a line stays valid UTF-8.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal; skips JSON.stringify for the common clean string. */
export function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"';
}

/** Exits once stdout has taken everything written (at most maxWaitMs later): a pipe whose
 *  reader is slow makes Node queue the writes, and exiting at once would drop them. */
export function exitAfterStdout(code: number, maxWaitMs = 2000): void {
  process.exitCode = code;
  if (process.stdout.writableLength === 0) process.exit(code);
  setTimeout(() => process.exit(code), maxWaitMs).unref();
  process.stdout.once('drain', () => process.exit(code));
  process.stdout.once('error', () => process.exit(code));
}

export class Logger {
  readonly threshold: number;
  private readonly prefix: Record<number, string> = {};
  private readonly suffix: string;
  /** The same head pieces, encoded once, for lines written in place. */
  private readonly prefixBytes: Record<number, Buffer> = {};
  private readonly suffixBytes: Buffer;
  private batch = Buffer.allocUnsafe(BATCH_BYTES);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: (() => void) | undefined;
  private draining = false;

  constructor(
    level: LogLevel,
    private readonly sink: LogSink,
    private readonly clock: () => number = Date.now,
  ) {
    this.threshold = LEVEL_NUMBERS[level];
    for (const n of [20, 30, 40, 50]) {
      this.prefix[n] = `{"level":${n},"time":`;
      this.prefixBytes[n] = Buffer.from(this.prefix[n]);
    }
    this.suffix = `,"pid":${process.pid},"hostname":${jsonString(hostname())}`;
    this.suffixBytes = Buffer.from(this.suffix);
  }

  enabled(level: number): boolean {
    return level >= this.threshold;
  }

  debug(msg: string, fields?: LogFields): void {
    if (20 >= this.threshold) this.write(20, msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    if (30 >= this.threshold) this.write(30, msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    if (40 >= this.threshold) this.write(40, msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    if (50 >= this.threshold) this.write(50, msg, fields);
  }

  /** Appends a line whose msg and extra fields are already JSON (`"msg"`, `,"k":v...`):
   *  the access log's path, which builds them without a serializer. */
  writeRaw(level: number, msgJson: string, jsonFields: string, time: number = this.clock()): void {
    const prefix = this.prefix[level];
    if (level < this.threshold || prefix === undefined) return;
    // Lines still waiting (the access log's) come first: the output keeps its order.
    this.drainPending();
    this.append(this.format(prefix, msgJson, jsonFields, time));
  }

  private format(prefix: string, msgJson: string, jsonFields: string, time: number): string {
    return prefix + time + this.suffix + ',"msg":' + msgJson + jsonFields + '}\n';
  }

  /** The logger's wall clock (Date.now unless a test injected another). */
  now(): number {
    return this.clock();
  }

  /** Registers lines kept elsewhere until written (the access log's ring): drained before
   *  any other line is written and on every flush. */
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

  private drainPending(): void {
    if (this.pending === undefined || this.draining) return;
    this.draining = true;
    try {
      this.pending();
    } finally {
      this.draining = false;
    }
  }

  /**
   * Starts a line the caller encodes in place (the access log's): writes the common head
   * (`{"level":..,"time":..,"pid":..,"hostname":..`) into `lineBuffer` and returns the
   * offset after it. The caller writes at most `restBytes` more (`,"msg":..` through
   * `}\n`) and passes the end to endLine. Returns -1 when the level is disabled or the
   * line could not fit a batch; a caller that gives up simply never calls endLine.
   */
  beginLine(level: number, restBytes: number, time: number): number {
    const head = this.prefixBytes[level];
    if (level < this.threshold || head === undefined) return -1;
    const bound = head.length + MAX_TIME_DIGITS + this.suffixBytes.length + restBytes;
    if (bound > BATCH_BYTES) return -1;
    if (this.used + bound > BATCH_BYTES) this.flush();
    const batch = this.batch;
    let pos = copyBytes(batch, this.used, head);
    pos = writeNumber(batch, pos, time);
    return copyBytes(batch, pos, this.suffixBytes);
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

  private write(level: number, msg: string, fields: LogFields | undefined): void {
    this.writeRaw(level, jsonString(msg), fieldsJson(fields));
  }

  /** The line `msg` and `fields` make, newline-terminated, without writing it ('' when
   *  the level is disabled): for output written outside the batches (log-output.ts). */
  line(level: number, msg: string, fields?: LogFields): string {
    const prefix = this.prefix[level];
    if (level < this.threshold || prefix === undefined) return '';
    return this.format(prefix, jsonString(msg), fieldsJson(fields), this.clock());
  }

  private append(line: string): void {
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
}

/** `,"key":value` for every defined field. */
function fieldsJson(fields: LogFields | undefined): string {
  let extra = '';
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value === undefined) continue;
      extra += ',' + jsonString(key) + ':' + serialize(value);
    }
  }
  return extra;
}

function serialize(value: LogValue): string {
  if (typeof value === 'string') return jsonString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (value instanceof Error) return JSON.stringify({ name: value.name, message: value.message, stack: value.stack });
  return JSON.stringify(value) ?? 'null';
}
