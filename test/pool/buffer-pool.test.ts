// BufferPool: counts, reuse, the bounded free list, the disabled pool; and over HTTP, 100
// concurrent exports through a pool of few Buffers all arrive byte-identical (a Buffer
// given back before its write completed would be overwritten by another response).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BufferPool } from '../../src/pool/buffer-pool.js';
import { eventually, request, withApp } from '../helpers/http.js';
import { catalogNdjson, decode } from '../helpers/stream.js';

describe('BufferPool', () => {
  test('a miss allocates a standalone Buffer of bufferBytes', () => {
    const pool = new BufferPool(4096, 2, true);
    const buffer = pool.acquire();
    assert.equal(buffer.length, 4096);
    // Not a slice of Node's shared slab: the whole ArrayBuffer is this Buffer.
    assert.equal(buffer.byteOffset, 0);
    assert.equal(buffer.buffer.byteLength, 4096);
    assert.deepEqual(pool.stats(), { enabled: true, bufferBytes: 4096, maxFree: 2, free: 0, inUse: 1, hits: 0, misses: 1, abandoned: 0 });
  });

  test('a released Buffer is the next one acquired', () => {
    const pool = new BufferPool(1024, 2, true);
    const a = pool.acquire();
    const b = pool.acquire();
    assert.notEqual(a, b);
    pool.release(a);
    assert.deepEqual(pool.stats(), { enabled: true, bufferBytes: 1024, maxFree: 2, free: 1, inUse: 1, hits: 0, misses: 2, abandoned: 0 });
    assert.equal(pool.acquire(), a);
    pool.release(b);
    assert.equal(pool.acquire(), b);
    const stats = pool.stats();
    assert.equal(stats.hits, 2);
    assert.equal(stats.misses, 2);
    assert.equal(stats.inUse, 2);
    assert.equal(stats.free, 0);
  });

  test('the free list never holds more than maxFree', () => {
    const pool = new BufferPool(1024, 3, true);
    const taken = Array.from({ length: 10 }, () => pool.acquire());
    for (const buffer of taken) pool.release(buffer);
    assert.equal(pool.stats().free, 3);
    assert.equal(pool.stats().inUse, 0);
    const again = Array.from({ length: 10 }, () => pool.acquire());
    assert.equal(pool.stats().hits, 3);
    assert.equal(pool.stats().misses, 17);
    assert.equal(new Set(again).size, 10, 'never the same Buffer twice at once');
  });

  test('maxFree 0 keeps nothing', () => {
    const pool = new BufferPool(1024, 0, true);
    const a = pool.acquire();
    pool.release(a);
    assert.notEqual(pool.acquire(), a);
    assert.equal(pool.stats().hits, 0);
    assert.equal(pool.stats().free, 0);
  });

  test('a Buffer of another size is counted back but not kept', () => {
    const pool = new BufferPool(1024, 4, true);
    const a = pool.acquire();
    pool.release(a.subarray(0, 100));
    assert.equal(pool.stats().inUse, 0);
    assert.equal(pool.stats().free, 0);
  });

  test('an abandoned Buffer is counted out and never handed out again', () => {
    const pool = new BufferPool(1024, 4, true);
    const a = pool.acquire();
    pool.abandon(a);
    assert.equal(pool.stats().inUse, 0);
    assert.equal(pool.stats().abandoned, 1);
    assert.equal(pool.stats().free, 0);
    assert.notEqual(pool.acquire(), a);
  });

  test('disabled: every acquire allocates, nothing is ever reused', () => {
    const pool = new BufferPool(1024, 8, false);
    const seen = new Set<Buffer>();
    for (let i = 0; i < 5; i++) {
      const buffer = pool.acquire();
      assert.ok(!seen.has(buffer));
      seen.add(buffer);
      pool.release(buffer);
    }
    assert.deepEqual(pool.stats(), { enabled: false, bufferBytes: 1024, maxFree: 8, free: 0, inUse: 0, hits: 0, misses: 5, abandoned: 0 });
  });
});

test('100 concurrent exports through a 4-Buffer pool all arrive byte-identical', async () => {
  const size = 1000;
  const expected = catalogNdjson(size);
  await withApp(
    async (t) => {
      const codings = [undefined, 'gzip', undefined, 'br'] as const;
      const replies = await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const coding = codings[i % codings.length];
          return request(t.port, '/products/export', { headers: coding === undefined ? {} : { 'accept-encoding': coding } });
        }),
      );
      replies.forEach((reply, i) => {
        assert.equal(reply.status, 200);
        const coding = codings[i % codings.length];
        assert.equal(reply.headers['content-encoding'], coding);
        const body = decode(coding, reply.body);
        if (!body.equals(expected)) {
          let at = 0;
          while (at < body.length && body[at] === expected[at]) at++;
          assert.fail(`response ${i} (${coding ?? 'identity'}) differs at byte ${at} of ${expected.length}: ${JSON.stringify(body.subarray(at, at + 60).toString())}`);
        }
      });
      await eventually(() => t.app.pool.stats().inUse === 0, 'pool inUse back to 0');
      const pool = (await request(t.port, '/metrics')).json<{ bufferPool: ReturnType<BufferPool['stats']> }>().bufferPool;
      assert.equal(pool.inUse, 0);
      assert.ok(pool.free <= 4);
      assert.ok(pool.hits > 500, `Buffers were reused a lot: ${pool.hits} hits, ${pool.misses} misses`);
    },
    // All 100 at once: the bound on concurrent exports is not what this test is about.
    { catalogSize: size, bufferPoolMax: 4, bufferPoolBytes: 4096, exportMaxConcurrent: 100 },
  );
});
