// Query parsing without URL: splitting, '+' as space, empty parts, names without '=',
// duplicates and malformed encodings as 400, and strict whole-number parameters.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpError } from '../../src/http/http-error.js';
import { intParam, parseQuery, percentDecode, QueryParser } from '../../src/http/query.js';

function entries(raw: string): [string, string][] {
  return [...parseQuery(raw)];
}

/** A matcher for assert.throws: an HttpError 400 whose detail contains every needle. */
function is400(...needles: string[]): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof HttpError, `expected HttpError, got ${String(error)}`);
    assert.equal(error.status, 400);
    for (const needle of needles) assert.ok(error.detail.includes(needle), `${error.detail} lacks ${needle}`);
    return true;
  };
}

describe('parseQuery', () => {
  test('splits on & and the first =, in order', () => {
    assert.deepEqual(entries('a=1&b=2'), [
      ['a', '1'],
      ['b', '2'],
    ]);
    assert.deepEqual(entries('x=1=2'), [['x', '1=2']]);
  });

  test("an '=' in a later part does not belong to an earlier part without one", () => {
    assert.deepEqual(entries('a&b=1&c'), [
      ['a', ''],
      ['b', '1'],
      ['c', ''],
    ]);
    // Two parts with the empty name are one parameter given twice.
    assert.throws(() => parseQuery('=1&='), is400('""'));
  });

  test('an empty query is an empty map', () => {
    assert.equal(parseQuery('').size, 0);
  });

  test('empty parts are skipped', () => {
    assert.deepEqual(entries('&a=1&&b=2&'), [
      ['a', '1'],
      ['b', '2'],
    ]);
    assert.equal(parseQuery('&&&').size, 0);
  });

  test('a name without "=" has the empty value, as does "name="', () => {
    assert.deepEqual(entries('flag&b='), [
      ['flag', ''],
      ['b', ''],
    ]);
  });

  test('"+" is a space in names and values; %2B is a literal plus', () => {
    assert.deepEqual(entries('q=red+shoes&a+b=1&p=%2B1'), [
      ['q', 'red shoes'],
      ['a b', '1'],
      ['p', '+1'],
    ]);
  });

  test('names and values are percent-decoded', () => {
    assert.deepEqual(entries('n%61me=caf%C3%A9&e=%26%3D'), [
      ['name', 'café'],
      ['e', '&='],
    ]);
  });

  test('a repeated name is a 400 naming it, also when spelt differently', () => {
    assert.throws(() => parseQuery('a=1&a=2'), is400('"a"'));
    assert.throws(() => parseQuery('a&a'), is400('"a"'));
    // %61 decodes to "a": the same parameter.
    assert.throws(() => parseQuery('a=1&%61=2'), is400('"a"'));
  });

  for (const bad of ['a=%zz', 'a=%', 'a=%E0%A4%A', '%zz=1', 'a=1&b=%G0']) {
    test(`malformed encoding ${JSON.stringify(bad)} is a 400`, () => {
      assert.throws(() => parseQuery(bad), is400('malformed percent-encoding'));
    });
  }

  test('the same text parses to the same answer again, and a bad one is refused again', () => {
    const queries = new QueryParser();
    assert.deepEqual([...queries.parse('page=2&limit=20')], [
      ['page', '2'],
      ['limit', '20'],
    ]);
    assert.deepEqual([...queries.parse('page=2&limit=20')], [
      ['page', '2'],
      ['limit', '20'],
    ]);
    // A refused query is never kept as if it had parsed.
    assert.throws(() => queries.parse('a=1&a=2'), is400('"a"'));
    assert.throws(() => queries.parse('a=1&a=2'), is400('"a"'));
    assert.throws(() => queries.parse('x=%zz'), is400('%zz'));
    assert.throws(() => queries.parse('x=%zz'), is400('%zz'));
  });

  test('a flood of distinct queries keeps at most 256 parsed, and long ones are not kept', () => {
    const queries = new QueryParser();
    for (let i = 0; i < 10_000; i++) {
      assert.equal(queries.parse(`id=${i}`).get('id'), String(i));
      assert.ok(queries.size <= 256, `${queries.size} kept after ${i + 1} distinct queries`);
    }
    // The bound holds because the cache empties when full, not because nothing is kept.
    assert.ok(queries.size > 0);
    const before = queries.size;
    const long = 'q=' + 'x'.repeat(300);
    assert.equal(queries.parse(long).get('q'), 'x'.repeat(300));
    assert.equal(queries.size, before, 'a query over 256 characters is parsed but not kept');
  });

});

describe('percentDecode', () => {
  test('decodes, leaves plain text and "+" alone, refuses malformed input with 400', () => {
    assert.equal(percentDecode('%31'), '1');
    assert.equal(percentDecode('a%20b'), 'a b');
    assert.equal(percentDecode('a+b'), 'a+b');
    assert.equal(percentDecode('plain'), 'plain');
    assert.throws(() => percentDecode('%zz'), is400('%zz'));
  });

  test('the echoed input in the detail is capped at 64 characters', () => {
    const long = '%zz' + 'x'.repeat(200);
    assert.throws(() => percentDecode(long), (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.detail, `malformed percent-encoding in "${long.slice(0, 64)}"`);
      return true;
    });
  });
});

describe('intParam', () => {
  const q = (raw: string) => parseQuery(raw);

  test('accepts whole numbers within range', () => {
    assert.equal(intParam(q('n=0'), 'n', 5, 0, 100), 0);
    assert.equal(intParam(q('n=15'), 'n', 5, 0, 100), 15);
    assert.equal(intParam(q('n=100'), 'n', 5, 0, 100), 100);
    assert.equal(intParam(q('n=007'), 'n', 5, 0, 100), 7);
  });

  test('up to 15 digits, the largest exactly', () => {
    assert.equal(intParam(q('n=999999999999999'), 'n', 5, 0, Number.MAX_SAFE_INTEGER), 999_999_999_999_999);
    assert.equal(intParam(q('n=000000000000001'), 'n', 5, 0, 100), 1);
  });

  test('returns the fallback only when the parameter is absent', () => {
    assert.equal(intParam(q(''), 'n', 20, 1, 100), 20);
    assert.equal(intParam(q('other=3'), 'n', 20, 1, 100), 20);
  });

  // "n=+1" arrives as " 1" ('+' is a space); "n" alone is the empty string.
  for (const raw of ['-1', '1.5', '1e3', '', '12abc', '%201', '+1', '0x10', '1%00', '1234567890123456']) {
    test(`refuses n=${raw} with a 400 naming the parameter`, () => {
      assert.throws(() => intParam(q(`n=${raw}`), 'n', 5, 0, Number.MAX_SAFE_INTEGER), is400('"n"'));
    });
  }

  test('a bare name (no "=") is refused, not taken as absent', () => {
    assert.throws(() => intParam(q('n'), 'n', 5, 0, 100), is400('"n"'));
  });

  test('out of range is a 400', () => {
    assert.throws(() => intParam(q('limit=0'), 'limit', 20, 1, 1000), is400('"limit"', 'from 1 to 1000', '"0"'));
    assert.throws(() => intParam(q('limit=1001'), 'limit', 20, 1, 1000), is400('"limit"', '"1001"'));
  });
});
