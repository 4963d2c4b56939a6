// Trace and span ids: lowercase hex of the W3C lengths, unique over many draws (the pool
// refills without repeating itself), and an all-zero draw is never handed out.
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { IdPool, newSpanId, newTraceId } from '../../src/trace/ids.js';

const COUNT = 100_000;

function assertHexIds(make: () => string, length: number): void {
  const pattern = new RegExp(`^[0-9a-f]{${length}}$`);
  const seen = new Set<string>();
  for (let i = 0; i < COUNT; i++) {
    const id = make();
    if (!pattern.test(id)) assert.fail(`id ${JSON.stringify(id)} is not ${length} lowercase hex digits`);
    seen.add(id);
  }
  assert.equal(seen.size, COUNT, 'ids repeat');
}

describe('ids', () => {
  test(`trace ids are 32 lowercase hex digits, ${COUNT} of them all different`, () => {
    assertHexIds(newTraceId, 32);
  });

  test(`span ids are 16 lowercase hex digits, ${COUNT} of them all different`, () => {
    assertHexIds(newSpanId, 16);
  });

  test('each id takes the next unused bytes of the pool, in order, as hex', () => {
    const pool = new IdPool((bytes) => {
      for (let i = 0; i < bytes.length; i++) bytes[i] = i & 0xff;
    });
    assert.equal(pool.traceId(), '000102030405060708090a0b0c0d0e0f');
    assert.equal(pool.spanId(), '1011121314151617');
    assert.equal(pool.spanId(), '18191a1b1c1d1e1f');
    assert.equal(pool.traceId(), '202122232425262728292a2b2c2d2e2f');
  });

  test('an all-zero trace id is skipped', () => {
    // The first fill zeroes 40 bytes: the first two 16-byte draws are all zero.
    let fills = 0;
    const pool = new IdPool((bytes) => {
      randomFillSync(bytes);
      if (fills++ === 0) bytes.fill(0, 0, 40);
    });
    const traceId = pool.traceId();
    assert.notEqual(traceId, '0'.repeat(32));
    assert.match(traceId, /^[0-9a-f]{32}$/);
  });

  test('an all-zero span id is skipped', () => {
    // The first fill zeroes 20 bytes: the first two 8-byte draws are all zero.
    let fills = 0;
    const pool = new IdPool((bytes) => {
      randomFillSync(bytes);
      if (fills++ === 0) bytes.fill(0, 0, 20);
    });
    const spanId = pool.spanId();
    assert.notEqual(spanId, '0'.repeat(16));
    assert.match(spanId, /^[0-9a-f]{16}$/);
  });

  test('the pool refills when used up: ids keep coming and keep differing', () => {
    let fills = 0;
    const pool = new IdPool((bytes) => {
      fills++;
      randomFillSync(bytes);
    });
    const seen = new Set<string>();
    // 65536-byte pool: 9000 trace ids take 144000 bytes, so three fills.
    for (let i = 0; i < 9000; i++) seen.add(pool.traceId());
    assert.equal(seen.size, 9000);
    assert.equal(fills, 3);
  });
});
