// The worker's side of the IPC channel: it shuts down gracefully when the primary says
// so, answers the primary's snapshot requests, and asks the primary for every worker's
// snapshot when it serves /metrics. If the primary does not answer in time, /metrics
// still answers, with this worker's numbers and the others reported missing.
import type { App } from '../app.js';
import type { Config } from '../config.js';
import type { ClusterView, Gathered, MetricsGatherer } from '../metrics/snapshot.js';
import { asMessage, WORKER_PORT_ENV, WORKER_SLOT_ENV, type ToPrimary, type ToWorker } from './messages.js';

const ignore = (): void => {};

/** Extra wait over the primary's per-worker deadline before giving up on the primary. */
const PRIMARY_GRACE_MS = 250;

export class WorkerLink implements MetricsGatherer {
  readonly slot = Number(process.env[WORKER_SLOT_ENV] ?? '0');
  /** The port this worker opens its own sockets on; undefined when the primary accepts. */
  readonly ownPort: number | undefined = process.env[WORKER_PORT_ENV] === undefined ? undefined : Number(process.env[WORKER_PORT_ENV]);
  private app: App | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (gathered: Gathered) => void>();

  constructor(private readonly config: Config) {}

  /** Starts listening to the primary; `stop` begins the app's graceful shutdown unless it has begun. */
  attach(app: App, stop: (reason: string) => void): void {
    this.app = app;
    process.on('message', (raw: unknown) => {
      const message = asMessage<ToWorker>(raw);
      if (message === undefined) return;
      if (message.turbina === 'shutdown') {
        stop(message.signal);
      } else if (message.turbina === 'snapshot-request') {
        this.send({ turbina: 'snapshot', id: message.id, snapshot: { ...app.snapshot(), worker: this.slot } });
      } else if (message.turbina === 'gathered') {
        this.pending.get(message.id)?.({ snapshots: message.snapshots, view: message.view });
      }
    });
    // Workers never outlive the primary: Node's cluster module exits a worker at once
    // when its IPC channel closes without a disconnect() (the primary died).
  }

  /** Tells the primary this worker is serving (it announces the group once all are). */
  listening(port: number, sockets: number): void {
    this.send({ turbina: 'listening', port, sockets });
  }

  gather(): Promise<Gathered> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(this.alone());
      }, this.config.metricsWorkerTimeoutMs + PRIMARY_GRACE_MS);
      this.pending.set(id, (gathered) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(gathered);
      });
      if (!this.send({ turbina: 'gather', id })) {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(this.alone());
      }
    });
  }

  /** This worker's numbers only, every other slot missing: the primary did not answer. */
  private alone(): Gathered {
    const snapshot = { ...(this.app as App).snapshot(), worker: this.slot };
    const missing: { worker: number; pid: number | null }[] = [];
    for (let slot = 0; slot < this.config.workers; slot++) if (slot !== this.slot) missing.push({ worker: slot, pid: null });
    const view: ClusterView = { workers: this.config.workers, restarts: 0, missing, missingTotal: missing.length, primaryLogsDropped: 0, timeoutMs: this.config.metricsWorkerTimeoutMs };
    return { snapshots: [snapshot], view };
  }

  private send(message: ToPrimary): boolean {
    if (process.send === undefined || !process.connected) return false;
    try {
      // With a callback, a failed send is reported there instead of as an 'error' event,
      // which would crash the worker; the scrape then times out and answers alone.
      process.send(message, undefined, undefined, ignore);
      return true;
    } catch {
      return false;
    }
  }
}
