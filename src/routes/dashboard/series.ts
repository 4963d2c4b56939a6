// The dashboard's arithmetic: one chart point from two /metrics reports, and the numbers
// and SVG paths the page shows. Plain functions that call only each other and globals,
// so the page embeds them as they are (page.ts, String(fn)) and the tests run the same
// code in Node.
import type { MetricsReport } from '../../metrics/report.js';

/** What a worker's row shows at one poll. */
export interface WorkerPoint {
  readonly worker: number;
  readonly pid: number;
  /** null for the first poll after the worker (re)started. */
  readonly rps: number | null;
  readonly inFlight: number;
  readonly elu: number;
  readonly heapBytes: number;
}

/** One poll's values over the interval since the previous poll (rates, windowed
 *  percentiles and hit rates) or at the poll (gauges). null: nothing to measure then. */
export interface Point {
  /** The page's clock (performance.now()) at the poll. */
  readonly atMs: number;
  readonly rps: number;
  readonly rps2xx: number;
  readonly rps3xx: number;
  readonly rps4xx: number;
  readonly rps5xx: number;
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  readonly p99Ms: number | null;
  readonly hitRate: number | null;
  readonly l2HitRate: number | null;
  /** Answered from either cache: L1 hits and L2 hits over L1 lookups (an L2 read follows
   *  an L1 miss), so Redis's hits count when the process cache is small or off. */
  readonly anyHitRate: number | null;
  readonly shedPerSecond: number;
  /** 429s of the rate limiter. */
  readonly limitedPerSecond: number;
  /** 503s and 504s of the request deadline. */
  readonly deadlinePerSecond: number;
  readonly storeCallsPerSecond: number;
  readonly storeRetriesPerSecond: number;
  /** Failed store attempts, whatever the cause. */
  readonly storeFailuresPerSecond: number;
  readonly inFlight: number;
  readonly connections: number;
  readonly loopDelayP99Ms: number;
  readonly elu: number;
  readonly heapBytes: number;
  readonly rssBytes: number;
  readonly workers: readonly WorkerPoint[];
}

/** Responses by status class 2xx..5xx (1xx are not final answers). */
export function statusClasses(byStatus: Readonly<Record<string, number>>): [number, number, number, number] {
  const classes: [number, number, number, number] = [0, 0, 0, 0];
  for (const code in byStatus) {
    const index = Math.floor(Number(code) / 100) - 2;
    if (index >= 0 && index < 4) classes[index] = (classes[index] ?? 0) + (byStatus[code] ?? 0);
  }
  return classes;
}

/** The q-quantile of the responses between two cumulative histograms (same bounds), linear
 *  within its bucket as the server's own percentiles are; past the last bound it is that
 *  bound (a floor). null when no response finished in between. */
export function windowQuantile(boundsMs: readonly number[], before: readonly number[], after: readonly number[], q: number): number | null {
  const total = (after[after.length - 1] ?? 0) - (before[before.length - 1] ?? 0);
  if (!(total > 0)) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < after.length; i++) {
    const upTo = (after[i] ?? 0) - (before[i] ?? 0);
    if (upTo >= rank && upTo > below) {
      const bound = boundsMs[i];
      if (bound === undefined) return boundsMs[boundsMs.length - 1] ?? 0;
      const lower = i === 0 ? 0 : (boundsMs[i - 1] ?? 0);
      return lower + (bound - lower) * ((rank - below) / (upTo - below));
    }
    below = upTo;
  }
  return boundsMs[boundsMs.length - 1] ?? 0;
}

/** hits / (hits + misses) of the increments; null without a lookup. */
export function deltaRatio(hits: number, misses: number): number | null {
  return hits + misses > 0 ? hits / (hits + misses) : null;
}

/** Whether the server restarted between two reports (its counters began again), or in
 *  cluster mode other workers answered: the sums then cover other processes (a worker
 *  missing from one scrape and back in the next would add its whole total to one interval). */
export function restarted(before: MetricsReport, after: MetricsReport): boolean {
  return after.uptimeSeconds < before.uptimeSeconds || after.requests.total < before.requests.total || !sameWorkers(before, after);
}

/** The same worker processes (slot and pid) answered both reports; in order, as /metrics lists them by slot. */
function sameWorkers(before: MetricsReport, after: MetricsReport): boolean {
  const was = before.workers ?? [];
  const now = after.workers ?? [];
  if (was.length !== now.length) return false;
  for (let i = 0; i < now.length; i++) {
    if (was[i]?.worker !== now[i]?.worker || was[i]?.pid !== now[i]?.pid) return false;
  }
  return true;
}

function shedTotal(report: MetricsReport): number {
  const shed = report.shedding.shed;
  return shed.eventLoopDelay + shed.eventLoopUtilization + shed.inFlight;
}

function storeFailures(report: MetricsReport): number {
  let sum = 0;
  for (const kind in report.store.failures) sum += report.store.failures[kind as keyof typeof report.store.failures];
  return sum;
}

function deadlineAnswers(report: MetricsReport): number {
  return report.deadline.answered503 + report.deadline.answered504;
}

function workerPoints(before: MetricsReport, after: MetricsReport, seconds: number): WorkerPoint[] {
  const points: WorkerPoint[] = [];
  for (const w of after.workers ?? []) {
    const was = (before.workers ?? []).find((b) => b.worker === w.worker && b.pid === w.pid && b.uptimeSeconds <= w.uptimeSeconds);
    points.push({
      worker: w.worker,
      pid: w.pid,
      rps: was === undefined ? null : (w.requests.total - was.requests.total) / seconds,
      inFlight: w.requests.inFlight,
      elu: w.eventLoop.utilization,
      heapBytes: w.memory.heapUsedBytes,
    });
  }
  return points;
}

/** The point for the interval from `before` to `after`, `seconds` apart on the page's clock;
 *  null when the server restarted meanwhile (a new series begins, never a negative rate). */
export function pointBetween(before: MetricsReport, after: MetricsReport, seconds: number, atMs: number): Point | null {
  if (restarted(before, after) || !(seconds > 0)) return null;
  const was = statusClasses(before.requests.byStatus);
  const now = statusClasses(after.requests.byStatus);
  const b = before.responseTimeMs.buckets;
  const a = after.responseTimeMs.buckets;
  const quantile = (q: number): number | null => windowQuantile(a.boundsMs, b.cumulative, a.cumulative, q);
  const l1Hits = after.cache.hits - before.cache.hits;
  const l1Misses = after.cache.misses - before.cache.misses;
  const l2Hits = after.redis === null || before.redis === null ? 0 : after.redis.hits - before.redis.hits;
  const l2 = after.redis === null || before.redis === null ? null : deltaRatio(l2Hits, after.redis.misses - before.redis.misses);
  return {
    atMs,
    rps: (after.requests.total - before.requests.total) / seconds,
    rps2xx: (now[0] - was[0]) / seconds,
    rps3xx: (now[1] - was[1]) / seconds,
    rps4xx: (now[2] - was[2]) / seconds,
    rps5xx: (now[3] - was[3]) / seconds,
    p50Ms: quantile(0.5),
    p90Ms: quantile(0.9),
    p99Ms: quantile(0.99),
    hitRate: deltaRatio(l1Hits, l1Misses),
    l2HitRate: l2,
    anyHitRate: deltaRatio(l1Hits + l2Hits, Math.max(0, l1Misses - l2Hits)),
    shedPerSecond: (shedTotal(after) - shedTotal(before)) / seconds,
    limitedPerSecond: (after.rateLimit.limited - before.rateLimit.limited) / seconds,
    deadlinePerSecond: (deadlineAnswers(after) - deadlineAnswers(before)) / seconds,
    storeCallsPerSecond: (after.store.calls - before.store.calls) / seconds,
    storeRetriesPerSecond: (after.store.retries - before.store.retries) / seconds,
    storeFailuresPerSecond: (storeFailures(after) - storeFailures(before)) / seconds,
    inFlight: after.requests.inFlight,
    connections: after.connections.active,
    loopDelayP99Ms: after.eventLoop.delayMs.p99,
    elu: after.eventLoop.utilization,
    heapBytes: after.memory.heapUsedBytes,
    rssBytes: after.memory.rssBytes,
    workers: workerPoints(before, after, seconds),
  };
}

/** The shedder's panel: "shedding" while a process refuses on its event loop (`active`) or
 *  when the last interval had refusals; MAX_IN_FLIGHT refuses per request and never shows
 *  in `active`, so without the rate a shedder refusing most requests read "admitting". */
export function sheddingState(active: number, shedPerSecond: number | null): 'shedding' | 'admitting' {
  return active > 0 || (shedPerSecond !== null && shedPerSecond > 0) ? 'shedding' : 'admitting';
}

export interface PageOptions {
  /** How often the page polls /metrics. */
  readonly everyMs: number;
  /** How far back the charts reach. */
  readonly windowMs: number;
}

function queryNumber(search: string, name: string, min: number, max: number, fallback: number): number {
  const match = new RegExp('[?&]' + name + '=(\\d+)(?:&|$)').exec(search);
  return match === null ? fallback : Math.min(max, Math.max(min, Number(match[1])));
}

/** The page's options from its query string: ?every=<ms> (250..10000, default 1000) and
 *  ?window=<s> (5..3600, default 300), each clamped into its range. */
export function pageOptions(search: string): PageOptions {
  return { everyMs: queryNumber(search, 'every', 250, 10_000, 1000), windowMs: queryNumber(search, 'window', 5, 3600, 300) * 1000 };
}

/** A chart's time span as its axis says it: 45 s, 5 min, 1 h. */
export function formatSpan(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds >= 3600 && seconds % 3600 === 0) return seconds / 3600 + ' h';
  if (seconds >= 120 && seconds % 60 === 0) return seconds / 60 + ' min';
  return seconds + ' s';
}

/** A count or rate in at most four significant characters: 950, 9.5k, 12.3M. */
export function formatCount(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1e9) return (value / 1e9).toFixed(abs >= 1e10 ? 0 : 1) + 'G';
  if (abs >= 1e6) return (value / 1e6).toFixed(abs >= 1e7 ? 0 : 1) + 'M';
  if (abs >= 1e4) return (value / 1e3).toFixed(0) + 'k';
  if (abs >= 1e3) return (value / 1e3).toFixed(1) + 'k';
  if (abs >= 10 || value === Math.round(value)) return value.toFixed(0);
  return value.toFixed(1);
}

/** Milliseconds with the precision that matters at their size: 0.042, 1.25, 37.5, 1250. */
export function formatMs(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (value < 0.1) return value.toFixed(3);
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

/** A fraction 0..1 as a percentage. */
export function formatPercent(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return '–';
  const percent = fraction * 100;
  return (percent >= 99.95 || percent < 10 ? percent.toFixed(1) : percent.toFixed(0)) + '%';
}

/** Bytes in binary units: 812 B, 9.4 MiB. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return (unit === 0 || value >= 100 ? value.toFixed(0) : value.toFixed(1)) + ' ' + units[unit];
}

/** An uptime in the unit that reads best: 42 s, 12 min, 3.2 h, 2.1 d. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  if (seconds < 60) return seconds.toFixed(0) + ' s';
  if (seconds < 3600) return (seconds / 60).toFixed(0) + ' min';
  if (seconds < 86_400) return (seconds / 3600).toFixed(1) + ' h';
  return (seconds / 86_400).toFixed(1) + ' d';
}

/** The axis top: the smallest 1, 2 or 5 times a power of ten at or above max (1 when max is 0). */
export function axisMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(max)));
  for (const step of [1, 2, 5, 10]) if (step * power >= max * (1 - 1e-12)) return step * power;
  return 10 * power;
}

/** An SVG path through (x, y) samples on a width x height box, y from 0 (bottom) to yMax
 *  (top). A null y is a gap: the line stops and starts again after it, never bridging it.
 *  Each start draws a zero-length segment, so a point alone between gaps shows as a dot
 *  (with round line caps). */
export function svgPath(xs: readonly number[], ys: readonly (number | null)[], height: number, yMax: number): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (y === null || y === undefined || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    const top = height - (Math.min(Math.max(y, 0), yMax) / yMax) * height;
    d += (pen ? 'L' : 'M') + (xs[i] ?? 0).toFixed(1) + ' ' + top.toFixed(1) + (pen ? '' : 'h0');
    pen = true;
  }
  return d;
}

/** What the page embeds: declarations, so their order does not matter. */
export const PAGE_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  statusClasses,
  windowQuantile,
  deltaRatio,
  restarted,
  sameWorkers,
  shedTotal,
  storeFailures,
  deadlineAnswers,
  workerPoints,
  sheddingState,
  pointBetween,
  queryNumber,
  pageOptions,
  formatSpan,
  formatDuration,
  formatCount,
  formatMs,
  formatPercent,
  formatBytes,
  axisMax,
  svgPath,
];
