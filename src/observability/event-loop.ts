// Event-loop delay and utilization per window. A lifetime mean hides spikes, so the
// histogram is reset every window and /metrics reports the last complete window.
// watch() adds a short window for load shedding, which must react within a fraction of
// a second: /metrics's window would be ten seconds late.
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { round } from './round.js';

export interface EventLoopWindow {
  readonly windowSeconds: number;
  readonly delayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Fraction of the window the loop was busy (0..1). */
  readonly utilization: number;
}

/** One short window of watch(). */
export interface LoopSample {
  /** performance.now() when the timer fired: its next firing is due a period later. */
  readonly at: number;
  /** How late the sampling timer fired: the longest the loop kept a callback waiting. */
  readonly delayMs: number;
  /** Fraction of the window the loop was busy (0..1). */
  readonly utilization: number;
}

const NS_PER_MS = 1e6;
// The histogram records the time between its timer's ticks, which includes the
// resolution itself; the delay is what exceeds it (as under-pressure computes it).
const RESOLUTION_MS = 10;

function lagMs(ns: number): number {
  return round(Math.max(0, ns / NS_PER_MS - RESOLUTION_MS));
}

export class EventLoopMonitor {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly timer: NodeJS.Timeout;
  private windowStart = performance.now();
  private eluStart: EventLoopUtilization = performance.eventLoopUtilization();
  private last: EventLoopWindow | undefined;
  private watcher: NodeJS.Timeout | undefined;

  constructor(windowMs = 10_000) {
    this.delay.enable();
    this.timer = setInterval(() => {
      this.last = this.measure();
      this.delay.reset();
      this.windowStart = performance.now();
      this.eluStart = performance.eventLoopUtilization();
    }, windowMs);
    this.timer.unref();
  }

  /** The last complete window, or the current one before the first completes. */
  snapshot(): EventLoopWindow {
    return this.last ?? this.measure();
  }

  /** Calls `onSample` every `periodMs` with that window's delay and utilization. The delay
   *  is the timer's own lateness, not the histogram's: that one belongs to /metrics's window. */
  watch(periodMs: number, onSample: (sample: LoopSample) => void): void {
    if (this.watcher !== undefined) throw new Error('the event loop is already watched');
    let last = performance.now();
    let elu = performance.eventLoopUtilization();
    this.watcher = setInterval(() => {
      const now = performance.now();
      const delayMs = Math.max(0, now - last - periodMs);
      const current = performance.eventLoopUtilization();
      const utilization = performance.eventLoopUtilization(current, elu).utilization;
      last = now;
      elu = current;
      onSample({ at: now, delayMs, utilization });
    }, periodMs);
    this.watcher.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.watcher);
    this.delay.disable();
  }

  private measure(): EventLoopWindow {
    const empty = this.delay.count === 0;
    return {
      windowSeconds: round((performance.now() - this.windowStart) / 1000),
      delayMs: {
        p50: empty ? 0 : lagMs(this.delay.percentile(50)),
        p99: empty ? 0 : lagMs(this.delay.percentile(99)),
        max: empty ? 0 : lagMs(this.delay.max),
      },
      utilization: round(performance.eventLoopUtilization(this.eluStart).utilization),
    };
  }
}
