// Structured JSON lines, pino-compatible core fields (level number, time, pid, hostname,
// msg), built by string concatenation and handed to the line batch (line-batch.ts), or
// (the access log's) begun here and written into the batch in place. A disabled level
// returns before building anything.
import { hostname } from 'node:os';
import { copyBytes, writeNumber } from './ascii-bytes.js';
import { fieldsJson, jsonString, type LogFields } from './json-fields.js';
import { LEVEL_NUMBERS, type LogLevel } from './levels.js';
import { LineBatch, type LogSink } from './line-batch.js';

/** Room for the time field: String() of any clock value (a negative float at worst). */
const MAX_TIME_DIGITS = 32;

export class Logger {
  readonly threshold: number;
  /** Where every line goes; the access log writes into it directly. */
  readonly lines: LineBatch;
  private readonly prefix: Record<number, string> = {};
  private readonly suffix: string;
  /** The same head pieces, encoded once, for lines written in place. */
  private readonly prefixBytes: Record<number, Buffer> = {};
  private readonly suffixBytes: Buffer;

  constructor(
    level: LogLevel,
    sink: LogSink,
    private readonly clock: () => number = Date.now,
  ) {
    this.threshold = LEVEL_NUMBERS[level];
    this.lines = new LineBatch(sink);
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
    this.lines.append(this.format(prefix, msgJson, jsonFields, time));
  }

  private format(prefix: string, msgJson: string, jsonFields: string, time: number): string {
    return prefix + time + this.suffix + ',"msg":' + msgJson + jsonFields + '}\n';
  }

  /** The logger's wall clock (Date.now unless a test injected another). */
  now(): number {
    return this.clock();
  }

  /**
   * Starts a line the caller encodes in place (the access log's): writes the common head
   * (`{"level":..,"time":..,"pid":..,"hostname":..`) into `lines.lineBuffer` and returns
   * the offset after it. The caller writes at most `restBytes` more (`,"msg":..` through
   * `}\n`) and passes the end to `lines.endLine`. Returns -1 when the level is disabled or
   * the line could not fit a batch; a caller that gives up simply never calls endLine.
   */
  beginLine(level: number, restBytes: number, time: number): number {
    const head = this.prefixBytes[level];
    if (level < this.threshold || head === undefined) return -1;
    const lines = this.lines;
    const start = lines.beginLine(head.length + MAX_TIME_DIGITS + this.suffixBytes.length + restBytes);
    if (start < 0) return -1;
    const batch = lines.lineBuffer;
    let pos = copyBytes(batch, start, head);
    pos = writeNumber(batch, pos, time);
    return copyBytes(batch, pos, this.suffixBytes);
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

  /** Writes every line logged so far to the sink now (before exit, and in tests). */
  flush(): void {
    this.lines.flush();
  }
}
