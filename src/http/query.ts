// Query strings without new URL(): split on & and =, percent-decode. Every part is kept,
// repeats included, in order: whether a name may repeat is its schema's decision
// (validation/query-schema.ts).
import { ENCODING_DETAIL, type InputErrors } from './validation/invalid.js';

export interface QueryPart {
  readonly name: string;
  readonly value: string;
}

const NONE: readonly QueryPart[] = Object.freeze([]);

/** Parses `a=1&b=2`. A part that cannot be decoded is recorded in `errors` and skipped. */
export function parseQuery(raw: string, errors: InputErrors): readonly QueryPart[] {
  if (raw === '') return NONE;
  const parts: QueryPart[] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const name = decode(rawName);
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (name === undefined || value === undefined) {
      errors.add('query', name ?? rawName, 'encoding', ENCODING_DETAIL, part);
      continue;
    }
    parts.push({ name, value });
  }
  return parts;
}

/** A query component: '+' is a space, as HTML forms send it. */
function decode(text: string): string | undefined {
  return percentDecode(text.includes('+') ? text.replaceAll('+', ' ') : text);
}

/** Percent-decoding of a path segment or query component; undefined when malformed. */
export function percentDecode(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
