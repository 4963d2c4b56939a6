// RESP2/RESP3 (the Redis protocol): an incremental parser for replies and the encoder for
// commands.
//
// The parser reads straight from the chunk it is fed, with indexes. Completed elements of
// an open aggregate live on a stack of frames, so only the one incomplete leaf (a line, or a
// bulk and its header) is ever held as bytes, and it is bounded by the limits: a bulk's
// length is checked on its header, before its bytes arrive; a line without its CRLF is
// checked as it grows. Held chunks are joined once, when the leaf can complete: a bulk when
// its last byte has arrived, a line when a CR has.
//
// Chunks are kept by reference while incomplete (a socket never reuses one). The bulk
// strings handed out are copies, so they do not pin a whole chunk in memory; except one
// that fills most of a buffer the parser joined itself (a large value that came in many
// chunks), which is its own already and is not copied twice.
import {
  RedisError,
  RespProtocolError,
  RespPush,
  type RespMap,
  type RespParserOptions,
  type RespValue,
} from './resp-types.js';

export { RedisError, RespProtocolError, RespPush, type RespMap, type RespParserOptions, type RespValue } from './resp-types.js';

const CR = 13;
const LF = 10;

const SIMPLE_STRING = 43; // +
const SIMPLE_ERROR = 45; // -
const INTEGER = 58; // :
const BULK_STRING = 36; // $
const ARRAY = 42; // *
const NULL = 95; // _
const BOOLEAN = 35; // #
const DOUBLE = 44; // ,
const BIG_NUMBER = 40; // (
const BULK_ERROR = 33; // !
const VERBATIM = 61; // =
const MAP = 37; // %
const SET = 126; // ~
const ATTRIBUTE = 124; // |
const PUSH = 62; // >

const MINUS = 45;
const PLUS = 43;
const COLON = 58;

/** The longest length header accepted: ten digits already exceed any limit we take. */
const MAX_LENGTH_DIGITS = 10;
/** Digits a double can hold exactly: a shorter integer is summed as a number. */
const EXACT_DIGITS = 15;

/** An aggregate being filled: its type byte, the elements so far, how many are still to come. */
interface Frame {
  readonly type: number;
  readonly items: RespValue[];
  remaining: number;
}

function protocolError(what: string): RespProtocolError {
  return new RespProtocolError(`RESP: ${what}`);
}

/** An integer line (':'), with its sign; beyond the safe range it is a bigint. */
function readInteger(buf: Buffer, start: number, end: number): number | bigint {
  let i = start;
  const sign = buf[i];
  if (sign === MINUS || sign === PLUS) i++;
  if (i === end) throw protocolError('an integer without digits');
  let n = 0;
  for (let j = i; j < end; j++) {
    const digit = (buf[j] ?? 0) - 48;
    if (digit < 0 || digit > 9) throw protocolError(`an integer that is not one: ${JSON.stringify(buf.toString('latin1', start, end))}`);
    n = n * 10 + digit;
  }
  if (end - i > EXACT_DIGITS) {
    const big = BigInt(buf.toString('latin1', start, end));
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  return sign === MINUS && n !== 0 ? -n : n;
}

/** A length header: digits up to `max`, or -1 where a null is allowed. */
function readLength(buf: Buffer, start: number, end: number, max: number, nullable: boolean): number {
  if (nullable && end - start === 2 && buf[start] === MINUS && buf[start + 1] === 49) return -1;
  if (start === end || end - start > MAX_LENGTH_DIGITS) throw protocolError(`a bad length: ${JSON.stringify(buf.toString('latin1', start, end))}`);
  let n = 0;
  for (let j = start; j < end; j++) {
    const digit = (buf[j] ?? 0) - 48;
    if (digit < 0 || digit > 9) throw protocolError(`a bad length: ${JSON.stringify(buf.toString('latin1', start, end))}`);
    n = n * 10 + digit;
  }
  if (n > max) throw protocolError(`a length of ${n} is over the limit of ${max}`);
  return n;
}

/** A double line (','): decimal or exponent notation, inf, -inf, nan. */
function readDouble(buf: Buffer, start: number, end: number): number {
  const text = buf.toString('latin1', start, end);
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  if (text === 'nan' || text === '-nan') return NaN;
  for (let j = start; j < end; j++) {
    const c = buf[j] ?? 0;
    // Number() alone would take '', ' 1', '0x1f' and 'Infinity'.
    if (!((c >= 48 && c <= 57) || c === PLUS || c === MINUS || c === 46 || c === 101 || c === 69)) throw protocolError(`a double that is not one: ${JSON.stringify(text)}`);
  }
  const n = text === '' ? NaN : Number(text);
  if (Number.isNaN(n)) throw protocolError(`a double that is not one: ${JSON.stringify(text)}`);
  return n;
}

/** A big number line ('('): an optional sign, then digits. */
function readBigNumber(buf: Buffer, start: number, end: number): bigint {
  let i = start;
  if (buf[i] === MINUS || buf[i] === PLUS) i++;
  let digits = i < end;
  for (let j = i; j < end && digits; j++) digits = (buf[j] ?? 0) >= 48 && (buf[j] ?? 0) <= 57;
  if (!digits) throw protocolError(`a big number that is not one: ${JSON.stringify(buf.toString('latin1', start, end))}`);
  return BigInt(buf.toString('latin1', start, end));
}

function mapKey(key: RespValue): string {
  if (typeof key === 'string') return key;
  if (Buffer.isBuffer(key)) return key.toString('utf8');
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  throw protocolError('a map key that is not a string or a number');
}

/** The finished value of an aggregate, from its type and elements. */
function aggregateOf(type: number, items: RespValue[]): RespValue {
  if (type === PUSH) return new RespPush(items);
  if (type !== MAP) return items;
  const map: RespMap = new Map();
  for (let i = 0; i < items.length; i += 2) map.set(mapKey(items[i] ?? null), items[i + 1] ?? null);
  return map;
}

export class RespParser {
  readonly #onValue: (value: RespValue) => void;
  readonly #maxBulkBytes: number;
  readonly #maxAggregateLength: number;
  readonly #maxDepth: number;
  readonly #maxLineBytes: number;
  readonly #maxReplyBytes: number;
  readonly #stack: Frame[] = [];
  /** Bytes of the open aggregates' finished elements and headers (the top-level value so far). */
  #replyBytes = 0;
  /** The incomplete leaf's bytes, from its type byte, in the chunks they came in. */
  #pending: Buffer[] = [];
  #pendingLength = 0;
  /** The held leaf is a line still waiting for its CR (else a bulk waiting for #needed bytes). */
  #awaitingLine = false;
  #needed = 0;
  #failed = false;
  /** The buffer being parsed was joined here from held chunks: nobody else refers to it. */
  #joined = false;

  constructor(options: RespParserOptions, onValue: (value: RespValue) => void) {
    this.#onValue = onValue;
    this.#maxBulkBytes = options.maxBulkBytes;
    this.#maxAggregateLength = options.maxAggregateLength ?? 1_048_576;
    this.#maxDepth = options.maxDepth ?? 32;
    this.#maxLineBytes = options.maxLineBytes ?? 64 * 1024;
    this.#maxReplyBytes = options.maxReplyBytes ?? Math.max(64 * 1024 * 1024, 2 * options.maxBulkBytes);
  }

  /** Bytes held for an incomplete value. */
  get pendingBytes(): number {
    return this.#pendingLength;
  }

  /** Feeds bytes as they arrive (split anywhere); calls onValue once per complete top-level value, in order. Throws RespProtocolError (or what onValue threw); after a throw the parser is unusable. */
  feed(chunk: Buffer): void {
    if (this.#failed) throw protocolError('the parser failed earlier: drop the connection');
    if (chunk.length === 0) return;
    let buf = chunk;
    if (this.#pendingLength > 0) {
      const total = this.#pendingLength + chunk.length;
      if (this.#awaitingLine ? !this.#lineMayEnd(chunk) : total < this.#needed) {
        // The leaf cannot complete yet: hold the chunk without joining.
        this.#pending.push(chunk);
        this.#pendingLength = total;
        if (this.#awaitingLine && total - 1 > this.#maxLineBytes) this.#fail(protocolError(`a line over ${this.#maxLineBytes} bytes`));
        if (this.#replyBytes + total > this.#maxReplyBytes) this.#fail(this.#tooLarge());
        return;
      }
      this.#pending.push(chunk);
      buf = Buffer.concat(this.#pending, total);
      this.#pending = [];
      this.#pendingLength = 0;
    }
    this.#joined = buf !== chunk;
    try {
      this.#parse(buf);
    } catch (error) {
      this.#fail(error);
    }
  }

  #tooLarge(): RespProtocolError {
    return protocolError(`a reply over ${this.#maxReplyBytes} bytes`);
  }

  #fail(error: unknown): never {
    this.#failed = true;
    this.#pending = [];
    this.#pendingLength = 0;
    throw error;
  }

  /** A CR in the new chunk, or one held at the very end, may finish the held line. */
  #lineMayEnd(chunk: Buffer): boolean {
    const last = this.#pending[this.#pending.length - 1];
    return chunk.indexOf(CR) !== -1 || (last !== undefined && last[last.length - 1] === CR);
  }

  #hold(buf: Buffer, start: number, awaitingLine: boolean, needed: number): void {
    this.#pending = [buf.subarray(start)];
    this.#pendingLength = buf.length - start;
    this.#awaitingLine = awaitingLine;
    this.#needed = needed;
  }

  #parse(buf: Buffer): void {
    const end = buf.length;
    const maxLine = this.#maxLineBytes;
    let pos = 0;
    while (pos < end) {
      const start = pos;
      const type = buf[pos] ?? 0;
      const lineStart = pos + 1;
      const cr = buf.indexOf(CR, lineStart);
      if (cr === -1 || cr + 1 === end) {
        if ((cr === -1 ? end : cr) - lineStart > maxLine) throw protocolError(`a line over ${maxLine} bytes`);
        this.#hold(buf, start, true, 0);
        return;
      }
      if (cr - lineStart > maxLine) throw protocolError(`a line over ${maxLine} bytes`);
      if (buf[cr + 1] !== LF) throw protocolError('a CR without its LF');
      pos = cr + 2;
      let value: RespValue;
      switch (type) {
        case SIMPLE_STRING:
          value = buf.toString('utf8', lineStart, cr);
          break;
        case SIMPLE_ERROR:
          value = new RedisError(buf.toString('utf8', lineStart, cr));
          break;
        case INTEGER:
          value = readInteger(buf, lineStart, cr);
          break;
        case NULL:
          if (cr !== lineStart) throw protocolError('a null with content');
          value = null;
          break;
        case BOOLEAN: {
          const flag = buf[lineStart];
          if (cr - lineStart !== 1 || (flag !== 116 && flag !== 102)) throw protocolError('a boolean that is not #t or #f');
          value = flag === 116;
          break;
        }
        case DOUBLE:
          value = readDouble(buf, lineStart, cr);
          break;
        case BIG_NUMBER:
          value = readBigNumber(buf, lineStart, cr);
          break;
        case BULK_STRING:
        case BULK_ERROR:
        case VERBATIM: {
          const length = readLength(buf, lineStart, cr, this.#maxBulkBytes, type === BULK_STRING);
          if (length === -1) {
            value = null;
            break;
          }
          const stop = pos + length;
          if (stop + 2 > end) {
            if (this.#replyBytes + stop + 2 - start > this.#maxReplyBytes) throw this.#tooLarge();
            this.#hold(buf, start, false, stop + 2 - start);
            return;
          }
          if (buf[stop] !== CR || buf[stop + 1] !== LF) throw protocolError('a bulk string without its CRLF');
          value = this.#bulk(type, buf, pos, stop);
          pos = stop + 2;
          break;
        }
        case ARRAY:
        case SET:
        case MAP:
        case ATTRIBUTE:
        case PUSH: {
          const length = readLength(buf, lineStart, cr, this.#maxAggregateLength, type === ARRAY);
          if (length === -1) {
            value = null;
            break;
          }
          if (this.#stack.length >= this.#maxDepth) throw protocolError(`aggregates nested deeper than ${this.#maxDepth}`);
          if (type === PUSH && this.#stack.length > 0) throw protocolError('a push inside an aggregate');
          const remaining = type === MAP || type === ATTRIBUTE ? length * 2 : length;
          if (remaining > 0) {
            this.#stack.push({ type, items: [], remaining });
            this.#replyBytes += pos - start;
            continue;
          }
          if (type === ATTRIBUTE) continue;
          value = aggregateOf(type, []);
          break;
        }
        default:
          throw protocolError(`an unknown type byte 0x${type.toString(16).padStart(2, '0')}`);
      }
      if (this.#stack.length > 0 && (this.#replyBytes += pos - start) > this.#maxReplyBytes) throw this.#tooLarge();
      this.#complete(value);
    }
  }

  #bulk(type: number, buf: Buffer, start: number, stop: number): RespValue {
    if (type === BULK_ERROR) return new RedisError(buf.toString('utf8', start, stop));
    if (type === VERBATIM) {
      // Three bytes of format (txt, mkd) and a colon come before the text.
      if (stop - start < 4 || buf[start + 3] !== COLON) throw protocolError('a verbatim string without its format');
      return buf.toString('utf8', start + 4, stop);
    }
    if (this.#joined && (stop - start) * 2 >= buf.length) return buf.subarray(start, stop);
    const copy = Buffer.allocUnsafe(stop - start);
    buf.copy(copy, 0, start, stop);
    return copy;
  }

  /** Adds a finished value to the open aggregate, closing those it fills, or hands it out. */
  #complete(value: RespValue): void {
    const stack = this.#stack;
    for (;;) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) {
        this.#replyBytes = 0;
        this.#onValue(value);
        return;
      }
      frame.items.push(value);
      if (--frame.remaining > 0) return;
      stack.pop();
      // An attribute describes the value after it and is dropped.
      if (frame.type === ATTRIBUTE) return;
      value = aggregateOf(frame.type, frame.items);
    }
  }
}

/** A command as RESP2/3 clients send it: an array of bulk strings. */
export function encodeCommand(args: readonly (string | Buffer | number)[]): Buffer {
  const texts: (string | Buffer)[] = new Array<string | Buffer>(args.length);
  const lengths: number[] = new Array<number>(args.length);
  let total = 3 + String(args.length).length;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const text = typeof arg === 'number' ? numberText(arg) : arg;
    const length = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
    texts[i] = text;
    lengths[i] = length;
    total += 5 + String(length).length + length;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = out.write(`*${args.length}\r\n`, 0, 'latin1');
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i] ?? '';
    pos += out.write(`$${lengths[i] ?? 0}\r\n`, pos, 'latin1');
    pos += typeof text === 'string' ? out.write(text, pos, 'utf8') : text.copy(out, pos);
    out[pos++] = CR;
    out[pos++] = LF;
  }
  return out;
}

/** Redis reads +inf and -inf as scores; NaN is no number it takes. */
function numberText(n: number): string {
  if (n === Infinity) return '+inf';
  if (n === -Infinity) return '-inf';
  if (Number.isNaN(n)) throw new RangeError('a NaN argument: Redis takes no NaN');
  return String(n);
}
