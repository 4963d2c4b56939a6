// GET /products/{id} and GET /products: status codes, exact bodies, the TTL cache as seen
// over HTTP (X-Cache, Cache-Control, store calls), singleflight and the size cap.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateProduct, type Product } from '../../src/products/catalog.js';
import { EmbeddedStore, type ProductPage, type ProductStore } from '../../src/products/store.js';
import { request, startApp, withApp, type Reply, type TestApp } from '../helpers/http.js';
import { assertInvalid } from '../helpers/problem.js';

interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}

interface Page {
  readonly items: readonly Product[];
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly nextOffset: number | null;
}

/** A store that counts its calls, for checks independent of EmbeddedStore.calls. */
class CountingStore implements ProductStore {
  gets = 0;
  lists = 0;
  private readonly inner: EmbeddedStore;
  constructor(size: number) {
    this.inner = new EmbeddedStore(size, 0);
  }
  get size(): number {
    return this.inner.size;
  }
  get calls(): number {
    return this.gets + this.lists;
  }
  get(id: number): Promise<Product | undefined> {
    this.gets++;
    return this.inner.get(id);
  }
  list(offset: number, limit: number): Promise<ProductPage> {
    this.lists++;
    return this.inner.list(offset, limit);
  }
}

/** withApp with the config first, as every test here sets one. */
function withConfig(
  overrides: Parameters<typeof startApp>[0],
  options: Parameters<typeof startApp>[1],
  body: (t: TestApp) => Promise<void>,
): Promise<void> {
  return withApp(body, overrides, options);
}

function storeCalls(t: TestApp): number {
  return t.app.store.calls ?? -1;
}

/** A 4xx problem document: exact shape, our detail, nothing from a stack. */
function assertProblem(reply: Reply, status: number): Problem {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.headers['content-type'], 'application/problem+json');
  assert.equal(reply.headers['content-length'], String(reply.body.length));
  const problem = reply.json<Problem>();
  assert.deepEqual(Object.keys(problem).sort(), ['detail', 'status', 'title', 'type']);
  assert.equal(problem.type, 'about:blank');
  assert.equal(problem.status, status);
  assert.equal(typeof problem.title, 'string');
  assert.ok(problem.title.length > 0);
  assert.equal(typeof problem.detail, 'string');
  assert.doesNotMatch(reply.text, /\bat \S+ \(|\.[jt]s:\d+|node:internal|Error:/, 'no stack trace text');
  return problem;
}

function maxAge(reply: Reply): number {
  const match = /^public, max-age=(\d+)$/.exec(String(reply.headers['cache-control']));
  assert.ok(match, `cache-control: ${String(reply.headers['cache-control'])}`);
  return Number(match[1]);
}

describe('GET /products/{id}', () => {
  test('200 JSON with every field, MISS then HIT with identical bytes', async () => {
    await withConfig({}, {}, async (t) => {
      const first = await request(t.port, '/products/1');
      assert.equal(first.status, 200);
      assert.equal(first.headers['content-type'], 'application/json');
      assert.equal(first.headers['x-cache'], 'MISS');
      assert.equal(first.headers['content-length'], String(first.body.length));
      const product = first.json<Product>();
      assert.deepEqual(Object.keys(product).sort(), [
        'category', 'description', 'id', 'name', 'price', 'sku', 'stock', 'tags', 'updatedAt',
      ]);
      assert.equal(product.id, 1);
      assert.equal(product.sku, 'TRB-00000001');
      assert.equal(typeof product.name, 'string');
      assert.equal(typeof product.description, 'string');
      assert.equal(typeof product.category, 'string');
      assert.deepEqual(Object.keys(product.price).sort(), ['amount', 'currency']);
      assert.equal(typeof product.price.amount, 'number');
      assert.equal(product.price.currency, 'USD');
      assert.ok(Number.isInteger(product.stock) && product.stock >= 0);
      assert.ok(Array.isArray(product.tags) && product.tags.length >= 1);
      assert.equal(new Date(product.updatedAt).toISOString(), product.updatedAt);
      // The exact bytes the catalog generates: nothing added or lost on the way.
      assert.equal(first.text, JSON.stringify(generateProduct(1)));

      const second = await request(t.port, '/products/1');
      assert.equal(second.status, 200);
      assert.equal(second.headers['x-cache'], 'HIT');
      assert.ok(second.body.equals(first.body), 'a HIT serves the same bytes');
      assert.equal(storeCalls(t), 1);
    });
  });

  test('Cache-Control max-age never exceeds the TTL (real clock)', async () => {
    await withConfig({ cacheTtlMs: 30_000 }, {}, async (t) => {
      const miss = await request(t.port, '/products/2');
      const n = maxAge(miss);
      assert.ok(n <= 30 && n >= 29, `max-age=${n}`);
      const hit = await request(t.port, '/products/2');
      assert.ok(maxAge(hit) <= n);
    });
  });

  test('with an injected clock, max-age counts down and the TTL expires to a MISS', async () => {
    let clock = 1_000_000;
    await withConfig({ cacheTtlMs: 30_000 }, { now: () => clock }, async (t) => {
      const miss = await request(t.port, '/products/3');
      assert.equal(miss.headers['x-cache'], 'MISS');
      assert.equal(maxAge(miss), 30);

      clock += 10_500;
      const hit = await request(t.port, '/products/3');
      assert.equal(hit.headers['x-cache'], 'HIT');
      assert.equal(maxAge(hit), 19); // floor(19.5 s)

      clock += 19_000; // 29.5 s in: still live
      const late = await request(t.port, '/products/3');
      assert.equal(late.headers['x-cache'], 'HIT');
      assert.equal(maxAge(late), 0);
      assert.equal(storeCalls(t), 1);

      clock += 500; // exactly 30 s: expired
      const again = await request(t.port, '/products/3');
      assert.equal(again.headers['x-cache'], 'MISS');
      assert.equal(maxAge(again), 30);
      assert.ok(again.body.equals(miss.body));
      assert.equal(storeCalls(t), 2, 'an expired entry goes back to the store');
    });
  });

  test('a wrapping store sees exactly one get per miss', async () => {
    const store = new CountingStore(100);
    let clock = 0;
    await withConfig({ cacheTtlMs: 1000 }, { store, now: () => clock }, async (t) => {
      for (let i = 0; i < 5; i++) assert.equal((await request(t.port, '/products/9')).status, 200);
      assert.equal(store.gets, 1);
      clock += 1000;
      assert.equal((await request(t.port, '/products/9')).headers['x-cache'], 'MISS');
      assert.equal(store.gets, 2);
      assert.equal(store.lists, 0);
    });
  });

  // Every one of these is the 400 naming the id, never a 404 or 500, and never reaches the store.
  const malformed: readonly (readonly [string, string])[] = [
    ['abc', 'type'], ['-1', 'type'], ['1.5', 'type'], ['01x', 'type'], ['%zz', 'encoding'], ['12345678901234567890', 'type'],
    ['+1', 'type'], ['%201', 'type'], ['1e3', 'type'], ['1%20', 'type'], ['0x10', 'type'], ['%31%zz', 'encoding'],
    ['1234567890123456', 'type'],
  ];
  for (const [id, rule] of malformed) {
    test(`malformed id ${JSON.stringify(id)} -> 400 naming the id (${rule})`, async () => {
      await withConfig({}, {}, async (t) => {
        const reply = await request(t.port, `/products/${id}`);
        const problem = assertInvalid(reply, 'path', 'id', rule === 'type' ? 'type' : 'encoding');
        assert.equal(problem.errors.length, 1);
        assert.equal(reply.headers['x-cache'], undefined);
        assert.equal(storeCalls(t), 0);
      });
    });
  }

  test('an empty id is no route: 404', async () => {
    await withConfig({}, {}, async (t) => {
      const problem = assertProblem(await request(t.port, '/products/'), 404);
      assert.equal(problem.detail, 'no such resource');
      assert.equal(storeCalls(t), 0);
    });
  });

  test('leading zeros: 007 is product 7 and shares its cache entry', async () => {
    await withConfig({}, {}, async (t) => {
      const seven = await request(t.port, '/products/7');
      assert.equal(seven.headers['x-cache'], 'MISS');
      const padded = await request(t.port, '/products/007');
      assert.equal(padded.status, 200);
      assert.equal(padded.headers['x-cache'], 'HIT');
      assert.ok(padded.body.equals(seven.body));
      assert.equal(padded.json<Product>().id, 7);
      // 15 digits is the limit, leading zeros included.
      const longest = await request(t.port, '/products/000000000000007');
      assert.equal(longest.headers['x-cache'], 'HIT');
      assert.equal(storeCalls(t), 1);
      assert.equal(t.app.cache.size, 1);
    });
  });

  test('unknown id: 404 problem, cached (HIT without a second store call)', async () => {
    await withConfig({}, {}, async (t) => {
      const first = await request(t.port, '/products/999999');
      const problem = assertProblem(first, 404);
      assert.equal(problem.detail, 'product 999999 does not exist');
      assert.equal(first.headers['x-cache'], 'MISS');
      assert.ok(maxAge(first) <= 5, 'the negative TTL (5 s by default) bounds max-age');
      const second = await request(t.port, '/products/999999');
      assert.equal(second.status, 404);
      assert.equal(second.headers['x-cache'], 'HIT');
      assert.ok(second.body.equals(first.body));
      assert.equal(storeCalls(t), 1);
      // id 0 is not a product either.
      assertProblem(await request(t.port, '/products/0'), 404);
    });
  });

  test('a flood of 500 distinct unknown ids keeps the cache at its cap of 50', async () => {
    await withConfig({ cacheMaxEntries: 50, catalogSize: 10 }, {}, async (t) => {
      for (let batch = 0; batch < 10; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 50 }, (_, i) => request(t.port, `/products/${1000 + batch * 50 + i}`)),
        );
        for (const reply of replies) assert.equal(reply.status, 404);
        assert.ok(t.app.cache.size <= 50, `cache size ${t.app.cache.size}`);
      }
      const stats = t.app.cache.stats();
      assert.equal(stats.entries, 50);
      assert.equal(stats.evictions, 450);
      assert.equal(storeCalls(t), 500);
    });
  });

  test('singleflight: 100 concurrent requests for one uncached id make 1 store call', async () => {
    await withConfig({ storeLatencyMs: 30 }, {}, async (t) => {
      const replies = await Promise.all(Array.from({ length: 100 }, () => request(t.port, '/products/42')));
      assert.equal(storeCalls(t), 1);
      const [first] = replies;
      assert.ok(first);
      for (const reply of replies) {
        assert.equal(reply.status, 200);
        assert.ok(reply.body.equals(first.body));
      }
      assert.equal(first.json<Product>().id, 42);
      assert.equal(t.app.cache.stats().loads, 1);
    });
  });

  test('HEAD: 200, same Content-Length as GET, empty body', async () => {
    await withConfig({}, {}, async (t) => {
      const head = await request(t.port, '/products/1', { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(head.headers['x-cache'], 'MISS');
      const get = await request(t.port, '/products/1');
      assert.equal(get.headers['x-cache'], 'HIT', 'HEAD filled the same cache entry');
      assert.equal(head.headers['content-length'], String(get.body.length));
      assert.equal(head.headers['content-type'], get.headers['content-type']);
    });
  });

  test('POST -> 405 with Allow; OPTIONS -> 204 with Allow', async () => {
    await withConfig({}, {}, async (t) => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const reply = await request(t.port, '/products/1', { method, body: '{}' });
        assertProblem(reply, 405);
        assert.equal(reply.headers['allow'], 'GET, HEAD, OPTIONS');
      }
      const options = await request(t.port, '/products/1', { method: 'OPTIONS' });
      assert.equal(options.status, 204);
      assert.equal(options.headers['allow'], 'GET, HEAD, OPTIONS');
      assert.equal(options.body.length, 0);
      const listOptions = await request(t.port, '/products', { method: 'OPTIONS' });
      assert.equal(listOptions.status, 204);
      assert.equal(listOptions.headers['allow'], 'GET, HEAD, OPTIONS');
      assert.equal(storeCalls(t), 0);
    });
  });
});

describe('GET /products', () => {
  const ids = (page: Page): number[] => page.items.map((p) => p.id);
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  test('defaults: limit 20, offset 0, ids in order, total, nextOffset', async () => {
    await withConfig({ catalogSize: 50 }, {}, async (t) => {
      const reply = await request(t.port, '/products');
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['content-type'], 'application/json');
      assert.equal(reply.headers['x-cache'], 'MISS');
      const page = reply.json<Page>();
      assert.deepEqual(ids(page), range(1, 20));
      assert.equal(page.total, 50);
      assert.equal(page.offset, 0);
      assert.equal(page.limit, 20);
      assert.equal(page.nextOffset, 20);
      assert.deepEqual(page.items[0], generateProduct(1));
      const again = await request(t.port, '/products');
      assert.equal(again.headers['x-cache'], 'HIT');
      assert.ok(again.body.equals(reply.body));
      assert.equal(storeCalls(t), 1);
    });
  });

  test('paging: middle page, last page (nextOffset null), beyond the end', async () => {
    await withConfig({ catalogSize: 50 }, {}, async (t) => {
      const middle = (await request(t.port, '/products?offset=20&limit=20')).json<Page>();
      assert.deepEqual(ids(middle), range(21, 40));
      assert.equal(middle.nextOffset, 40);

      const last = (await request(t.port, '/products?offset=40&limit=20')).json<Page>();
      assert.deepEqual(ids(last), range(41, 50));
      assert.equal(last.nextOffset, null);
      assert.equal(last.total, 50);

      const exact = (await request(t.port, '/products?offset=45&limit=5')).json<Page>();
      assert.deepEqual(ids(exact), range(46, 50));
      assert.equal(exact.nextOffset, null);

      const beyond = await request(t.port, '/products?offset=500&limit=10');
      assert.equal(beyond.status, 200);
      assert.deepEqual(beyond.json<Page>(), { items: [], total: 50, offset: 500, limit: 10, nextOffset: null });
    });
  });

  test('limit=1000 returns 1000 items, several hundred KB', async () => {
    await withConfig({}, {}, async (t) => {
      const reply = await request(t.port, '/products?limit=1000&offset=0');
      assert.equal(reply.status, 200);
      assert.ok(reply.body.length > 200_000 && reply.body.length < 2_000_000, `${reply.body.length} bytes`);
      assert.equal(reply.headers['content-length'], String(reply.body.length));
      const page = reply.json<Page>();
      assert.deepEqual(ids(page), range(1, 1000));
      assert.equal(page.total, 10_000);
      assert.equal(page.nextOffset, 1000);
    });
  });

  const bad: readonly (readonly [string, string, 'min' | 'max' | 'type' | 'repeated' | 'encoding'])[] = [
    ['limit=0', 'limit', 'min'], ['limit=1001', 'limit', 'max'], ['limit=abc', 'limit', 'type'], ['offset=-1', 'offset', 'type'],
    ['limit=1&limit=2', 'limit', 'repeated'], ['offset=%zz', 'offset', 'encoding'], ['limit=', 'limit', 'type'],
    ['limit=1.5', 'limit', 'type'], ['offset=1e3', 'offset', 'type'], ['limit=%2B5', 'limit', 'type'],
    ['offset=0&offset=0', 'offset', 'repeated'],
  ];
  for (const [query, name, rule] of bad) {
    test(`?${query} -> 400 naming ${name} (${rule})`, async () => {
      await withConfig({ catalogSize: 50 }, {}, async (t) => {
        assertInvalid(await request(t.port, `/products?${query}`), 'query', name, rule);
        assert.equal(storeCalls(t), 0);
      });
    });
  }

  test('every bad parameter at once; unknown parameters are ignored', async () => {
    await withConfig({ catalogSize: 50 }, {}, async (t) => {
      const problem = assertInvalid(await request(t.port, '/products?offset=x&limit=0'), 'query', 'offset', 'type');
      assert.deepEqual(problem.errors.map((e) => [e.name, e.rule]), [['offset', 'type'], ['limit', 'min']]);
      assert.equal(problem.detail, 'query parameter "offset" must be a whole number from 0 to 999999999999999, got "x" (and 1 more: see errors)');
      const page = (await request(t.port, '/products?limit=2&_=1&_=2')).json<Page>();
      assert.equal(page.limit, 2);
    });
  });
});

test('a store that hangs: the request gets 504 after STORE_TIMEOUT_MS, nothing is cached, the next request retries', async () => {
  let calls = 0;
  const hanging: ProductStore = {
    get: () => {
      calls++;
      return new Promise<never>(() => {}); // never settles
    },
    list: () => new Promise<never>(() => {}),
  };
  const t = await startApp({ storeTimeoutMs: 100, storeRetries: 0 }, { store: hanging });
  try {
    const started = Date.now();
    const [a, b] = await Promise.all([request(t.port, '/products/3'), request(t.port, '/products/3')]);
    for (const reply of [a, b]) {
      assert.equal(reply.status, 504);
      assert.equal(reply.headers['content-type'], 'application/problem+json');
      assert.match(reply.json<{ detail: string }>().detail, /did not answer within 100 ms/);
    }
    assert.ok(Date.now() - started < 1000);
    assert.equal(calls, 1, 'the two concurrent misses shared one call');
    assert.equal((await request(t.port, '/products/3')).status, 504);
    assert.equal(calls, 2, 'a failed load is not cached');
    assert.equal((await request(t.port, '/products?limit=2')).status, 504);
  } finally {
    await t.close();
  }
});
