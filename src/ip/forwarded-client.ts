// Who the client is behind trusted proxies. Hop 0 is the socket's peer, hop 1 the
// rightmost X-Forwarded-For entry (what the nearest proxy saw), and so on leftwards.
// With a hop count N the client is hop N, or the leftmost entry when there are fewer
// (Express's `trust proxy` number). With trusted blocks the walk passes every hop inside
// them and the client is the first outside; entries further left are whatever the client
// wrote and are never read. An entry that is not an address stops the walk at the hop
// before it, the last one a trusted proxy vouched for. X-Forwarded-For wins when both
// headers are present (proxies append to it by default); Forwarded is read otherwise.
import { parseIp, type IpBits } from './address.js';
import { anyContains } from './cidr.js';
import { forwardedForFromRight, xffFromRight } from './forwarded.js';
import { MAX_TRUSTED_HOPS, type TrustProxy } from './trust-proxy.js';

export function forwardedClient(trust: TrustProxy, socket: IpBits, xff: string | undefined, forwarded: string | undefined): IpBits {
  if (trust.kind === 'none' || (xff === undefined && forwarded === undefined)) return socket;
  const cidrs = trust.kind === 'cidrs' ? trust.cidrs : undefined;
  if (cidrs !== undefined && !anyContains(cidrs, socket)) return socket;
  const max = trust.kind === 'hops' ? trust.hops : MAX_TRUSTED_HOPS;
  const hops = xff !== undefined ? xffFromRight(xff, max) : forwardedForFromRight(forwarded ?? '', max);
  let client = socket;
  for (const hop of hops) {
    const ip = parseIp(hop);
    if (ip === undefined) return client;
    client = ip;
    if (cidrs !== undefined && !anyContains(cidrs, ip)) return ip;
  }
  return client;
}
