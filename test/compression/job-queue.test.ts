// JobQueue, the bound on background upgrades: at most `concurrency` running, at most
// `backlog` waiting, the rest dropped and counted; FIFO; cancel takes a waiting job back;
// a rejected job does not stall the queue.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JobQueue, type Job } from '../../src/compression/job-queue.js';

/** A job that runs until finish() is called, recording when it started. */
class HeldJob implements Job {
  started = false;
  private release: (() => void) | undefined;
  private fail: ((error: Error) => void) | undefined;

  constructor(
    readonly name: string,
    private readonly log: string[],
  ) {}

  run(): Promise<void> {
    this.started = true;
    this.log.push(this.name);
    return new Promise<void>((resolve, reject) => {
      this.release = resolve;
      this.fail = reject;
    });
  }

  finish(): Promise<void> {
    (this.release as () => void)();
    return settle();
  }

  reject(): Promise<void> {
    (this.fail as (error: Error) => void)(new Error('boom'));
    return settle();
  }
}

/** Lets the queue's promise callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function jobs(count: number, log: string[]): HeldJob[] {
  return Array.from({ length: count }, (_, i) => new HeldJob(`j${i}`, log));
}

describe('JobQueue', () => {
  test('runs at most `concurrency` at once, queues up to `backlog`, drops the rest, and runs the queued ones in order', async () => {
    const log: string[] = [];
    const queue = new JobQueue(2, 3);
    const [a, b, c, d, e, f, g] = jobs(7, log) as [HeldJob, HeldJob, HeldJob, HeldJob, HeldJob, HeldJob, HeldJob];
    assert.deepEqual([a, b, c, d, e, f, g].map((job) => queue.offer(job)), [true, true, true, true, true, false, false]);
    assert.deepEqual(log, ['j0', 'j1']);
    assert.deepEqual(queue.stats(), { running: 2, queued: 3, done: 0, dropped: 2, cancelled: 0, waited: 3 });

    await b.finish();
    assert.deepEqual(log, ['j0', 'j1', 'j2']);
    assert.deepEqual(queue.stats(), { running: 2, queued: 2, done: 1, dropped: 2, cancelled: 0, waited: 3 });
    await a.finish();
    await c.finish();
    assert.deepEqual(log, ['j0', 'j1', 'j2', 'j3', 'j4']);
    await d.finish();
    await e.finish();
    assert.deepEqual(queue.stats(), { running: 0, queued: 0, done: 5, dropped: 2, cancelled: 0, waited: 3 });
    assert.equal(f.started || g.started, false, 'dropped jobs never run');

    // Room again: the next offer runs at once.
    const [h] = jobs(1, log) as [HeldJob];
    assert.equal(queue.offer(h), true);
    assert.equal(h.started, true);
    await h.finish();
  });

  test('cancel takes a waiting job back (it never runs, the queue forgets it); a running one is left alone', async () => {
    const log: string[] = [];
    const queue = new JobQueue(1, 2);
    const [a, b, c] = jobs(3, log) as [HeldJob, HeldJob, HeldJob];
    for (const job of [a, b, c]) queue.offer(job);
    assert.equal(queue.cancel(b), true);
    assert.equal(queue.cancel(b), false, 'only once');
    assert.equal(queue.cancel(a), false, 'running');
    assert.deepEqual(queue.stats(), { running: 1, queued: 1, done: 0, dropped: 0, cancelled: 1, waited: 2 });
    await a.finish();
    assert.deepEqual(log, ['j0', 'j2']);
    await c.finish();
    assert.equal(b.started, false);
    assert.deepEqual(queue.stats(), { running: 0, queued: 0, done: 2, dropped: 0, cancelled: 1, waited: 2 });
  });

  test('a freed backlog slot takes the next offer', () => {
    const log: string[] = [];
    const queue = new JobQueue(1, 1);
    const [a, b, c] = jobs(3, log) as [HeldJob, HeldJob, HeldJob];
    assert.deepEqual([queue.offer(a), queue.offer(b), queue.offer(c)], [true, true, false]);
    queue.cancel(b);
    assert.equal(queue.offer(c), true);
    assert.deepEqual(queue.stats(), { running: 1, queued: 1, done: 0, dropped: 1, cancelled: 1, waited: 2 });
  });

  test('concurrency 0 turns the queue off: every offer is dropped, whatever the backlog', () => {
    const log: string[] = [];
    const queue = new JobQueue(0, 10);
    for (const job of jobs(3, log)) assert.equal(queue.offer(job), false);
    assert.deepEqual(log, []);
    assert.deepEqual(queue.stats(), { running: 0, queued: 0, done: 0, dropped: 3, cancelled: 0, waited: 0 });
  });

  test('a job that rejects frees its slot for the next one', async () => {
    const log: string[] = [];
    const queue = new JobQueue(1, 1);
    const [a, b] = jobs(2, log) as [HeldJob, HeldJob];
    queue.offer(a);
    queue.offer(b);
    await a.reject();
    assert.equal(b.started, true);
    await b.finish();
    assert.deepEqual(queue.stats(), { running: 0, queued: 0, done: 2, dropped: 0, cancelled: 0, waited: 1 });
  });
});
