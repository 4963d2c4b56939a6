// Writing a log line's pieces straight into a Buffer, byte by byte, in JavaScript.
// Concatenating the line into a string and encoding it with Buffer#write cost about 2 us
// per access-log line on Node 20 (the rope is flattened, then crosses into C++); these
// loops write the same bytes in a fraction of that and allocate nothing.

/** Copies pre-encoded bytes (a few dozen at most: a JS loop beats TypedArray#set here). */
export function copyBytes(buf: Buffer, pos: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i]!;
  return pos;
}

/**
 * Writes a string that needs no JSON escaping and is printable ASCII (0x20-0x7e but for
 * `"` and `\`), and returns the end; returns -1 at the first other character, having
 * written some of it (the caller abandons the line and takes the slow path).
 */
export function writePlainAscii(buf: Buffer, pos: number, value: string): number {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 /* " */ || c === 0x5c /* \ */) return -1;
    buf[pos++] = c;
  }
  return pos;
}

/** Integers below this divide by 10 exactly enough for floor() (the quotient's error is
 *  far below 0.1); larger ones are written through String(). */
const FAST_INTEGER_LIMIT = 1e15;

/** Writes a number as String(value) would; non-negative integers without a string. */
export function writeNumber(buf: Buffer, pos: number, value: number): number {
  if (!(value >= 0 && value < FAST_INTEGER_LIMIT && Math.floor(value) === value)) {
    // Fractions, negatives, NaN: rare here, and their text is always ASCII.
    const text = String(value);
    for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
    return pos;
  }
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let end = pos + digits;
  let rest = value;
  do {
    const next = Math.floor(rest / 10);
    buf[--end] = 48 + rest - next * 10;
    rest = next;
  } while (rest > 0);
  return pos + digits;
}

/**
 * Writes Math.round(value * 1000) / 1000 as String() would (`12`, `0.5`, `3.141`): a
 * millisecond duration to the microsecond, from its integer count of thousandths.
 */
export function writeThousandths(buf: Buffer, pos: number, value: number): number {
  const thousandths = Math.round(value * 1000);
  if (!(thousandths >= 0 && thousandths < FAST_INTEGER_LIMIT)) return writeNumber(buf, pos, thousandths / 1000);
  const whole = Math.floor(thousandths / 1000);
  let fraction = thousandths - whole * 1000;
  pos = writeNumber(buf, pos, whole);
  if (fraction === 0) return pos;
  buf[pos++] = 46; /* . */
  buf[pos++] = 48 + Math.floor(fraction / 100);
  fraction %= 100;
  if (fraction === 0) return pos;
  buf[pos++] = 48 + Math.floor(fraction / 10);
  fraction %= 10;
  if (fraction !== 0) buf[pos++] = 48 + fraction;
  return pos;
}
