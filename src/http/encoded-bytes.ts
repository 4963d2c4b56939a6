// What a cached response costs the cache's byte budget (CACHE_MAX_BYTES): its body, the
// string copy a small body is written from (wire-body.ts), its compressed variants as
// they are made, and an allowance for the objects around them.
import type { Growth } from '../cache/ttl-cache.js';
import type { Encoded } from './respond.js';

/** The entry, response, representation, header strings and map slot around the bodies. */
export const ENTRY_OVERHEAD_BYTES = 256;

/** The bytes an encoded response holds now; a stored one reports its variants to `growth` as they are made. */
export function measureEncoded(encoded: Encoded, growth: Growth): number {
  const copy = typeof encoded.wire === 'string' ? encoded.wire.length : 0;
  const variants = encoded.stored === null ? 0 : encoded.stored.track(growth);
  return ENTRY_OVERHEAD_BYTES + encoded.body.length + copy + variants;
}
