// A ramp: one line a target across the connection counts (a log axis: they grow by
// multiples), req/s or p99 up the side from zero.
import { escapeMarkup } from '../../../src/platform/escape-markup.js';
import { WIDTH } from './row-chart.js';
import { compact, linearScale, logScale, niceTicks } from './scale.js';

export interface Series {
  readonly label: string;
  readonly cls: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

const HEIGHT = 230;
const LEFT = 40;
const TOP = 8;
const BOTTOM = HEIGHT - 24;

export function lineChart(series: readonly Series[], unit: string): string {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const lo = Math.max(xs[0] ?? 1, 1e-9);
  const hi = Math.max(xs[xs.length - 1] ?? 1, lo * 2);
  const x = logScale(lo, hi, LEFT + 6, WIDTH - 12);
  const ticks = niceTicks(0, Math.max(...series.flatMap((s) => s.points.map((p) => p.y)), 1e-9));
  const y = linearScale(0, Math.max(...ticks), BOTTOM, TOP);
  const parts: string[] = [`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img">`];
  for (const t of ticks) {
    parts.push(`<line class="grid" x1="${LEFT}" x2="${WIDTH - 4}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/>`);
    parts.push(`<text class="ytick" x="${LEFT - 4}" y="${(y(t) + 4).toFixed(1)}">${escapeMarkup(compact(t))}</text>`);
  }
  for (const c of xs) parts.push(`<text class="tick" x="${x(c).toFixed(1)}" y="${BOTTOM + 16}">${c}</text>`);
  for (const s of series) {
    const points = [...s.points].sort((a, b) => a.x - b.x);
    const path = points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    parts.push(`<g class="${s.cls}"><polyline class="line" points="${path}"/>`);
    for (const p of points) {
      parts.push(`<circle class="point" cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3"><title>${escapeMarkup(`${s.label}: ${compact(p.y)} ${unit} at ${p.x} connections`)}</title></circle>`);
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('');
}
