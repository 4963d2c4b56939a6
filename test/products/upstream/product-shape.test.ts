// The wire format's shape: what an upstream body must be before any of it is served. Each
// broken member is caught and named; what passes is rebuilt from the known members only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateProduct, type Product } from '../../../src/products/catalog.js';
import { isProduct, productProblem, readPage, readProduct, ShapeError } from '../../../src/products/upstream/product-shape.js';

/** A catalog product as parsed JSON, with some members changed (undefined: removed). */
function parsed(id: number, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const body = JSON.parse(JSON.stringify(generateProduct(id))) as Record<string, unknown>;
  for (const [member, value] of Object.entries(changes)) {
    if (value === undefined) delete body[member];
    else body[member] = value;
  }
  return body;
}

const price = (amount: unknown, currency: unknown = 'USD'): Record<string, unknown> => ({ amount, currency });

describe('a product', () => {
  it('the catalog\'s products pass, through JSON and back', () => {
    for (const id of [1, 2, 999, 123_456_789]) {
      assert.equal(productProblem(parsed(id)), undefined);
      assert.deepEqual(readProduct(parsed(id), id), generateProduct(id));
    }
  });

  const broken: [string, unknown, RegExp][] = [
    ['null', null, /not an object/],
    ['an array', [parsed(1)], /not an object/],
    ['a string', 'product', /not an object/],
    ['id as a string', parsed(1, { id: '1' }), /^id /],
    ['id 0', parsed(1, { id: 0 }), /^id /],
    ['id 1.5', parsed(1, { id: 1.5 }), /^id /],
    ['id above 2^53', parsed(1, { id: 2 ** 53 + 2 }), /^id /],
    ['no name', parsed(1, { name: undefined }), /^name is not a string/],
    ['sku as a number', parsed(1, { sku: 42 }), /^sku is not a string/],
    ['description null', parsed(1, { description: null }), /^description /],
    ['category as an array', parsed(1, { category: ['audio'] }), /^category /],
    ['price as a number', parsed(1, { price: 9.99 }), /^price is not an object/],
    ['price null', parsed(1, { price: null }), /^price is not an object/],
    ['price.amount as a string', parsed(1, { price: price('9.99') }), /^price\.amount /],
    ['price.amount negative', parsed(1, { price: price(-1) }), /^price\.amount /],
    ['price.amount missing', parsed(1, { price: { currency: 'USD' } }), /^price\.amount /],
    ['price.currency EUR', parsed(1, { price: price(9.99, 'EUR') }), /^price\.currency /],
    ['stock negative', parsed(1, { stock: -3 }), /^stock /],
    ['stock 2.5', parsed(1, { stock: 2.5 }), /^stock /],
    ['stock as a string', parsed(1, { stock: '3' }), /^stock /],
    ['tags as a string', parsed(1, { tags: 'new' }), /^tags /],
    ['a tag as a number', parsed(1, { tags: ['new', 7] }), /^tags /],
    ['updatedAt as a number', parsed(1, { updatedAt: 1_767_225_600_000 }), /^updatedAt /],
    ['updatedAt in words', parsed(1, { updatedAt: 'yesterday' }), /^updatedAt /],
    ['updatedAt "1" (Date.parse reads a year)', parsed(1, { updatedAt: '1' }), /^updatedAt /],
    ['updatedAt without a zone', parsed(1, { updatedAt: '2026-03-04T05:06:07' }), /^updatedAt /],
    ['updatedAt in month 13', parsed(1, { updatedAt: '2026-13-01T00:00:00Z' }), /^updatedAt /],
  ];
  for (const [what, value, problem] of broken) {
    it(`${what}: refused, the member named`, () => {
      assert.match(productProblem(value) ?? 'passed', problem);
      assert.equal(isProduct(value), false);
      assert.throws(() => readProduct(value, 1), (error: unknown) => error instanceof ShapeError && problem.test(error.message.replace(/^not a product: /, '')));
    });
  }

  it('other ISO forms pass: a date, a zone offset, no fraction', () => {
    for (const updatedAt of ['2026-03-04', '2026-03-04T05:06:07+02:00', '2026-03-04T05:06Z', '2026-03-04T05:06:07.123456Z']) {
      assert.equal(productProblem(parsed(1, { updatedAt })), undefined, updatedAt);
    }
  });

  it('another product than the one asked for is refused', () => {
    assert.throws(() => readProduct(parsed(8), 7), /product 8 instead of product 7/);
  });

  it('unknown members, at the top and in price, are not passed on', () => {
    const extra = parsed(3, { admin: true, price: { amount: 5, currency: 'USD', discount: 100 } });
    // JSON.parse makes "__proto__" an own member, which a spread or Object.assign would act on.
    const body: unknown = JSON.parse(JSON.stringify(extra).replace(/^\{/, '{"__proto__":{"polluted":true},'));
    const product: Product = readProduct(body, 3);
    assert.deepEqual(Object.keys(product), ['id', 'sku', 'name', 'description', 'category', 'price', 'stock', 'tags', 'updatedAt']);
    assert.deepEqual(Object.keys(product.price), ['amount', 'currency']);
    assert.equal(JSON.stringify(product), JSON.stringify({ ...generateProduct(3), price: { amount: 5, currency: 'USD' } }));
    assert.equal(Object.getPrototypeOf(product), Object.prototype);
  });
});

describe('a page', () => {
  const page = (offset: number, count: number, total = 100): { items: unknown[]; total: unknown } => ({
    items: Array.from({ length: count }, (_, i) => parsed(offset + 1 + i)),
    total,
  });

  it('a page of catalog products passes, and so does an empty one; other members are dropped, in items too', () => {
    const body = page(10, 3);
    body.items[1] = parsed(12, { admin: true });
    const read = readPage({ ...body, offset: 10, nextOffset: 13 }, 10, 3);
    assert.deepEqual(read, { items: [generateProduct(11), generateProduct(12), generateProduct(13)], total: 100 });
    assert.deepEqual(readPage({ items: [], total: 0 }, 0, 20), { items: [], total: 0 });
  });

  it('ids with gaps pass when they ascend from offset + 1 or above', () => {
    const body = { items: [parsed(12), parsed(40), parsed(41)], total: 60 };
    assert.deepEqual(readPage(body, 10, 5).items.map((p) => p.id), [12, 40, 41]);
  });

  const broken: [string, unknown, RegExp][] = [
    ['an array', [parsed(1)], /not a page: it is not an object/],
    ['no items', { total: 3 }, /items is not an array/],
    ['items as an object', { items: { 0: parsed(1) }, total: 3 }, /items is not an array/],
    ['no total', { items: [] }, /total is not an integer/],
    ['total negative', { items: [], total: -1 }, /total is not an integer/],
    ['total 2.5', { items: [], total: 2.5 }, /total is not an integer/],
    ['total as a string', { items: [], total: '3' }, /total is not an integer/],
    ['more items than the limit', page(0, 4), /4 items for a limit of 3/],
    ['a broken item', { items: [parsed(1), parsed(2, { stock: -1 })], total: 9 }, /items\[1\] is not a product: stock/],
    ['ids out of order', { items: [parsed(2), parsed(1)], total: 9 }, /items\[1\] has id 1, not above/],
    ['a repeated id', { items: [parsed(1), parsed(1)], total: 9 }, /items\[1\] has id 1, not above/],
    ['a first id below offset + 1', { items: [parsed(5)], total: 9 }, /items\[0\] has id 5, below 11/],
  ];
  for (const [what, value, problem] of broken) {
    it(`${what}: refused`, () => {
      assert.throws(() => readPage(value, what.startsWith('a first id') ? 10 : 0, 3), (error: unknown) => error instanceof ShapeError && problem.test(error.message));
    });
  }
});
