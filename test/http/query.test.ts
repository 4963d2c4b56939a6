// Query parsing without URL: splitting, '+' as space, empty parts, names without '=',
// repeats kept in order, and malformed encodings recorded as the uniform 400's errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpError } from '../../src/http/http-error.js';
import { parseQuery, percentDecode } from '../../src/http/query.js';
import { InputErrors } from '../../src/http/validation/invalid.js';

/** The parts as [name, value] pairs; fails the test if any part was refused. */
function entries(raw: string): [string, string][] {
  const errors = new InputErrors();
  const parts = parseQuery(raw, errors);
  assert.equal(errors.count, 0, `${raw} had bad parts`);
  return parts.map((p) => [p.name, p.value]);
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
    assert.deepEqual(entries('=1&='), [
      ['', '1'],
      ['', ''],
    ]);
  });

  test('an empty query has no parts; empty parts are skipped', () => {
    assert.deepEqual(entries(''), []);
    assert.deepEqual(entries('&&&'), []);
    assert.deepEqual(entries('&a=1&&b=2&'), [
      ['a', '1'],
      ['b', '2'],
    ]);
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

  test('a repeated name is kept, every time, in order (its schema decides)', () => {
    // %61 decodes to "a": the same parameter.
    assert.deepEqual(entries('a=1&b=0&a=2&%61=3'), [
      ['a', '1'],
      ['b', '0'],
      ['a', '2'],
      ['a', '3'],
    ]);
  });

  test('every malformed part is recorded, named, and skipped; the good ones are kept', () => {
    const errors = new InputErrors();
    const parts = parseQuery('a=%zz&ok=1&%zz=1&b=%E0%A4%A', errors);
    assert.deepEqual(parts, [{ name: 'ok', value: '1' }]);
    assert.equal(errors.count, 3);
    const error = errors.toError();
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 400);
    assert.deepEqual(error.errors, [
      { detail: 'must be valid percent-encoded UTF-8', in: 'query', name: 'a', rule: 'encoding' },
      // A name that cannot be decoded is named as sent.
      { detail: 'must be valid percent-encoded UTF-8', in: 'query', name: '%zz', rule: 'encoding' },
      { detail: 'must be valid percent-encoded UTF-8', in: 'query', name: 'b', rule: 'encoding' },
    ]);
    assert.equal(error.detail, 'query parameter "a" must be valid percent-encoded UTF-8, got "a=%zz" (and 2 more: see errors)');
  });
});

describe('percentDecode', () => {
  test('decodes, leaves plain text and "+" alone, and says undefined for malformed input', () => {
    assert.equal(percentDecode('%31'), '1');
    assert.equal(percentDecode('a%20b'), 'a b');
    assert.equal(percentDecode('a+b'), 'a+b');
    assert.equal(percentDecode('plain'), 'plain');
    for (const bad of ['%zz', '%', '%E0%A4%A', '%G0']) assert.equal(percentDecode(bad), undefined, bad);
  });
});
