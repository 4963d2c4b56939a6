// The frame shared by the report's horizontal charts: one row a target (its name above,
// an optional figure at the right of the name, a band below for the chart's marks) and an
// axis with grid lines under the rows.
import { escapeMarkup } from '../../../src/platform/escape-markup.js';

/** viewBox width: the figure scales to its column, the text with it. */
export const WIDTH = 420;
/** Where marks may go across the band (room for the tick labels at both ends). */
export const LEFT = 12;
export const RIGHT = WIDTH - 14;
const ROW = 40;
const BAND_OFFSET = 20;
export const BAND = 13;
const AXIS = 20;
const CHAR = 6.9;

export interface Row {
  readonly label: string;
  /** Shown right-aligned on the label's line. */
  readonly figure?: string;
  /** A CSS class of the row's group (its series colour, or `sb` for the baseline). */
  readonly cls: string;
}

export interface Tick {
  readonly x: number;
  readonly text: string;
}

/** An estimate of the width of text at the charts' font size, to keep labels apart. */
export function textWidth(text: string): number {
  return text.length * CHAR;
}

/** The label shortened with an ellipsis where it would run into the figure beside it. */
function fitLabel(label: string, figure: string | undefined): string {
  const room = Math.floor((WIDTH - (figure === undefined ? 0 : textWidth(figure) + 12)) / CHAR);
  return label.length <= room ? label : `${label.slice(0, Math.max(room - 1, 4))}…`;
}

/** The chart: `band` draws row i's marks between y and y + BAND; `behind` draws across
 *  all rows (reference lines) from top to bottom, under the rows. Text is raw: escaped here. */
export function rowChart(
  rows: readonly Row[],
  ticks: readonly Tick[],
  band: (i: number, y: number) => string,
  behind: (top: number, bottom: number) => string = () => '',
): string {
  const bottom = rows.length * ROW + 4;
  const height = bottom + AXIS;
  const parts: string[] = [`<svg viewBox="0 0 ${WIDTH} ${height}" role="img">`];
  for (const t of ticks) {
    parts.push(`<line class="grid" x1="${t.x.toFixed(1)}" x2="${t.x.toFixed(1)}" y1="0" y2="${bottom}"/>`);
    parts.push(`<text class="tick" x="${t.x.toFixed(1)}" y="${bottom + 14}">${escapeMarkup(t.text)}</text>`);
  }
  parts.push(behind(0, bottom));
  rows.forEach((row, i) => {
    const y = i * ROW;
    const shown = fitLabel(row.label, row.figure);
    parts.push(`<g class="${row.cls}">`);
    parts.push(`<text class="label" x="0" y="${y + 13}">${shown === row.label ? '' : `<title>${escapeMarkup(row.label)}</title>`}${escapeMarkup(shown)}</text>`);
    if (row.figure !== undefined) parts.push(`<text class="figure" x="${WIDTH}" y="${y + 13}">${escapeMarkup(row.figure)}</text>`);
    parts.push(band(i, y + BAND_OFFSET));
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('');
}
