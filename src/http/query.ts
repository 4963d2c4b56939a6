// Query strings without new URL(): split on & and =, percent-decode, refuse ambiguity.
import { badRequest } from './http-error.js';

const EMPTY: ReadonlyMap<string, string> = new Map();

/** Parses `a=1&b=2`. Malformed percent-encoding or a repeated name is a 400. */
export function parseQuery(raw: string): ReadonlyMap<string, string> {
  return raw === '' ? EMPTY : parseParts(raw);
}

/**
 * parseQuery with a memory of recent queries, for the routes that see heavy traffic.
 * Clients send the same few queries again and again (a page size, a format, ms=1), and a
 * parse costs a Map and strings per part. Bounded by entry count and key length, and
 * emptied when full, so a flood of distinct queries costs one parse each, as it would
 * without it, and holds no memory. One per app (app.ts).
 */
export class QueryParser {
  private readonly parsed = new Map<string, ReadonlyMap<string, string>>();

  /** The result is shared with later requests sending the same text: read it, never change it. */
  parse(raw: string): ReadonlyMap<string, string> {
    if (raw === '') return EMPTY;
    const known = this.parsed.get(raw);
    if (known !== undefined) return known;
    const params = parseParts(raw);
    if (raw.length <= CACHE_KEY_MAX) {
      if (this.parsed.size >= CACHE_ENTRIES) this.parsed.clear();
      this.parsed.set(raw, params);
    }
    return params;
  }

  /** Queries remembered now (at most CACHE_ENTRIES). */
  get size(): number {
    return this.parsed.size;
  }
}

const CACHE_ENTRIES = 256;
const CACHE_KEY_MAX = 256;

function parseParts(raw: string): ReadonlyMap<string, string> {
  const params = new Map<string, string>();
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (params.has(name)) throw badRequest(`query parameter "${name}" is given more than once`);
    params.set(name, value);
  }
  return params;
}

/** A query component: '+' is a space, as HTML forms send it. */
function decode(text: string): string {
  return percentDecode(text.includes('+') ? text.replaceAll('+', ' ') : text);
}

/** Percent-decoding of a path segment or query component; malformed input is a 400. */
export function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw badRequest(`malformed percent-encoding in "${text.slice(0, 64)}"`);
  }
}

/**
 * A whole number from the query: digits only, within [min, max], or the fallback when
 * absent. Anything else ("-1", "1.5", "1e3", "", "12abc") is a 400 naming the parameter.
 */
export function intParam(query: ReadonlyMap<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === undefined) return fallback;
  if (!/^[0-9]{1,15}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw badRequest(`query parameter "${name}" must be a whole number from ${min} to ${max}, got "${raw.slice(0, 32)}"`);
  }
  return Number(raw);
}
