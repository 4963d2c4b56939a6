// IP addresses parsed by hand into one form: eight 16-bit groups, an IPv4 address held as
// its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so one prefix match serves both families.
// Strict: no leading zeros in IPv4 parts (010 would read as octal elsewhere), no empty or
// oversized groups; a zone (%eth0) is dropped. Anything else is not an address.

/** Eight 16-bit groups, most significant first. */
export type IpBits = Uint16Array;

function parseIpv4Into(text: string, from: number, out: IpBits, at: number): boolean {
  let part = 0;
  let digits = 0;
  let parts = 0;
  let value = 0;
  for (let i = from; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; /* a final '.' closes the last part */
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return false; // a leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return false;
    } else if (c === 46 /* . */) {
      if (digits === 0 || ++parts > 4) return false;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (parts !== 4) return false;
  out[at] = Math.floor(value / 65536);
  out[at + 1] = value % 65536;
  return true;
}

function parseIpv6Into(text: string, out: IpBits): boolean {
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) return false;
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups: number[] = [];
  const all = [...left, ...right];
  // An IPv4 tail (::ffff:1.2.3.4) fills the last two groups.
  const last = all[all.length - 1];
  const v4Tail = last !== undefined && last.includes('.');
  // An IPv4 part ends an address: before a '::' (1.2.3.4::) it is not one.
  if (v4Tail && gap >= 0 && right.length === 0) return false;
  const wanted = v4Tail ? 6 : 8;
  const count = all.length - (v4Tail ? 1 : 0);
  if (gap < 0 ? count !== wanted : count > wanted - 1) return false;
  for (let i = 0; i < count; i++) {
    const group = all[i]!;
    if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return false;
    groups.push(parseInt(group, 16));
  }
  const leftCount = v4Tail && right.length === 0 ? left.length - 1 : left.length;
  let at = 0;
  for (let i = 0; i < leftCount; i++) out[at++] = groups[i]!;
  const zeros = wanted - count;
  for (let i = 0; i < zeros; i++) out[at++] = 0;
  for (let i = leftCount; i < count; i++) out[at++] = groups[i]!;
  if (v4Tail) return parseIpv4Into(last, 0, out, 6);
  return true;
}

/** The address in `text` (IPv4 dotted quad or IPv6, zone dropped), or undefined. */
export function parseIp(text: string): IpBits | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  const out = new Uint16Array(8);
  if (text.includes(':')) {
    const zone = text.indexOf('%');
    if (zone === text.length - 1) return undefined; // '%' with no zone after it
    return parseIpv6Into(zone < 0 ? text : text.slice(0, zone), out) ? out : undefined;
  }
  out[5] = 0xffff;
  return parseIpv4Into(text, 0, out, 6) ? out : undefined;
}

/** An IPv4 address, or one written IPv4-mapped (::ffff:a.b.c.d). */
export function isIpv4(ip: IpBits): boolean {
  return ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] === 0 && ip[4] === 0 && ip[5] === 0xffff;
}

/**
 * Who a client is for per-client limits: an IPv4 address as itself (an IPv4-mapped one
 * too), an IPv6 address by its /64, the block one subscriber usually gets whole, so a
 * client cannot take a fresh bucket per address of its own prefix.
 */
export function clientKeyOf(ip: IpBits): string {
  if (isIpv4(ip)) return `${ip[6]! >> 8}.${ip[6]! & 255}.${ip[7]! >> 8}.${ip[7]! & 255}`;
  return `${ip[0]!.toString(16)}:${ip[1]!.toString(16)}:${ip[2]!.toString(16)}:${ip[3]!.toString(16)}::/64`;
}

/** The client key of an address written as text, or undefined when it is not one. */
export function clientKey(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ip = parseIp(text);
  return ip === undefined ? undefined : clientKeyOf(ip);
}
