// Retry-After values as an upstream may send them: delta-seconds, the three HTTP-date
// formats (read as GMT whatever the machine's time zone), past dates, and the garbage
// that Date.parse would accept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRetryAfter } from '../../src/resilience/retry-after.js';

/** Sun, 06 Nov 1994 08:49:00 GMT */
const NOW = Date.UTC(1994, 10, 6, 8, 49, 0);

test('delta-seconds are whole seconds in ms', () => {
  assert.equal(parseRetryAfter('120', NOW), 120_000);
  assert.equal(parseRetryAfter('0', NOW), 0);
  assert.equal(parseRetryAfter('007', NOW), 7_000);
  assert.equal(parseRetryAfter(' 5 ', NOW), 5_000);
});

test('an absurd delta is a large finite number, never Infinity', () => {
  const ms = parseRetryAfter('9'.repeat(400), NOW);
  assert.ok(ms !== undefined && Number.isFinite(ms) && ms > 1e12, String(ms));
});

test('the three HTTP-date formats name the same instant, read as GMT in any time zone', () => {
  const zone = process.env['TZ'];
  process.env['TZ'] = 'America/New_York';
  try {
    for (const date of ['Sun, 06 Nov 1994 08:49:37 GMT', 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994', 'sun, 06 nov 1994 08:49:37 gmt']) {
      assert.equal(parseRetryAfter(date, NOW), 37_000, date);
    }
    assert.equal(parseRetryAfter('Thu Nov 10 08:49:00 1994', NOW), 4 * 86_400_000);
  } finally {
    if (zone === undefined) delete process.env['TZ'];
    else process.env['TZ'] = zone;
  }
});

test('a date in the past is 0', () => {
  assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:48:59 GMT', NOW), 0);
  assert.equal(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT', NOW), 0);
});

test('a two-digit year more than 50 years ahead is read as the past century', () => {
  const in2025 = Date.UTC(2025, 0, 1);
  assert.equal(parseRetryAfter('Friday, 01-Jan-27 00:00:00 GMT', in2025), Date.UTC(2027, 0, 1) - in2025);
  assert.equal(parseRetryAfter('Saturday, 01-Jan-94 00:00:00 GMT', in2025), 0, '2094 is too far: 1994');
});

test('leap days and leap seconds exist; 31 February and hour 24 do not', () => {
  const in2023 = Date.UTC(2023, 0, 1);
  assert.equal(parseRetryAfter('Thu, 29 Feb 2024 00:00:00 GMT', in2023), Date.UTC(2024, 1, 29) - in2023);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:60 GMT', in2023), Date.UTC(2026, 0, 1) - in2023);
  for (const bad of ['Sun, 29 Feb 2025 00:00:00 GMT', 'Mon, 29 Feb 2100 00:00:00 GMT', 'Sun, 31 Apr 2025 00:00:00 GMT', 'Sun, 00 Nov 2025 00:00:00 GMT', 'Sun, 06 Nov 2025 24:00:00 GMT', 'Sun, 06 Nov 2025 08:60:00 GMT']) {
    assert.equal(parseRetryAfter(bad, in2023), undefined, bad);
  }
});

test('missing, empty, negative, fractional and non-HTTP dates are undefined', () => {
  // Several of these are dates to Date.parse.
  for (const bad of [undefined, '', ' ', '-5', '1.5', '+5', '5s', '0x10', '1e3', 'soon', '2030-01-01T00:00:00Z', 'Sun, 06 Nov 2094 08:49:37 +0000', 'Sun, 06 Nov 2094 08:49:37', '06 Nov 2094 08:49:37 GMT', 'Sun, 6 Nov 2094 08:49:37 GMT', 'Sun, 06 Nov 2094 08:49:37 GMT trailing']) {
    assert.equal(parseRetryAfter(bad, NOW), undefined, JSON.stringify(bad));
  }
});
