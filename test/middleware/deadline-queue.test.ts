// The FIFO behind REQUEST_DEADLINE_MS: expired entries are handed over in arrival order,
// answered ones are dropped unseen, and the array stays bounded by what is unanswered,
// however many requests pass through it before the timer fires.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import type { RequestContext } from '../../src/http/context.js';
import { DeadlineQueue } from '../../src/middleware/deadline-queue.js';
import { eventually } from '../helpers/http.js';

interface FakeContext {
  readonly id: string;
  readonly start: number;
  done: boolean;
  readonly res: { headersSent: boolean };
}

/** The fields the queue reads, and nothing else. */
function fake(id: string, done = false, start = performance.now()): FakeContext {
  return { id, start, done, res: { headersSent: false } };
}

const asContext = (ctx: FakeContext): RequestContext => ctx as unknown as RequestContext;

test('expired entries are handed over oldest first; answered and streaming ones are not', async () => {
  const seen: string[] = [];
  const queue = new DeadlineQueue(40, (ctx) => seen.push(ctx.id));
  const a = fake('a');
  const b = fake('b');
  const c = fake('c');
  const d = fake('d');
  for (const ctx of [a, b, c, d]) queue.add(asContext(ctx));
  b.done = true;
  c.res.headersSent = true;
  await eventually(() => seen.length === 2, 'two expired entries', 1000);
  assert.deepEqual(seen, ['a', 'd']);
  assert.equal(queue.length, 0, 'everything popped');
  queue.stop();
});

test('an entry is not handed over before its deadline; a later one waits for its own', async () => {
  const times = new Map<string, number>();
  const queue = new DeadlineQueue(60, (ctx) => times.set(ctx.id, performance.now() - ctx.start));
  queue.add(asContext(fake('first')));
  await new Promise((resolve) => setTimeout(resolve, 30));
  queue.add(asContext(fake('second')));
  await eventually(() => times.size === 2, 'both expired', 1000);
  for (const [id, waited] of times) assert.ok(waited >= 59, `${id} handed over after ${waited} ms`);
  queue.stop();
});

test('answered requests never grow the array, however late the timer (no timer runs here)', () => {
  const queue = new DeadlineQueue(60_000, () => assert.fail('nothing expires'));
  const initial = queue.capacity;
  for (let i = 0; i < 100_000; i++) {
    const ctx = fake(String(i));
    queue.add(asContext(ctx));
    ctx.done = true; // answered right after its handler returned (as /io is)
  }
  assert.equal(queue.capacity, initial);
  assert.ok(queue.length < initial, `holds ${queue.length}`);
  queue.stop();
});

test('unanswered requests grow it about as far as they reach, and answering them lets it compact', () => {
  const queue = new DeadlineQueue(60_000, () => assert.fail('nothing expires'));
  const open: FakeContext[] = [];
  for (let i = 0; i < 1000; i++) {
    const ctx = fake(String(i));
    open.push(ctx);
    queue.add(asContext(ctx));
  }
  assert.ok(queue.capacity >= 1000 && queue.capacity <= 4096, `capacity ${queue.capacity}`);
  const grown = queue.capacity;
  for (const ctx of open) ctx.done = true;
  for (let i = 0; i < 50_000; i++) {
    const ctx = fake('x');
    queue.add(asContext(ctx));
    ctx.done = true;
  }
  assert.equal(queue.capacity, grown, 'no growth once they were answered');
  assert.ok(queue.length < grown);
  queue.stop();
});
