// Reports from a hand-built BenchRun: ratio columns against bare node:http and Go, the
// ramp table, ASCII bars scaled to the fastest target, the Markdown table and the SVG chart
// (well-formed, one bar per target and scenario, text escaped).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { asciiBars, markdownReport, terminalReport } from '../../scripts/bench/report.js';
import type { BenchRun, Measurement } from '../../scripts/bench/results.js';
import { startupSummary } from '../../scripts/bench/startup.js';
import { svgChart } from '../../scripts/bench/svg-chart.js';
import { assertWellFormed } from '../helpers/markup.js';
import { measurement } from './fake-run.js';

function makeRun(labels: Record<string, string> = {}, drop: readonly string[] = []): BenchRun {
  const all = [
    measurement('turbina', 'io', 100, 30_000, 5.34),
    measurement('node-bare', 'io', 100, 25_000, 6.1),
    measurement('go', 'io', 100, 40_000, 4.2),
    measurement('turbina', 'ramp', 10, 12_000, 3.21),
    measurement('turbina', 'ramp', 100, 29_000, 9.87),
    measurement('node-bare', 'ramp', 10, 11_000, 3.5),
    measurement('node-bare', 'ramp', 100, 24_000, 11.2),
    measurement('go', 'ramp', 10, 15_000, 2.04),
    measurement('go', 'ramp', 100, 39_000, 7.77, { connect: 0, read: 1, write: 0, timeout: 3 }),
  ];
  return {
    date: '2026-01-01T00:00:00.000Z',
    machine: { cpus: 2, model: 'Test CPU', memoryGiB: 4, note: 'test' },
    loadGenerator: 'turbina-loadgen (scripts/load)',
    options: { connections: 100, durationSec: 10, threads: 2, rampStepSec: 3, rounds: 1 },
    versions: { turbina: 'node v20', 'node-bare': 'node v20', go: 'go1.22 <linux/amd64>' },
    labels: { turbina: 'turbina (1 process)', 'node-bare': 'bare node:http', go: 'Go net/http', ...labels },
    measurements: all.filter((m) => !drop.includes(m.target)),
    skipped: [],
  };
}

/** The cells of the text-table row whose first cell is `label` (cells are joined by 2+ spaces). */
function row(report: string, label: string, after: string): string[] {
  const lines = report.split('\n');
  const from = lines.findIndex((l) => l.startsWith(after));
  assert.ok(from >= 0, `no section "${after}"`);
  const line = lines.slice(from).find((l) => l.startsWith(label + ' ') || l === label);
  assert.ok(line !== undefined, `no row "${label}" after "${after}"`);
  return line.split(/ {2,}/).map((c) => c.trim());
}

describe('terminalReport', () => {
  test('the scenario table shows req/s and the ratios against bare node:http and Go', () => {
    const report = terminalReport(makeRun());
    const header = row(report, 'target', 'io (100 connections)');
    assert.deepEqual(header.slice(0, 4), ['target', 'req/s', 'vs bare', 'vs Go']);
    assert.deepEqual(row(report, 'turbina (1 process)', 'io (').slice(1, 4), ['30,000', '1.20x', '0.75x']);
    assert.deepEqual(row(report, 'bare node:http', 'io (').slice(1, 4), ['25,000', '1.00x', '0.63x']);
    assert.deepEqual(row(report, 'Go net/http', 'io (').slice(1, 4), ['40,000', '1.60x', '1.00x']);
    // p99 column, CPU s/10k and peak RSS.
    const turbina = row(report, 'turbina (1 process)', 'io (');
    assert.equal(turbina[header.indexOf('p99')], '5.34 ms');
    assert.equal(turbina[header.indexOf('CPU s/10k')], '1.25');
    assert.equal(turbina[header.indexOf('peak RSS')], '64 MB');
  });

  test('the vs bare cluster column divides by the bare node:http cluster of the same run', () => {
    const run = makeRun({ 'turbina-cluster': 'turbina cluster', 'node-bare-cluster': 'bare cluster' });
    const withClusters = { ...run, measurements: [...run.measurements, measurement('turbina-cluster', 'io', 100, 45_000, 4), measurement('node-bare-cluster', 'io', 100, 50_000, 3)] };
    const report = terminalReport(withClusters);
    const header = row(report, 'target', 'io (100 connections)');
    const column = header.indexOf('vs bare cluster');
    assert.ok(column > header.indexOf('vs Go'), header.join('|'));
    assert.equal(row(report, 'turbina cluster', 'io (')[column], '0.90x');
    assert.equal(row(report, 'bare cluster', 'io (')[column], '1.00x');
    assert.equal(row(report, 'turbina (1 process)', 'io (')[column], '0.60x');
    // Without a bare cluster in the run: "-".
    assert.equal(row(terminalReport(run), 'turbina (1 process)', 'io (')[column], '-');
  });

  test('without a Go measurement the vs Go column is "-"', () => {
    const report = terminalReport(makeRun({}, ['go']));
    assert.deepEqual(row(report, 'turbina (1 process)', 'io (').slice(1, 4), ['30,000', '1.20x', '-']);
  });

  test('the ramp table has one column per step with req/s and p99, and flags errors', () => {
    const report = terminalReport(makeRun());
    assert.ok(report.includes('ramp: req/s and p99 by connections'), report);
    assert.deepEqual(row(report, 'target', 'ramp:'), ['target', 'c=10', 'c=100']);
    assert.deepEqual(row(report, 'turbina (1 process)', 'ramp:'), ['turbina (1 process)', '12,000 / 3.2 ms', '29,000 / 9.9 ms']);
    assert.deepEqual(row(report, 'Go net/http', 'ramp:'), ['Go net/http', '15,000 / 2.0 ms', '39,000 / 7.8 ms (1 errors, 3 timeouts)']);
    // The ramp is not a single-connection-count scenario: no ratio table for it.
    assert.ok(!report.includes('ramp (100 connections)'));
  });
});

describe('a scenario behind the upstream service', () => {
  function upstreamRun(): BenchRun {
    const byOutcome = { ok: 0, notFound: 0, badRequest: 0, error: 0, hang: 0, garbage: 0, drip: 0, refused: 0 };
    const base = measurement('turbina', 'upstream-faulty', 100, 2_000, 40);
    const turbina: Measurement = {
      ...base,
      result: { ...base.result, requests: 20_000, admitted: { requests: 19_990, latencyMs: base.result.latencyMs }, non2xx3xx: 10, status5xx: 10, stale: 150 },
      upstream: {
        calls: 8_000,
        callsPerRequest: 0.4,
        byOutcome: { ...byOutcome, ok: 7_184, error: 800, hang: 16 },
        cpuSecondsPer10k: 0.5,
        store: { attempts: 8_000, retries: 810, notRetried: 3, shortCircuited: 0, breakerOpened: 1, staleServed: 150 },
      },
    };
    const goBase = measurement('go', 'upstream-faulty', 100, 8_000, 20);
    const go: Measurement = {
      ...goBase,
      result: { ...goBase.result, requests: 80_000, non2xx3xx: 3_001, status5xx: 3_000, stale: 0 },
      upstream: { calls: 30_000, callsPerRequest: 0.375, byOutcome: { ...byOutcome, ok: 27_000, error: 3_000 }, cpuSecondsPer10k: 0.25 },
    };
    return { ...makeRun(), measurements: [...makeRun().measurements, turbina, go] };
  }

  test('its own table: 5xx and stale shares, upstream calls per request and failures, the store counters', () => {
    const report = terminalReport(upstreamRun());
    const after = 'upstream-faulty (100 connections, behind the inventory service)';
    const header = row(report, 'target', after);
    const cell = (label: string, column: string): string | undefined => row(report, label, after)[header.indexOf(column)];
    assert.equal(cell('turbina (1 process)', 'req/s'), '2,000');
    assert.equal(cell('turbina (1 process)', 'vs Go'), '0.25x');
    assert.equal(cell('turbina (1 process)', '2xx/s'), '1,999');
    assert.equal(cell('turbina (1 process)', '5xx'), '0.050% (10)');
    assert.equal(cell('turbina (1 process)', 'stale'), '0.750%');
    assert.equal(cell('turbina (1 process)', 'upstream calls/req'), '0.400');
    assert.equal(cell('turbina (1 process)', 'upstream failed'), '10.200%');
    assert.equal(cell('turbina (1 process)', 'store retries / not retried / breaker opens'), '810 / 3 / 1');
    assert.equal(cell('turbina (1 process)', 'upstream CPU s/10k'), '0.50');
    // A 404 is an error of another kind; the 5xx are in their own column.
    assert.equal(cell('Go net/http', 'other errors'), '1');
    assert.equal(cell('Go net/http', '5xx'), '3.750% (3,000)');
    assert.equal(cell('Go net/http', 'store retries / not retried / breaker opens'), '-');
    // The other scenarios keep their tables.
    assert.deepEqual(row(report, 'turbina (1 process)', 'io (').slice(1, 4), ['30,000', '1.20x', '0.75x']);
  });

  test("in a wrk run, the preamble names the scenarios the project's generator ran", () => {
    const run = upstreamRun();
    const measurements = run.measurements.map((m) => (m.scenario === 'upstream-faulty' ? m : { ...m, result: { ...m.result, tool: 'wrk' } }));
    const line = terminalReport({ ...run, loadGenerator: 'wrk 4.1.0', measurements }).split('\n').find((l) => l.startsWith('Load generator:'));
    assert.match(line ?? '', /^Load generator: wrk 4\.1\.0, .* upstream-faulty: the project's generator/);
    assert.doesNotMatch(line ?? '', /\bio\b/);
    // A run on the project's generator throughout says nothing more.
    assert.doesNotMatch(terminalReport(run), /: the project's generator/);
  });

  test('a run the generator could not split (wrk): "-" for 2xx/s, 5xx and stale', () => {
    const run = upstreamRun();
    const measurements = run.measurements.map((m) => {
      if (m.target !== 'turbina' || m.scenario !== 'upstream-faulty') return m;
      const { admitted: _a, status5xx: _s, stale: _t, ...result } = m.result;
      return { ...m, result: { ...result, tool: 'wrk' } };
    });
    const report = terminalReport({ ...run, measurements });
    const after = 'upstream-faulty (';
    const header = row(report, 'target', after);
    const cells = row(report, 'turbina (1 process)', after);
    assert.deepEqual(['2xx/s', '5xx', 'stale'].map((c) => cells[header.indexOf(c)]), ['-', '-', '-']);
  });
});

describe('a scenario with a Redis', () => {
  const run: BenchRun = {
    ...makeRun({ 'node-ioredis': 'bare node:http + ioredis 6.0.0' }),
    measurements: [measurement('turbina', 'product-l2', 100, 30_000, 5.1), measurement('node-ioredis', 'product-l2', 100, 25_000, 6.2)],
    redisBenchmark: [{ scenario: 'product-l2', getPerSec: 120_000, p99Ms: 1.07, valueBytes: 302, command: 'redis-benchmark -h 127.0.0.1 -p 6400 -t set,get' }],
  };

  test("redis-benchmark's GET rate, and the share of it each target served, below the scenario's table, in both reports", () => {
    const line =
      'redis-benchmark GET (product-l2): 120,000 req/s, p99 1.07 ms, 302-byte values ' +
      '(turbina (1 process) reaches 25.0% of it, bare node:http + ioredis 6.0.0 reaches 20.8% of it); `redis-benchmark -h 127.0.0.1 -p 6400 -t set,get`';
    const text = terminalReport(run);
    assert.ok(text.includes(line), text);
    assert.ok(text.indexOf(line) > text.indexOf('product-l2 (100 connections)'));
    assert.ok(markdownReport(run).includes(line));
  });

  test('a run without one has no such line', () => {
    assert.ok(!terminalReport(makeRun()).includes('redis-benchmark'));
  });
});

describe('a --startup run', () => {
  const run: BenchRun = {
    ...makeRun(),
    loadGenerator: 'none',
    options: { connections: 100, durationSec: 10, threads: 2, rampStepSec: 3, rounds: 1, starts: 3 },
    measurements: [],
    startup: [startupSummary('turbina', [100, 90, 95].map((ms) => ({ firstAnswerMs: ms, idleRssBytes: 50 * 1024 * 1024, processes: 1 })))],
  };

  test('the report says how the starts ran and shows the startup table, and no load tables or bars', () => {
    const report = terminalReport(run);
    assert.ok(report.includes('Startup: 3 start(s) per target'), report);
    assert.ok(!report.includes('Load generator:'), report);
    assert.ok(report.includes('| turbina (1 process) | 95.0 ms | 90.0-100.0 ms | 50.0 MB | 50.0-50.0 MB | 1 | 3 |'), report);
    assert.ok(!report.includes('requests/sec'), report);
  });

  test('the Markdown has the startup table and no empty fence for bars', () => {
    const md = markdownReport(run);
    assert.ok(md.includes('| target | first 200 | range | idle RSS | range | processes | starts |'), md);
    assert.ok(!md.includes('```'), md);
  });
});

describe('asciiBars', () => {
  test('bars are scaled to the fastest target, which gets the longest; the ramp has no bars', () => {
    const bars = asciiBars(makeRun());
    const lines = bars.split('\n');
    const width = (label: string): number => {
      const line = lines.find((l) => l.trimStart().startsWith(label));
      assert.ok(line !== undefined, `no bar for ${label}`);
      return [...line].filter((c) => c === '█').length;
    };
    assert.equal(width('Go net/http'), 40);
    assert.equal(width('turbina (1 process)'), 30);
    assert.equal(width('bare node:http'), 25);
    assert.ok(lines.some((l) => l.startsWith('io') && l.includes('requests/sec')));
    assert.ok(!bars.includes('ramp'), bars);
    assert.ok(lines.find((l) => l.includes('Go net/http'))?.endsWith('40,000'));
  });
});

describe('markdownReport', () => {
  test('has Markdown tables with a header and an alignment row', () => {
    const md = markdownReport(makeRun());
    const lines = md.split('\n');
    const header = lines.findIndex((l) => l.startsWith('| target | req/s | vs bare | vs Go |'));
    assert.ok(header >= 0, md);
    assert.match(lines[header + 1] ?? '', /^\| --- (\| ---: )+\|$/);
    assert.ok(lines.includes('| target | c=10 | c=100 |'), md);
    assert.ok(lines.some((l) => l.startsWith('| turbina (1 process) | 30,000 | 1.20x | 0.75x |')), md);
    // The bars are fenced so they keep their alignment.
    assert.equal(lines.filter((l) => l === '```').length, 2);
  });
});

/** Checks tags nest and close, and that no raw '<' or '&' appears in text or attributes. */
describe('svgChart', () => {
  test('well-formed SVG with one bar per target and scenario, heights scaled to the fastest', () => {
    const svg = svgChart(makeRun());
    assert.ok(svg.startsWith('<svg'), svg.slice(0, 40));
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    assertWellFormed(svg);
    // Bars carry a <title>; the background and legend swatches do not.
    const bars = [...svg.matchAll(/<rect ([^>]*fill="[^"]+")><title>([^<]*)<\/title><\/rect>/g)];
    // io for 3 targets; the ramp has its own table and stays out of the chart.
    assert.equal(bars.length, 3);
    const titles = bars.map((b) => b[2]);
    assert.deepEqual(titles, [
      'turbina (1 process): 30000 req/s',
      'bare node:http: 25000 req/s',
      'Go net/http: 40000 req/s',
    ]);
    assert.ok(!svg.includes('>ramp<'), 'no ramp group label');
    const height = (i: number): number => Number(/height="([\d.]+)"/.exec(bars[i]?.[1] ?? '')?.[1]);
    assert.equal(height(2), 300); // the fastest fills the plot
    assert.equal(height(0), 225); // 30000 / 40000 of it
    assert.equal(height(1), 187.5);
    // Each target has its own colour (the legend maps them).
    const fill = (i: number): string | undefined => /fill="([^"]+)"/.exec(bars[i]?.[1] ?? '')?.[1];
    assert.equal(new Set([fill(0), fill(1), fill(2)]).size, 3);
  });

  test('labels, versions and the generator name are escaped', () => {
    const run = { ...makeRun({ go: 'Go <net/http> & "co"' }), loadGenerator: 'wrk <4.1.0> & co' };
    const svg = svgChart(run);
    assertWellFormed(svg);
    assert.ok(svg.includes('Go &lt;net/http&gt; &amp; &quot;co&quot;: 40000 req/s'), svg);
    assert.ok(svg.includes('go1.22 &lt;linux/amd64&gt;'));
    assert.ok(svg.includes('wrk &lt;4.1.0&gt; &amp; co'));
    assert.ok(!svg.includes('<net/http>') && !svg.includes('<linux/amd64>') && !svg.includes('<4.1.0>'));
  });
});
