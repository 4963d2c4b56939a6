// What an upstream's parsed body must be before anything of it is served: the wire format's
// Product and page, checked member by member. What passes is rebuilt from the known members
// only, so an upstream can neither break our responses with a wrong type nor inject
// members into them (everything it sends is re-encoded as our own JSON).
import type { Price, Product } from '../catalog.js';
import type { ProductPage } from '../store.js';

/** A body that is not the wire format's shape; the message names the member and the rule. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

type JsonObject = { readonly [member: string]: unknown };

const TEXT_MEMBERS = ['sku', 'name', 'description', 'category'] as const;

/** An ISO 8601 date, or date-time with seconds optional and a zone required (without one,
 *  Date.parse reads local time, and the same text would mean different instants). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isTextList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item: unknown) => typeof item === 'string');
}

function isDate(value: unknown): value is string {
  return typeof value === 'string' && ISO_DATE.test(value) && Number.isFinite(Date.parse(value));
}

/** The first thing wrong with value as a Product ('price.amount is not a finite number >= 0'),
 *  or undefined when it is one. */
export function productProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'it is not an object';
  if (!isCount(value.id) || value.id < 1) return 'id is not an integer >= 1';
  for (const member of TEXT_MEMBERS) {
    if (typeof value[member] !== 'string') return `${member} is not a string`;
  }
  const price = value.price;
  if (!isObject(price)) return 'price is not an object';
  const amount = price.amount;
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) return 'price.amount is not a finite number >= 0';
  if (price.currency !== 'USD') return "price.currency is not 'USD'";
  if (!isCount(value.stock)) return 'stock is not an integer >= 0';
  if (!isTextList(value.tags)) return 'tags is not an array of strings';
  if (!isDate(value.updatedAt)) return 'updatedAt is not an ISO date';
  return undefined;
}

export function isProduct(value: unknown): value is Product {
  return productProblem(value) === undefined;
}

/** A Product of the known members only, in the catalog's order (so it encodes the same bytes). */
function rebuild(product: Product): Product {
  const price: Price = { amount: product.price.amount, currency: product.price.currency };
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    category: product.category,
    price,
    stock: product.stock,
    // An array from JSON.parse holds its elements only (strings, checked): nothing to strip.
    tags: product.tags,
    updatedAt: product.updatedAt,
  };
}

/** The body of GET /products/{id} as a Product: it must be one, and the one asked for. */
export function readProduct(body: unknown, id: number): Product {
  if (!isProduct(body)) throw new ShapeError(`not a product: ${productProblem(body)}`);
  if (body.id !== id) throw new ShapeError(`product ${body.id} instead of product ${id}`);
  return rebuild(body);
}

/** The body of GET /products?offset=&limit= as a page: at most limit products in ascending
 *  id order, and a total. Ids are >= 1 and unique, so the product at 0-based position p has
 *  an id >= p + 1: a page at offset O starts at id O + 1 or above. (No upper bound: an
 *  upstream's ids may have gaps.) */
export function readPage(body: unknown, offset: number, limit: number): ProductPage {
  if (!isObject(body)) throw new ShapeError('not a page: it is not an object');
  const { items, total } = body;
  if (!Array.isArray(items)) throw new ShapeError('not a page: items is not an array');
  if (!isCount(total)) throw new ShapeError('not a page: total is not an integer >= 0');
  if (items.length > limit) throw new ShapeError(`${items.length} items for a limit of ${limit}`);
  const products: Product[] = [];
  let floor = offset + 1;
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (!isProduct(item)) throw new ShapeError(`items[${i}] is not a product: ${productProblem(item)}`);
    if (item.id < floor) {
      throw new ShapeError(
        i === 0
          ? `items[0] has id ${item.id}, below ${floor}, the lowest possible at offset ${offset}`
          : `items[${i}] has id ${item.id}, not above items[${i - 1}]'s (ids must ascend)`,
      );
    }
    floor = item.id + 1;
    products.push(rebuild(item));
  }
  return { items: products, total };
}
