// results.html: the whole run on one self-contained page (inline SVG drawn here, inline
// CSS, no script, nothing fetched): per scenario req/s against bare node:http, latency
// and CPU per request; ramps as lines; the paired ratios with every round; startup; then
// the Markdown report's tables.
import { barChart, type Bar } from './html/bar-chart.js';
import { escapeMarkup } from '../../src/platform/escape-markup.js';
import { htmlTable } from './html/html-table.js';
import { latencyChart } from './html/latency-chart.js';
import { lineChart, type Series } from './html/line-chart.js';
import { figure, page } from './html/page.js';
import { pairedChart } from './html/paired-chart.js';
import { thousands } from './html/scale.js';
import { pairedTableData } from './paired.js';
import { isRamp, preamble, redisBenchmarkLines, scenarioNames, tables } from './report.js';
import { find, ratio, type BenchRun, type Measurement } from './results.js';
import { startupTableData } from './startup.js';
import type { Table } from './table.js';

const BASELINE = 'node-bare';
const SERIES_COLOURS = 8;

/** Names, colours and labels of a run's targets, the same in every chart. */
class Targets {
  private readonly order: string[];

  constructor(private readonly run: BenchRun) {
    const names = [...run.measurements.map((m) => m.target), ...(run.paired ?? []).flatMap((p) => [p.target, p.base]), ...(run.startup ?? []).map((s) => s.target)];
    this.order = [...new Set(names)].filter((t) => t !== BASELINE);
  }

  label(target: string): string {
    return this.run.labels[target] ?? target;
  }

  /** The baseline drawn grey, the others each in a colour of their own. */
  cls(target: string): string {
    return target === BASELINE ? 'sb' : `s${this.order.indexOf(target) % SERIES_COLOURS}`;
  }

  /** Its label, marked where it is the baseline. */
  rowLabel(target: string): string {
    return target === BASELINE ? `${this.label(target)} (baseline)` : this.label(target);
  }
}

/** " · 1.20x bare" against the baseline's value, or nothing without one. */
function versus(value: number, base: number | undefined, target: string): string {
  return target === BASELINE || base === undefined ? '' : ` · ${ratio(value, base)} bare`;
}

function scenarioSection(run: BenchRun, t: Targets, scenario: string, id: string): string {
  const rows = run.measurements.filter((m) => m.scenario === scenario);
  const base = find(run, BASELINE, scenario);
  const charts = isRamp(run, scenario) ? rampCharts(rows, t) : pointCharts(run, rows, base, t, scenario);
  return `<section id="${id}"><h2>${escapeMarkup(scenario)}</h2><div class="charts">${charts.join('\n')}</div></section>`;
}

function pointCharts(run: BenchRun, rows: readonly Measurement[], base: Measurement | undefined, t: Targets, scenario: string): string[] {
  const rps: Bar[] = rows.map((m) => ({
    label: t.rowLabel(m.target),
    cls: t.cls(m.target),
    value: m.result.requestsPerSec,
    figure: `${thousands(m.result.requestsPerSec)} req/s${versus(m.result.requestsPerSec, base?.result.requestsPerSec, m.target)}`,
    dots: m.roundsRequestsPerSec,
  }));
  const redis = (run.redisBenchmark ?? []).filter((r) => r.scenario === scenario);
  const references = [
    ...(base === undefined ? [] : [{ value: base.result.requestsPerSec, label: t.label(BASELINE) }]),
    ...redis.map((r) => ({ value: r.getPerSec, label: `redis-benchmark GET: ${thousands(r.getPerSec)} req/s` })),
  ];
  const rounds = Math.max(...rows.map((m) => m.roundsRequestsPerSec.length));
  const charts = [
    figure(
      `Requests per second (${rows[0]?.connections ?? run.options.connections} connections)`,
      (base === undefined ? '' : 'Dashed line: bare node:http. ') +
        (redis.length > 0 ? "Dashed line further right: redis-benchmark's GET rate. " : '') +
        (rounds > 1 ? `Bar: the median of ${rounds} rounds, dots: each round.` : ''),
      barChart(rps, references),
    ),
    figure(
      'Latency',
      'Ring: p50, bar to the filled dot: p99, notch: p90, faint line: max. Log scale.',
      latencyChart(
        rows.map((m) => {
          const l = m.result.latencyMs;
          return { label: t.rowLabel(m.target), cls: t.cls(m.target), figure: `${l.p50.toFixed(2)} / ${l.p99.toFixed(2)} ms`, p50: l.p50, p90: l.p90, p99: l.p99, max: l.max };
        }),
      ),
    ),
  ];
  if (rows.some((m) => m.cpuSecondsPer10k > 0)) {
    // CPU seconds per 10k requests, as microseconds per request.
    const baseCpu = base === undefined ? undefined : base.cpuSecondsPer10k * 100;
    charts.push(
      figure(
        'Server CPU per request',
        'All of the server’s processes, microseconds of CPU per request answered: shorter is cheaper.',
        barChart(
          rows.map((m) => ({ label: t.rowLabel(m.target), cls: t.cls(m.target), value: m.cpuSecondsPer10k * 100, figure: `${(m.cpuSecondsPer10k * 100).toFixed(1)} µs${versus(m.cpuSecondsPer10k * 100, baseCpu, m.target)}` })),
        ),
      ),
    );
  }
  return charts;
}

/** A scenario run at several connection counts: goodput (2xx/s) where the generator told
 *  2xx from refusals, else req/s, and the matching p99. */
function rampCharts(rows: readonly Measurement[], t: Targets): string[] {
  const admitted = rows.some((m) => m.result.admitted !== undefined);
  const targets = [...new Set(rows.map((m) => m.target))];
  const series = (value: (m: Measurement) => number): Series[] =>
    targets.map((target) => ({
      label: t.label(target),
      cls: t.cls(target),
      points: rows.filter((m) => m.target === target).map((m) => ({ x: m.connections, y: value(m) })),
    }));
  const legend = `<ul class="legend">${targets.map((target) => `<li class="${t.cls(target)}">${escapeMarkup(t.rowLabel(target))}</li>`).join('')}</ul>`;
  const unit = admitted ? '2xx/s' : 'req/s';
  return [
    figure(
      admitted ? 'Goodput (2xx per second) by connections' : 'Requests per second by connections',
      'Connections on a log scale.',
      lineChart(series((m) => (m.result.admitted === undefined ? m.result.requestsPerSec : m.result.admitted.requests / m.result.durationSec)), unit),
      legend,
    ),
    figure(
      admitted ? 'p99 of the 2xx answers by connections (ms)' : 'p99 latency by connections (ms)',
      'Connections on a log scale.',
      lineChart(series((m) => (m.result.admitted ?? m.result).latencyMs.p99), 'ms p99'),
      legend,
    ),
  ];
}

function pairedSection(run: BenchRun, t: Targets): string {
  const list = run.paired ?? [];
  if (list.length === 0) return '';
  const rows = list.map((p) => ({
    label: `${p.scenario}: ${t.label(p.target)}`,
    cls: t.cls(p.target),
    figure: `${p.ratio.toFixed(2)}x (${p.minRatio.toFixed(2)}–${p.maxRatio.toFixed(2)})`,
    median: p.ratio,
    rounds: p.rounds.map((r) => r.ratio),
  }));
  // Each target's baseline, named once in the caption rather than on every row.
  const against = [...new Set(list.map((p) => `${t.label(p.target)} against ${t.label(p.base)}`))].join('; ');
  const p99: Bar[] = list.flatMap((p) => [
    { label: `${p.scenario}: ${t.label(p.target)}`, cls: t.cls(p.target), value: p.targetP99Ms, figure: `${p.targetP99Ms.toFixed(2)} ms`, dots: p.rounds.map((r) => r.targetP99Ms) },
    { label: `${p.scenario}: ${t.label(p.base)}`, cls: 'sb', value: p.baseP99Ms, figure: `${p.baseP99Ms.toFixed(2)} ms`, dots: p.rounds.map((r) => r.baseP99Ms) },
  ]);
  return (
    '<section id="paired"><h2>Paired: each target beside its baseline</h2><div class="charts">' +
    figure(
      'Throughput per core against the baseline',
      `The baseline’s CPU per request ÷ the target’s, both loaded at once on the same cores: right of 1.00x the target does more per core. Bar and tick: the median of ${run.options.rounds} round(s); dots: each round. ${against}.`,
      pairedChart(rows),
    ) +
    figure('p99 latency, target and baseline', 'The median round’s p99 of each side (grey, in italics: the baseline); dots: each round.', barChart(p99)) +
    '</div></section>'
  );
}

function startupSection(run: BenchRun, t: Targets): string {
  const list = run.startup ?? [];
  if (list.length === 0) return '';
  const bar = (s: (typeof list)[number], value: number, figureText: string, dots: readonly number[]): Bar => ({ label: t.rowLabel(s.target), cls: t.cls(s.target), value, figure: figureText, dots });
  const mb = (bytes: number): number => bytes / 1024 / 1024;
  return (
    '<section id="startup"><h2>Startup</h2><div class="charts">' +
    figure('From spawn() to the first 200 on /healthz', 'Bar: the median start; dots: each start.', barChart(list.map((s) => bar(s, s.firstAnswerMs.median, `${s.firstAnswerMs.median.toFixed(1)} ms`, s.starts.map((x) => x.firstAnswerMs))))) +
    figure('Idle memory (RSS of all its processes)', 'A second after the first answer. Bar: the median; dots: each start.', barChart(list.map((s) => bar(s, mb(s.idleRssBytes.median), `${mb(s.idleRssBytes.median).toFixed(1)} MB`, s.starts.map((x) => mb(x.idleRssBytes)))))) +
    '</div></section>'
  );
}

/** The Markdown report's tables and lines, as HTML. */
function tablesSection(run: BenchRun): string {
  const all: Table[] = [
    ...tables(run),
    ...((run.paired ?? []).length > 0 ? [pairedTableData(run.paired ?? [], run.labels)] : []),
    ...((run.startup ?? []).length > 0 ? [startupTableData(run.startup ?? [], run.labels)] : []),
  ];
  const redis = redisBenchmarkLines(run).map((l) => `<p class="meta">${escapeMarkup(l).replace(/`([^`]*)`/g, '<code>$1</code>')}</p>`);
  if (all.length === 0 && redis.length === 0) return '';
  return `<section id="tables"><h2>Tables</h2>${all.map(htmlTable).join('\n')}${redis.join('\n')}</section>`;
}

export function htmlReport(run: BenchRun): string {
  const t = new Targets(run);
  // [anchor, name in the page's index, markup ('' for a part the run has not)]
  const parts: [string, string, string][] = [
    ['paired', 'paired', pairedSection(run, t)],
    ...scenarioNames(run).map((s, i): [string, string, string] => [`s${i}`, s, scenarioSection(run, t, s, `s${i}`)]),
    ['startup', 'startup', startupSection(run, t)],
    ['tables', 'tables', tablesSection(run)],
  ];
  const present = parts.filter(([, , markup]) => markup !== '');
  const body = [
    '<header><h1>turbina benchmark</h1>',
    ...preamble(run).map((l) => `<p class="meta">${escapeMarkup(l)}</p>`),
    '</header>',
    `<nav>${present.map(([id, name]) => `<a href="#${id}">${escapeMarkup(name)}</a>`).join('')}</nav>`,
    ...present.map(([, , markup]) => markup),
  ];
  return page(`turbina benchmark, ${run.date}`, body.join('\n'));
}
