// Event-loop delay and utilization per window. A lifetime mean hides spikes, so the
// histogram is reset every window and /metrics reports the last complete window.
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { round } from './round.js';

export interface EventLoopWindow {
  readonly windowSeconds: number;
  readonly delayMs: { readonly p50: number; readonly p99: number; readonly max: number };
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

  stop(): void {
    clearInterval(this.timer);
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
