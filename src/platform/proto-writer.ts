// A minimal protobuf writer: varints and length-delimited fields are all profile.proto
// needs. Numbers above 2^31 are split arithmetically (bitwise ops would truncate them);
// negative int64 and values past 2^53 go through BigInt as 10-byte two's complement.

const VARINT = 0;
const LENGTH_DELIMITED = 2;

export class ProtoWriter {
  private bytes = new Uint8Array(256);
  private length = 0;

  /** A non-negative integer (up to 2^53) or any int64 as a bigint. */
  varint(value: number | bigint): this {
    if (typeof value === 'bigint' || value < 0 || !Number.isSafeInteger(value)) {
      let big = BigInt.asUintN(64, BigInt(value));
      while (big >= 0x80n) {
        this.byte(Number(big & 0x7fn) | 0x80);
        big >>= 7n;
      }
      return this.byte(Number(big));
    }
    while (value >= 0x80) {
      this.byte((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    return this.byte(value);
  }

  /** A varint field; proto3 leaves zero values out. */
  uint(field: number, value: number | bigint): this {
    if (value === 0 || value === 0n) return this;
    return this.varint(field * 8 + VARINT).varint(value);
  }

  /** A length-delimited field with raw bytes (an empty one is still written). */
  raw(field: number, data: Uint8Array): this {
    this.varint(field * 8 + LENGTH_DELIMITED).varint(data.length);
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
    return this;
  }

  string(field: number, text: string): this {
    return this.raw(field, Buffer.from(text, 'utf8'));
  }

  /** A nested message, written by `body` into its own writer. */
  message(field: number, body: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    body(inner);
    return this.raw(field, inner.finish());
  }

  /** A packed repeated varint field (left out when empty). */
  packed(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const value of values) inner.varint(value);
    return this.raw(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  private byte(value: number): this {
    this.reserve(1);
    this.bytes[this.length++] = value;
    return this;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}
