// The primary's part of a cluster-wide /metrics: the worker serving the scrape asks, the
// primary asks every worker for its snapshot and answers with what arrived within
// METRICS_WORKER_TIMEOUT_MS. A worker that is blocked, dead or between restarts is
// listed as missing and counted; one slow worker never holds up the scrape.
import type { Worker } from 'node:cluster';
import type { Config } from '../config.js';
import type { ProcessSnapshot } from '../metrics/snapshot.js';
import type { ToWorker } from './messages.js';

export interface SlotWorker {
  readonly slot: number;
  /** Undefined while the slot waits for a restart. */
  readonly worker: Worker | undefined;
}

interface Round {
  readonly requester: Worker;
  readonly requestId: number;
  readonly snapshots: ProcessSnapshot[];
  /** Slot -> pid of the workers asked that have not answered yet. */
  readonly waiting: Map<number, number | null>;
  readonly absent: { worker: number; pid: number | null }[];
  timer: NodeJS.Timeout | undefined;
}

const ignore = (): void => {};

export function sendTo(worker: Worker, message: ToWorker): boolean {
  if (!worker.isConnected()) return false;
  try {
    // With a callback, a failed send (the worker died meanwhile) is not an 'error' event.
    worker.send(message, undefined, undefined, ignore);
    return true;
  } catch {
    return false; // the channel closed between the check and the send
  }
}

export class MetricsRelay {
  private nextId = 1;
  private missingTotal = 0;
  private readonly rounds = new Map<number, Round>();

  constructor(
    private readonly config: Config,
    private readonly slots: () => readonly SlotWorker[],
    private readonly restarts: () => number,
    private readonly logsDropped: () => number,
  ) {}

  /** `requester` serves a scrape and wants every worker's snapshot. */
  gather(requester: Worker, requestId: number): void {
    const id = this.nextId++;
    const round: Round = { requester, requestId, snapshots: [], waiting: new Map(), absent: [], timer: undefined };
    this.rounds.set(id, round);
    for (const { slot, worker } of this.slots()) {
      if (worker !== undefined && sendTo(worker, { turbina: 'snapshot-request', id })) round.waiting.set(slot, worker.process.pid ?? null);
      else round.absent.push({ worker: slot, pid: worker?.process.pid ?? null });
    }
    if (round.waiting.size === 0) return this.finish(id);
    round.timer = setTimeout(() => this.finish(id), this.config.metricsWorkerTimeoutMs);
    round.timer.unref();
  }

  /** A worker's answer; late answers (after the deadline) are dropped. */
  answer(slot: number, id: number, snapshot: ProcessSnapshot): void {
    const round = this.rounds.get(id);
    if (round === undefined || !round.waiting.has(slot)) return;
    round.waiting.delete(slot);
    round.snapshots.push({ ...snapshot, worker: slot });
    if (round.waiting.size === 0) this.finish(id);
  }

  private finish(id: number): void {
    const round = this.rounds.get(id);
    if (round === undefined) return;
    this.rounds.delete(id);
    clearTimeout(round.timer);
    const missing = [...round.absent, ...[...round.waiting].map(([worker, pid]) => ({ worker, pid }))].sort((a, b) => a.worker - b.worker);
    this.missingTotal += missing.length;
    sendTo(round.requester, {
      turbina: 'gathered',
      id: round.requestId,
      snapshots: round.snapshots,
      view: {
        workers: this.config.workers,
        restarts: this.restarts(),
        missing,
        missingTotal: this.missingTotal,
        primaryLogsDropped: this.logsDropped(),
        timeoutMs: this.config.metricsWorkerTimeoutMs,
      },
    });
  }
}
