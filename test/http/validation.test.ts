// The declarative parameter schemas: every value type and rule, defaults, required,
// repeated, unknown names refused or ignored, every error reported at once in the uniform
// 400, the memory of recent queries, path parameters, and the TypeScript types a schema
// reads as (checked by the compiler: the suite does not build if they are wrong).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpError, type InvalidInput } from '../../src/http/http-error.js';
import { int, MAX_WHOLE, oneOf, text } from '../../src/http/validation/fields.js';
import { pathParams } from '../../src/http/validation/path-params.js';
import { query } from '../../src/http/validation/query-schema.js';

/** Runs `read` and returns the 400 it throws. */
function refusal(read: () => unknown): HttpError {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof HttpError, `expected HttpError, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.ok(error.errors !== undefined && error.errors.length > 0, 'a 400 names its inputs');
    return error;
  }
  assert.fail('expected a 400');
}

/** [name, rule] of every error, in order. */
function broken(read: () => unknown): [string, string][] {
  return (refusal(read).errors ?? []).map((e: InvalidInput) => [e.name, e.rule]);
}

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function sameType<T extends true>(): T | undefined {
  return undefined;
}

describe('int()', () => {
  const n = query({ n: int({ min: 1, max: 100, default: 5 }) });

  test('accepts digits within range; leading zeros are the same number', () => {
    assert.equal(n.read('n=1').n, 1);
    assert.equal(n.read('n=100').n, 100);
    assert.equal(n.read('n=007').n, 7);
    assert.equal(n.read('n=000000000000001').n, 1);
  });

  test('up to 15 digits, the largest exactly; 16 are refused', () => {
    const big = query({ n: int({}) });
    assert.equal(big.read('n=999999999999999').n, MAX_WHOLE);
    assert.deepEqual(broken(() => big.read('n=1000000000000000')), [['n', 'type']]);
    assert.deepEqual(broken(() => big.read('n=0000000000000001')), [['n', 'type']]);
  });

  // "n=+1" arrives as " 1" ('+' is a space); "n" alone is the empty string.
  for (const raw of ['-1', '1.5', '1e3', '', '12abc', '%201', '+1', '0x10', '1%00', 'abc', '１']) {
    test(`refuses n=${raw} as not a whole number`, () => {
      const error = refusal(() => n.read(`n=${raw}`));
      assert.deepEqual(error.errors, [{ detail: 'must be a whole number from 1 to 100', in: 'query', name: 'n', rule: 'type' }]);
    });
  }

  test('a bare name (no "=") is refused, not taken as absent', () => {
    assert.deepEqual(broken(() => n.read('n')), [['n', 'type']]);
  });

  test('below min is rule "min", above max rule "max"; the detail quotes what was sent', () => {
    const low = refusal(() => n.read('n=0'));
    assert.deepEqual(low.errors, [{ detail: 'must be a whole number from 1 to 100', in: 'query', name: 'n', rule: 'min' }]);
    assert.equal(low.detail, 'query parameter "n" must be a whole number from 1 to 100, got "0"');
    assert.deepEqual(broken(() => n.read('n=101')), [['n', 'max']]);
  });

  test('a bad declaration fails at startup', () => {
    assert.throws(() => int({ min: 5, max: 1 }), /min 5 and max 1/);
    assert.throws(() => int({ min: -1 }), /min -1/);
    assert.throws(() => int({ max: MAX_WHOLE + 1 }), /max/);
    assert.throws(() => int({ min: 0.5 }), /whole numbers/);
    assert.throws(() => int({ min: 1, max: 10, default: 0 }), /default 0 is not a whole number from 1 to 10/);
    assert.throws(() => int({ default: 1, required: true }), /neither required nor repeated/);
    assert.throws(() => int({ default: 1, repeated: true }), /neither required nor repeated/);
  });
});

describe('oneOf() and text()', () => {
  const q = query({ format: oneOf(['json', 'prometheus'], { default: 'json' }), tag: text(/^[a-z]{1,8}$/) });

  test('oneOf accepts exactly its words; anything else is rule "enum"', () => {
    assert.equal(q.read('format=prometheus').format, 'prometheus');
    assert.equal(q.read('').format, 'json');
    const error = refusal(() => q.read('format=JSON'));
    assert.deepEqual(error.errors, [{ detail: 'must be one of json, prometheus', in: 'query', name: 'format', rule: 'enum' }]);
  });

  test('text accepts what matches its pattern; anything else is rule "pattern"', () => {
    assert.equal(q.read('tag=red').tag, 'red');
    assert.equal(q.read('').tag, undefined);
    const error = refusal(() => q.read('tag=Red'));
    assert.deepEqual(error.errors, [{ detail: 'must be text matching /^[a-z]{1,8}$/', in: 'query', name: 'tag', rule: 'pattern' }]);
  });

  test('a bad declaration fails at startup', () => {
    assert.throws(() => oneOf(['a', 'b'], { default: 'c' as 'a' }), /default c is not one of a, b/);
    assert.throws(() => text(/^a$/g), /global or sticky/);
    assert.throws(() => text(/^[a-z]+$/, { default: '1' }), /default 1/);
  });
});

describe('query(): presence, repeats, unknown names', () => {
  test('absent: the default, or undefined for an optional field without one', () => {
    const q = query({ a: int({ default: 3 }), b: int({}) });
    assert.deepEqual(q.read(''), { a: 3, b: undefined });
    assert.deepEqual(q.read('b=4'), { a: 3, b: 4 });
    assert.ok(Object.hasOwn(q.read(''), 'b'), 'every declared field is in the result');
  });

  test('required: absent is rule "required", every time', () => {
    const q = query({ id: int({ required: true }) });
    assert.equal(q.read('id=9').id, 9);
    for (const raw of ['', '', 'other=1']) {
      const error = refusal(() => q.read(raw));
      assert.deepEqual(error.errors, [{ detail: 'must be given (a whole number from 0 to 999999999999999)', in: 'query', name: 'id', rule: 'required' }]);
      assert.equal(error.detail, 'query parameter "id" must be given (a whole number from 0 to 999999999999999)');
    }
  });

  test('not repeated: a second occurrence is rule "repeated", reported once however many', () => {
    const q = query({ a: int({}) });
    const error = refusal(() => q.read('a=1&a=2&a=3'));
    assert.deepEqual(error.errors, [{ detail: 'must be given at most once', in: 'query', name: 'a', rule: 'repeated' }]);
    assert.equal(error.detail, 'query parameter "a" must be given at most once');
    // Spelt differently, still the same parameter.
    assert.deepEqual(broken(() => q.read('a=1&%61=1')), [['a', 'repeated']]);
  });

  test('repeated: every occurrence collected in order; absent is the empty list', () => {
    const q = query({ id: int({ repeated: true }) });
    assert.deepEqual(q.read('id=3&id=1&id=3'), { id: [3, 1, 3] });
    assert.deepEqual(q.read(''), { id: [] });
    assert.ok(Object.isFrozen(q.read('id=1').id));
    assert.deepEqual(broken(() => q.read('id=1&id=x&id=2')), [['id', 'type']]);
    const some = query({ id: int({ repeated: true, required: true }) });
    assert.deepEqual(broken(() => some.read('')), [['id', 'required']]);
  });

  test('unknown names are ignored by default, repeats and bad values included', () => {
    const q = query({ a: int({ default: 1 }) });
    assert.deepEqual(q.read('a=2&x=1&x=zz&_=123'), { a: 2 });
  });

  test("unknown names are rule \"unknown\" with unknown: 'refuse', once per name", () => {
    const q = query({ a: int({ default: 1 }), b: int({ default: 1 }) }, { unknown: 'refuse' });
    assert.deepEqual(q.read('a=2'), { a: 2, b: 1 });
    const error = refusal(() => q.read('x=1&a=1&x=2&y'));
    assert.deepEqual(error.errors, [
      { detail: 'is not accepted here (accepted: a, b)', in: 'query', name: 'x', rule: 'unknown' },
      { detail: 'is not accepted here (accepted: a, b)', in: 'query', name: 'y', rule: 'unknown' },
    ]);
    assert.deepEqual(broken(() => query({}, { unknown: 'refuse' }).read('z=1')), [['z', 'unknown']]);
  });

  test('every bad input at once, in the order sent, missing required ones last; the detail reads the first', () => {
    const q = query({ offset: int({ default: 0 }), limit: int({ min: 1, max: 1000, default: 20 }), key: oneOf(['a', 'b'], { required: true }) });
    const error = refusal(() => q.read('limit=0&offset=-1&offset=2&bad=%zz'));
    assert.deepEqual(
      error.errors?.map((e) => [e.name, e.rule]),
      [['bad', 'encoding'], ['limit', 'min'], ['offset', 'type'], ['offset', 'repeated'], ['key', 'required']],
    );
    assert.equal(error.detail, 'query parameter "bad" must be valid percent-encoded UTF-8, got "bad=%zz" (and 4 more: see errors)');
  });

  test('a query of thousands of broken parts gets a 400 of bounded size: 20 listed, the rest counted', () => {
    const raw = Array.from({ length: 3000 }, (_, i) => `p${i}=%`).join('&');
    const error = refusal(() => query({}, { unknown: 'refuse' }).read(raw));
    assert.equal(error.errors?.length, 20);
    assert.equal(error.errors?.[0]?.name, 'p0');
    assert.match(error.detail, /\(and 2999 more: the first 20 in errors\)$/);
  });

  test('echoed names and values are cut at 64 characters', () => {
    const long = 'x'.repeat(200);
    const error = refusal(() => query({ [long]: int({}) }).read(`${long}=${long}`));
    assert.equal(error.errors?.[0]?.name, 'x'.repeat(64));
    assert.equal(error.detail, `query parameter "${'x'.repeat(64)}" must be a whole number from 0 to ${MAX_WHOLE}, got "${'x'.repeat(64)}"`);
  });
});

describe('query(): the memory of recent query texts', () => {
  test('the same text reads as the same frozen object; a refused text is refused again', () => {
    const q = query({ limit: int({ min: 1, max: 10, default: 5 }) });
    const first = q.read('limit=2');
    assert.equal(q.read('limit=2'), first);
    assert.ok(Object.isFrozen(first));
    assert.equal(q.read(''), q.read(''), 'the empty query reads as one object');
    assert.equal(q.remembered, 1);
    for (let i = 0; i < 2; i++) assert.deepEqual(broken(() => q.read('limit=0')), [['limit', 'min']]);
    assert.equal(q.remembered, 1, 'a refused text is not remembered');
  });

  test('a flood of distinct queries keeps at most 256, and long ones are not kept', () => {
    const q = query({ id: int({}) });
    for (let i = 0; i < 10_000; i++) {
      assert.equal(q.read(`id=${i}`).id, i);
      assert.ok(q.remembered <= 256, `${q.remembered} kept after ${i + 1} distinct queries`);
    }
    // The bound holds because the memory empties when full, not because nothing is kept.
    assert.ok(q.remembered > 0);
    const before = q.remembered;
    assert.equal(q.read(`id=1&pad=${'x'.repeat(300)}`).id, 1);
    assert.equal(q.remembered, before, 'a query over 256 characters is read but not kept');
  });
});

describe('pathParams()', () => {
  const route = pathParams('/shops/{shop}/items/{item}', { item: int({ min: 1 }), shop: oneOf(['north', 'south']) });

  test('each parameter is read from its place in the pattern, whatever the declaration order', () => {
    const ctx = { params: ['south', '007'] };
    assert.equal(route.pattern, '/shops/{shop}/items/{item}');
    assert.equal(route.params.item.read(ctx), 7);
    assert.equal(route.params.shop.read(ctx), 'south');
    assert.equal(route.params.item.text(ctx), '007');
  });

  test('a bad segment is the uniform 400, "in": "path"', () => {
    const error = refusal(() => route.params.item.read({ params: ['north', '0'] }));
    assert.deepEqual(error.errors, [{ detail: `must be a whole number from 1 to ${MAX_WHOLE}`, in: 'path', name: 'item', rule: 'min' }]);
    assert.equal(error.detail, `path parameter "item" must be a whole number from 1 to ${MAX_WHOLE}, got "0"`);
    assert.deepEqual(broken(() => route.params.shop.read({ params: ['east', '1'] })), [['shop', 'enum']]);
  });

  test('fields that do not match the pattern, a default or repeats fail at startup', () => {
    assert.throws(() => pathParams('/a/{id}', {}), /must be the pattern's parameters \{id\}/);
    assert.throws(() => pathParams('/a/{id}', { id: int({}), other: int({}) }), /must be the pattern's parameters/);
    assert.throws(() => pathParams('/a/{id}', { ID: int({}) }), /must be the pattern's parameters/);
    assert.throws(() => pathParams('/a/{id}', { id: int({ default: 1 }) }), /neither a default nor repeats/);
    assert.throws(() => pathParams('/a/{id}', { id: int({ repeated: true }) }), /neither a default nor repeats/);
  });
});

describe('the types a schema reads as (compile-time)', () => {
  test('follow from the fields: defaults and required give T, optional T | undefined, repeated lists, oneOf its words', () => {
    const q = query({
      offset: int({ default: 0 }),
      limit: int({ min: 1, max: 1000, default: 20 }),
      id: int({ required: true }),
      after: int({}),
      ids: int({ repeated: true }),
      format: oneOf(['json', 'prometheus'], { default: 'json' }),
      mode: oneOf(['a', 'b']),
      tag: text(/^[a-z]+$/),
    });
    const value = q.read('id=1');
    sameType<
      Equal<
        typeof value,
        {
          readonly offset: number;
          readonly limit: number;
          readonly id: number;
          readonly after: number | undefined;
          readonly ids: readonly number[];
          readonly format: 'json' | 'prometheus';
          readonly mode: 'a' | 'b' | undefined;
          readonly tag: string | undefined;
        }
      >
    >();
    const path = pathParams('/x/{id}/{kind}', { id: int({}), kind: oneOf(['p', 'q']) });
    const ctx = { params: ['1', 'p'] };
    const id = path.params.id.read(ctx);
    const kind = path.params.kind.read(ctx);
    sameType<Equal<typeof id, number>>();
    sameType<Equal<typeof kind, 'p' | 'q'>>();
    // Compiled, never run: each line must be a type error.
    const mistakes = (): void => {
      // @ts-expect-error: a schema's result cannot be changed
      value.offset = 1;
      // @ts-expect-error: no such field
      void value.nope;
      // @ts-expect-error: a default must be of the field's type
      int({ default: '1' });
      // @ts-expect-error: a oneOf default must be one of its words
      oneOf(['a', 'b'], { default: 'c' });
      // @ts-expect-error: no such parameter in the path schema
      void path.params.other;
    };
    void mistakes;
    assert.deepEqual(value, { offset: 0, limit: 20, id: 1, after: undefined, ids: [], format: 'json', mode: undefined, tag: undefined });
  });
});
