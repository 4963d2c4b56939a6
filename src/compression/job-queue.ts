// A bounded queue of background jobs: at most `concurrency` run at once and at most
// `backlog` wait; a job that does not fit is dropped, not queued without bound, and a
// waiting job can be cancelled, so the queue never keeps alive what its owner let go.
// It runs best-level compression of cached variants (stored-representation.ts) on the libuv thread
// pool, which the requests' own compression shares: the bound keeps threads for them.

export interface Job {
  /** Must not reject: a job deals with its own failure. */
  run(): Promise<void>;
}

export interface JobQueueStats {
  readonly running: number;
  readonly queued: number;
  /** Jobs that ran to the end. */
  readonly done: number;
  /** Offered with the backlog full (or the queue off): never run. */
  readonly dropped: number;
  /** Taken back by their owner before they ran. */
  readonly cancelled: number;
  /** Queued rather than started at once (the bound bit). */
  readonly waited: number;
}

export class JobQueue {
  /** A Set keeps insertion order (FIFO) and makes cancel O(1). */
  private readonly waiting = new Set<Job>();
  private running = 0;
  private done = 0;
  private dropped = 0;
  private cancelled = 0;
  private waited = 0;
  /** Also on a rejection, which a job should not let out but must not stall the queue. */
  private readonly onSettled = (): void => this.finished();

  constructor(
    /** Jobs running at once; 0 turns the queue off (every offer is dropped). */
    readonly concurrency: number,
    /** Jobs waiting at most. */
    readonly backlog: number,
  ) {}

  /** Runs the job now, queues it, or drops it (false) when the backlog is full. */
  offer(job: Job): boolean {
    if (this.running < this.concurrency) {
      this.start(job);
      return true;
    }
    if (this.concurrency === 0 || this.waiting.size >= this.backlog) {
      this.dropped++;
      return false;
    }
    this.waiting.add(job);
    this.waited++;
    return true;
  }

  /** Takes a waiting job back (true); a running or unknown one is left alone (false). */
  cancel(job: Job): boolean {
    if (!this.waiting.delete(job)) return false;
    this.cancelled++;
    return true;
  }

  stats(): JobQueueStats {
    return { running: this.running, queued: this.waiting.size, done: this.done, dropped: this.dropped, cancelled: this.cancelled, waited: this.waited };
  }

  private start(job: Job): void {
    this.running++;
    void job.run().then(this.onSettled, this.onSettled);
  }

  private finished(): void {
    this.running--;
    this.done++;
    for (const next of this.waiting) {
      this.waiting.delete(next);
      this.start(next);
      return;
    }
  }
}
