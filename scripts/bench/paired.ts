// --paired: a target and its baseline (pairing.ts) loaded at the same time, on the same
// cores, each by its own load generator. Whatever slows the machine for a while (other tenants of the
// host, frequency changes) then slows both alike, so the ratio of their CPU time per
// request holds steady where two runs one after the other differ by up to 2x. With the
// servers pinned (--server-cores) and saturated, that ratio is the ratio of requests per
// second each would serve with the core to itself.
import type { LoadResult } from '../load/types.js';
import { markdownTable, type Table } from './table.js';

/** One paired round: both servers' CPU time per request answered. */
export interface PairedRound {
  readonly targetRequests: number;
  readonly baseRequests: number;
  readonly targetCpuUsPerRequest: number;
  readonly baseCpuUsPerRequest: number;
  /** base / target CPU per request: above 1 means the target costs less. */
  readonly ratio: number;
  readonly targetErrors: number;
  readonly baseErrors: number;
  /** Each side's p99 latency in this round, as its load generator saw it. */
  readonly targetP99Ms: number;
  readonly baseP99Ms: number;
}

export interface PairedMeasurement {
  readonly target: string;
  readonly base: string;
  readonly scenario: string;
  readonly rounds: readonly PairedRound[];
  /** The median round's ratio, and the spread over all rounds. */
  readonly ratio: number;
  readonly minRatio: number;
  readonly maxRatio: number;
  /** Each side's median p99 over the rounds. */
  readonly targetP99Ms: number;
  readonly baseP99Ms: number;
}

/** Microseconds of CPU per request (0 when nothing was answered). */
export function cpuUsPerRequest(cpuSeconds: number, requests: number): number {
  return requests === 0 ? 0 : (cpuSeconds / requests) * 1e6;
}

function errorsOf(result: LoadResult): number {
  return result.errors.connect + result.errors.read + result.errors.write + result.errors.timeout + result.non2xx3xx;
}

export function pairedRound(target: LoadResult, targetCpuSeconds: number, base: LoadResult, baseCpuSeconds: number): PairedRound {
  const targetCpu = cpuUsPerRequest(targetCpuSeconds, target.requests);
  const baseCpu = cpuUsPerRequest(baseCpuSeconds, base.requests);
  return {
    targetRequests: target.requests,
    baseRequests: base.requests,
    targetCpuUsPerRequest: round2(targetCpu),
    baseCpuUsPerRequest: round2(baseCpu),
    ratio: targetCpu === 0 ? 0 : Math.round((baseCpu / targetCpu) * 1000) / 1000,
    targetErrors: errorsOf(target),
    baseErrors: errorsOf(base),
    targetP99Ms: round2(target.latencyMs.p99),
    baseP99Ms: round2(base.latencyMs.p99),
  };
}

/** The lower middle value for an even count (of ratios, the pessimistic one). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** The median of the rounds' ratios and of each side's p99. */
export function pairedSummary(target: string, base: string, scenario: string, rounds: readonly PairedRound[]): PairedMeasurement {
  const ratios = rounds.map((r) => r.ratio).sort((a, b) => a - b);
  return {
    target,
    base,
    scenario,
    rounds,
    ratio: median(ratios),
    minRatio: ratios[0] ?? 0,
    maxRatio: ratios[ratios.length - 1] ?? 0,
    targetP99Ms: median(rounds.map((r) => r.targetP99Ms)),
    baseP99Ms: median(rounds.map((r) => r.baseP99Ms)),
  };
}

/** The paired runs as a table: each target beside its baseline, the median round. */
export function pairedTableData(list: readonly PairedMeasurement[], labels: Readonly<Record<string, string>>): Table {
  return {
    title: 'Paired, each target with its baseline (both loaded at once, on the same cores): CPU per request, the throughput ratio it implies, and each side' + "'" + 's median p99',
    header: ['scenario', 'target', 'baseline', 'target CPU us/req', 'baseline CPU us/req', 'vs baseline', 'rounds' + "'" + ' range', 'p99 target / baseline', 'rounds', 'errors'],
    textColumns: 3,
    rows: list.map((m) => {
      const median = m.rounds.find((r) => r.ratio === m.ratio) ?? m.rounds[0];
      const errors = m.rounds.reduce((sum, r) => sum + r.targetErrors + r.baseErrors, 0);
      return [
        m.scenario,
        labels[m.target] ?? m.target,
        labels[m.base] ?? m.base,
        median?.targetCpuUsPerRequest.toFixed(2) ?? '-',
        median?.baseCpuUsPerRequest.toFixed(2) ?? '-',
        `${m.ratio.toFixed(2)}x`,
        `${m.minRatio.toFixed(2)}-${m.maxRatio.toFixed(2)}x`,
        `${m.targetP99Ms.toFixed(2)} / ${m.baseP99Ms.toFixed(2)} ms`,
        String(m.rounds.length),
        String(errors),
      ];
    }),
  };
}

/** A Markdown table (it reads as plain text on a terminal too). */
export function pairedTable(list: readonly PairedMeasurement[], labels: Readonly<Record<string, string>>): string {
  return list.length === 0 ? '' : markdownTable(pairedTableData(list, labels), false) + '\n';
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
