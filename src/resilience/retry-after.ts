// Reads an upstream's Retry-After (RFC 9110 10.2.3): delta-seconds or an HTTP-date, in
// any of the three formats a recipient must accept (RFC 9110 5.6.7). The date is matched
// against the grammar and computed with Date.UTC rather than handed to Date.parse,
// which takes "-5" or "2024" as dates and reads the asctime form in local time.
// Names are matched case-insensitively (as caches may, RFC 9111 4.2); the day name is
// not checked against the date.

const DELTA_SECONDS = /^\d+$/;
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const DAY_LONG = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** Sun, 06 Nov 1994 08:49:37 GMT */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
/** Sunday, 06-Nov-94 08:49:37 GMT */
const RFC850_DATE = new RegExp(`^${DAY_LONG}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
/** Sun Nov  6 08:49:37 1994 (GMT, though it does not say so) */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} (\\d{2}| \\d) ${TIME} (\\d{4})$`, 'i');
const MONTHS = 'janfebmaraprmayjunjulaugsepoctnovdec';
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/**
 * ms to wait as a Retry-After value asks: 0 for a date already past, undefined for a
 * missing, empty or malformed value (a negative number, a fraction, a date that does not
 * exist). Never NaN or Infinity; an absurdly long wait comes back as a large finite
 * number, for the caller to cap.
 * @param nowEpochMs wall-clock time (Date.now()), which an HTTP-date is compared with
 */
export function parseRetryAfter(value: string | undefined, nowEpochMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (DELTA_SECONDS.test(text)) return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER);
  const at = parseHttpDate(text, nowEpochMs);
  return at === undefined ? undefined : Math.max(0, at - nowEpochMs);
}

/** Epoch ms of an HTTP-date, or undefined if `text` is not one. */
function parseHttpDate(text: string, nowEpochMs: number): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return utc(Number(m[3]), m[2], m[1], m[4], m[5], m[6]);
  m = ASCTIME_DATE.exec(text);
  if (m !== null) return utc(Number(m[6]), m[1], m[2], m[3], m[4], m[5]);
  m = RFC850_DATE.exec(text);
  if (m !== null) return utc(fullYear(Number(m[3]), nowEpochMs), m[2], m[1], m[4], m[5], m[6]);
  return undefined;
}

/** RFC 9110: a two-digit year more than 50 years ahead is the latest such year in the past. */
function fullYear(twoDigits: number, nowEpochMs: number): number {
  const thisYear = new Date(nowEpochMs).getUTCFullYear();
  const year = thisYear - (thisYear % 100) + twoDigits;
  return year > thisYear + 50 ? year - 100 : year;
}

function utc(year: number, monthName = '', day = '', hour = '', minute = '', second = ''): number | undefined {
  const month = MONTHS.indexOf(monthName.toLowerCase()) / 3;
  const d = Number(day);
  const h = Number(hour);
  const min = Number(minute);
  const s = Number(second);
  // 60 is a leap second; the grammar allows it.
  if (d < 1 || d > daysIn(year, month) || h > 23 || min > 59 || s > 60) return undefined;
  return Date.UTC(year, month, d, h, min, s);
}

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 1 && leap ? 29 : (DAYS_IN_MONTH[month] ?? 0);
}
