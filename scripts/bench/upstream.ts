// The inventory service (scripts/upstream/inventory.ts) as a scenario's product store: one
// process per scenario that names one, started on a free port before its first run (where
// --server-cores puts it: with the load generator, off the server's cores) and stopped
// after its last; each measured run reads what the service did for it from /_stats.
import { get, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { knobsToEnv, type Knobs } from '../upstream/knobs.js';
import type { Outcome, StatsSnapshot } from '../upstream/stats.js';
import { freePort, startTarget, type RunningTarget } from './run-target.js';
import type { Launch } from './targets.js';

/** dist/suite/scripts/bench/upstream.js -> dist/suite/scripts/upstream/inventory.js */
export const INVENTORY_JS = fileURLToPath(new URL('../upstream/inventory.js', import.meta.url));

/** What a scenario asks of its upstream. */
export interface UpstreamSpec {
  /** Products 1..catalogSize exist (the ids the scenario requests must be among them). */
  readonly catalogSize: number;
  /** Fault knobs at start (the rest at their defaults). */
  readonly knobs: Partial<Knobs>;
}

/** What the upstream did during one measured run. */
export interface UpstreamUse {
  /** /products requests it received. */
  readonly calls: number;
  /** Those per request the clients got an answer to: 1 when every request misses the cache. */
  readonly callsPerRequest: number;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  /** The service's own CPU per 10k client requests (it runs beside the load generator). */
  readonly cpuSecondsPer10k: number;
  /** turbina's own store counters over the run (from /metrics), where the target has them. */
  readonly store?: StoreCounters;
}

/** What turbina's resilient store did over a run: why its clients got a 5xx or a stale copy. */
export interface StoreCounters {
  readonly attempts: number;
  readonly retries: number;
  /** Failures not retried: the retry budget was spent, or the wait would pass the deadline. */
  readonly notRetried: number;
  /** Calls failed at once by the open circuit breaker. */
  readonly shortCircuited: number;
  readonly breakerOpened: number;
  readonly staleServed: number;
}

export interface RunningUpstream {
  /** http://127.0.0.1:<port>: the targets' STORE_URL. */
  readonly url: string;
  readonly pid: number;
  resetStats(): Promise<StatsSnapshot>;
  stats(): Promise<StatsSnapshot>;
  stop(): Promise<void>;
}

/** The launch of the service on `port` with the spec's catalog and knobs. */
export function upstreamLaunch(spec: UpstreamSpec, port: number): Launch {
  return {
    command: process.execPath,
    args: [INVENTORY_JS],
    env: { ...knobsToEnv(spec.knobs), CATALOG_SIZE: String(spec.catalogSize), PORT: String(port), HOST: '127.0.0.1' },
  };
}

/** Starts the service (through `place`, which may pin it) and waits until /_stats answers. */
export async function startUpstream(spec: UpstreamSpec, place: (launch: Launch) => Launch, logPath: string): Promise<RunningUpstream> {
  const port = await freePort();
  const service: RunningTarget = await startTarget(place(upstreamLaunch(spec, port)), port, logPath, '/_stats');
  return {
    url: `http://127.0.0.1:${port}`,
    pid: service.pid,
    resetStats: () => statsCall(port, 'POST', '/_stats/reset'),
    stats: () => statsCall(port, 'GET', '/_stats'),
    stop: () => service.stop(),
  };
}

export function upstreamUse(stats: StatsSnapshot, requests: number, cpuSeconds: number, store?: StoreCounters): UpstreamUse {
  return {
    calls: stats.requests,
    callsPerRequest: requests === 0 ? 0 : Math.round((stats.requests / requests) * 1000) / 1000,
    byOutcome: stats.byOutcome,
    cpuSecondsPer10k: requests === 0 ? 0 : Math.round((cpuSeconds / requests) * 10_000 * 1000) / 1000,
    ...(store === undefined ? {} : { store }),
  };
}

function member(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** The store counters in turbina's JSON /metrics; undefined for any other text. */
export function storeCounters(metrics: string | undefined): StoreCounters | undefined {
  if (metrics === undefined) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(metrics);
  } catch {
    return undefined;
  }
  const store = member(doc, 'store');
  const read = (from: unknown, name: string): number => {
    const n = member(from, name);
    return typeof n === 'number' ? n : NaN;
  };
  const counters: StoreCounters = {
    attempts: read(store, 'attempts'),
    retries: read(store, 'retries'),
    notRetried: read(store, 'retriesRefused') + read(store, 'retriesPastDeadline'),
    shortCircuited: read(store, 'shortCircuited'),
    breakerOpened: read(member(store, 'breaker'), 'opened'),
    staleServed: read(member(doc, 'cache'), 'staleServed'),
  };
  return Object.values(counters).every(Number.isFinite) ? counters : undefined;
}

/** after - before, member by member: a run's share of counters kept since the start. */
export function storeCountersBetween(before: StoreCounters | undefined, after: StoreCounters | undefined): StoreCounters | undefined {
  if (before === undefined || after === undefined) return undefined;
  return {
    attempts: after.attempts - before.attempts,
    retries: after.retries - before.retries,
    notRetried: after.notRetried - before.notRetried,
    shortCircuited: after.shortCircuited - before.shortCircuited,
    breakerOpened: after.breakerOpened - before.breakerOpened,
    staleServed: after.staleServed - before.staleServed,
  };
}

function statsCall(port: number, method: 'GET' | 'POST', path: string): Promise<StatsSnapshot> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`inventory ${method} ${path}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text) as StatsSnapshot);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`inventory ${method} ${path}: no answer within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** A target's /metrics text (turbina's store counters: retries, breaker, stale), or
 *  undefined where it has none (the Go peer). */
export function metricsText(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? Buffer.concat(chunks).toString('utf8') : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
