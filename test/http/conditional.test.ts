// Conditional requests as pure functions: If-None-Match lists, `*`, weak comparison both
// ways, tags with commas, malformed values; If-Modified-Since dates; INM beats IMS.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNotModified, noneMatchHits, unmodifiedSince } from '../../src/http/conditional.js';

describe('noneMatchHits', () => {
  const hits: readonly [string, string][] = [
    ['"abc"', '"abc"'],
    ['*', '"abc"'],
    ['  *  ', '"abc"'],
    ['"x", "abc", "y"', '"abc"'],
    ['"x","abc"', '"abc"'],
    ['\t"x" ,\t"abc"', '"abc"'],
    // Weak comparison, whichever side is weak.
    ['W/"abc"', '"abc"'],
    ['"abc"', 'W/"abc"'],
    ['W/"abc"', 'W/"abc"'],
    ['"x", W/"abc"', '"abc"'],
    // Commas inside an entity tag do not split it.
    ['"a,b"', '"a,b"'],
    ['"z", "a,b"', '"a,b"'],
    ['"x,", "abc"', '"abc"'],
    ['""', '""'],
  ];
  for (const [header, etag] of hits) {
    test(`${header} matches ${etag}`, () => assert.equal(noneMatchHits(header, etag), true));
  }

  const misses: readonly [string, string][] = [
    ['"abd"', '"abc"'],
    ['"ab"', '"abc"'],
    ['"abcd"', '"abc"'],
    ['"x", "y"', '"abc"'],
    ['', '"abc"'],
    ['   ', '"abc"'],
    // Part of a tag is not the tag.
    ['"a,b"', '"a"'],
    ['"a,b"', '"b"'],
    ['"abc-gz"', '"abc"'],
    ['"abc"', '"abc-gz"'],
    // Malformed: unquoted, lower-case w/, unterminated, a stray token.
    ['abc', '"abc"'],
    ['w/"abc"', '"abc"'],
    ['"abc', '"abc"'],
    ['W/abc', '"abc"'],
    ['junk "abc"', '"abc"'],
    ['W/', '"abc"'],
  ];
  for (const [header, etag] of misses) {
    test(`${JSON.stringify(header)} does not match ${etag}`, () => assert.equal(noneMatchHits(header, etag), false));
  }
});

describe('unmodifiedSince', () => {
  const lastModified = Date.UTC(2026, 3, 25, 3, 59, 46);
  const http = (ms: number): string => new Date(ms).toUTCString();

  test('equal date: unmodified', () => assert.equal(unmodifiedSince(http(lastModified), lastModified), true));
  test('a later date: unmodified', () => assert.equal(unmodifiedSince(http(lastModified + 1000), lastModified), true));
  test('a second earlier: modified', () => assert.equal(unmodifiedSince(http(lastModified - 1000), lastModified), false));
  test('the obsolete RFC 850 form parses too', () => {
    assert.equal(unmodifiedSince('Saturday, 25-Apr-26 03:59:46 GMT', lastModified), true);
    assert.equal(unmodifiedSince('Saturday, 25-Apr-26 03:59:45 GMT', lastModified), false);
  });
  for (const invalid of ['', 'garbage', 'yesterday', 'Sat, 99 Foo 2026 99:99:99 GMT']) {
    test(`invalid date ${JSON.stringify(invalid)} is ignored`, () => assert.equal(unmodifiedSince(invalid, lastModified), false));
  }
  // RFC 9110 13.1.3: a value that is not an HTTP-date MUST be ignored. V8's Date.parse
  // accepts far more ("2099", "soon 2099", ISO dates), so these answer 304 today.
  for (const invalid of ['2099', 'soon 2099', '2099-01-01', '12/31/2099']) {
    test(`non-HTTP-date ${JSON.stringify(invalid)} is ignored`, () => {
      assert.equal(unmodifiedSince(invalid, lastModified), false);
    });
  }
});

describe('isNotModified', () => {
  const etag = '"v1"';
  const lastModified = Date.UTC(2026, 0, 1);
  const later = new Date(lastModified + 60_000).toUTCString();
  const earlier = new Date(lastModified - 60_000).toUTCString();

  test('no validators: modified', () => assert.equal(isNotModified(undefined, undefined, etag, lastModified), false));
  test('If-None-Match alone decides', () => {
    assert.equal(isNotModified('"v1"', undefined, etag, lastModified), true);
    assert.equal(isNotModified('"v0"', undefined, etag, lastModified), false);
  });
  test('If-Modified-Since alone decides', () => {
    assert.equal(isNotModified(undefined, later, etag, lastModified), true);
    assert.equal(isNotModified(undefined, earlier, etag, lastModified), false);
  });
  test('If-None-Match present: If-Modified-Since is ignored', () => {
    assert.equal(isNotModified('"v0"', later, etag, lastModified), false);
    assert.equal(isNotModified('"v1"', earlier, etag, lastModified), true);
    // Even a malformed If-None-Match wins over a matching date.
    assert.equal(isNotModified('garbage', later, etag, lastModified), false);
  });
});
