// A minimal protobuf writer for what pprof's profile.proto and OTLP's trace.proto need:
// varints (int64 too), fixed64, doubles, strings, bytes from hex and nested messages.
// Everything goes into one growing Buffer: a nested message reserves one byte for its
// length and is moved up only in the rare case its length needs more, so nothing is
// encoded twice and no field allocates. Numbers past 2^31 are split arithmetically
// (bitwise ops would truncate them); 64-bit values travel as two 32-bit words.

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const TWO_32 = 0x1_0000_0000;
/** A string this short is at most 126 bytes of UTF-8: its length fits the one byte reserved. */
const SHORT_STRING = 42;

/** A hex digit's value by char code; 0 for anything else (ids are checked upstream). */
const HEX_VALUES = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX_VALUES[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUES[97 + i] = 10 + i;
  HEX_VALUES[65 + i] = 10 + i;
}

export class ProtoWriter {
  private bytes: Buffer;
  private length = 0;

  /** `capacity`: the bytes expected, so that a large message grows its buffer rarely. */
  constructor(capacity = 256) {
    this.bytes = Buffer.allocUnsafe(Math.max(16, capacity));
  }

  /** A non-negative integer (up to 2^53) or any int64 as a bigint. */
  varint(value: number | bigint): this {
    if (typeof value === 'bigint') {
      const big = BigInt.asUintN(64, value);
      return this.varint64(Number(big & 0xffff_ffffn), Number(big >> 32n));
    }
    this.reserve(8);
    const bytes = this.bytes;
    let at = this.length;
    if (value >>> 0 === value) {
      while (value > 0x7f) {
        bytes[at++] = (value & 0x7f) | 0x80;
        value >>>= 7;
      }
      bytes[at] = value;
      this.length = at + 1;
      return this;
    }
    if (!Number.isInteger(value)) throw new RangeError(`a varint must be a whole number, not ${value}`);
    if (value < 0 || !Number.isSafeInteger(value)) return this.int64(value);
    while (value >= 0x80) {
      bytes[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    bytes[at++] = value;
    this.length = at;
    return this;
  }

  /** A whole number as an int64 varint: a negative one is ten bytes of two's complement. */
  int64(value: number): this {
    if (value >= 0 && value < TWO_32) return this.varint(value);
    if (!Number.isSafeInteger(value)) return this.varint(BigInt(Math.trunc(value)));
    const high = Math.floor(value / TWO_32);
    return this.varint64(value - high * TWO_32, high >>> 0);
  }

  /** A field's key: its number and wire type (one byte for fields 1 to 15). */
  tag(field: number, wireType: number): this {
    const key = field * 8 + wireType;
    if (key >= 0x80) return this.varint(key);
    this.reserve(1);
    this.bytes[this.length++] = key;
    return this;
  }

  /** A varint field; proto3 leaves zero values out. */
  uint(field: number, value: number | bigint): this {
    if (value === 0 || value === 0n) return this;
    return this.tag(field, VARINT).varint(value);
  }

  /** A fixed64 field from its two 32-bit words (unsigned, little end first on the wire). */
  fixed64(field: number, low: number, high: number): this {
    this.tag(field, FIXED64).reserve(8);
    this.bytes.writeUInt32LE(low, this.length);
    this.bytes.writeUInt32LE(high, this.length + 4);
    this.length += 8;
    return this;
  }

  /** A double field (written even when 0: callers use it within a oneof). */
  double(field: number, value: number): this {
    this.tag(field, FIXED64).reserve(8);
    this.length = this.bytes.writeDoubleLE(value, this.length);
    return this;
  }

  /** A length-delimited field with raw bytes (an empty one is still written). */
  raw(field: number, data: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED).varint(data.length);
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** Bytes already encoded (fields written by another writer), copied as they are. */
  append(encoded: Uint8Array): this {
    this.reserve(encoded.length);
    this.bytes.set(encoded, this.length);
    this.length += encoded.length;
    return this;
  }

  /** A bytes field from an even number of hex digits (ids), written straight in. */
  hexBytes(field: number, hex: string): this {
    const size = hex.length >>> 1;
    this.tag(field, LENGTH_DELIMITED).varint(size).reserve(size);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < hex.length - 1; i += 2) {
      bytes[at++] = (HEX_VALUES[hex.charCodeAt(i) & 0x7f] as number) * 16 + (HEX_VALUES[hex.charCodeAt(i + 1) & 0x7f] as number);
    }
    this.length = at;
    return this;
  }

  /** A string field as UTF-8 (an empty one is still written). */
  string(field: number, text: string): this {
    const chars = text.length;
    const key = field * 8 + LENGTH_DELIMITED;
    if (chars <= SHORT_STRING && key < 0x80) {
      // The common case in one reservation: a one-byte key, a one-byte length, the text.
      this.reserve(2 + chars * 3);
      this.bytes[this.length++] = key;
      const start = this.length + 1;
      const size = this.utf8(text, start);
      this.bytes[this.length] = size;
      this.length = start + size;
      return this;
    }
    this.tag(field, LENGTH_DELIMITED);
    const size = Buffer.byteLength(text, 'utf8');
    this.varint(size).reserve(size);
    this.length += this.bytes.write(text, this.length, size, 'utf8');
    return this;
  }

  /**
   * Opens a nested message: its fields follow, then end() with what this returned.
   * Nests to any depth; writes nothing twice.
   */
  begin(field: number): number {
    const key = field * 8 + LENGTH_DELIMITED;
    if (key >= 0x80) this.varint(key).reserve(1);
    else {
      // The key and the length byte in one reservation.
      this.reserve(2);
      this.bytes[this.length++] = key;
    }
    return this.length++;
  }

  /** Closes the message begin() opened at `mark`: writes its length before it. */
  end(mark: number): this {
    const start = mark + 1;
    const size = this.length - start;
    if (size < 0x80) {
      this.bytes[mark] = size;
      return this;
    }
    // The length needs more than the byte reserved: move the message up to make room.
    const extra = varintSize(size) - 1;
    this.reserve(extra);
    this.bytes.copyWithin(start + extra, start, this.length);
    const end = this.length + extra;
    this.length = mark;
    this.varint(size);
    this.length = end;
    return this;
  }

  /** A nested message, written by `body` (handed this writer) between begin() and end(). */
  message(field: number, body: (w: ProtoWriter) => void): this {
    const mark = this.begin(field);
    body(this);
    return this.end(mark);
  }

  /** A packed repeated varint field (left out when empty). */
  packed(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const mark = this.begin(field);
    for (const value of values) this.varint(value);
    return this.end(mark);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.length;
  }

  /** Drops what was written after `size` bytes (a message that could not be finished). */
  truncate(size: number): this {
    if (size >= 0 && size < this.length) this.length = size;
    return this;
  }

  /** Empties the writer, keeping its buffer for the next message. */
  reset(): this {
    this.length = 0;
    return this;
  }

  /** The message so far: a view on the writer's buffer, not a copy. */
  finish(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  /** A varint from an unsigned 64-bit value's two 32-bit words. */
  private varint64(low: number, high: number): this {
    this.reserve(10);
    const bytes = this.bytes;
    let at = this.length;
    while (high !== 0 || low > 0x7f) {
      bytes[at++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    bytes[at++] = low;
    this.length = at;
    return this;
  }

  /** Writes a short string at `at` (room for 3 bytes a char is reserved); returns its size. */
  private utf8(text: string, at: number): number {
    const bytes = this.bytes;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      // Anything but ASCII is left to Node's encoder (surrogate pairs, lone surrogates).
      if (code >= 0x80) return bytes.write(text, at, 'utf8');
      bytes[at + i] = code;
    }
    return text.length;
  }

  private reserve(extra: number): this {
    if (this.length + extra <= this.bytes.length) return this;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + extra));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
    return this;
  }
}

/** How many bytes the varint of a non-negative safe integer takes. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}
