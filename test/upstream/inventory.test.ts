// The inventory service (npm run upstream) as a real child process: turbina's product wire
// format, each fault knob doing what it says, knobs changed at run time without a restart,
// exact counts of /products requests, start-time knobs, and a clean exit on SIGTERM.
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DEFAULT_KNOBS, DRIP_CHUNK_BYTES } from '../../scripts/upstream/knobs.js';
import { generateProduct } from '../../src/products/catalog.js';
import { eventually, request } from '../helpers/http.js';
import { startInventory, type Inventory, type StatsSnapshot } from '../helpers/inventory.js';
import { sendRaw } from '../helpers/raw.js';

const NO_OUTCOMES: StatsSnapshot['byOutcome'] = { ok: 0, notFound: 0, badRequest: 0, error: 0, hang: 0, garbage: 0, drip: 0, refused: 0 };

/** A request whose answer the test may wait for, or give up on. */
function open(port: number, path: string): { answered: Promise<IncomingMessage>; failed: Promise<Error>; abort(): void } {
  const req = httpRequest({ host: '127.0.0.1', port, path, agent: false });
  const answered = new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
  const failed = new Promise<Error>((resolve) => req.once('error', resolve));
  req.end();
  return { answered, failed, abort: () => req.destroy() };
}

const settled = <T>(promise: Promise<T>, ms: number): Promise<boolean> =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, ms, false))]);

/** A product as the wire format has it, with the id asked for (what an upstream client accepts). */
function isProduct(value: unknown, id: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  const price = p['price'] as Record<string, unknown> | undefined;
  return (
    p['id'] === id &&
    ['sku', 'name', 'description', 'category', 'updatedAt'].every((key) => typeof p[key] === 'string') &&
    typeof price?.['amount'] === 'number' &&
    price['currency'] === 'USD' &&
    Number.isInteger(p['stock']) &&
    Array.isArray(p['tags']) &&
    !Number.isNaN(Date.parse(p['updatedAt'] as string))
  );
}

/** A page of products from offset+1 in order, and a whole total. */
function isPage(value: unknown, offset: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const page = value as Record<string, unknown>;
  const items = page['items'];
  return Array.isArray(items) && Number.isInteger(page['total']) && (page['total'] as number) >= 0 && items.every((item, i) => isProduct(item, offset + 1 + i));
}

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

describe('inventory service', { timeout: 10_000 }, () => {
  let inventory: Inventory;
  let port: number;

  before(async () => {
    inventory = await startInventory();
    port = inventory.port;
  });
  after(() => inventory.stop());
  beforeEach(async () => {
    await inventory.control(DEFAULT_KNOBS);
    await inventory.resetStats();
  });

  it('serves the catalog in turbina\'s wire format', async () => {
    const one = await request(port, '/products/1');
    assert.equal(one.status, 200);
    assert.equal(one.headers['content-type'], 'application/json');
    assert.equal(one.headers['content-length'], String(one.body.length));
    assert.deepEqual(one.json(), generateProduct(1));
    assert.deepEqual((await request(port, '/products/007')).json(), generateProduct(7));

    const tail = (await request(port, '/products?offset=9998&limit=5')).json<{ items: unknown[]; total: number; nextOffset: unknown }>();
    assert.deepEqual(tail.items, [generateProduct(9999), generateProduct(10_000)]);
    assert.equal(tail.total, 10_000);
    assert.equal(tail.nextOffset, null);
    const first = (await request(port, '/products')).json();
    assert.ok(isPage(first, 0));
    assert.equal((first as { items: unknown[] }).items.length, 20);
    assert.equal((await request(port, '/products?limit=1000&offset=10')).json<{ items: unknown[] }>().items.length, 1000);

    for (const path of ['/products/0', '/products/10001', '/products/abc', '/products/-1', '/products/1.5', '/products/', '/products/1/x']) {
      const reply = await request(port, path);
      assert.equal(reply.status, 404, path);
      assert.equal(reply.json<{ title: string }>().title, 'not found', path);
    }
    for (const query of ['limit=0', 'limit=1001', 'offset=-1', 'offset=x', 'limit=', 'limit=2&limit=3']) {
      assert.equal((await request(port, '/products?' + query)).status, 400, query);
    }
    // Keep-alive: two requests on one connection, both answered.
    const raw = await sendRaw(port, 'GET /products/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /products/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(raw.match(/HTTP\/1\.1 200 OK/g)?.length, 2, raw);
  });

  it('answers errors with the status and the Retry-After it is given', async () => {
    await inventory.control({ errorRate: 1, retryAfter: '7' });
    const failed = await request(port, '/products/1');
    assert.equal(failed.status, 503);
    assert.equal(failed.headers['retry-after'], '7');
    await inventory.control({ errorStatus: 429, retryAfter: 'soon' });
    const limited = await request(port, '/products?limit=2');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], 'soon');
    await inventory.control({ retryAfter: null });
    assert.equal((await request(port, '/products/1')).headers['retry-after'], undefined);
    await inventory.control({ errorRate: 0 });
    assert.equal((await request(port, '/products/1')).status, 200);
    assert.deepEqual((await inventory.stats()).byOutcome, { ...NO_OUTCOMES, error: 3, ok: 1 });
  });

  it('hangs: no answer until the client gives up, then nothing left open', async () => {
    await inventory.control({ hangRate: 1 });
    const hung = open(port, '/products/1');
    assert.equal(await settled(hung.answered, 300), false, 'a hanging request was answered');
    assert.deepEqual(await inventory.stats(), { requests: 1, byOutcome: { ...NO_OUTCOMES, hang: 1 }, inFlight: 1 });
    hung.abort();
    let inFlight = 1;
    await eventually(() => {
      void inventory.stats().then((stats) => (inFlight = stats.inFlight));
      return inFlight === 0;
    }, 'the hung request to be let go');
    await inventory.control({ hangRate: 0 });
    assert.equal((await request(port, '/products/1')).status, 200);
    assert.deepEqual((await inventory.stats()).byOutcome, { ...NO_OUTCOMES, hang: 1, ok: 1 });
  });

  it('waits the latency, plus a jitter drawn per request', async () => {
    await inventory.control({ latencyMs: 150 });
    let started = performance.now();
    assert.equal((await request(port, '/products/1')).status, 200);
    // Timers may fire up to a millisecond early.
    assert.ok(performance.now() - started >= 149, `answered after ${performance.now() - started} ms`);

    await inventory.control({ latencyMs: 0, jitterMs: 60 });
    const took: number[] = [];
    for (let i = 0; i < 6; i++) {
      started = performance.now();
      await request(port, '/products/1');
      took.push(performance.now() - started);
    }
    // Six draws all under 15 of 60 ms: one chance in 4^6.
    assert.ok(Math.max(...took) >= 15, `no jitter: ${took.join(', ')} ms`);
  });

  it('answers garbage: a 200 no upstream client can take for the product or page asked for', async () => {
    await inventory.control({ garbageRate: 1 });
    // The kinds take turns: four answers in a row meet each of them.
    const productKinds = new Set<unknown>();
    for (let i = 0; i < 4; i++) {
      const one = await request(port, '/products/5');
      assert.equal(one.status, 200);
      assert.ok(!isProduct(parsed(one.text), 5), `a valid product as garbage: ${one.text}`);
      productKinds.add(one.headers['x-garbage']);
    }
    const pageKinds = new Set<unknown>();
    for (let i = 0; i < 4; i++) {
      const page = await request(port, '/products?offset=3&limit=3');
      assert.equal(page.status, 200);
      assert.ok(!isPage(parsed(page.text), 3), `a valid page as garbage: ${page.text}`);
      pageKinds.add(page.headers['x-garbage']);
    }
    const ALL = ['html', 'truncated', 'wrong-id', 'wrong-types'];
    assert.deepEqual([...productKinds].sort(), ALL);
    assert.deepEqual([...pageKinds].sort(), ALL);
    await inventory.control({ garbageRate: 0 });
    assert.ok(isProduct((await request(port, '/products/5')).json(), 5));
    assert.deepEqual((await inventory.stats()).byOutcome, { ...NO_OUTCOMES, garbage: 8, ok: 1 });
  });

  it('drips a 200 a few bytes at a time', async () => {
    const pauseMs = 15;
    await inventory.control({ dripMs: pauseMs });
    const started = performance.now();
    const res = await open(port, '/products/1').answered;
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const elapsed = performance.now() - started;
    const body = Buffer.concat(chunks);
    assert.deepEqual(JSON.parse(body.toString()), generateProduct(1));
    const drips = Math.ceil(body.length / DRIP_CHUNK_BYTES);
    assert.ok(elapsed >= drips * (pauseMs - 1), `${drips} chunks ${pauseMs} ms apart took ${elapsed} ms`);
    assert.ok(chunks.length > 1, 'the body came in one piece');
    assert.deepEqual((await inventory.stats()).byOutcome, { ...NO_OUTCOMES, drip: 1 });
  });

  it('down: refuses /products without an answer, still takes control, and comes back', async () => {
    await inventory.control({ down: true });
    const refused = open(port, '/products/1');
    const error = await Promise.race([refused.failed, refused.answered.then(() => new Error('answered'))]);
    assert.match((error as NodeJS.ErrnoException).code ?? error.message, /ECONNRESET|EPIPE/);
    assert.equal((await request(port, '/products?limit=1').catch((e: Error) => e)) instanceof Error, true);
    assert.deepEqual(await inventory.stats(), { requests: 2, byOutcome: { ...NO_OUTCOMES, refused: 2 }, inFlight: 0 });
    await inventory.control({ down: false });
    assert.equal((await request(port, '/products/1')).status, 200);
  });

  it('reads and changes knobs at run time, refusing bad ones whole', async () => {
    assert.deepEqual(await inventory.knobs(), DEFAULT_KNOBS);
    assert.deepEqual(await inventory.control({ latencyMs: 5, errorStatus: 502 }), { ...DEFAULT_KNOBS, latencyMs: 5, errorStatus: 502 });
    for (const body of ['{', '[]', '{"errorRate":0.5,"nope":1}', '{"errorRate":2}', '{"retryAfter":5}']) {
      const reply = await request(port, '/_control', { method: 'PUT', body });
      assert.equal(reply.status, 400, body);
    }
    assert.deepEqual(await inventory.knobs(), { ...DEFAULT_KNOBS, latencyMs: 5, errorStatus: 502 });
    assert.equal((await request(port, '/_control', { method: 'POST', body: '{}' })).status, 405);
  });

  it('counts /products requests exactly, and nothing else', async () => {
    await Promise.all(Array.from({ length: 20 }, () => request(port, '/products/1')));
    await Promise.all([request(port, '/products/99999'), request(port, '/products/x'), request(port, '/products?limit=0')]);
    await request(port, '/products/1', { method: 'DELETE' });
    await inventory.control({ errorRate: 1 });
    await Promise.all([request(port, '/products/1'), request(port, '/products?limit=3')]);
    await Promise.all([request(port, '/nope'), request(port, '/_stats'), request(port, '/_control')]);
    assert.deepEqual(await inventory.stats(), {
      requests: 26,
      byOutcome: { ...NO_OUTCOMES, ok: 20, notFound: 2, badRequest: 2, error: 2 },
      inFlight: 0,
    });
    assert.deepEqual(await inventory.resetStats(), { requests: 0, byOutcome: NO_OUTCOMES, inFlight: 0 });
  });
});

describe('inventory service process', { timeout: 10_000 }, () => {
  it('takes knobs at start, and exits 0 at once on SIGTERM, cutting hanging and dripping answers', async () => {
    const inventory = await startInventory({ errorRate: 1, retryAfter: '3' }, { catalogSize: 5, args: ['--error-status', '502'] });
    try {
      const failed = await request(inventory.port, '/products/1');
      assert.equal(failed.status, 502);
      assert.equal(failed.headers['retry-after'], '3');
      await inventory.control({ errorRate: 0 });
      assert.equal((await request(inventory.port, '/products/6')).status, 404);
      assert.equal((await request(inventory.port, '/products?limit=10')).json<{ total: number }>().total, 5);

      await inventory.control({ hangRate: 1 });
      const hung = open(inventory.port, '/products/1');
      await inventory.control({ hangRate: 0, dripMs: 1000 });
      const dripping = await open(inventory.port, '/products/2').answered;
      dripping.on('error', () => {}); // cut mid-body below
      const cut = new Promise((resolve) => dripping.once('close', resolve));
      assert.equal((await inventory.stats()).inFlight, 2);

      const started = performance.now();
      assert.deepEqual(await inventory.stop(2000), { code: 0, signal: null });
      assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms to exit`);
      assert.ok((await hung.failed) instanceof Error);
      await cut;
      assert.equal(dripping.complete, false, 'the dripping body was waited for');
    } finally {
      inventory.child.kill('SIGKILL');
    }
  });

  it('kill() is a crash: the port refuses connections afterwards', async () => {
    const inventory = await startInventory();
    assert.equal((await request(inventory.port, '/products/1')).status, 200);
    assert.deepEqual(await inventory.kill(), { code: null, signal: 'SIGKILL' });
    await assert.rejects(request(inventory.port, '/products/1'), { code: 'ECONNREFUSED' });
  });
});
