// Conditional GET (RFC 9110 section 13): If-None-Match with its list, `*` and weak
// comparison, and If-Modified-Since, which counts only when If-None-Match is absent.
// Only GET and HEAD are ever answered 304.

/**
 * Whether `header` (an If-None-Match value) matches `etag` under weak comparison: the
 * opaque tags are equal, whether either is marked W/. Entity tags may contain commas,
 * so the list is scanned by quotes, not split on ','.
 */
export function noneMatchHits(header: string, etag: string): boolean {
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
    if (c === 87 /* W */ && header.charCodeAt(i + 1) === 47 /* / */) start = i += 2;
    if (header.charCodeAt(i) !== 34 /* " */) return false; // malformed: treat as no match
    const end = header.indexOf('"', i + 1);
    if (end < 0) return false;
    if (header.slice(start, end + 1) === wanted) return true;
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
export function unmodifiedSince(header: string, lastModifiedMs: number): boolean {
  // Date.parse also takes "2099" or "12/31/2099"; only the three HTTP-date forms count.
  const date = header.trim();
  if (!HTTP_DATE.test(date)) return false;
  // asctime carries no zone and means UTC; Date.parse would read it as local time.
  const since = Date.parse(date.endsWith(' GMT') ? date : date + ' GMT');
  return Number.isFinite(since) && lastModifiedMs <= since;
}

/** Whether a GET/HEAD request with these headers may be answered 304. */
export function isNotModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  etag: string,
  lastModifiedMs: number,
): boolean {
  if (ifNoneMatch !== undefined) return noneMatchHits(ifNoneMatch, etag);
  if (ifModifiedSince !== undefined) return unmodifiedSince(ifModifiedSince, lastModifiedMs);
  return false;
}
