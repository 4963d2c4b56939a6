// Router: static beats param (with backtracking), 404 shapes, 405 with a sorted Allow,
// HEAD via GET, percent-decoded params (400 when malformed), registration errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpError } from '../../src/http/http-error.js';
import { Router, type Handler, type RouteMatch } from '../../src/http/router.js';

const noop: Handler = () => {};

/** The matched route's pattern and params, or the failure kind, as one comparable value. */
function match(router: Router, method: string, path: string): { pattern: string; method: string; params: string[] } | RouteMatch {
  const m = router.find(method, path);
  if (m.kind !== 'found') return m;
  return { pattern: m.route.pattern, method: m.route.method, params: [...m.params] };
}

function productsRouter(staticFirst: boolean): Router {
  const router = new Router();
  if (staticFirst) {
    router.add('GET', '/products/export', noop).add('GET', '/products/{id}', noop);
  } else {
    router.add('GET', '/products/{id}', noop).add('GET', '/products/export', noop);
  }
  return router.add('GET', '/products', noop).add('GET', '/healthz', noop);
}

describe('Router matching', () => {
  for (const staticFirst of [true, false]) {
    test(`a static segment beats a parameter (static registered ${staticFirst ? 'first' : 'second'})`, () => {
      const router = productsRouter(staticFirst);
      assert.deepEqual(match(router, 'GET', '/products/export'), { pattern: '/products/export', method: 'GET', params: [] });
      assert.deepEqual(match(router, 'GET', '/products/42'), { pattern: '/products/{id}', method: 'GET', params: ['42'] });
      assert.deepEqual(match(router, 'GET', '/products'), { pattern: '/products', method: 'GET', params: [] });
    });
  }

  test('backtracks to the parameter when the static branch fails deeper', () => {
    const router = new Router().add('GET', '/a/static/x', noop).add('GET', '/a/{p}/y', noop);
    assert.deepEqual(match(router, 'GET', '/a/static/y'), { pattern: '/a/{p}/y', method: 'GET', params: ['static'] });
    assert.deepEqual(match(router, 'GET', '/a/static/x'), { pattern: '/a/static/x', method: 'GET', params: [] });
    assert.deepEqual(match(router, 'GET', '/a/other/y'), { pattern: '/a/{p}/y', method: 'GET', params: ['other'] });
    assert.deepEqual(match(router, 'GET', '/a/other/x'), { kind: 'not-found' });
  });

  test('backtracks when the static node exists but owns no route', () => {
    // /products/export is only a prefix of a longer static route here.
    const router = new Router().add('GET', '/products/export/{format}', noop).add('GET', '/products/{id}', noop);
    assert.deepEqual(match(router, 'GET', '/products/export'), { pattern: '/products/{id}', method: 'GET', params: ['export'] });
    assert.deepEqual(match(router, 'GET', '/products/export/csv'), { pattern: '/products/export/{format}', method: 'GET', params: ['csv'] });
  });

  test('a failed deeper parameter branch leaves no stale params behind', () => {
    // '/s/mid/fin' first tries /s/{x}/... (pushing "mid"), fails, then matches /{y}/mid/fin.
    const router = new Router().add('GET', '/s/{x}/end', noop).add('GET', '/{y}/mid/fin', noop);
    assert.deepEqual(match(router, 'GET', '/s/mid/fin'), { pattern: '/{y}/mid/fin', method: 'GET', params: ['s'] });
    assert.deepEqual(match(router, 'GET', '/s/mid/end'), { pattern: '/s/{x}/end', method: 'GET', params: ['mid'] });
  });

  test('unknown paths, trailing slashes, double slashes and empty params are 404', () => {
    const router = productsRouter(true);
    for (const path of ['/nope', '/products/1/', '/products/', '/products//1', '//products', '/healthz/', '/products/1/extra', '', '*', 'products']) {
      assert.deepEqual(match(router, 'GET', path), { kind: 'not-found' }, path);
    }
  });

  test('a known path with the wrong method is 405 with a sorted Allow list', () => {
    const router = new Router().add('GET', '/products/{id}', noop);
    assert.deepEqual(router.find('POST', '/products/1'), { kind: 'wrong-method', allow: 'GET, HEAD, OPTIONS' });
    assert.deepEqual(router.find('DELETE', '/products/1'), { kind: 'wrong-method', allow: 'GET, HEAD, OPTIONS' });
    // Registered out of order, listed sorted; a static path takes the exact-lookup route.
    const many = new Router().add('PUT', '/items', noop).add('DELETE', '/items', noop).add('GET', '/items', noop);
    assert.deepEqual(many.find('PATCH', '/items'), { kind: 'wrong-method', allow: 'DELETE, GET, HEAD, OPTIONS, PUT' });
    // Without GET there is no implied HEAD.
    const postOnly = new Router().add('POST', '/orders', noop);
    assert.deepEqual(postOnly.find('GET', '/orders'), { kind: 'wrong-method', allow: 'OPTIONS, POST' });
    assert.deepEqual(postOnly.find('HEAD', '/orders'), { kind: 'wrong-method', allow: 'OPTIONS, POST' });
  });

  test('HEAD is served by the GET route unless HEAD has its own', () => {
    const router = new Router().add('GET', '/products/{id}', noop).add('GET', '/x', noop);
    assert.deepEqual(match(router, 'HEAD', '/products/7'), { pattern: '/products/{id}', method: 'GET', params: ['7'] });
    assert.deepEqual(match(router, 'HEAD', '/x'), { pattern: '/x', method: 'GET', params: [] });
    router.add('HEAD', '/x', noop);
    assert.deepEqual(match(router, 'HEAD', '/x'), { pattern: '/x', method: 'HEAD', params: [] });
  });

  test('params come back percent-decoded', () => {
    const router = new Router().add('GET', '/products/{id}', noop).add('GET', '/u/{name}/{x}', noop);
    assert.deepEqual(match(router, 'GET', '/products/%31'), { pattern: '/products/{id}', method: 'GET', params: ['1'] });
    assert.deepEqual(match(router, 'GET', '/u/a%20b/%E2%82%AC'), { pattern: '/u/{name}/{x}', method: 'GET', params: ['a b', '€'] });
    // '+' is literal in a path, unlike in a query.
    assert.deepEqual(match(router, 'GET', '/products/a+b'), { pattern: '/products/{id}', method: 'GET', params: ['a+b'] });
    // An encoded slash stays inside one segment.
    assert.deepEqual(match(router, 'GET', '/products/a%2Fb'), { pattern: '/products/{id}', method: 'GET', params: ['a/b'] });
  });

  for (const bad of ['%zz', '%E0%A4%A', '%', 'a%2', '%C0%AF']) {
    test(`a malformed encoding ${JSON.stringify(bad)} throws the 400 naming the parameter`, () => {
      const router = new Router().add('GET', '/u/{name}/{x}', noop);
      assert.throws(
        () => router.find('GET', `/u/ok/${bad}`),
        (error: unknown) =>
          error instanceof HttpError &&
          error.status === 400 &&
          error.errors?.length === 1 &&
          error.errors[0]?.in === 'path' &&
          error.errors[0].name === 'x' &&
          error.errors[0].rule === 'encoding',
      );
    });
  }
});

describe('Router registration', () => {
  test('registering one method and pattern twice throws', () => {
    const router = new Router().add('GET', '/products/{id}', noop);
    assert.throws(() => router.add('GET', '/products/{id}', noop), /registered twice/);
    assert.throws(() => router.add('get', '/products/{id}', noop), /registered twice/);
    const statics = new Router().add('GET', '/healthz', noop);
    assert.throws(() => statics.add('GET', '/healthz', noop), /registered twice/);
  });

  test('conflicting parameter names at one position throw', () => {
    const router = new Router().add('GET', '/products/{id}', noop);
    assert.throws(() => router.add('GET', '/products/{sku}/x', noop), /\{sku\} conflicts with \{id\}/);
    // The same name is fine.
    router.add('GET', '/products/{id}/reviews', noop);
  });

  test('patterns must start with "/" and braces must form a whole parameter', () => {
    assert.throws(() => new Router().add('GET', 'products', noop), /must start with/);
    assert.throws(() => new Router().add('GET', '/products/{id', noop), /malformed segment/);
    assert.throws(() => new Router().add('GET', '/products/x{id}', noop), /malformed segment/);
  });

  test('routes get dense indexes in registration order and keep their pattern', () => {
    const router = new Router()
      .add('GET', '/products/{id}', noop)
      .add('get', '/products', noop)
      .add('POST', '/products', noop)
      .add('GET', '/healthz', noop);
    assert.deepEqual(
      router.routes.map((r) => [r.index, r.method, r.pattern]),
      [
        [0, 'GET', '/products/{id}'],
        [1, 'GET', '/products'],
        [2, 'POST', '/products'],
        [3, 'GET', '/healthz'],
      ],
    );
    const found = router.find('GET', '/products/9');
    assert.equal(found.kind, 'found');
    if (found.kind === 'found') assert.equal(found.route, router.routes[0]);
  });
});
