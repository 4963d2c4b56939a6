// The ETag/304 matrix over HTTP: a strong ETag per representation, If-None-Match (exact,
// W/, list, `*`, another representation's tag), If-Modified-Since, INM beating IMS, 304s
// with no body or Content-Length, only for GET/HEAD, and a Last-Modified never ahead of Date.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { zlibCodings } from '../../src/compression/codings.js';
import { generateProduct } from '../../src/products/catalog.js';
import { EmbeddedStore } from '../../src/products/store.js';
import { eventually, request, startApp, withApp, type Reply, type TestApp } from '../helpers/http.js';

const PAGE = '/products?limit=50';
const GZIP = { 'accept-encoding': 'gzip' };

function assertNotModified(reply: Reply, etag: string): void {
  assert.equal(reply.status, 304, `status ${reply.status}`);
  assert.equal(reply.body.length, 0);
  assert.equal(reply.headers['content-length'], undefined);
  assert.equal(reply.headers['transfer-encoding'], undefined);
  assert.equal(reply.headers['content-type'], undefined);
  assert.equal(reply.headers['etag'], etag);
  assert.equal(reply.headers['vary'], 'Accept-Encoding');
  assert.match(String(reply.headers['cache-control']), /^public, max-age=\d+$/);
  assert.ok(reply.headers['last-modified']);
}

function assertFull(reply: Reply, etag: string): void {
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['etag'], etag);
  assert.ok(reply.body.length > 0);
  assert.equal(reply.headers['content-length'], String(reply.body.length));
}

describe('ETag and 304 (one app)', () => {
  let t: TestApp;
  /** The ETag of each representation of PAGE: identity and every coding. */
  const etags = new Map<string, string>();
  let lastModified = '';

  const get = (headers: Record<string, string>, method = 'GET', path = PAGE): Promise<Reply> =>
    request(t.port, path, { method, headers });

  before(async () => {
    t = await startApp();
    // A second request for each coding is a hit, which upgrades the variant to the best
    // level (another ETag): settle that first, so the tags below stay the current ones.
    for (const coding of zlibCodings) {
      for (let i = 0; i < 2; i++) await get({ 'accept-encoding': coding });
    }
    await eventually(() => t.app.compression.stats().upgrades === zlibCodings.length, 'every variant upgraded', 10_000);
    for (const coding of ['identity', ...zlibCodings]) {
      const reply = await get(coding === 'identity' ? {} : { 'accept-encoding': coding });
      assert.equal(reply.headers['content-encoding'], coding === 'identity' ? undefined : coding);
      etags.set(coding, String(reply.headers['etag']));
      lastModified = String(reply.headers['last-modified']);
    }
  });
  after(() => t.close());

  test('every representation has a distinct strong ETag', () => {
    const values = [...etags.values()];
    assert.equal(new Set(values).size, values.length, values.join(' '));
    for (const etag of values) assert.match(etag, /^"[^"]+"$/);
  });

  test('the selected representation\'s ETag: 304 with validators and caching headers, no body', async () => {
    for (const [coding, etag] of etags) {
      const headers: Record<string, string> = coding === 'identity' ? {} : { 'accept-encoding': coding };
      const reply = await get({ ...headers, 'if-none-match': etag });
      assertNotModified(reply, etag);
      assert.equal(reply.headers['content-encoding'], undefined);
      assert.equal(reply.headers['last-modified'], lastModified);
    }
  });

  test('W/ form, lists and * match', async () => {
    const gz = etags.get('gzip') as string;
    for (const inm of [`W/${gz}`, `"nope", ${gz}`, `"a,b", W/${gz}, "c"`, '*', `"x",${gz}`]) {
      assertNotModified(await get({ ...GZIP, 'if-none-match': inm }), gz);
    }
  });

  test('another representation\'s ETag is not this one: 200', async () => {
    const identity = etags.get('identity') as string;
    const gz = etags.get('gzip') as string;
    assertFull(await get({ ...GZIP, 'if-none-match': identity }), gz);
    assertFull(await get({ 'if-none-match': gz }), identity);
    assertFull(await get({ 'accept-encoding': 'br', 'if-none-match': gz }), etags.get('br') as string);
    assertFull(await get({ 'if-none-match': '"nope", "also-nope"' }), identity);
    assertFull(await get({ 'if-none-match': identity.slice(0, -2) + '"' }), identity);
  });

  test('If-Modified-Since at or after Last-Modified: 304; before or garbage: 200', async () => {
    const identity = etags.get('identity') as string;
    const ms = Date.parse(lastModified);
    assertNotModified(await get({ 'if-modified-since': lastModified }), identity);
    assertNotModified(await get({ 'if-modified-since': new Date(ms + 1000).toUTCString() }), identity);
    assertFull(await get({ 'if-modified-since': new Date(ms - 1000).toUTCString() }), identity);
    assertFull(await get({ 'if-modified-since': 'garbage' }), identity);
    assertFull(await get({ 'if-modified-since': '' }), identity);
  });

  test('a non-matching If-None-Match wins over a matching If-Modified-Since', async () => {
    const identity = etags.get('identity') as string;
    assertFull(await get({ 'if-none-match': '"other"', 'if-modified-since': lastModified }), identity);
    // And a matching one wins over a date that would say modified.
    assertNotModified(await get({ 'if-none-match': identity, 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }), identity);
  });

  test('HEAD gets 304 too', async () => {
    const identity = etags.get('identity') as string;
    assertNotModified(await get({ 'if-none-match': identity }, 'HEAD'), identity);
    assertNotModified(await get({ 'if-modified-since': lastModified }, 'HEAD'), identity);
  });

  test('POST, PUT, DELETE never get 304', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of [PAGE, '/products/1']) {
        const reply = await get({ 'if-none-match': '*', 'if-modified-since': lastModified }, method, path);
        assert.notEqual(reply.status, 304, `${method} ${path}`);
        assert.equal(reply.status, 405);
      }
    }
  });

  test('a single product: 304 per representation as well', async () => {
    const first = await get({}, 'GET', '/products/4');
    const etag = String(first.headers['etag']);
    assertNotModified(await get({ 'if-none-match': etag }, 'GET', '/products/4'), etag);
    // Identity refused: the gzip representation, with its own ETag, not this one.
    const forced = await get({ 'accept-encoding': 'gzip, identity;q=0', 'if-none-match': etag }, 'GET', '/products/4');
    assert.equal(forced.status, 200);
    assert.notEqual(forced.headers['etag'], etag);
    assertNotModified(
      await get({ 'accept-encoding': 'gzip, identity;q=0', 'if-none-match': String(forced.headers['etag']) }, 'GET', '/products/4'),
      String(forced.headers['etag']),
    );
  });

  test('no validators on the uncached export stream, and it never answers 304', async () => {
    const reply = await get({ 'if-none-match': '*' }, 'HEAD', '/products/export');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['etag'], undefined);
  });
});

test('Last-Modified is never in the future, even when a product says so', async () => {
  const inner = new EmbeddedStore(10, 0);
  const future = Date.UTC(2100, 0, 1);
  const store = {
    size: 10,
    get: async (id: number) => {
      const product = await inner.get(id);
      return product && { ...product, updatedAt: new Date(future).toISOString() };
    },
    list: (offset: number, limit: number) => inner.list(offset, limit),
  };
  await withApp(
    async (t) => {
      const reply = await request(t.port, '/products/1');
      assert.equal(reply.status, 200);
      const date = Date.parse(String(reply.headers['date']));
      const modified = Date.parse(String(reply.headers['last-modified']));
      assert.ok(Number.isFinite(modified) && modified <= date, `${reply.headers['last-modified']} > ${reply.headers['date']}`);
      assert.ok(modified > date - 5000, 'clamped to about now');
      // A validator at the clamped date still works.
      const again = await request(t.port, '/products/1', { headers: { 'if-modified-since': String(reply.headers['last-modified']) } });
      assert.equal(again.status, 304);
      // A page of real products: Last-Modified is the latest of them, or now if that is later.
      const page = await request(t.port, '/products?limit=10');
      const latest = Math.max(...Array.from({ length: 10 }, (_, i) => Date.parse(generateProduct(i + 1).updatedAt)));
      const pageModified = Date.parse(String(page.headers['last-modified']));
      const pageDate = Date.parse(String(page.headers['date']));
      assert.ok(pageModified <= pageDate);
      if (latest <= pageDate) assert.equal(pageModified, Math.floor(latest / 1000) * 1000);
      else assert.ok(pageModified >= pageDate - 2000, 'clamped to about now');
    },
    {},
    { store },
  );
});
