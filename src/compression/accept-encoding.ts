// Accept-Encoding negotiation (RFC 9110 section 12.5.3). Coding names and parameters are
// case-insensitive; q=0 refuses a coding; `*` stands for every coding not named, identity
// included; identity is acceptable unless refused (by name or by `*;q=0`). The highest q
// wins and the server's preference breaks ties. Unknown codings are ignored, never 406.
import type { Coding } from './codings.js';

/** What to send: a content coding, identity, or nothing acceptable (answer 406). */
export type Selection = Coding | 'identity' | 'none';

/** Parsed preferences: the q each coding gets (-1 = not mentioned). */
interface Preferences {
  readonly q: Map<string, number>;
  readonly star: number;
}

const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

function parse(header: string): Preferences {
  const q = new Map<string, number>();
  let star = -1;
  for (const element of header.split(',')) {
    const parts = element.split(';');
    const name = (parts[0] ?? '').trim().toLowerCase();
    if (name === '') continue;
    let weight = 1;
    for (let i = 1; i < parts.length; i++) {
      const param = (parts[i] ?? '').trim();
      const eq = param.indexOf('=');
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const value = param.slice(eq + 1).trim();
      // A malformed q makes the element meaningless: ignore it rather than guess.
      weight = QVALUE.test(value) ? Number(value) : Number.NaN;
    }
    if (Number.isNaN(weight)) continue;
    const canonical = name === 'x-gzip' ? 'gzip' : name;
    if (canonical === '*') star = Math.max(star, weight);
    else q.set(canonical, Math.max(q.get(canonical) ?? -1, weight));
  }
  return { q, star };
}

/**
 * Chooses the coding to send. `worthIt` says the body is compressible and big enough; when
 * it is not, identity is sent if the client accepts it, and a coding only if identity is
 * refused. `supported` is in the server's order of preference. Each distinct header is
 * parsed once in a row (clients send the same one on every request): one per Compression.
 */
export class AcceptEncoding {
  private lastHeader = '';
  private lastPrefs: Preferences = parse('');

  select(header: string | undefined, worthIt: boolean, supported: readonly Coding[]): Selection {
    // No header: the client said nothing, so send what every client reads.
    if (header === undefined) return 'identity';
    if (header !== this.lastHeader) {
      this.lastPrefs = parse(header);
      this.lastHeader = header;
    }
    return choose(this.lastPrefs, worthIt, supported);
  }
}

function choose(prefs: Preferences, worthIt: boolean, supported: readonly Coding[]): Selection {
  let best: Selection = 'none';
  let bestQ = 0;
  for (const coding of supported) {
    const named = prefs.q.get(coding);
    const q = named !== undefined ? named : prefs.star;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  const named = prefs.q.get('identity');
  // Unnamed and not covered by `*`, identity is acceptable but least preferred.
  const identityQ = named !== undefined ? named : prefs.star >= 0 ? prefs.star : Number.MIN_VALUE;
  if (identityQ <= 0) return best;
  if (!worthIt || best === 'none') return 'identity';
  // A coding wins a tie with identity: compression is what the client offered.
  return identityQ > bestQ ? 'identity' : best;
}
