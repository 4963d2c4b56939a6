// The protobuf writer's bytes against the wire format worked out by hand (protobuf.dev,
// "Encoding"): varints and int64, fixed64 and doubles little end first, strings as UTF-8,
// bytes from hex, and nested messages whose length needs one, two or three bytes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtoWriter } from '../../src/platform/proto-writer.js';

const bytes = (write: (w: ProtoWriter) => unknown): number[] => {
  const w = new ProtoWriter(16);
  write(w);
  return [...w.finish()];
};

describe('ProtoWriter', () => {
  test('varints: small, multi-byte, beyond 2^32, beyond 2^53 (bigint), negative int64 as 10 bytes', () => {
    assert.deepEqual(bytes((w) => w.varint(1)), [1]);
    assert.deepEqual(bytes((w) => w.varint(300)), [0xac, 0x02]);
    assert.deepEqual(bytes((w) => w.varint(2 ** 32 - 1)), [0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert.deepEqual(bytes((w) => w.varint(2 ** 35)), [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    assert.deepEqual(bytes((w) => w.varint(2n ** 63n)), [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    assert.deepEqual(bytes((w) => w.varint(-1)), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    // Not a whole number: refused, never truncated or looped on.
    for (const bad of [1.5, -1.5, 2 ** 32 + 0.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => new ProtoWriter().varint(bad), RangeError, String(bad));
  });

  test('truncate takes back what was written after a size; reset empties', () => {
    const w = new ProtoWriter().varint(300);
    const size = w.size;
    w.string(1, 'half a message').truncate(size);
    assert.deepEqual([...w.finish()], [0xac, 0x02]);
    assert.equal(w.reset().size, 0);
  });

  test('int64: zero, past 2^32, negative small and large as ten bytes of two\'s complement', () => {
    assert.deepEqual(bytes((w) => w.int64(0)), [0]);
    assert.deepEqual(bytes((w) => w.int64(5_000_000_000)), [0x80, 0xe4, 0x97, 0xd0, 0x12]);
    assert.deepEqual(bytes((w) => w.int64(-2)), [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    // -2^53 + 1 = 0xFFE0_0000_0000_0001
    assert.deepEqual(bytes((w) => w.int64(-(2 ** 53) + 1)), [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0xf0, 0xff, 0x01]);
  });

  test('fixed64 from two words and doubles: eight bytes, little end first, after a key of wire type 1', () => {
    assert.deepEqual(bytes((w) => w.fixed64(7, 0x04030201, 0x08070605)), [0x39, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(bytes((w) => w.double(4, 1.5)), [0x21, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
    assert.deepEqual(bytes((w) => w.double(4, 0)), [0x21, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('bytes from hex: upper and lower case, a length prefix, nothing else', () => {
    assert.deepEqual(bytes((w) => w.hexBytes(2, '00f067AA0ba902b7')), [0x12, 8, 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]);
    assert.deepEqual(bytes((w) => w.hexBytes(2, '')), [0x12, 0]);
  });

  test('strings: empty, ASCII, multi-byte UTF-8 (short and long), and a length past 127 bytes', () => {
    assert.deepEqual(bytes((w) => w.string(1, '')), [0x0a, 0]);
    assert.deepEqual(bytes((w) => w.string(1, 'hi')), [0x0a, 2, 0x68, 0x69]);
    assert.deepEqual(bytes((w) => w.string(1, 'é☕🚀')), [0x0a, 9, 0xc3, 0xa9, 0xe2, 0x98, 0x95, 0xf0, 0x9f, 0x9a, 0x80]);
    const long = `${'☕'.repeat(50)}!`; // 151 bytes: the long path, a two-byte length
    assert.deepEqual(bytes((w) => w.string(1, long)), [0x0a, 0x97, 0x01, ...Buffer.from(long, 'utf8')]);
    const ascii = bytes((w) => w.string(6, 'x'.repeat(200)));
    assert.deepEqual(ascii.slice(0, 3), [0x32, 0xc8, 0x01]);
    assert.equal(ascii.length, 203);
  });

  test('nested messages: one-, two- and three-byte lengths, nested in each other, fields after them in place', () => {
    assert.deepEqual(bytes((w) => w.message(1, () => {})), [0x0a, 0]);
    assert.deepEqual(bytes((w) => w.message(1, (m) => m.uint(1, 150)).uint(2, 1)), [0x0a, 3, 0x08, 0x96, 0x01, 0x10, 1]);
    const inner = 'y'.repeat(20_000);
    const out = bytes((w) => {
      const outer = w.begin(3);
      w.uint(1, 1);
      const middle = w.begin(2);
      w.string(1, inner);
      w.end(middle).end(outer).uint(4, 5);
    });
    // The string field: 1 + 3 + 20_000 = 20_004 bytes; outer: 2 (the uint) + 1 + 3 (middle's key and length) + 20_004 = 20_010.
    assert.deepEqual(out.slice(0, 4), [0x1a, 0xaa, 0x9c, 0x01]);
    assert.deepEqual(out.slice(4, 10), [0x08, 1, 0x12, 0xa4, 0x9c, 0x01]);
    assert.deepEqual(out.slice(10, 14), [0x0a, 0xa0, 0x9c, 0x01]);
    assert.equal(out.slice(14, 14 + 20_000).every((b) => b === 0x79), true);
    assert.deepEqual(out.slice(14 + 20_000), [0x20, 5]);
  });

  test('packed varints: one length-delimited field; none when empty', () => {
    assert.deepEqual(bytes((w) => w.packed(4, [3, 270, 86942])), [0x22, 6, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]);
    assert.deepEqual(bytes((w) => w.packed(4, [])), []);
  });
});
