// Address blocks (CIDR) and whether an address falls in one. An IPv4 block is held in the
// IPv4-mapped space (a /8 becomes a /104), as addresses are (address.ts), so an IPv4
// client reported by a dual-stack socket as ::ffff:a.b.c.d matches 10.0.0.0/8.
import { isIpv4, parseIp, type IpBits } from './address.js';

export interface Cidr {
  readonly bits: IpBits;
  /** Leading bits that must match, 0..128 in the IPv6 space. */
  readonly prefix: number;
}

/** `10.0.0.0/8`, `fd00::/8`, or a single address (a /32 or /128); undefined if malformed.
 *  Host bits set below the prefix are ignored, as routers do. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === undefined || text.includes('%')) return undefined;
  const v4 = isIpv4(ip) && !text.includes(':');
  if (slash < 0) return { bits: ip, prefix: 128 };
  const digits = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(digits)) return undefined;
  const length = Number(digits);
  if (length > (v4 ? 32 : 128)) return undefined;
  // ::ffff:10.0.0.0/8 would be ::/8, every IPv4 client: an IPv4-mapped block is refused
  // unless its prefix reaches into the IPv4 part.
  if (!v4 && isIpv4(ip) && length < 96) return undefined;
  return { bits: ip, prefix: v4 ? 96 + length : length };
}

export function cidrContains(cidr: Cidr, ip: IpBits): boolean {
  let left = cidr.prefix;
  for (let i = 0; i < 8 && left > 0; i++, left -= 16) {
    const mask = left >= 16 ? 0xffff : (0xffff << (16 - left)) & 0xffff;
    if ((cidr.bits[i]! & mask) !== (ip[i]! & mask)) return false;
  }
  return true;
}

export function anyContains(cidrs: readonly Cidr[], ip: IpBits): boolean {
  for (let i = 0; i < cidrs.length; i++) if (cidrContains(cidrs[i]!, ip)) return true;
  return false;
}
