// Compression.select: what is never encoded (1xx, 204, 304, Cache-Control:
// no-transform, a body that already has a Content-Encoding), COMPRESS_MIN_BYTES, and the
// compressible media types.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCompressibleType, zlibCodings } from '../../src/compression/codings.js';
import { Compression, requestCompressionJobs, threadPoolSize } from '../../src/compression/compression.js';
import { gunzipSync } from 'node:zlib';

const BIG = 100_000;

function policy(minBytes = 1024): Compression {
  return new Compression({ minBytes, gzipLevel: 5, upgrades: 1, upgradeBacklog: 8, requestJobs: 2 }, zlibCodings, () => assert.fail('no error expected'));
}

describe('Compression.select', () => {
  test('a big GET 200 accepting gzip is gzipped; a stream (unknown size) too', () => {
    assert.equal(policy().select(200, 'gzip', BIG, []), 'gzip');
    assert.equal(policy().select(200, 'gzip', undefined, []), 'gzip');
  });

  for (const status of [204, 304, 101, 100]) {
    test(`${status} is never encoded`, () => {
      assert.equal(policy().select(status, 'gzip', BIG, []), 'identity');
      // Not even when identity is refused: there is no body to encode.
      assert.equal(policy().select(status, 'gzip, identity;q=0', BIG, []), 'identity');
    });
  }

  test('errors are encoded like successes (the 406 decision is the caller\'s)', () => {
    assert.equal(policy().select(500, 'br', BIG, []), 'br');
  });

  const forbidding: readonly (readonly string[])[] = [
    ['cache-control', 'no-transform'],
    ['Cache-Control', 'public, no-transform'],
    ['cache-control', 'no-transform, max-age=60'],
    ['cache-control', 'public,NO-TRANSFORM'],
    ['x-cache', 'HIT', 'cache-control', 'max-age=1, no-transform'],
    ['content-encoding', 'gzip'],
    ['Content-Encoding', 'br'],
    ['x-other', 'y', 'content-encoding', 'identity'],
  ];
  for (const extra of forbidding) {
    test(`never encoded with ${JSON.stringify(extra)}`, () => {
      assert.equal(policy().select(200, 'gzip, br', BIG, extra), 'identity');
      assert.equal(policy().select(200, 'gzip', undefined, extra), 'identity');
    });
  }

  const allowing: readonly (readonly string[])[] = [
    ['cache-control', 'public, max-age=30'],
    ['cache-control', 'no-transformation'],
    ['cache-control', 'x-no-transform'],
    ['x-cache-control', 'no-transform'],
    ['x-content-encoding', 'gzip'],
  ];
  for (const extra of allowing) {
    test(`still encoded with ${JSON.stringify(extra)}`, () => {
      assert.equal(policy().select(200, 'gzip', BIG, extra), 'gzip');
    });
  }

  test('COMPRESS_MIN_BYTES: below it identity, at it the coding', () => {
    const p = policy(2000);
    assert.equal(p.select(200, 'gzip', 1999, []), 'identity');
    assert.equal(p.select(200, 'gzip', 2000, []), 'gzip');
    // Below the threshold but identity refused: compressed anyway.
    assert.equal(p.select(200, 'gzip, identity;q=0', 10, []), 'gzip');
    assert.equal(p.select(200, 'identity;q=0, *;q=0', 10, []), 'none');
  });

  test('minBytes 0 compresses even an empty body when asked', () => {
    assert.equal(policy(0).select(200, 'gzip', 0, []), 'gzip');
  });

  test('stats start at zero and report the settings', () => {
    assert.deepEqual(policy(512).stats(), {
      minBytes: 512,
      gzipLevel: 5,
      codings: zlibCodings,
      onTheFly: 0,
      streamsOpened: 0,
      streamsOpen: 0,
      failures: 0,
      variants: 0,
      upgradeConcurrency: 1,
      upgradeBacklog: 8,
      upgradesRunning: 0,
      upgradesQueued: 0,
      upgrades: 0,
      upgradesDropped: 0,
      upgradesCancelled: 0,
      upgradesFailed: 0,
      requestJobs: 2,
      requestJobsRunning: 0,
      requestJobsWaiting: 0,
      requestJobsWaited: 0,
    });
  });

  test('levels: a variant is upgradable when its best level differs from its fast one and upgrades are on', () => {
    const p = policy();
    assert.deepEqual([p.level('gzip', 'fast'), p.level('gzip', 'best'), p.level('br', 'fast'), p.level('br', 'best')], [5, 9, 4, 11]);
    assert.equal(p.upgradable('br'), true);
    assert.equal(p.upgradable('gzip'), true);
    const gzip9 = new Compression({ minBytes: 0, gzipLevel: 9, upgrades: 1, upgradeBacklog: 8, requestJobs: 2 }, zlibCodings, () => undefined);
    assert.equal(gzip9.upgradable('gzip'), false, 'COMPRESS_LEVEL 9 is already the best');
    assert.equal(gzip9.upgradable('br'), true);
    const off = new Compression({ minBytes: 0, gzipLevel: 5, upgrades: 0, upgradeBacklog: 8, requestJobs: 2 }, zlibCodings, () => undefined);
    assert.equal(off.upgradable('br'), false, 'COMPRESS_UPGRADES 0');
  });
});

describe('compressions requests wait for: a bounded number at once', () => {
  test('the bound leaves the upgrades their threads and one thread of the pool free', () => {
    assert.equal(requestCompressionJobs(1, 4), 2);
    assert.equal(requestCompressionJobs(0, 4), 3);
    assert.equal(requestCompressionJobs(1, 1), 1, 'at least one');
    assert.equal(requestCompressionJobs(8, 4), 1);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '8' }), 8);
    for (const raw of [undefined, '', 'x', '0', '-2', '1.5']) assert.equal(threadPoolSize(raw === undefined ? {} : { UV_THREADPOOL_SIZE: raw }), 4, String(raw));
  });

  test('ten at once: two run, eight wait their turn in order, every one completes with its own bytes', async () => {
    const p = policy(0);
    const bodies = Array.from({ length: 10 }, (_, i) => Buffer.from(`body ${i} `.repeat(20_000)));
    const done = bodies.map((body, i) => (i % 2 === 0 ? p.compress('gzip', body) : p.compressVariant('gzip', body, 'fast')));
    const started = p.stats();
    assert.deepEqual([started.requestJobs, started.requestJobsRunning, started.requestJobsWaiting, started.requestJobsWaited], [2, 2, 8, 8]);
    const results = await Promise.all(done);
    results.forEach((out, i) => assert.ok(bodies[i]?.equals(gunzipSync(out)), `body ${i}`));
    const after = p.stats();
    assert.deepEqual([after.requestJobsRunning, after.requestJobsWaiting, after.requestJobsWaited], [0, 0, 8]);
  });
});

describe('isCompressibleType', () => {
  for (const type of [
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON',
    'application/problem+json',
    'application/x-ndjson',
    'application/javascript',
    'text/plain',
    'text/html;charset=utf-8',
    'image/svg+xml',
  ]) {
    test(`${type}: compressible`, () => assert.equal(isCompressibleType(type), true));
  }
  for (const type of ['image/png', 'application/octet-stream', 'application/zip', 'video/mp4', 'application/jsonx', '']) {
    test(`${JSON.stringify(type)}: not compressible`, () => assert.equal(isCompressibleType(type), false));
  }
});
