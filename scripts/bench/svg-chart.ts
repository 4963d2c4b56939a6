// A grouped bar chart of req/s per scenario and target, as hand-written SVG.
import { escapeMarkup as escape } from '../../src/platform/escape-markup.js';
import type { BenchRun } from './results.js';

const COLORS = ['#2b6cb0', '#38a169', '#a0aec0', '#dd6b20', '#805ad5', '#d53f8c'];

export function svgChart(run: BenchRun): string {
  // The ramp has its own table; the chart compares scenarios at the run's connection count.
  const stepped = new Set(
    run.measurements.filter((m) => m.connections !== run.options.connections).map((m) => m.scenario),
  );
  const main = run.measurements.filter((m) => m.connections === run.options.connections && !stepped.has(m.scenario));
  const scenarios = [...new Set(main.map((m) => m.scenario))];
  const targets = [...new Set(main.map((m) => m.target))];
  const max = Math.max(...main.map((m) => m.result.requestsPerSec), 1);
  const bar = 26;
  const gap = 14;
  const groupWidth = targets.length * bar + gap * 2;
  const left = 70;
  const top = 50;
  const height = 300;
  const width = left + scenarios.length * groupWidth + 20;
  const legendTop = top + height + 50;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${legendTop + targets.length * 18 + 20}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${left}" y="24" font-size="15" font-weight="bold">Requests per second (${run.options.connections} connections, ${escape(run.loadGenerator)})</text>`);
  for (let i = 0; i <= 4; i++) {
    const y = top + height - (height * i) / 4;
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y}" y2="${y}" stroke="#e2e8f0"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end" fill="#4a5568">${Math.round((max * i) / 4).toLocaleString('en-US')}</text>`);
  }
  scenarios.forEach((scenario, s) => {
    const x0 = left + s * groupWidth + gap;
    targets.forEach((target, t) => {
      const m = main.find((x) => x.scenario === scenario && x.target === target);
      if (m === undefined) return;
      const h = (m.result.requestsPerSec / max) * height;
      const x = x0 + t * bar;
      parts.push(`<rect x="${x}" y="${(top + height - h).toFixed(1)}" width="${bar - 4}" height="${h.toFixed(1)}" fill="${COLORS[t % COLORS.length]}"><title>${escape(run.labels[target] ?? target)}: ${Math.round(m.result.requestsPerSec)} req/s</title></rect>`);
      parts.push(`<text x="${x + (bar - 4) / 2}" y="${(top + height - h - 4).toFixed(1)}" text-anchor="middle" font-size="9" fill="#2d3748">${(m.result.requestsPerSec / 1000).toFixed(1)}k</text>`);
    });
    parts.push(`<text x="${x0 + (targets.length * bar) / 2}" y="${top + height + 18}" text-anchor="middle">${escape(scenario)}</text>`);
  });
  targets.forEach((target, t) => {
    const y = legendTop + t * 18;
    parts.push(`<rect x="${left}" y="${y - 10}" width="12" height="12" fill="${COLORS[t % COLORS.length]}"/>`);
    parts.push(`<text x="${left + 18}" y="${y}">${escape(run.labels[target] ?? target)} — ${escape(run.versions[target] ?? '')}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
