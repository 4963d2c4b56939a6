// The benchmark's data model, shared by the runner and every report format.
import type { LoadResult } from '../load/types.js';
import type { PairedMeasurement } from './paired.js';
import type { RedisBenchmarkRate } from './redis-benchmark.js';
import type { StartupMeasurement } from './startup.js';
import type { UpstreamUse } from './upstream.js';

export interface Measurement {
  readonly target: string;
  readonly scenario: string;
  readonly connections: number;
  readonly result: LoadResult;
  /** Server CPU (all its processes) per 10k requests answered. */
  readonly cpuSecondsPer10k: number;
  readonly peakRssBytes: number;
  /** req/s of every round (the measurement itself is the median round). */
  readonly roundsRequestsPerSec: readonly number[];
  /** In a scenario with an upstream service: what it did during this run. */
  readonly upstream?: UpstreamUse;
}

export interface Skip {
  readonly what: string;
  readonly reason: string;
}

export interface BenchRun {
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly model: string; readonly memoryGiB: number; readonly note: string };
  readonly loadGenerator: string;
  readonly options: {
    readonly connections: number;
    readonly durationSec: number;
    readonly threads: number;
    readonly rampStepSec: number;
    readonly rounds: number;
    /** --startup: starts per target. */
    readonly starts?: number;
  };
  readonly versions: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly measurements: readonly Measurement[];
  /** --paired runs (then the only measurements). */
  readonly paired?: readonly PairedMeasurement[];
  /** --startup runs (then the only measurements). */
  readonly startup?: readonly StartupMeasurement[];
  /** redis-benchmark's GET rate, once per scenario with a redis-server. */
  readonly redisBenchmark?: readonly RedisBenchmarkRate[];
  readonly skipped: readonly Skip[];
}

/** The measurement of a target in a scenario at the run's main connection count. */
export function find(run: BenchRun, target: string, scenario: string): Measurement | undefined {
  return run.measurements.find((m) => m.target === target && m.scenario === scenario && m.connections === run.options.connections)
    ?? run.measurements.find((m) => m.target === target && m.scenario === scenario);
}

export function ratio(value: number, base: number | undefined): string {
  return base === undefined || base === 0 ? '-' : `${(value / base).toFixed(2)}x`;
}
