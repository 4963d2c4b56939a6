// TRUST_PROXY: which peers may name the client in X-Forwarded-For / Forwarded. Unset:
// none, the socket's peer is the client. A number N: the client is N hops from the
// socket (Express's `trust proxy` number). A list of addresses and blocks: every peer in
// them is a proxy, and the client is the first address outside them, walking from the
// socket leftwards (forwarded-client.ts resolves it).
import { parseCidr, type Cidr } from './cidr.js';

export type TrustProxy =
  | { readonly kind: 'none' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'cidrs'; readonly cidrs: readonly Cidr[] };

export const MAX_TRUSTED_HOPS = 64;

export type TrustProxyParse = TrustProxy | { readonly kind: 'invalid'; readonly reason: string };

/** '' is none; otherwise a hop count or a comma-separated list of IPs/CIDRs. */
export function parseTrustProxy(text: string): TrustProxyParse {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'none' };
  if (/^[0-9]+$/.test(trimmed)) {
    const hops = Number(trimmed);
    if (hops > MAX_TRUSTED_HOPS) return { kind: 'invalid', reason: `a hop count is at most ${MAX_TRUSTED_HOPS}` };
    return hops === 0 ? { kind: 'none' } : { kind: 'hops', hops };
  }
  const cidrs: Cidr[] = [];
  for (const part of trimmed.split(',')) {
    const entry = part.trim();
    const cidr = parseCidr(entry);
    if (cidr === undefined) return { kind: 'invalid', reason: `"${entry}" is not an IP address or CIDR block (expected a hop count or a list such as 10.0.0.0/8,::1)` };
    cidrs.push(cidr);
  }
  return { kind: 'cidrs', cidrs };
}
