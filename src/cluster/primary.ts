// Cluster mode (WORKERS > 1): the primary forks the workers and does no request work
// itself. Where SO_REUSEPORT is available (listeners.ts) every worker opens its own
// LISTEN_SOCKETS sockets on the port the primary found free, and the kernel spreads new
// connections over them. Elsewhere they share the port through node:cluster
// (round-robin: the primary accepts and hands each connection over, one at a time per
// worker, which a busy worker takes only once a turn). The primary restarts a worker
// that dies unexpectedly, after an exponential backoff, relays /metrics snapshots (and
// the workers' log lines, when stdout is a pipe: worker-stdio.ts), and
// on SIGTERM/SIGINT/SIGHUP tells every worker to drain, exits 0 once all exited cleanly, or
// kills the survivors at the deadline and exits 1.
import cluster, { type Worker } from 'node:cluster';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config.js';
import type { LogOutputStats } from '../log/log-output.js';
import type { Logger } from '../log/logger.js';
import { asMessage, WORKER_PORT_ENV, WORKER_SLOT_ENV, type ToPrimary } from './messages.js';
import { LineRelay } from './line-relay.js';
import { listeningFields } from '../lifecycle/listening-line.js';
import { probeFreePort } from '../lifecycle/listeners.js';
import { reusePortSupported } from '../platform/node-features.js';
import { MetricsRelay, sendTo } from './metrics-relay.js';
import { workerOutput } from './worker-stdio.js';

const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 10_000;
/** A worker that lived this long before dying starts the backoff over. */
const STABLE_AFTER_MS = 10_000;
/** Workers cut their own connections at SHUTDOWN_TIMEOUT_MS and exit 1; the primary kills
 *  whatever is still alive this much later (a worker stuck in a busy loop, say). */
const KILL_GRACE_MS = 1000;
/** How long the exit waits for the last lines of exited workers to arrive. */
const OUTPUT_WAIT_MS = 1000;

/** The wait before restarting a slot's worker, and the slot's new count of failures in a
 *  row: 100 ms doubling per failure up to 10 s, from the start again when the worker that
 *  died had been up STABLE_AFTER_MS. */
export function restartBackoff(failures: number, livedMs: number): { readonly failures: number; readonly delayMs: number } {
  const next = (livedMs >= STABLE_AFTER_MS ? 0 : failures) + 1;
  return { failures: next, delayMs: Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (next - 1)) };
}

interface Slot {
  readonly slot: number;
  worker: Worker | undefined;
  startedAt: number;
  listened: boolean;
  /** Listening sockets the worker opened (1: the primary's, shared round-robin). */
  sockets: number;
  /** Unexpected exits in a row, for the backoff. */
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export class ClusterPrimary {
  private readonly slots: Slot[];
  private readonly relay: MetricsRelay;
  private restarts = 0;
  private announced = false;
  private shuttingDown = false;
  private exitCode = 0;
  private finished = false;
  private readonly stdout = new LineRelay(process.stdout);
  private readonly stderr = new LineRelay(process.stderr);
  /** Resolve when a worker's stdout and stderr have ended. */
  private readonly outputs = new Set<Promise<unknown>>();
  /** The port the workers open their own sockets on; undefined: round-robin. */
  private ownPort: number | undefined;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    logOutput: LogOutputStats,
    private readonly exit: (code: number) => void,
  ) {
    this.slots = Array.from({ length: config.workers }, (_, slot) => ({
      slot, worker: undefined, startedAt: 0, listened: false, sockets: 0, failures: 0, restartTimer: undefined,
    }));
    this.relay = new MetricsRelay(config, () => this.slots, () => this.restarts, () => logOutput.dropped);
  }

  start(): void {
    // Workers write to a file or /dev/null directly; to a pipe, socket or terminal
    // through pipes the primary reads (worker-stdio.ts, line-relay.ts). They read no stdin.
    cluster.setupPrimary({ stdio: ['ignore', workerOutput(1), workerOutput(2), 'ipc'] });
    const forkAll = (): void => {
      for (const slot of this.slots) this.fork(slot);
    };
    if (!reusePortSupported()) return forkAll();
    // The workers will share the port with SO_REUSEPORT, which would also let another
    // copy of the server in: check once here that nothing holds it (and pick it, for 0).
    probeFreePort(this.config.port, this.config.host, (port) => {
      if (this.shuttingDown) return; // a signal came first: there is nothing to drain
      this.ownPort = port;
      forkAll();
    }, (error) => {
      process.stderr.write(`turbina: cannot listen on ${this.config.host}:${this.config.port}: ${error.code ?? error.message}\n`);
      this.logger.error('cannot listen', { err: error });
      this.logger.flush();
      this.exit(1);
    });
  }

  /** SIGTERM, SIGINT or SIGHUP: drain every worker; a second signal kills them at once. */
  shutdown(signal: string): void {
    if (this.shuttingDown) {
      this.logger.warn('second signal: killing workers', { signal, killed: this.kill() });
      this.finish(1, 'second signal');
      return;
    }
    this.shuttingDown = true;
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    const live = this.live();
    this.logger.info('shutdown started', { signal, workers: live.length, shutdownTimeoutMs: this.config.shutdownTimeoutMs });
    for (const worker of live) sendTo(worker, { turbina: 'shutdown', signal });
    const deadline = setTimeout(() => {
      this.exitCode = 1;
      this.logger.warn('shutdown deadline reached: workers killed', { killed: this.kill() });
      // Their exit events (the primary reaps them) finish the shutdown; this is a backstop.
      setTimeout(() => this.finish(1, 'deadline'), KILL_GRACE_MS).unref();
    }, this.config.shutdownTimeoutMs + KILL_GRACE_MS);
    deadline.unref();
    if (live.length === 0) this.finish(0, 'no workers');
  }

  /** A fatal error in the primary: workers must not outlive it. */
  abort(): void {
    this.kill();
    this.finish(1, 'primary failed');
  }

  private fork(slot: Slot): void {
    const env: Record<string, string> = { [WORKER_SLOT_ENV]: String(slot.slot) };
    if (this.ownPort !== undefined) env[WORKER_PORT_ENV] = String(this.ownPort);
    const worker = cluster.fork(env);
    slot.worker = worker;
    slot.startedAt = performance.now();
    slot.listened = false;
    const output = Promise.all([this.stdout.attach(worker.process.stdout), this.stderr.attach(worker.process.stderr)]);
    this.outputs.add(output);
    void output.then(() => this.outputs.delete(output));
    worker.on('message', (raw: unknown) => {
      const message = asMessage<ToPrimary>(raw);
      if (message?.turbina === 'listening') {
        slot.listened = true;
        slot.sockets = message.sockets;
        this.announce(message.port);
      } else if (message?.turbina === 'gather') this.relay.gather(worker, message.id);
      else if (message?.turbina === 'snapshot') this.relay.answer(slot.slot, message.id, message.snapshot);
    });
    // An IPC failure as the worker dies; its 'exit' follows and is handled there.
    worker.on('error', (error: Error) => this.logger.debug('worker channel error', { worker: slot.slot, err: error }));
    worker.once('exit', (code: number, signal: string | null) => this.exited(slot, worker, code, signal));
  }

  /** The 'listening' line, once every worker of the first generation listens. */
  private announce(port: number): void {
    if (this.announced || !this.slots.every((s) => s.listened)) return;
    this.announced = true;
    this.logger.info('listening', listeningFields(this.config, port, {
      workers: this.config.workers,
      accepting: this.ownPort === undefined ? 'primary, round-robin' : 'workers, SO_REUSEPORT',
      listenSockets: this.ownPort === undefined ? 1 : this.slots.reduce((sum, s) => sum + s.sockets, 0),
      workerPids: this.live().map((w) => w.process.pid ?? null),
    }));
  }

  private exited(slot: Slot, worker: Worker, code: number, signal: string | null): void {
    if (slot.worker === worker) slot.worker = undefined;
    const pid = worker.process.pid ?? null;
    if (this.shuttingDown) {
      if (code !== 0) this.exitCode = 1;
      this.logger.info('worker exited', { worker: slot.slot, pid, code, signal });
      if (this.live().length === 0) this.finish(this.exitCode, this.exitCode === 0 ? 'drained' : 'worker failed');
      return;
    }
    if (!this.announced && !slot.listened) {
      // It never got going (the port is taken, say): restarting would only loop.
      this.logger.error('worker failed to start', { worker: slot.slot, pid, code, signal });
      this.abort();
      return;
    }
    this.restarts++;
    const livedMs = Math.round(performance.now() - slot.startedAt);
    const { failures, delayMs: delay } = restartBackoff(slot.failures, livedMs);
    slot.failures = failures;
    this.logger.warn('worker exited unexpectedly; restarting', {
      worker: slot.slot, pid, code, signal, livedMs, restartInMs: delay, restarts: this.restarts,
    });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.shuttingDown) this.fork(slot);
    }, delay);
  }

  private live(): Worker[] {
    const workers: Worker[] = [];
    for (const slot of this.slots) if (slot.worker !== undefined) workers.push(slot.worker);
    return workers;
  }

  /** SIGKILLs every live worker; returns their pids. */
  private kill(): (number | null)[] {
    return this.live().map((worker) => {
      worker.process.kill('SIGKILL');
      return worker.process.pid ?? null;
    });
  }

  private finish(code: number, reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.logger.info('shutdown complete', { reason, exitCode: code, restarts: this.restarts });
    this.logger.flush();
    // An exit event can come before the worker's last lines have been read from its pipe.
    const wait = setTimeout(() => this.exit(code), OUTPUT_WAIT_MS);
    void Promise.all(this.outputs).then(() => {
      clearTimeout(wait);
      this.exit(code);
    });
  }
}
