// The requests still unanswered when their handler returned, in arrival order. Every
// request has the same time allowed, so arrival order is deadline order: one unref'd
// timer, armed for the oldest entry's deadline, drops the entries answered since and
// hands over the expired ones. Adding is an array write and a field read: no closure, no
// timer, no Map per request.
//
// Entries stay until the timer or a compaction reaches them. When the array is full, the
// answered ones are squeezed out in place, and it doubles only if more than half are
// still unanswered; so it stays about twice the peak in flight however late the timer is.
import { performance } from 'node:perf_hooks';
import type { RequestContext } from '../http/context.js';

const INITIAL_CAPACITY = 256;

/** Answered or gone: nothing left to bound. */
function settled(ctx: RequestContext): boolean {
  return ctx.done || ctx.res.headersSent;
}

export class DeadlineQueue {
  private items: (RequestContext | undefined)[] = emptySlots(INITIAL_CAPACITY);
  /** The oldest entry; entries are items[head..tail). */
  private head = 0;
  private tail = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly onTimer = (): void => this.expire();

  constructor(
    /** The time each request is allowed, from its arrival (ctx.start). */
    private readonly ms: number,
    /** Told of each entry past its deadline with no response started. */
    private readonly expired: (ctx: RequestContext) => void,
  ) {}

  /** Entries held (answered ones not yet dropped included). */
  get length(): number {
    return this.tail - this.head;
  }

  /** Slots allocated. */
  get capacity(): number {
    return this.items.length;
  }

  /** Queues a request that arrived after every request queued before it. */
  add(ctx: RequestContext): void {
    this.items[this.tail++] = ctx;
    if (this.tail === this.items.length) this.makeRoom();
    if (this.timer === undefined) this.arm(ctx.start + this.ms, performance.now());
  }

  /** Stops the timer; the entries are forgotten (shutdown cuts what is left). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.items = emptySlots(INITIAL_CAPACITY);
    this.head = this.tail = 0;
  }

  private arm(at: number, now: number): void {
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(at - now)));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    const items = this.items;
    while (this.head < this.tail) {
      const ctx = items[this.head]!;
      const open = !settled(ctx);
      if (open && ctx.start + this.ms > now) {
        this.arm(ctx.start + this.ms, now);
        return;
      }
      items[this.head++] = undefined;
      if (open) this.expired(ctx);
    }
    this.head = this.tail = 0;
    // After a burst, the memory goes back.
    if (items.length > INITIAL_CAPACITY) this.items = emptySlots(INITIAL_CAPACITY);
  }

  /** Full: squeezes out the answered entries (order kept), and doubles if that freed too little. */
  private makeRoom(): void {
    const items = this.items;
    let kept = 0;
    for (let i = this.head; i < this.tail; i++) {
      const ctx = items[i]!;
      items[i] = undefined;
      if (!settled(ctx)) items[kept++] = ctx;
    }
    this.head = 0;
    this.tail = kept;
    if (kept * 2 > items.length) {
      const grown = emptySlots(items.length * 2);
      for (let i = 0; i < kept; i++) grown[i] = items[i];
      this.items = grown;
    }
  }
}

/** Filled, so that the array is packed (no holes) from the start. */
function emptySlots(n: number): (RequestContext | undefined)[] {
  return new Array<RequestContext | undefined>(n).fill(undefined);
}
