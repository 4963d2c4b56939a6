// The embedded catalog: product N is a pure function of N (a seeded PRNG), so the same
// bytes come out on every start and memory stays flat whatever CATALOG_SIZE is.

export interface Price {
  readonly amount: number;
  readonly currency: 'USD';
}

export interface Product {
  readonly id: number;
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: Price;
  readonly stock: number;
  readonly tags: readonly string[];
  readonly updatedAt: string;
}

const ADJECTIVES = ['Swift', 'Quiet', 'Bold', 'Compact', 'Rugged', 'Classic', 'Bright', 'Modular', 'Nimble', 'Sturdy', 'Sleek', 'Vivid'];
const MATERIALS = ['Steel', 'Oak', 'Carbon', 'Cotton', 'Ceramic', 'Bamboo', 'Copper', 'Glass', 'Leather', 'Granite'];
const NOUNS = ['Kettle', 'Lamp', 'Backpack', 'Headphones', 'Desk', 'Bottle', 'Keyboard', 'Chair', 'Jacket', 'Speaker', 'Clock', 'Pan'];
const CATEGORIES = ['kitchen', 'lighting', 'outdoor', 'audio', 'office', 'apparel', 'home', 'travel'];
const TAGS = ['new', 'bestseller', 'eco', 'limited', 'gift', 'sale', 'premium', 'handmade', 'refurbished', 'bundle'];
const PHRASES = [
  'built to last for years of daily use',
  'designed in small batches with care',
  'tested in harsh conditions before release',
  'easy to clean and simple to maintain',
  'backed by a two-year warranty',
  'shipped in plastic-free packaging',
  'a favourite of reviewers this season',
  'light enough to carry anywhere',
];

const EPOCH_MS = Date.UTC(2026, 0, 1);
const YEAR_SECONDS = 365 * 24 * 3600;

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG; one stream per product id. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(list: readonly T[], random: () => number): T {
  const item = list[Math.floor(random() * list.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

export function generateProduct(id: number): Product {
  // Mix the id so neighbouring ids get unrelated streams (ids above 2^32 fold in).
  const random = prng(Math.imul(id ^ Math.floor(id / 4294967296), 0x9e3779b1) ^ 0x5bd1e995);
  const adjective = pick(ADJECTIVES, random);
  const material = pick(MATERIALS, random);
  const noun = pick(NOUNS, random);
  const tagCount = 1 + Math.floor(random() * 3);
  const tags: string[] = [];
  while (tags.length < tagCount) {
    const tag = pick(TAGS, random);
    if (!tags.includes(tag)) tags.push(tag);
  }
  const cents = 499 + Math.floor(random() * 49_500);
  return {
    id,
    sku: `TRB-${String(id).padStart(8, '0')}`,
    name: `${adjective} ${material} ${noun}`,
    description: `The ${adjective.toLowerCase()} ${material.toLowerCase()} ${noun.toLowerCase()}: ${pick(PHRASES, random)}, ${pick(PHRASES, random)}.`,
    category: pick(CATEGORIES, random),
    price: { amount: cents / 100, currency: 'USD' },
    stock: Math.floor(random() * 500),
    tags,
    updatedAt: new Date(EPOCH_MS + Math.floor(random() * YEAR_SECONDS) * 1000).toISOString(),
  };
}
