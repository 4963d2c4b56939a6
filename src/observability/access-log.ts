// One JSON line per finished request. A request only stores its fields in preallocated
// slots; the lines are encoded together, byte by byte (ascii-bytes.ts) straight into the
// log's line batch, when RING_SIZE requests have finished or the logger flushes or writes
// any other line (so lines keep their order). Encoding them in one tight loop, rather
// than each line as its request finishes, keeps the encoder and its data in the CPU's
// cache.
// A path that is not plain ASCII, or needs JSON escaping, takes the string path
// (writeRaw) with the same fields.
import { performance } from 'node:perf_hooks';
import type { CacheStatus, RequestContext } from '../http/context.js';
import { copyBytes, writePlainAscii, writeNumber, writeThousandths } from '../log/ascii-bytes.js';
import { jsonString } from '../log/json-fields.js';
import type { LineBatch } from '../log/line-batch.js';
import type { Logger } from '../log/logger.js';

const INFO = 30;
/** Requests whose lines wait to be encoded together; at most 50 ms (the flush timer). */
const RING_SIZE = 256;

const MSG = Buffer.from(',"msg":"request","reqId":"');
const METHOD = Buffer.from('","method":"');
const PATH = Buffer.from('","path":"');
const STATUS = Buffer.from('","status":');
const DURATION = Buffer.from(',"durationMs":');
const BYTES = Buffer.from(',"bytes":');
const CACHE = Buffer.from(',"cache":"');
const REMOTE = Buffer.from(',"remote":"');
const TRACE_ID = Buffer.from(',"trace_id":"');
const SPAN_ID = Buffer.from('","span_id":"');
const END = Buffer.from('}\n');
/** Every constant above, the quotes they open and close, and room for the numbers
 *  (status, durationMs and bytes are at most 24 characters each). */
const FIXED_BYTES =
  MSG.length + METHOD.length + PATH.length + STATUS.length + DURATION.length + BYTES.length +
  CACHE.length + REMOTE.length + TRACE_ID.length + SPAN_ID.length + 1 + 32 + 16 + END.length + 4 + 3 * 24;

/** One finished request's fields, as the line will show them. */
interface Fields {
  id: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  bytes: number;
  cache: CacheStatus;
  remote: string | undefined;
  /** With tracing on (the field names log/trace correlation uses); '' without. */
  traceId: string;
  spanId: string;
  /** Monotonic completion time; the wall-clock time is derived when the line is written. */
  end: number;
}

/** What a line says about a request (a RequestContext has all of it). */
export type AccessLogged = Pick<RequestContext, 'id' | 'method' | 'path' | 'status' | 'bytes' | 'cache' | 'remote' | 'span'>;

export class AccessLog {
  private readonly ring: Fields[] = [];
  private count = 0;
  /** The logger's batch, which the lines are written into in place. */
  private readonly lines: LineBatch;

  constructor(private readonly logger: Logger) {
    this.lines = logger.lines;
    for (let i = 0; i < RING_SIZE; i++) {
      this.ring.push({ id: '', method: '', path: '', status: 0, durationMs: 0, bytes: 0, cache: '', remote: undefined, traceId: '', spanId: '', end: 0 });
    }
    this.lines.setPending(() => this.drain());
  }

  /** `end` is the completion time (performance.now()) the duration was measured to. */
  record(ctx: AccessLogged, durationMs: number, end: number = performance.now()): void {
    if (!this.logger.enabled(INFO)) return;
    const slot = this.ring[this.count++]!; // count < RING_SIZE: a full ring is drained below
    slot.id = ctx.id;
    slot.method = ctx.method;
    slot.path = ctx.path;
    slot.status = ctx.status;
    slot.durationMs = durationMs;
    slot.bytes = ctx.bytes;
    slot.cache = ctx.cache;
    slot.remote = ctx.remote;
    const span = ctx.span;
    slot.traceId = span === undefined ? '' : span.traceId;
    slot.spanId = span === undefined ? '' : span.spanId;
    slot.end = end;
    if (this.count === RING_SIZE) this.drain();
    else if (this.count === 1) this.lines.scheduleFlush();
  }

  /** Encodes every waiting line into the line batch. */
  private drain(): void {
    const count = this.count;
    if (count === 0) return;
    this.count = 0;
    const logger = this.logger;
    const lines = this.lines;
    // Wall-clock milliseconds of a monotonic instant: one clock reading per drain.
    const offset = logger.now() - performance.now();
    for (let i = 0; i < count; i++) {
      const f = this.ring[i]!;
      const time = Math.floor(offset + f.end);
      const rest = FIXED_BYTES + f.id.length + f.method.length + f.path.length + f.cache.length + (f.remote === undefined ? 0 : f.remote.length);
      let pos = logger.beginLine(INFO, rest, time);
      if (pos >= 0) pos = encode(lines.lineBuffer, pos, f);
      if (pos >= 0) lines.endLine(pos);
      else writeSlowly(logger, f, time);
      // Let go of the request's strings now, not when the slot is reused.
      f.id = f.path = f.traceId = f.spanId = '';
      f.remote = undefined;
    }
  }
}

/** The fields after the logger's head; -1 when a string needs escaping. Request ids are
 *  generated or pass RequestIds' SANE_ID check, llhttp accepts only token characters in
 *  methods, and the remote is an IP address: in practice only the path can fail. */
function encode(buf: Buffer, pos: number, f: Fields): number {
  pos = copyBytes(buf, pos, MSG);
  pos = writePlainAscii(buf, pos, f.id);
  if (pos < 0) return -1;
  pos = copyBytes(buf, pos, METHOD);
  pos = writePlainAscii(buf, pos, f.method);
  if (pos < 0) return -1;
  pos = copyBytes(buf, pos, PATH);
  pos = writePlainAscii(buf, pos, f.path);
  if (pos < 0) return -1;
  pos = copyBytes(buf, pos, STATUS);
  pos = writeNumber(buf, pos, f.status);
  pos = copyBytes(buf, pos, DURATION);
  pos = writeThousandths(buf, pos, f.durationMs);
  pos = copyBytes(buf, pos, BYTES);
  pos = writeNumber(buf, pos, f.bytes);
  if (f.cache !== '') {
    pos = copyBytes(buf, pos, CACHE);
    pos = writePlainAscii(buf, pos, f.cache);
    buf[pos++] = 0x22; /* " */
  }
  if (f.remote !== undefined) {
    pos = copyBytes(buf, pos, REMOTE);
    pos = writePlainAscii(buf, pos, f.remote);
    if (pos < 0) return -1;
    buf[pos++] = 0x22; /* " */
  }
  if (f.traceId !== '') {
    pos = copyBytes(buf, pos, TRACE_ID);
    pos = writePlainAscii(buf, pos, f.traceId);
    pos = copyBytes(buf, pos, SPAN_ID);
    pos = writePlainAscii(buf, pos, f.spanId);
    buf[pos++] = 0x22; /* " */
  }
  return copyBytes(buf, pos, END);
}

/** The same line built as a string, for values that need escaping or multi-byte UTF-8. */
function writeSlowly(logger: Logger, f: Fields, time: number): void {
  let fields =
    ',"reqId":' + jsonString(f.id) +
    ',"method":' + jsonString(f.method) +
    ',"path":' + jsonString(f.path) +
    ',"status":' + f.status +
    ',"durationMs":' + Math.round(f.durationMs * 1000) / 1000 +
    ',"bytes":' + f.bytes;
  if (f.cache !== '') fields += ',"cache":"' + f.cache + '"';
  if (f.remote !== undefined) fields += ',"remote":' + jsonString(f.remote);
  if (f.traceId !== '') fields += ',"trace_id":"' + f.traceId + '","span_id":"' + f.spanId + '"';
  logger.writeRaw(INFO, '"request"', fields, time);
}
