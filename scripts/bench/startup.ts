// --startup: how long a target takes from spawn() to its first 200 on /healthz, and how
// much memory its whole process tree holds once idle; several starts per target, the
// median shown with the range. The numbers, the summary and the table.
import { markdownTable, type Table } from './table.js';

/** One start of a target. */
export interface StartSample {
  /** Milliseconds from spawn() to the first 200 on /healthz. */
  readonly firstAnswerMs: number;
  /** RSS of the whole process tree, summed, about a second after the first answer. */
  readonly idleRssBytes: number;
  /** Processes in the tree then (a cluster: the primary and its workers). */
  readonly processes: number;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface StartupMeasurement {
  readonly target: string;
  /** Every start, in the order they ran. */
  readonly starts: readonly StartSample[];
  readonly firstAnswerMs: Spread;
  readonly idleRssBytes: Spread;
}

/** The median (the mean of the middle two for an even count) and the range. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median: median ?? 0, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

export function startupSummary(target: string, starts: readonly StartSample[]): StartupMeasurement {
  return {
    target,
    starts,
    firstAnswerMs: spread(starts.map((s) => s.firstAnswerMs)),
    idleRssBytes: spread(starts.map((s) => s.idleRssBytes)),
  };
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

/** The starts as a table: median and range of the first answer and of the idle RSS. */
export function startupTableData(list: readonly StartupMeasurement[], labels: Readonly<Record<string, string>>): Table {
  return {
    title: 'Startup: from spawn() to the first 200 on /healthz, and the idle RSS of all its processes a second later (median of the starts, and their range)',
    header: ['target', 'first 200', 'range', 'idle RSS', 'range', 'processes', 'starts'],
    rows: list.map((m) => {
      const t = m.firstAnswerMs;
      const r = m.idleRssBytes;
      const processes = [...new Set(m.starts.map((s) => s.processes))].join(', ');
      return [labels[m.target] ?? m.target, `${t.median.toFixed(1)} ms`, `${t.min.toFixed(1)}-${t.max.toFixed(1)} ms`, `${mb(r.median)} MB`, `${mb(r.min)}-${mb(r.max)} MB`, processes, String(m.starts.length)];
    }),
  };
}

/** A Markdown table (it reads as plain text on a terminal too). */
export function startupTable(list: readonly StartupMeasurement[], labels: Readonly<Record<string, string>>): string {
  return list.length === 0 ? '' : markdownTable(startupTableData(list, labels), false) + '\n';
}
