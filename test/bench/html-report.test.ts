// results.html from hand-built runs: a page that fetches nothing, every scenario and
// target with its numbers, names from results.json escaped, a ramp as lines, the paired
// ratios as a bar with a dot for every round, startup charts, the Markdown report's
// tables, and a size that stays small for a full run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { htmlReport } from '../../scripts/bench/html-report.js';
import { tables } from '../../scripts/bench/report.js';
import type { BenchRun } from '../../scripts/bench/results.js';
import { assertWellFormed } from '../helpers/markup.js';
import { fullRun, measurement } from './fake-run.js';

/** The markup of the section with this id (sections do not nest). */
function section(html: string, id: string): string {
  const from = html.indexOf(`<section id="${id}">`);
  assert.ok(from >= 0, `no section ${id}`);
  return html.slice(from, html.indexOf('</section>', from));
}

/** The id of the section whose heading is `scenario`. */
function scenarioId(html: string, scenario: string): string {
  const m = new RegExp(`<section id="([^"]+)"><h2>${scenario}</h2>`).exec(html);
  assert.ok(m?.[1] !== undefined, `no section for ${scenario}`);
  return m[1];
}

function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

describe('htmlReport', () => {
  const run = fullRun();
  const html = htmlReport(run);

  test('self-contained: no script, no style sheet or font fetched, links only within the page', () => {
    assert.ok(html.startsWith('<!doctype html>'));
    assert.doesNotMatch(html, /<script|<link|<iframe|<img|@import|@font-face|url\(/i);
    assert.doesNotMatch(html, /\bsrc\s*=/i);
    const hrefs = [...html.matchAll(/\bhref="([^"]*)"/g)].map((m) => m[1] ?? '');
    assert.ok(hrefs.length > 0);
    for (const href of hrefs) {
      assert.match(href, /^#[\w-]+$/, `link out of the page: ${href}`);
      assert.ok(html.includes(` id="${href.slice(1)}"`), `no target for ${href}`);
    }
    // Readable on a phone, and in both colour schemes.
    assert.ok(html.includes('<meta name="viewport" content="width=device-width, initial-scale=1">'));
    assert.ok(html.includes('@media (prefers-color-scheme:dark)'));
  });

  test('the body is well-formed: every tag closed, text escaped', () => {
    assertWellFormed(html.slice(html.indexOf('<main>'), html.indexOf('</main>') + '</main>'.length));
  });

  test('every scenario has its section, every target its row there, with req/s, the ratio to bare node:http, latency and CPU', () => {
    for (const scenario of new Set(run.measurements.map((m) => m.scenario))) {
      const part = section(html, scenarioId(html, scenario));
      for (const m of run.measurements.filter((x) => x.scenario === scenario)) {
        const label = (run.labels[m.target] ?? m.target).replace(/'/g, '&#39;');
        assert.ok(part.includes(label.slice(0, 20)), `${scenario}: no ${m.target}`);
      }
    }
    const io = section(html, scenarioId(html, 'io'));
    // turbina: 8,000 req/s against bare node:http's 16,200, and 0.9 s of CPU per 10k requests.
    assert.ok(io.includes('>8,000 req/s · 0.49x bare<'), io);
    assert.ok(io.includes('>16,200 req/s<'), 'the baseline has no ratio to itself');
    assert.ok(io.includes('>0.67 / 2.00 ms<'), 'p50 / p99');
    assert.ok(io.includes('>90.0 µs · 0.60x bare<'), 'CPU per request');
    assert.ok(io.includes('bare node:http (baseline)'), 'the baseline is marked');
    assert.ok(io.includes('class="sb"'), 'the baseline is drawn apart');
    // Three rounds: three dots on each bar of the req/s chart.
    const rps = io.slice(0, io.indexOf('</svg>'));
    assert.equal(count(rps, /class="dot"/g), 3 * run.measurements.filter((m) => m.scenario === 'io').length);
  });

  test('bars scale to the axis: the fastest target is the longest bar, the baseline at its share', () => {
    const io = section(html, scenarioId(html, 'io'));
    const rps = io.slice(0, io.indexOf('</svg>'));
    const widths = [...rps.matchAll(/<rect class="bar" x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    const values = run.measurements.filter((m) => m.scenario === 'io').map((m) => m.result.requestsPerSec);
    assert.equal(widths.length, values.length);
    const fastest = values.indexOf(Math.max(...values));
    assert.equal(widths.indexOf(Math.max(...widths)), fastest);
    // Proportional: width / value is the same for every bar.
    const scale = (widths[0] ?? 0) / (values[0] ?? 1);
    widths.forEach((w, i) => assert.ok(Math.abs(w - (values[i] ?? 0) * scale) < 0.2, `bar ${i}: ${w}`));
  });

  test('a ramp is a line chart of req/s and one of p99: a line a target, a point a connection count', () => {
    const ramp = section(html, scenarioId(html, 'ramp'));
    const targets = new Set(run.measurements.filter((m) => m.scenario === 'ramp').map((m) => m.target)).size;
    assert.equal(count(ramp, /<polyline class="line"/g), 2 * targets);
    assert.equal(count(ramp, /<circle class="point"/g), 2 * targets * 6);
    for (const c of [10, 50, 100, 250, 500, 1000]) assert.ok(ramp.includes(`>${c}</text>`), `no tick for c=${c}`);
    assert.ok(ramp.includes('Requests per second by connections'));
    assert.ok(ramp.includes('p99 latency by connections'));
    // The overload ramp counts 2xx apart: its lines are goodput.
    assert.ok(section(html, scenarioId(html, 'overload')).includes('Goodput (2xx per second) by connections'));
    assert.ok(!section(html, scenarioId(html, 'overload')).includes('<rect class="bar"'), 'no bars for a ramp');
  });

  test('the paired runs: for each pair a bar to its median ratio and a dot for every round, placed by value', () => {
    const paired = section(html, 'paired');
    const chart = paired.slice(0, paired.indexOf('</svg>'));
    const pairs = run.paired ?? [];
    assert.equal(count(chart, /<line class="median"/g), pairs.length);
    assert.equal(count(chart, /<circle class="dot"/g), pairs.reduce((n, p) => n + p.rounds.length, 0));
    assert.equal(count(chart, /<rect class="gain"/g), pairs.filter((p) => p.ratio >= 1).length);
    assert.equal(count(chart, /<rect class="loss"/g), pairs.filter((p) => p.ratio < 1).length);
    for (const p of pairs) assert.ok(chart.includes(`>${p.ratio.toFixed(2)}x (${p.minRatio.toFixed(2)}–${p.maxRatio.toFixed(2)})<`), `no figure for ${p.target} ${p.scenario}`);
    // Within a row, the dots stand in the order of the rounds' ratios.
    const rows = chart.split('<g class=').slice(1);
    rows.forEach((row, i) => {
      const xs = [...row.matchAll(/<circle class="dot" cx="([\d.]+)"/g)].map((m) => Number(m[1]));
      const ratios = (pairs[i]?.rounds ?? []).map((r) => r.ratio);
      const order = (values: readonly number[]): number[] => values.map((_, k) => k).sort((a, b) => (values[a] ?? 0) - (values[b] ?? 0) || a - b);
      assert.deepEqual(order(xs), order(ratios), `row ${i}`);
    });
    // The 1.00x line, and each side's p99 beside it.
    assert.ok(chart.includes('<line class="one"'));
    assert.ok(paired.includes('p99 latency, target and baseline'));
  });

  test('startup: the first answer and the idle memory, a dot for every start', () => {
    const startup = section(html, 'startup');
    const starts = (run.startup ?? []).reduce((n, s) => n + s.starts.length, 0);
    assert.equal(count(startup, /<circle class="dot"/g), 2 * starts);
    for (const s of run.startup ?? []) assert.ok(startup.includes(`>${s.firstAnswerMs.median.toFixed(1)} ms<`), s.target);
  });

  test("the Markdown report's tables follow the charts, the same rows", () => {
    const part = section(html, 'tables');
    for (const table of tables(run)) {
      assert.ok(part.includes(`<h3>${table.title}</h3>`), table.title);
      for (const cell of table.rows[0] ?? []) assert.ok(part.includes(`>${cell.replace(/'/g, '&#39;')}</td>`), `${table.title}: ${cell}`);
    }
    assert.ok(part.includes('Paired, each target with its baseline'));
    assert.ok(part.includes('Startup: from spawn()'));
    assert.ok(part.includes('<code>redis-benchmark -t get</code>'));
  });

  test('a full run stays small', () => {
    assert.ok(Buffer.byteLength(html) < 200 * 1024, `${Buffer.byteLength(html)} bytes`);
  });

  test('a run without paired rounds or starts has neither section', () => {
    // As results.json holds it: without the keys.
    const loadOnly = JSON.parse(JSON.stringify({ ...run, paired: undefined, startup: undefined })) as BenchRun;
    const plain = htmlReport(loadOnly);
    assert.ok(!plain.includes('<section id="paired">'));
    assert.ok(!plain.includes('<section id="startup">'));
    assert.ok(!plain.includes('href="#paired"'));
    // Nothing measured at all: a header and no links to sections that are not there.
    const empty = htmlReport({ ...loadOnly, measurements: [], redisBenchmark: [] });
    assert.doesNotMatch(empty, /<section|href=/);
    assert.ok(empty.includes('<h1>turbina benchmark</h1>'));
  });
});

test('names and notes from results.json are text: a hostile target, label, scenario, version or note cannot add markup', () => {
  const evil = '<script>alert(1)</script>';
  const run: BenchRun = {
    date: '2026-12-02T00:00:00.000Z',
    machine: { cpus: 2, model: '<b>cpu</b>', memoryGiB: 4, note: 'a & b <i>' },
    loadGenerator: 'wrk "4"',
    options: { connections: 100, durationSec: 10, threads: 2, rampStepSec: 3, rounds: 1 },
    versions: { [evil]: '<img src=x onerror=alert(2)>' },
    labels: { 'node-bare': 'bare </style><script>alert(3)</script>' },
    measurements: [measurement(evil, 'io"><svg onload=alert(4)>', 100, 30_000, 5), measurement('node-bare', 'io"><svg onload=alert(4)>', 100, 25_000, 6), measurement(evil, '</section>ramp', 10, 1_000, 1), measurement(evil, '</section>ramp', 20, 2_000, 2)],
    skipped: [{ what: '<u>x</u>', reason: "it's </h1>" }],
  };
  const html = htmlReport(run);
  assert.doesNotMatch(html, /<script|<img|<b>|<i>|<u>|<svg onload|<\/style>[^\n]/);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the target name shows as text');
  assert.ok(html.includes('bare &lt;/style&gt;&lt;script&gt;alert(3)&lt;/script&gt;'));
  assert.ok(html.includes('io&quot;&gt;&lt;svg onload=alert(4)&gt;'));
  assert.ok(html.includes('it&#39;s &lt;/h1&gt;'));
  assertWellFormed(html.slice(html.indexOf('<main>'), html.indexOf('</main>') + '</main>'.length));
});
