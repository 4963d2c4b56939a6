// Latency per target on a log axis: a range from p50 to p99 with a tick at p90, and a
// faint line on to the maximum.
import { BAND, LEFT, RIGHT, rowChart, type Row } from './row-chart.js';
import { compact, logDomain, logScale, logTicks } from './scale.js';

export interface LatencyRow extends Row {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export function latencyChart(rows: readonly LatencyRow[]): string {
  const [lo, hi] = logDomain(rows.flatMap((r) => [r.p50, r.max]));
  const x = logScale(lo, hi, LEFT, RIGHT);
  return rowChart(
    rows,
    logTicks(lo, hi).map((t) => ({ x: x(t), text: `${compact(t)} ms` })),
    (i, y) => {
      const r = rows[i];
      if (r === undefined) return '';
      const mid = y + BAND / 2;
      const [p50, p90, p99, max] = [x(r.p50), x(r.p90), x(r.p99), x(r.max)].map((v) => v.toFixed(1));
      return (
        `<line class="whisker" x1="${p99}" x2="${max}" y1="${mid}" y2="${mid}"/>` +
        `<line class="range" x1="${p50}" x2="${p99}" y1="${mid}" y2="${mid}"/>` +
        `<line class="p90" x1="${p90}" x2="${p90}" y1="${y + 1}" y2="${y + BAND - 1}"/>` +
        `<circle class="p50" cx="${p50}" cy="${mid}" r="4"/><circle class="p99" cx="${p99}" cy="${mid}" r="4"/>`
      );
    },
  );
}
