// Compression over real sockets: each coding decodes to the exact identity bytes with a
// correct Content-Length, Vary on every compressible response, HEAD with GET's head,
// 406 only when identity is refused, COMPRESS_MIN_BYTES, cached variants made once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { zlibCodings } from '../../src/compression/codings.js';
import type { MetricsReport } from '../../src/metrics/report.js';
import { eventually, request, startApp, withApp, type Reply, type TestApp } from '../helpers/http.js';
import { decode } from '../helpers/stream.js';

const PAGE = '/products?limit=1000';

function get(t: TestApp, path: string, acceptEncoding?: string, method = 'GET'): Promise<Reply> {
  return request(t.port, path, { method, headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } });
}

async function metrics(t: TestApp): Promise<MetricsReport> {
  return (await get(t, '/metrics')).json<MetricsReport>();
}

/** An encoded 200 whose Content-Length is what arrived and whose bytes decode to `identity`. */
function assertEncoded(reply: Reply, coding: string, identity: Buffer): void {
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.headers['content-encoding'], coding);
  assert.equal(reply.headers['vary'], 'Accept-Encoding');
  assert.equal(reply.headers['content-length'], String(reply.body.length));
  assert.ok(reply.body.length < identity.length, `${coding} is smaller than identity`);
  assert.ok(decode(coding, reply.body).equals(identity), `${coding} decodes to the identity bytes`);
}

function assertIdentity(reply: Reply): void {
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.headers['content-encoding'], undefined);
  assert.equal(reply.headers['vary'], 'Accept-Encoding');
  assert.equal(reply.headers['content-length'], String(reply.body.length));
}

describe('compressed responses (one app)', () => {
  let t: TestApp;
  let identity: Buffer;
  before(async () => {
    t = await startApp();
    const reply = await get(t, PAGE);
    assertIdentity(reply);
    identity = reply.body;
    assert.ok(identity.length > 100_000, `a big page: ${identity.length} bytes`);
  });
  after(() => t.close());

  for (const coding of zlibCodings) {
    test(`${coding}: Content-Encoding, exact Content-Length, decodes to the identity bytes`, async () => {
      assertEncoded(await get(t, PAGE, coding), coding, identity);
      // Asked again: the cached variant, the same bytes.
      const again = await get(t, PAGE, coding);
      assert.equal(again.headers['x-cache'], 'HIT');
      assertEncoded(again, coding, identity);
    });
  }

  test('a browser\'s header gets br; x-gzip gets gzip', async () => {
    assertEncoded(await get(t, PAGE, 'gzip, deflate, br'), 'br', identity);
    assertEncoded(await get(t, PAGE, 'x-gzip'), 'gzip', identity);
  });

  test('identity: no header, unknown codings only, gzip;q=0, identity preferred', async () => {
    for (const header of [undefined, '', 'deflate, compress', 'gzip;q=0', 'gzip;q=0.5, identity;q=1', 'identity;q=1, *;q=0']) {
      const reply = await get(t, PAGE, header);
      assertIdentity(reply);
      assert.ok(reply.body.equals(identity), String(header));
    }
  });

  test('Vary: Accept-Encoding on a small, never-compressed product either way', async () => {
    for (const header of [undefined, 'gzip', 'br', '*']) {
      const reply = await get(t, '/products/1', header);
      assertIdentity(reply);
      assert.ok(reply.body.length < 1024, 'below COMPRESS_MIN_BYTES');
    }
  });

  test('Vary: Accept-Encoding on a 304', async () => {
    const first = await get(t, '/products/2', 'gzip');
    const reply = await request(t.port, '/products/2', { headers: { 'accept-encoding': 'gzip', 'if-none-match': String(first.headers['etag']) } });
    assert.equal(reply.status, 304);
    assert.equal(reply.headers['vary'], 'Accept-Encoding');
  });

  test('HEAD: no body, and the head GET gets (status, Content-Encoding, ETag, Content-Length)', async () => {
    for (const header of ['gzip', 'br', '*', 'gzip, identity;q=0', 'identity', '*;q=0']) {
      const get1 = await get(t, PAGE, header);
      const head = await get(t, PAGE, header, 'HEAD');
      assert.equal(head.status, get1.status, header);
      assert.equal(head.body.length, 0);
      for (const name of ['content-type', 'content-encoding', 'vary', 'etag', 'content-length']) {
        assert.equal(head.headers[name], get1.headers[name], `${header}: ${name}`);
      }
    }
  });

  test('HEAD of a coding not made yet: no compression work, no Content-Length', async () => {
    const head = await get(t, '/products?offset=7&limit=50', 'gzip', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-encoding'], 'gzip');
    assert.equal(head.headers['content-length'], undefined);
    assert.equal(t.app.cache.get('list:7:50')?.value.stored?.variant('gzip'), undefined, 'no variant made for a HEAD');
  });

  test('406 when identity and every coding are refused, on a 200', async () => {
    for (const path of [PAGE, '/products/1', '/products/export']) {
      for (const header of ['identity;q=0, *;q=0', '*;q=0', 'deflate, identity;q=0']) {
        const reply = await get(t, path, header);
        assert.equal(reply.status, 406, `${path} ${header}`);
        assert.equal(reply.headers['content-type'], 'application/problem+json');
        assert.equal(reply.headers['content-encoding'], undefined);
        assert.equal(reply.headers['vary'], 'Accept-Encoding', 'another Accept-Encoding gets another answer');
        assert.equal(reply.headers['content-length'], String(reply.body.length));
        assert.equal(reply.json<{ status: number }>().status, 406);
      }
    }
  });

  test('an error response is sent as it is rather than 406', async () => {
    const reply = await get(t, '/products/999999999', 'identity;q=0, *;q=0');
    assert.equal(reply.status, 404);
    assert.equal(reply.headers['content-type'], 'application/problem+json');
  });

  test('a small body with identity refused is gzipped anyway', async () => {
    const plain = await get(t, '/products/3');
    assert.ok(plain.body.length < 1024);
    const reply = await get(t, '/products/3', 'gzip, identity;q=0');
    assert.equal(reply.headers['content-encoding'], 'gzip');
    assert.equal(reply.headers['content-length'], String(reply.body.length));
    assert.ok(decode('gzip', reply.body).equals(plain.body));
  });

  test('each representation has its own ETag', async () => {
    const tags = new Set<string>();
    for (const header of [undefined, ...zlibCodings]) tags.add(String((await get(t, PAGE, header)).headers['etag']));
    assert.equal(tags.size, 1 + zlibCodings.length, [...tags].join(' '));
  });
});

test('COMPRESS_MIN_BYTES above the body: identity, Vary still set', async () => {
  await withApp(
    async (t) => {
      const reply = await get(t, PAGE, 'gzip, br');
      assertIdentity(reply);
      assert.ok(reply.body.length < 2_000_000);
      // Identity refused: compressed whatever the threshold.
      assert.equal((await get(t, PAGE, 'gzip, identity;q=0')).headers['content-encoding'], 'gzip');
    },
    { compressMinBytes: 2_000_000 },
  );
});

test('a cached page is compressed once per coding at the fast level, however many ask, then once at the best', async (ctx) => {
  const levels: number[] = [];
  const real = zlib.gzip;
  // codings.ts calls zlib.gzip through the module object: count the calls, by level.
  ctx.mock.method(zlib, 'gzip', (...args: Parameters<typeof real>) => {
    levels.push((args[1] as zlib.ZlibOptions).level ?? -1);
    return (real as (...a: unknown[]) => void)(...args);
  });
  await withApp(async (t) => {
    const before = (await metrics(t)).compression;
    const first = await Promise.all(Array.from({ length: 8 }, () => get(t, PAGE, 'gzip')));
    assert.equal(levels.filter((level) => level === 5).length, 1, 'eight concurrent first requests: one fast compression');
    // A request that came after the fast variant was ready was a hit: it asked for the upgrade.
    await eventually(() => t.app.compression.stats().upgradesRunning === 0, 'the upgrade to finish');
    await get(t, PAGE, 'gzip'); // a hit: asks for the upgrade if none did
    await eventually(() => t.app.compression.stats().upgrades === 1, 'the upgrade');
    assert.deepEqual(levels, [5, 9]);
    const upgraded = await get(t, PAGE, 'gzip');
    for (const reply of [...first, upgraded]) assert.ok(decode('gzip', reply.body).equals(decode('gzip', upgraded.body)));
    for (let i = 0; i < 5; i++) {
      const reply = await get(t, PAGE, 'gzip');
      assert.equal(reply.headers['x-cache'], 'HIT');
      assert.equal(reply.headers['content-encoding'], 'gzip');
      assert.ok(reply.body.equals(upgraded.body), 'the same variant bytes');
    }
    assert.deepEqual(levels, [5, 9], 'hits do no compression work');
    const stats = (await metrics(t)).compression;
    assert.equal(stats.onTheFly, before.onTheFly);
    assert.equal(stats.streamsOpened, before.streamsOpened);
    assert.deepEqual([stats.variants, stats.upgrades], [1, 1]);
  });
});

test('/metrics is compressed on the fly and counted', async () => {
  await withApp(
    async (t) => {
      const plain = await get(t, '/metrics');
      assert.ok(plain.body.length >= 256, `metrics JSON is ${plain.body.length} bytes`);
      assert.equal(plain.json<MetricsReport>().compression.onTheFly, 0);
      for (const coding of zlibCodings) {
        const reply = await get(t, '/metrics', coding);
        assert.equal(reply.headers['content-encoding'], coding);
        assert.equal(reply.headers['content-length'], String(reply.body.length));
        assert.equal(reply.headers['vary'], 'Accept-Encoding, Accept'); // the route varies by Accept too
        assert.equal(reply.headers['etag'], undefined, 'no-store: no validators');
        assert.equal(reply.headers['cache-control'], 'no-store');
        JSON.parse(decode(coding, reply.body).toString());
      }
      assert.equal((await metrics(t)).compression.onTheFly, zlibCodings.length);
    },
    { compressMinBytes: 256 },
  );
});
