// Cached variants are made fast while the request waits and upgraded to the best level
// in the background: the upgrade is asked for by the first hit (a page asked for once
// costs none), it changes the ETag (fast and best are different bytes) and the cache's
// byte count, an entry that leaves the cache first is taken out of the queue, a full
// backlog drops the upgrade, and COMPRESS_UPGRADES=0 keeps the fast variants.
// zlib.brotliCompress is wrapped so that best-level (quality 11) runs are counted and held
// until the test lets them finish.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import zlib from 'node:zlib';
import { request, withApp, eventually, type Reply, type TestApp } from '../helpers/http.js';
import { decode } from '../helpers/stream.js';

type Callback = (error: Error | null, result: Buffer) => void;

/** Best-level brotli runs: how many started, and a way to let them finish. */
interface BestRuns {
  started: number;
  /** From now on runs finish when zlib does, those held so far at once. */
  finishAll(): void;
}

function holdBestBrotli(ctx: TestContext): BestRuns {
  const real = zlib.brotliCompress as unknown as (body: Buffer, options: zlib.BrotliOptions, callback: Callback) => void;
  const held: (() => void)[] = [];
  let holding = true;
  const runs: BestRuns = {
    started: 0,
    finishAll: () => {
      holding = false;
      for (const finish of held.splice(0)) finish();
    },
  };
  ctx.mock.method(zlib, 'brotliCompress', (body: Buffer, options: zlib.BrotliOptions, callback: Callback) => {
    if (options.params?.[zlib.constants.BROTLI_PARAM_QUALITY] !== zlib.constants.BROTLI_MAX_QUALITY) return real(body, options, callback);
    runs.started++;
    real(body, options, (error, result) => (holding ? held.push(() => callback(error, result)) : callback(error, result)));
  });
  return runs;
}

const page = (offset: number): string => `/products?limit=200&offset=${offset}`;
const key = (offset: number): string => `list:${offset}:200`;

function br(t: TestApp, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return request(t.port, path, { headers: { 'accept-encoding': 'br', ...headers } });
}

describe('variant upgrades', () => {
  test('the first request gets the fast variant; a hit asks for the upgrade, which replaces it; ETag, 304 and cache bytes follow', async (ctx) => {
    const runs = holdBestBrotli(ctx);
    await withApp(async (t) => {
      const identity = (await request(t.port, page(0))).body;
      const fast = await br(t, page(0));
      assert.equal(fast.headers['x-cache'], 'HIT');
      const fastTag = String(fast.headers['etag']);
      assert.match(fastTag, /^"[^"]+-br4"$/);
      assert.ok(decode('br', fast.body).equals(identity));
      // Made while the request waited: no upgrade yet, and none for a variant asked for once.
      assert.deepEqual([t.app.compression.stats().variants, runs.started], [1, 0]);

      const hit = await br(t, page(0));
      assert.equal(hit.headers['etag'], fastTag);
      assert.ok(hit.body.equals(fast.body), 'the fast bytes until the upgrade is done');
      assert.equal(runs.started, 1, 'the hit asked for the upgrade');
      assert.equal(t.app.compression.stats().upgradesRunning, 1);
      assert.equal((await br(t, page(0), { 'if-none-match': fastTag })).status, 304, 'the fast tag is current until then');
      assert.equal(runs.started, 1, 'asked for once');
      const bytesBefore = t.app.cache.stats().bytes;

      runs.finishAll();
      await eventually(() => t.app.compression.stats().upgrades === 1, 'the upgrade');
      const best = await br(t, page(0));
      const bestTag = String(best.headers['etag']);
      assert.match(bestTag, /^"[^"]+-br11"$/);
      assert.equal(bestTag.slice(0, -5), fastTag.slice(0, -4), 'the same identity hash');
      assert.ok(best.body.length < fast.body.length, `${best.body.length} < ${fast.body.length}`);
      assert.ok(decode('br', best.body).equals(identity));
      assert.equal(t.app.cache.stats().bytes - bytesBefore, best.body.length - fast.body.length, 'the cache counts the new bytes, not the old');

      // A client holding the fast variant gets the new one; one holding the new one, 304.
      const stale = await br(t, page(0), { 'if-none-match': fastTag });
      assert.equal(stale.status, 200);
      assert.equal(stale.headers['etag'], bestTag);
      assert.ok(stale.body.equals(best.body));
      const current = await br(t, page(0), { 'if-none-match': bestTag });
      assert.equal(current.status, 304);
      assert.equal(current.headers['etag'], bestTag);
      assert.equal(runs.started, 1, 'an upgraded variant is never upgraded again');
    });
  });

  test('pages asked for once each are never upgraded', async (ctx) => {
    const runs = holdBestBrotli(ctx);
    await withApp(async (t) => {
      for (let i = 0; i < 5; i++) assert.equal((await br(t, page(i))).headers['content-encoding'], 'br');
      const stats = t.app.compression.stats();
      assert.deepEqual([stats.variants, stats.upgrades, stats.upgradesRunning, stats.upgradesQueued, runs.started], [5, 0, 0, 0, 0]);
    });
  });

  test('an entry that leaves the cache while its upgrade waits is taken out of the queue; one that leaves while it runs is not upgraded', async (ctx) => {
    const runs = holdBestBrotli(ctx);
    await withApp(
      async (t) => {
        for (const offset of [0, 1]) {
          await br(t, page(offset));
          await br(t, page(offset)); // the hit: asks for the upgrade
        }
        assert.equal(runs.started, 1, 'one upgrade at a time');
        assert.deepEqual([t.app.compression.stats().upgradesRunning, t.app.compression.stats().upgradesQueued], [1, 1]);

        assert.equal(t.app.cache.delete(key(1)), true);
        assert.equal(t.app.compression.stats().upgradesQueued, 0, 'the queue let go of it');
        assert.equal(t.app.compression.stats().upgradesCancelled, 1);
        assert.equal(t.app.cache.delete(key(0)), true); // its upgrade is running
        runs.finishAll();
        await eventually(() => t.app.compression.stats().upgradesRunning === 0, 'the running upgrade to end');
        await new Promise((resolve) => setImmediate(resolve));
        const stats = t.app.compression.stats();
        assert.equal(runs.started, 1, 'the cancelled upgrade never ran');
        assert.deepEqual([stats.upgrades, stats.upgradesCancelled, stats.upgradesQueued], [0, 2, 0]);
        assert.equal(t.app.cache.stats().bytes, 0, 'nothing charged for entries gone');
      },
      { compressUpgrades: 1, compressUpgradeBacklog: 4 },
    );
  });

  test('a full backlog drops the upgrade, counted once; the fast variant stays', async (ctx) => {
    const runs = holdBestBrotli(ctx);
    await withApp(
      async (t) => {
        await br(t, page(0));
        await br(t, page(0)); // upgrade running
        const fast = await br(t, page(1));
        for (let i = 0; i < 3; i++) {
          const hit = await br(t, page(1));
          assert.equal(hit.headers['etag'], fast.headers['etag']);
        }
        assert.deepEqual([t.app.compression.stats().upgradesDropped, runs.started], [1, 1]);
        runs.finishAll();
        await eventually(() => t.app.compression.stats().upgrades === 1, 'the first upgrade');
        assert.equal((await br(t, page(1))).headers['etag'], fast.headers['etag'], 'still fast');
        assert.equal(runs.started, 1);
      },
      { compressUpgrades: 1, compressUpgradeBacklog: 0 },
    );
  });

  test('COMPRESS_UPGRADES=0 keeps the fast variants and asks for nothing', async (ctx) => {
    const runs = holdBestBrotli(ctx);
    await withApp(
      async (t) => {
        const first = await br(t, page(0));
        for (let i = 0; i < 3; i++) assert.equal((await br(t, page(0))).headers['etag'], first.headers['etag']);
        const stats = t.app.compression.stats();
        assert.deepEqual([stats.upgrades, stats.upgradesDropped, stats.upgradeConcurrency, runs.started], [0, 0, 0, 0]);
      },
      { compressUpgrades: 0 },
    );
  });
});
