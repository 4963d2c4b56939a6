// The client addresses proxies report: X-Forwarded-For (`client, proxy1, proxy2`, each
// proxy appending the peer it saw) and Forwarded (RFC 7239: `for=192.0.2.60;proto=http,
// for="[2001:db8::17]:4711"`). Both are read right to left, nearest hop first, and only
// as far as the caller needs; a client can put anything on the left. An entry that is
// not an address (for=unknown, an obfuscated _name, garbage) comes back as ''.

/** `[v6]:port`, `[v6]`, `a.b.c.d:port` or a bare address, as the address alone. */
export function stripPort(node: string): string {
  if (node.charCodeAt(0) === 91 /* [ */) {
    const close = node.indexOf(']');
    return close < 0 ? '' : node.slice(1, close);
  }
  const colon = node.indexOf(':');
  // One colon after a dotted quad is a port; more colons make an IPv6 address.
  if (colon > 0 && node.indexOf(':', colon + 1) < 0 && node.includes('.')) return node.slice(0, colon);
  return node;
}

/** Up to `max` X-Forwarded-For entries, rightmost first (comma lists from repeated headers included). */
export function xffFromRight(header: string, max: number): string[] {
  const out: string[] = [];
  let end = header.length;
  while (out.length < max) {
    // lastIndexOf clamps a negative start to 0, which would find a leading comma again.
    const comma = end === 0 ? -1 : header.lastIndexOf(',', end - 1);
    out.push(stripPort(header.slice(comma + 1, end).trim()));
    if (comma < 0) break;
    end = comma;
  }
  return out;
}

/** Up to `max` Forwarded `for=` values, rightmost element first; '' for an element without
 *  one. Elements are split from the right at commas outside quotes and parsed one by one,
 *  so junk a client put on the left (an unclosed quote) cannot swallow what proxies added. */
export function forwardedForFromRight(header: string, max: number): string[] {
  const out: string[] = [];
  let end = header.length;
  let quoted = false;
  for (let i = header.length - 1; i >= -1 && out.length < max; i--) {
    if (i >= 0) {
      const c = header.charCodeAt(i);
      if (c === 34 /* " */ && !escaped(header, i)) quoted = !quoted;
      if (c !== 44 /* , */ || quoted) continue;
    }
    const element = header.slice(i + 1, end);
    end = i;
    if (element.trim() === '') continue; // empty elements are allowed and name no one
    const values = forwardedFor(element);
    out.push(values.length === 1 ? values[0]! : '');
  }
  return out;
}

/** Whether the character at `at` follows an odd run of backslashes (a quoted-pair). */
function escaped(text: string, at: number): boolean {
  let n = 0;
  for (let i = at - 1; i >= 0 && text.charCodeAt(i) === 92 /* \ */; i--) n++;
  return n % 2 === 1;
}

/** tchar (RFC 9110 5.6.2), plus ':' in a value so that an unquoted `for=1.2.3.4:80` still reads. */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN[c.charCodeAt(0)] = 1;

function tokenEnd(text: string, from: number, colon: boolean): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!(c < 128 && TOKEN[c] === 1) && !(colon && c === 58)) break;
  }
  return i;
}

function spaceEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return i;
}

/** Each element's `for=` value (quotes and port removed), in order; empty elements are
 *  skipped. A syntax error ends the parse: what follows it counts as one element that
 *  names no address. */
export function forwardedFor(header: string): string[] {
  const out: string[] = [];
  const n = header.length;
  let value = '';
  let i = spaceEnd(header, 0);
  while (i < n) {
    const nameEnd = tokenEnd(header, i, false);
    if (nameEnd === i) {
      if (header[i] !== ',') return [...out, ''];
      i = spaceEnd(header, i + 1); // an empty element
      continue;
    }
    const name = header.slice(i, nameEnd).toLowerCase();
    i = spaceEnd(header, nameEnd);
    if (header[i] !== '=') return [...out, ''];
    i = spaceEnd(header, i + 1);
    let text = '';
    if (header[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = header[i]!;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\' && i + 1 < n) i++;
        text += header[i];
        i++;
      }
      if (!closed) return [...out, ''];
    } else {
      const end = tokenEnd(header, i, true);
      text = header.slice(i, end);
      i = end;
    }
    if (name === 'for') value = stripPort(text);
    i = spaceEnd(header, i);
    if (i >= n || header[i] === ',') {
      out.push(value);
      value = '';
      i = spaceEnd(header, i + 1);
    } else if (header[i] === ';') {
      i = spaceEnd(header, i + 1);
      if (i >= n || header[i] === ',') {
        // `for=a;, for=b`: a trailing ';' ends the element too
        out.push(value);
        value = '';
        i = spaceEnd(header, i + 1);
      }
    } else {
      return [...out, ''];
    }
  }
  return out;
}
