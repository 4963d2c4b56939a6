// The paired runs: for each target and its baseline, a bar from 1.00x to the median
// round's ratio (right: the target costs less CPU per request) and a dot for every round,
// so the spread shows beside the median.
import { BAND, LEFT, RIGHT, rowChart, type Row } from './row-chart.js';
import { linearScale, niceTicks } from './scale.js';

export interface PairedRow extends Row {
  readonly median: number;
  readonly rounds: readonly number[];
}

export function pairedChart(rows: readonly PairedRow[]): string {
  // Symmetric around 1, so that as far right and as far left mean as much.
  const reach = Math.max(0.05, ...rows.flatMap((r) => [r.median, ...r.rounds].map((v) => Math.abs(v - 1)))) * 1.15;
  const x = linearScale(1 - reach, 1 + reach, LEFT, RIGHT);
  const one = x(1);
  return rowChart(
    rows,
    niceTicks(1 - reach, 1 + reach, 4)
      .filter((t) => Math.abs(t - 1) <= reach)
      .map((t) => ({ x: x(t), text: `${t.toFixed(2)}x` })),
    (i, y) => {
      const r = rows[i];
      if (r === undefined) return '';
      const end = x(r.median);
      const cls = r.median >= 1 ? 'gain' : 'loss';
      const dots = r.rounds.map((v) => `<circle class="dot" cx="${x(v).toFixed(1)}" cy="${y + BAND / 2}" r="3.5"/>`).join('');
      const bar = `<rect class="${cls}" x="${Math.min(one, end).toFixed(1)}" y="${y}" width="${Math.max(Math.abs(end - one), 1.5).toFixed(1)}" height="${BAND}" rx="2"/>`;
      // The median stands out of the band, so that it shows however short the bar.
      return `${bar}<line class="median" x1="${end.toFixed(1)}" x2="${end.toFixed(1)}" y1="${y - 3}" y2="${y + BAND + 3}"/>${dots}`;
    },
    (top, bottom) => `<line class="one" x1="${one.toFixed(1)}" x2="${one.toFixed(1)}" y1="${top}" y2="${bottom}"/>`,
  );
}
