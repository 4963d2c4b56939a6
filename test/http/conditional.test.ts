// Conditional requests through evaluatePreconditions, the one entry point responses use:
// If-None-Match lists, `*`, weak comparison both ways, tags with commas, malformed values;
// If-Modified-Since dates; INM beats IMS.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { evaluatePreconditions } from '../../src/http/conditional.js';

/** Whether a GET with these validators is answered 304 (the validators given are sent). */
function notModified(ifNoneMatch: string | undefined, ifModifiedSince: string | undefined, etag: string, lastModifiedMs: number): boolean {
  const headers: IncomingHttpHeaders = {};
  if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch;
  if (ifModifiedSince !== undefined) headers['if-modified-since'] = ifModifiedSince;
  return evaluatePreconditions(headers, etag, lastModifiedMs) === 'not-modified';
}

/** If-None-Match alone. */
const notModifiedByTag = (header: string, etag: string): boolean => notModified(header, undefined, etag, 0);
/** If-Modified-Since alone. */
const notModifiedByDate = (header: string, lastModifiedMs: number): boolean => notModified(undefined, header, '"e"', lastModifiedMs);

describe('If-None-Match', () => {
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
    test(`${header} matches ${etag}`, () => assert.equal(notModifiedByTag(header, etag), true));
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
    test(`${JSON.stringify(header)} does not match ${etag}`, () => assert.equal(notModifiedByTag(header, etag), false));
  }
});

describe('If-Modified-Since', () => {
  const lastModified = Date.UTC(2026, 3, 25, 3, 59, 46);
  const http = (ms: number): string => new Date(ms).toUTCString();

  test('equal date: unmodified', () => assert.equal(notModifiedByDate(http(lastModified), lastModified), true));
  test('a later date: unmodified', () => assert.equal(notModifiedByDate(http(lastModified + 1000), lastModified), true));
  test('a second earlier: modified', () => assert.equal(notModifiedByDate(http(lastModified - 1000), lastModified), false));
  test('the obsolete RFC 850 form parses too', () => {
    assert.equal(notModifiedByDate('Saturday, 25-Apr-26 03:59:46 GMT', lastModified), true);
    assert.equal(notModifiedByDate('Saturday, 25-Apr-26 03:59:45 GMT', lastModified), false);
  });
  for (const invalid of ['', 'garbage', 'yesterday', 'Sat, 99 Foo 2026 99:99:99 GMT']) {
    test(`invalid date ${JSON.stringify(invalid)} is ignored`, () => assert.equal(notModifiedByDate(invalid, lastModified), false));
  }
  // RFC 9110 13.1.3: a value that is not an HTTP-date MUST be ignored. V8's Date.parse
  // accepts far more ("2099", "soon 2099", ISO dates), so these answer 304 today.
  for (const invalid of ['2099', 'soon 2099', '2099-01-01', '12/31/2099']) {
    test(`non-HTTP-date ${JSON.stringify(invalid)} is ignored`, () => {
      assert.equal(notModifiedByDate(invalid, lastModified), false);
    });
  }
});

describe('If-None-Match and If-Modified-Since', () => {
  const etag = '"v1"';
  const lastModified = Date.UTC(2026, 0, 1);
  const later = new Date(lastModified + 60_000).toUTCString();
  const earlier = new Date(lastModified - 60_000).toUTCString();

  test('no validators: modified', () => assert.equal(notModified(undefined, undefined, etag, lastModified), false));
  test('If-None-Match alone decides', () => {
    assert.equal(notModified('"v1"', undefined, etag, lastModified), true);
    assert.equal(notModified('"v0"', undefined, etag, lastModified), false);
  });
  test('If-Modified-Since alone decides', () => {
    assert.equal(notModified(undefined, later, etag, lastModified), true);
    assert.equal(notModified(undefined, earlier, etag, lastModified), false);
  });
  test('If-None-Match present: If-Modified-Since is ignored', () => {
    assert.equal(notModified('"v0"', later, etag, lastModified), false);
    assert.equal(notModified('"v1"', earlier, etag, lastModified), true);
    // Even a malformed If-None-Match wins over a matching date.
    assert.equal(notModified('garbage', later, etag, lastModified), false);
  });
});
