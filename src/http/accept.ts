// Accept header negotiation (RFC 9110 section 12.5.1) for the few routes that offer more
// than one representation: q-values, and at equal q a specific type beats type/* which
// beats */*; the earlier offer wins a full tie.

interface Range {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseRanges(accept: string): Range[] {
  const ranges: Range[] = [];
  for (const part of accept.split(',')) {
    const [media = '', ...params] = part.split(';');
    const slash = media.indexOf('/');
    if (slash < 0) continue;
    let q = 1;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const value = Number(param.slice(eq + 1).trim());
      q = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
    }
    ranges.push({ type: media.slice(0, slash).trim().toLowerCase(), subtype: media.slice(slash + 1).trim().toLowerCase(), q });
  }
  return ranges;
}

/** The offer (a lower-case `type/subtype`) the client prefers; the first offer when there
 *  is no Accept header, undefined when every offer is refused. */
export function preferredMediaType(accept: string | undefined, offers: readonly string[]): string | undefined {
  if (accept === undefined || accept.trim() === '') return offers[0];
  const ranges = parseRanges(accept);
  let best: string | undefined;
  let bestQ = 0;
  let bestSpecificity = -1;
  for (const offer of offers) {
    const [type, subtype] = offer.split('/') as [string, string];
    let q = 0;
    let specificity = -1;
    for (const range of ranges) {
      const s = range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' ? 0 : -1;
      if (s > specificity) {
        specificity = s;
        q = range.q;
      }
    }
    if (q > bestQ || (q === bestQ && q > 0 && specificity > bestSpecificity)) {
      best = offer;
      bestQ = q;
      bestSpecificity = specificity;
    }
  }
  return best;
}
