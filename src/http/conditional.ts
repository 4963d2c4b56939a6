// Conditional requests (RFC 9110 section 13), evaluated in the order of 13.2.2:
// If-Match (strong comparison) or else If-Unmodified-Since can fail the request (412);
// then If-None-Match (weak comparison, a list, `*`) or else If-Modified-Since can make
// it a 304. Only GET and HEAD are ever answered 304.
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether `header` (an If-None-Match or If-Match value) matches `etag`. Weak comparison
 * (If-None-Match): the opaque tags are equal, whether either is marked W/. Strong
 * comparison (If-Match): equal, and neither is weak. Entity tags may contain commas,
 * so the list is scanned by quotes, not split on ','.
 */
function noneMatchHits(header: string, etag: string, strong = false): boolean {
  if (strong && etag.startsWith('W/')) return header.trim() === '*';
  const wanted = opaque(etag);
  let i = 0;
  const n = header.length;
  while (i < n) {
    const c = header.charCodeAt(i);
    if (c === 32 || c === 9 || c === 44 /* , */) {
      i++;
      continue;
    }
    if (c === 42 /* * */) return true;
    let start = i;
    const weak = c === 87 /* W */ && header.charCodeAt(i + 1) === 47; /* / */
    if (weak) start = i += 2;
    if (header.charCodeAt(i) !== 34 /* " */) return false; // malformed: treat as no match
    const end = header.indexOf('"', i + 1);
    if (end < 0) return false;
    if (!(strong && weak) && header.slice(start, end + 1) === wanted) return true;
    i = end + 1;
  }
  return false;
}

function opaque(etag: string): string {
  return etag.startsWith('W/') ? etag.slice(2) : etag;
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
/** IMF-fixdate, obsolete RFC 850 and asctime forms (RFC 9110 section 5.6.7). */
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT` +
    `|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} ${TIME} GMT` +
    `|${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4})$`,
);

/** Whether a resource last modified at `lastModifiedMs` (whole seconds) is unchanged since
 *  the If-Modified-Since date. An unparsable date is ignored, as RFC 9110 requires. */
function unmodifiedSince(header: string, lastModifiedMs: number): boolean {
  // Date.parse also takes "2099" or "12/31/2099"; only the three HTTP-date forms count.
  const date = header.trim();
  if (!HTTP_DATE.test(date)) return false;
  // asctime carries no zone and means UTC; Date.parse would read it as local time.
  const since = Date.parse(date.endsWith(' GMT') ? date : date + ' GMT');
  return Number.isFinite(since) && lastModifiedMs <= since;
}

/** Whether a GET/HEAD request with these headers may be answered 304. */
function isNotModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  etag: string,
  lastModifiedMs: number,
): boolean {
  if (ifNoneMatch !== undefined) return noneMatchHits(ifNoneMatch, etag);
  if (ifModifiedSince !== undefined) return unmodifiedSince(ifModifiedSince, lastModifiedMs);
  return false;
}

/** What the preconditions of a GET/HEAD say: answer normally, 304, or 412. */
export type Precondition = 'send' | 'not-modified' | 'failed';

/** RFC 9110 13.2.2, for a representation with these validators. The common request has
 *  none of the four headers and pays four property reads. */
export function evaluatePreconditions(h: IncomingHttpHeaders, etag: string, lastModifiedMs: number): Precondition {
  const ifMatch = h['if-match'];
  if (ifMatch !== undefined) {
    if (!noneMatchHits(ifMatch, etag, true)) return 'failed';
  } else {
    const ifUnmodifiedSince = h['if-unmodified-since'];
    // An unparsable date is ignored (13.1.4), so only a valid, earlier date fails.
    if (ifUnmodifiedSince !== undefined && isHttpDate(ifUnmodifiedSince) && !unmodifiedSince(ifUnmodifiedSince, lastModifiedMs)) return 'failed';
  }
  return isNotModified(h['if-none-match'], h['if-modified-since'], etag, lastModifiedMs) ? 'not-modified' : 'send';
}

function isHttpDate(header: string): boolean {
  return HTTP_DATE.test(header.trim());
}
