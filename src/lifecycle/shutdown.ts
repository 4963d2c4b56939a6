// Graceful shutdown that loses nothing. On the first signal: /readyz turns 503 and the
// server keeps serving for DRAIN_DELAY_MS; then it stops accepting connections, answers
// every further response with Connection: close, closes sockets idle past
// SHUTDOWN_IDLE_MS, lets in-flight requests finish, flushes logs and exits 0. At
// SHUTDOWN_TIMEOUT_MS whatever remains is destroyed and the exit code is 1. A second
// signal exits at once.
import { performance } from 'node:perf_hooks';
import type { Config } from '../config.js';
import type { ConnectionTracker } from '../http/connections.js';
import type { LifecycleState } from '../http/lifecycle-state.js';
import type { Logger } from '../log/logger.js';
import type { RequestMetrics } from '../observability/request-metrics.js';
import type { Listeners } from './listeners.js';

/** What a shutdown drains and reports on (the app's parts). */
export interface Drainable {
  readonly config: Pick<Config, 'drainDelayMs' | 'shutdownTimeoutMs' | 'shutdownIdleMs'>;
  readonly logger: Logger;
  readonly lifecycle: LifecycleState;
  readonly listeners: Listeners;
  readonly connections: ConnectionTracker;
  readonly metrics: Pick<RequestMetrics, 'inFlight' | 'total'>;
  /** Stops the app's own timers (cache sweep, event-loop sampling). */
  stopTimers(): void;
  /** With tracing on: sends the spans still queued, resolving within `withinMs` whatever happens. */
  flushSpans?(withinMs: number): Promise<void>;
}

const REAP_INTERVAL_MS = 100;

export class Shutdown {
  private started = false;
  private finished = false;
  private deadline: NodeJS.Timeout | undefined;
  private reaper: NodeJS.Timeout | undefined;
  private startedAt = 0;
  /** finish() is waiting for the last spans; end() has not run yet. */
  private flushing = false;
  private ended = false;

  constructor(
    private readonly app: Drainable,
    /** Told once, when the shutdown is over: 0 drained, 1 cut at the deadline or by a second signal. */
    private readonly exit: (code: number) => void,
  ) {}

  begin(signal: string): void {
    const { logger, config, lifecycle } = this.app;
    if (this.started) {
      logger.warn('second signal: exiting now', { signal });
      // While the last spans are being sent, the second signal cuts that short too.
      if (this.flushing) this.end(1, 'second signal');
      else this.finish(1, 'second signal');
      return;
    }
    this.started = true;
    this.startedAt = performance.now();
    lifecycle.startDraining();
    logger.info('shutdown started', {
      signal,
      drainDelayMs: config.drainDelayMs,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      inFlight: this.app.metrics.inFlight,
      connections: this.app.connections.active,
    });
    this.deadline = setTimeout(() => {
      const destroyed = this.app.connections.destroyAll();
      logger.warn('shutdown deadline reached: connections destroyed', { destroyed, inFlight: this.app.metrics.inFlight });
      this.finish(1, 'deadline');
    }, config.shutdownTimeoutMs);
    setTimeout(() => this.stopAccepting(), config.drainDelayMs);
  }

  private stopAccepting(): void {
    if (this.finished) return;
    const { listeners, lifecycle, connections, config, logger } = this.app;
    // Set together with the close below, in one tick: any client that gets a
    // Connection: close from now on finds the port already closed.
    lifecycle.closing = true;
    const closingAt = performance.now();
    logger.info('shutdown: no longer accepting connections', { connections: connections.active });
    // Every listening socket stops; done once each connection has ended (see listeners.ts).
    listeners.close(() => this.finish(0, 'drained'));
    const reap = (): void => {
      const closed = connections.closeIdle(config.shutdownIdleMs, closingAt);
      if (closed > 0) logger.debug('shutdown: closed idle connections', { closed });
    };
    this.reaper = setInterval(reap, Math.min(REAP_INTERVAL_MS, Math.max(10, config.shutdownIdleMs)));
    this.reaper.unref();
    if (config.shutdownIdleMs === 0) reap();
  }

  private finish(code: number, reason: string): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.deadline);
    clearInterval(this.reaper);
    const flushSpans = this.app.flushSpans;
    if (flushSpans === undefined) {
      this.end(code, reason);
      return;
    }
    // The last spans go out within what is left of SHUTDOWN_TIMEOUT_MS (nothing, once cut).
    const left = code === 0 ? this.app.config.shutdownTimeoutMs - (performance.now() - this.startedAt) : 0;
    this.flushing = true;
    void flushSpans.call(this.app, Math.max(0, left)).then(() => this.end(code, reason));
  }

  private end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.app.stopTimers();
    this.app.logger.info('shutdown complete', { reason, exitCode: code, requestsServed: this.app.metrics.total });
    this.app.logger.flush();
    this.exit(code);
  }
}
