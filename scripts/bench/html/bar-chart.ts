// Horizontal bars from zero, one a target: req/s, CPU per request, startup time, memory.
// Dots on a bar are its rounds (or starts) where there were several; dashed lines mark
// references such as the baseline's value.
import { escapeMarkup } from '../../../src/platform/escape-markup.js';
import { BAND, LEFT, RIGHT, rowChart, type Row } from './row-chart.js';
import { compact, linearScale, niceTicks } from './scale.js';

export interface Bar extends Row {
  readonly value: number;
  /** Every round's value; drawn when there are two or more. */
  readonly dots?: readonly number[];
}

export interface Reference {
  readonly value: number;
  readonly label: string;
}

export function barChart(bars: readonly Bar[], references: readonly Reference[] = []): string {
  const values = [...bars.flatMap((b) => [b.value, ...(b.dots ?? [])]), ...references.map((r) => r.value)];
  const ticks = niceTicks(0, Math.max(...values, 1e-9));
  const max = Math.max(...ticks);
  const x = linearScale(0, max, LEFT, RIGHT);
  return rowChart(
    bars,
    ticks.map((t) => ({ x: x(t), text: compact(t) })),
    (i, y) => {
      const bar = bars[i];
      if (bar === undefined) return '';
      const dots = (bar.dots ?? []).length > 1 ? (bar.dots ?? []).map((d) => `<circle class="dot" cx="${x(d).toFixed(1)}" cy="${y + BAND / 2}" r="3"/>`).join('') : '';
      return `<rect class="bar" x="${LEFT}" y="${y}" width="${Math.max(x(bar.value) - LEFT, 1).toFixed(1)}" height="${BAND}" rx="2"/>${dots}`;
    },
    (top, bottom) =>
      references
        .map((r) => `<line class="ref" x1="${x(r.value).toFixed(1)}" x2="${x(r.value).toFixed(1)}" y1="${top}" y2="${bottom}"><title>${escapeMarkup(r.label)}</title></line>`)
        .join(''),
  );
}
