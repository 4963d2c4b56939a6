// The bodies of garbage answers: a 200 an upstream client must refuse. The kinds take turns
// (not chosen at random) so a few requests are enough to meet every one of them.
import type { Product } from '../../src/products/catalog.js';

export const GARBAGE_KINDS = ['truncated', 'wrong-types', 'html', 'wrong-id'] as const;
export type GarbageKind = (typeof GARBAGE_KINDS)[number];

export interface Page {
  readonly items: readonly Product[];
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly nextOffset: number | null;
}

/** The right answer, as the service would have sent it. */
export type Valid = { readonly product: Product } | { readonly page: Page };

export interface GarbageBody {
  readonly contentType: string;
  readonly body: Buffer;
}

const HTML = Buffer.from('<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\n');

/** Numbers as strings: parses as JSON, fails a type check. */
const mistyped = (p: Product): unknown => ({ ...p, id: String(p.id), price: { amount: String(p.price.amount), currency: p.price.currency } });

function json(value: unknown): GarbageBody {
  return { contentType: 'application/json', body: Buffer.from(JSON.stringify(value)) };
}

export function garbage(kind: GarbageKind, valid: Valid, validBody: Buffer): GarbageBody {
  switch (kind) {
    case 'truncated':
      // Cut inside the document (a 2-byte "{}" loses its closing brace too).
      return { contentType: 'application/json', body: validBody.subarray(0, Math.max(1, validBody.length >> 1)) };
    case 'html':
      return { contentType: 'text/html; charset=utf-8', body: HTML };
    case 'wrong-types':
      if ('product' in valid) return json(mistyped(valid.product));
      return json({ items: valid.page.items.map(mistyped), total: String(valid.page.total) });
    case 'wrong-id': {
      // Well-formed, but another product than the one asked for, or a page out of order
      // (one too short to be out of order gets a negative total).
      if ('product' in valid) return json({ ...valid.product, id: valid.product.id + 1 });
      const { items, total } = valid.page;
      return json(items.length >= 2 ? { items: [...items].reverse(), total } : { items, total: -1 });
    }
  }
}
