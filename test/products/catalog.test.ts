// The generated catalog is a pure function of the id (pinned bytes for product 1), with
// the documented field shapes; the embedded store bounds ids, pages and counts calls.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateProduct } from '../../src/products/catalog.js';
import { EmbeddedStore } from '../../src/products/store.js';

// Pinned: a change here changes every product's bytes (and every cached ETag/body).
const PRODUCT_1 =
  '{"id":1,"sku":"TRB-00000001","name":"Bright Cotton Clock","description":"The bright cotton clock: a favourite of reviewers this season, light enough to carry anywhere.","category":"home","price":{"amount":344.38,"currency":"USD"},"stock":280,"tags":["eco","new"],"updatedAt":"2026-04-25T03:59:46.000Z"}';

describe('generateProduct', () => {
  test('product 1 has exactly the pinned JSON bytes', () => {
    assert.equal(JSON.stringify(generateProduct(1)), PRODUCT_1);
  });

  test('is deterministic: the same id gives the same bytes every time', () => {
    for (const id of [1, 2, 500, 9999, 1_000_000_000]) {
      assert.equal(JSON.stringify(generateProduct(id)), JSON.stringify(generateProduct(id)));
    }
  });

  test('every field has its documented shape (ids 1..2000)', () => {
    const start = Date.UTC(2026, 0, 1);
    const end = start + 365 * 24 * 3600 * 1000;
    for (let id = 1; id <= 2000; id++) {
      const p = generateProduct(id);
      const at = `product ${id}`;
      assert.equal(p.id, id, at);
      assert.equal(p.sku, `TRB-${String(id).padStart(8, '0')}`, at);
      assert.match(p.sku, /^TRB-\d{8}$/, at);
      assert.match(p.name, /^[A-Z][a-z]+ [A-Z][a-z]+ [A-Z][a-z]+$/, at);
      assert.ok(p.description.startsWith(`The ${p.name.toLowerCase()}: `) && p.description.endsWith('.'), at);
      assert.match(p.category, /^[a-z]+$/, at);
      assert.equal(p.price.currency, 'USD', at);
      // A whole number of cents: at most two decimals, and JSON shows no float noise.
      assert.ok(Number.isInteger(Math.round(p.price.amount * 100)) && Math.round(p.price.amount * 100) / 100 === p.price.amount, at);
      assert.match(JSON.stringify(p.price.amount), /^\d+(\.\d{1,2})?$/, at);
      assert.ok(p.price.amount >= 4.99 && p.price.amount <= 499.98, `${at}: ${p.price.amount}`);
      assert.ok(Number.isInteger(p.stock) && p.stock >= 0 && p.stock < 500, at);
      assert.ok(p.tags.length >= 1 && p.tags.length <= 3, at);
      assert.equal(new Set(p.tags).size, p.tags.length, `${at}: duplicate tag in ${p.tags.join(',')}`);
      for (const tag of p.tags) assert.match(tag, /^[a-z]+$/, at);
      assert.match(p.updatedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/, at);
      const t = Date.parse(p.updatedAt);
      assert.equal(new Date(t).toISOString(), p.updatedAt, at);
      assert.ok(t >= start && t < end, at);
    }
  });

  test('different ids give different products', () => {
    const strip = (id: number): string => {
      const { id: _id, sku: _sku, ...rest } = generateProduct(id);
      return JSON.stringify(rest);
    };
    assert.notEqual(strip(1), strip(2));
    // Beyond id and sku, neighbouring ids are not copies: 1000 ids give ~1000 distinct bodies.
    const bodies = new Set<string>();
    for (let id = 1; id <= 1000; id++) bodies.add(strip(id));
    assert.ok(bodies.size >= 990, String(bodies.size));
  });
});

describe('EmbeddedStore', () => {
  test('get returns the generated product for ids 1..size and undefined otherwise', async () => {
    const store = new EmbeddedStore(10, 0);
    assert.equal(store.size, 10);
    assert.equal(JSON.stringify(await store.get(1)), PRODUCT_1);
    assert.deepEqual(await store.get(10), generateProduct(10));
    for (const id of [0, 11, -1, 1.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1]) {
      assert.equal(await store.get(id), undefined, String(id));
    }
  });

  test('list pages in id order and clamps at size', async () => {
    const store = new EmbeddedStore(10, 0);
    const ids = async (offset: number, limit: number): Promise<[number[], number]> => {
      const page = await store.list(offset, limit);
      return [page.items.map((p) => p.id), page.total];
    };
    assert.deepEqual(await ids(0, 3), [[1, 2, 3], 10]);
    assert.deepEqual(await ids(3, 2), [[4, 5], 10]);
    assert.deepEqual(await ids(8, 5), [[9, 10], 10]);
    assert.deepEqual(await ids(0, 100), [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10]);
    assert.deepEqual(await ids(10, 5), [[], 10]);
    assert.deepEqual(await ids(999_999_999_999_999, 1000), [[], 10]);
    const page = await store.list(0, 1);
    assert.deepEqual(page.items[0], generateProduct(1));
  });

  test('counts every backing call, hits and misses alike', async () => {
    const store = new EmbeddedStore(5, 0);
    assert.equal(store.calls, 0);
    await store.get(1);
    await store.get(99);
    await store.list(0, 2);
    await store.list(50, 2);
    assert.equal(store.calls, 4);
  });

  test('simulated latency delays the answer', async () => {
    const store = new EmbeddedStore(5, 30);
    const started = performance.now();
    const product = await store.get(2);
    assert.ok(performance.now() - started >= 25);
    assert.equal(product?.id, 2);
  });
});
