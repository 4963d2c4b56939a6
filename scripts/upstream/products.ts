// The inventory service's /products answers, in turbina's own wire format (so one turbina
// can be another's upstream), and the faults the knobs put in front of them. Each request's
// fate is decided when it arrives, in this order: down (refused), hang, error, then the
// answer proper (400, 404 or 200), and a 200 may be garbage or dripped.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateProduct } from '../../src/products/catalog.js';
import { garbage, GARBAGE_KINDS, type Valid } from './garbage.js';
import { DRIP_CHUNK_BYTES, type Knobs } from './knobs.js';
import type { Outcome, Stats } from './stats.js';

interface Answer {
  readonly status: number;
  readonly outcome: Outcome;
  readonly contentType: string;
  readonly body: Buffer;
  /** Extra header lines, flat: [name, value, ...]. */
  readonly headers: readonly string[];
  /** Above 0: the body drips (DRIP_CHUNK_BYTES, this pause before each chunk). */
  readonly dripMs: number;
}

const JSON_TYPE = 'application/json';
/** 1 to 15 decimal digits, as turbina reads an id: no sign, no junk, a safe integer. */
const ID = /^\d{1,15}$/;
const MAX_LIMIT = 1000;

const chance = (rate: number): boolean => rate > 0 && Math.random() < rate;

function problem(status: number, outcome: Outcome, title: string, detail: string, headers: readonly string[] = []): Answer {
  const body = Buffer.from(JSON.stringify({ title, status, detail }));
  return { status, outcome, contentType: 'application/problem+json', body, headers, dripMs: 0 };
}

/** A query member: absent gives the fallback; present once, whole digits in [min, max]. */
function whole(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number | string {
  const values = params.getAll(name);
  if (values.length === 0) return fallback;
  const raw = values[0] ?? '';
  if (values.length > 1) return `${name} is repeated`;
  const n = ID.test(raw) ? Number(raw) : NaN;
  return n >= min && n <= max ? n : `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`;
}

export class ProductsService {
  /** Which garbage kind the next garbage answer gets: they take turns. */
  private garbageTurn = 0;

  constructor(
    private readonly catalogSize: number,
    private readonly stats: Stats,
  ) {}

  /** Serves one /products request under the knobs as they are on arrival. */
  serve(req: IncomingMessage, res: ServerResponse, path: string, query: string, knobs: Knobs): void {
    const { stats } = this;
    if (knobs.down) {
      stats.count('refused');
      req.socket.destroy();
      return;
    }
    stats.inFlight++;
    res.once('close', () => stats.inFlight--);
    if (chance(knobs.hangRate)) {
      // Kept open until the client goes away (or the service stops).
      stats.count('hang');
      return;
    }
    const answer = this.decide(req.method ?? 'GET', path, query, knobs);
    stats.count(answer.outcome);
    const delayMs = knobs.latencyMs + (knobs.jitterMs > 0 ? Math.random() * knobs.jitterMs : 0);
    if (delayMs > 0) setTimeout(write, delayMs, res, answer);
    else write(res, answer);
  }

  private decide(method: string, path: string, query: string, knobs: Knobs): Answer {
    if (chance(knobs.errorRate)) {
      const retryAfter = knobs.retryAfter === null ? [] : ['retry-after', knobs.retryAfter];
      return problem(knobs.errorStatus, 'error', 'injected failure', 'the inventory service was told to fail this request (errorRate)', retryAfter);
    }
    if (method !== 'GET' && method !== 'HEAD') return problem(405, 'badRequest', 'method not allowed', `${method} is not allowed here`, ['allow', 'GET, HEAD']);
    const valid = path === '/products' ? this.page(query) : this.product(path.slice('/products/'.length));
    if ('status' in valid) return valid;
    const value = 'product' in valid ? valid.product : valid.page;
    const body = Buffer.from(JSON.stringify(value));
    if (chance(knobs.garbageRate)) {
      const kind = GARBAGE_KINDS[this.garbageTurn++ % GARBAGE_KINDS.length] ?? 'html';
      const bad = garbage(kind, valid, body);
      return { status: 200, outcome: 'garbage', contentType: bad.contentType, body: bad.body, headers: ['x-garbage', kind], dripMs: 0 };
    }
    return { status: 200, outcome: knobs.dripMs > 0 ? 'drip' : 'ok', contentType: JSON_TYPE, body, headers: [], dripMs: knobs.dripMs };
  }

  private product(text: string): Valid | Answer {
    const id = ID.test(text) ? Number(text) : 0;
    if (id < 1 || id > this.catalogSize) return problem(404, 'notFound', 'not found', `product ${text} does not exist`);
    return { product: generateProduct(id) };
  }

  /** The page as turbina answers it: items, total, and where the next page starts. */
  private page(query: string): Valid | Answer {
    const params = new URLSearchParams(query);
    const offset = whole(params, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = whole(params, 'limit', 20, 1, MAX_LIMIT);
    if (typeof offset === 'string' || typeof limit === 'string') {
      return problem(400, 'badRequest', 'bad request', [offset, limit].filter((x) => typeof x === 'string').join('; '));
    }
    const total = this.catalogSize;
    const items = [];
    for (let id = offset + 1; id <= Math.min(total, offset + limit); id++) items.push(generateProduct(id));
    const next = offset + items.length;
    return { page: { items, total, offset, limit, nextOffset: next < total ? next : null } };
  }
}

function write(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return; // the client left during the latency
  res.writeHead(answer.status, ['content-type', answer.contentType, 'content-length', String(answer.body.length), ...answer.headers]);
  if (answer.dripMs > 0) drip(res, answer.body, answer.dripMs);
  else res.end(answer.body);
}

/** The head at once, then the body DRIP_CHUNK_BYTES at a time with a pause before each chunk. */
function drip(res: ServerResponse, body: Buffer, pauseMs: number): void {
  res.flushHeaders();
  let at = 0;
  const next = (): void => {
    const chunk = body.subarray(at, at + DRIP_CHUNK_BYTES);
    at += chunk.length;
    if (at < body.length) {
      res.write(chunk);
      timer = setTimeout(next, pauseMs);
    } else {
      res.end(chunk);
    }
  };
  let timer = setTimeout(next, pauseMs);
  res.once('close', () => clearTimeout(timer));
}
