// Terminal and Markdown reports: one table per scenario with ratios against the bare
// node:http baseline, Go and the bare node:http cluster from the same run, ASCII bar
// charts like the study's, the ramp as req/s and p99 per connection count, what clients
// saw of an upstream's faults (5xx, stale answers), redis-benchmark's GET rate beside the
// targets' req/s on an L2 hit, and the paired and startup tables.
import { pairedTable } from './paired.js';
import { startupTable } from './startup.js';
import { find, ratio, type BenchRun } from './results.js';
import { markdownTable, type Table } from './table.js';

const BAR_WIDTH = 40;

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function bytesPerSec(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB/s` : `${(n / 1024).toFixed(1)} KB/s`;
}

export function scenarioNames(run: BenchRun): string[] {
  return [...new Set(run.measurements.map((m) => m.scenario))];
}

function targetNames(run: BenchRun): string[] {
  return [...new Set(run.measurements.map((m) => m.target))];
}

export function isRamp(run: BenchRun, scenario: string): boolean {
  return new Set(run.measurements.filter((m) => m.scenario === scenario).map((m) => m.connections)).size > 1;
}

/** Where the generator told 2xx from refusals (the overload scenario): goodput, refusals
 *  per second and the admitted requests' p99, which is what shedding is for. */
function overloadCell(result: BenchRun['measurements'][number]['result']): string | undefined {
  const admitted = result.admitted;
  if (admitted === undefined || result.refused503 === undefined) return undefined;
  const perSec = (n: number): string => fmt(n / result.durationSec);
  return `${perSec(admitted.requests)} 2xx/s, ${perSec(result.refused503)} 503/s, 2xx p99 ${admitted.latencyMs.p99.toFixed(1)} ms`;
}

/** n of total as a percentage ('0.012%'); '-' where it was not counted. */
function share(n: number | undefined, total: number): string {
  return n === undefined || total === 0 ? '-' : `${((n / total) * 100).toFixed(3)}%`;
}

/** A scenario behind an upstream service: what clients got (2xx, 5xx, stale copies) and
 *  what the service did (calls per request, the share it failed or hung, its CPU). */
function upstreamTable(run: BenchRun, scenario: string): Table {
  const go = find(run, 'go', scenario)?.result.requestsPerSec;
  return {
    title: `${scenario} (${run.options.connections} connections, behind the inventory service)`,
    header: ['target', 'req/s', 'vs Go', '2xx/s', '5xx', 'stale', 'p50', 'p99', 'max', 'other errors', 'timeouts', 'upstream calls/req', 'upstream failed', 'store retries / not retried / breaker opens', 'CPU s/10k', 'upstream CPU s/10k', 'peak RSS'],
    rows: run.measurements
      .filter((m) => m.scenario === scenario)
      .map((m) => {
        const r = m.result;
        const u = m.upstream;
        const e = r.errors;
        const failed = u === undefined ? undefined : u.byOutcome.error + u.byOutcome.hang + u.byOutcome.garbage + u.byOutcome.refused;
        return [
          run.labels[m.target] ?? m.target,
          fmt(r.requestsPerSec),
          ratio(r.requestsPerSec, go),
          r.admitted === undefined ? '-' : fmt(r.admitted.requests / r.durationSec),
          r.status5xx === undefined ? '-' : `${share(r.status5xx, r.requests)} (${fmt(r.status5xx)})`,
          share(r.stale, r.requests),
          `${r.latencyMs.p50.toFixed(2)} ms`,
          `${r.latencyMs.p99.toFixed(2)} ms`,
          `${r.latencyMs.max.toFixed(1)} ms`,
          String(e.connect + e.read + e.write + r.non2xx3xx - (r.status5xx ?? 0)),
          String(e.timeout),
          u === undefined ? '-' : u.callsPerRequest.toFixed(3),
          u === undefined ? '-' : share(failed, u.calls),
          u?.store === undefined ? '-' : `${fmt(u.store.retries)} / ${fmt(u.store.notRetried)} / ${fmt(u.store.breakerOpened)}`,
          m.cpuSecondsPer10k.toFixed(2),
          u === undefined ? '-' : u.cpuSecondsPer10k.toFixed(2),
          `${(m.peakRssBytes / 1024 / 1024).toFixed(0)} MB`,
        ];
      }),
  };
}

export function tables(run: BenchRun): Table[] {
  const out: Table[] = [];
  for (const scenario of scenarioNames(run)) {
    if (run.measurements.some((m) => m.scenario === scenario && m.upstream !== undefined)) {
      out.push(upstreamTable(run, scenario));
      continue;
    }
    if (isRamp(run, scenario)) {
      const steps = [...new Set(run.measurements.filter((m) => m.scenario === scenario).map((m) => m.connections))].sort((a, b) => a - b);
      out.push({
        title: `${scenario}: req/s and p99 by connections`,
        header: ['target', ...steps.map((c) => `c=${c}`)],
        rows: targetNames(run)
          .filter((t) => run.measurements.some((m) => m.target === t && m.scenario === scenario))
          .map((t) => [
            run.labels[t] ?? t,
            ...steps.map((c) => {
              const m = run.measurements.find((x) => x.target === t && x.scenario === scenario && x.connections === c);
              if (m === undefined) return '-';
              const overload = overloadCell(m.result);
              if (overload !== undefined) return overload;
              const e = m.result.errors;
              const errs = e.connect + e.read + e.write + m.result.non2xx3xx;
              const notes = [errs > 0 ? `${errs} errors` : '', e.timeout > 0 ? `${e.timeout} timeouts` : ''].filter((n) => n !== '');
              return `${fmt(m.result.requestsPerSec)} / ${m.result.latencyMs.p99.toFixed(1)} ms${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
            }),
          ]),
      });
      continue;
    }
    const bare = find(run, 'node-bare', scenario)?.result.requestsPerSec;
    const go = find(run, 'go', scenario)?.result.requestsPerSec;
    const bareCluster = find(run, 'node-bare-cluster', scenario)?.result.requestsPerSec;
    out.push({
      title: `${scenario} (${run.options.connections} connections)`,
      header: ['target', 'req/s', 'vs bare', 'vs Go', 'vs bare cluster', 'avg', 'stdev', 'p50', 'p90', 'p99', 'max', 'transfer', 'errors', 'timeouts', 'CPU s/10k', 'peak RSS'],
      rows: run.measurements
        .filter((m) => m.scenario === scenario)
        .map((m) => {
          const r = m.result;
          const l = r.latencyMs;
          return [
            run.labels[m.target] ?? m.target,
            fmt(r.requestsPerSec),
            ratio(r.requestsPerSec, bare),
            ratio(r.requestsPerSec, go),
            ratio(r.requestsPerSec, bareCluster),
            `${l.avg.toFixed(2)} ms`,
            `${l.stdev.toFixed(2)} ms`,
            `${l.p50.toFixed(2)} ms`,
            `${l.p90.toFixed(2)} ms`,
            `${l.p99.toFixed(2)} ms`,
            `${l.max.toFixed(1)} ms`,
            bytesPerSec(r.transferBytesPerSec),
            String(r.errors.connect + r.errors.read + r.errors.write + r.non2xx3xx),
            String(r.errors.timeout),
            m.cpuSecondsPer10k.toFixed(2),
            `${(m.peakRssBytes / 1024 / 1024).toFixed(0)} MB`,
          ];
        }),
    });
  }
  return out;
}

/** redis-benchmark's GET rate in each scenario with a Redis, and the share of it each
 *  target served there: how near the server comes to Redis's own speed. */
export function redisBenchmarkLines(run: BenchRun): string[] {
  return (run.redisBenchmark ?? []).map((rate) => {
    const shares = run.measurements
      .filter((m) => m.scenario === rate.scenario && m.connections === run.options.connections)
      .map((m) => `${run.labels[m.target] ?? m.target} reaches ${((m.result.requestsPerSec / rate.getPerSec) * 100).toFixed(1)}% of it`);
    return (
      `redis-benchmark GET (${rate.scenario}): ${fmt(rate.getPerSec)} req/s, p99 ${rate.p99Ms.toFixed(2)} ms, ${rate.valueBytes}-byte values` +
      (shares.length > 0 ? ` (${shares.join(', ')})` : '') +
      `; \`${rate.command}\``
    );
  });
}

/** Bars of req/s per target, one block per scenario, like the study's charts. */
export function asciiBars(run: BenchRun): string {
  const blocks: string[] = [];
  for (const scenario of scenarioNames(run)) {
    if (isRamp(run, scenario)) continue;
    const rows = run.measurements.filter((m) => m.scenario === scenario);
    const max = Math.max(...rows.map((m) => m.result.requestsPerSec), 1);
    const width = Math.max(...rows.map((m) => (run.labels[m.target] ?? m.target).length));
    blocks.push(`${scenario} — requests/sec`);
    for (const m of rows) {
      const n = Math.round((m.result.requestsPerSec / max) * BAR_WIDTH);
      blocks.push(`  ${(run.labels[m.target] ?? m.target).padEnd(width)} ${'█'.repeat(n)}${n === 0 ? '▏' : ''} ${fmt(m.result.requestsPerSec)}`);
    }
    blocks.push('');
  }
  return blocks.join('\n');
}

function textTable(table: Table): string {
  const widths = table.header.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [table.title, line(table.header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

/** Scenarios run with the project's generator although the run's is wrk (their `loadgen`). */
function ownGeneratorScenarios(run: BenchRun): string[] {
  if (run.loadGenerator.startsWith('turbina-loadgen')) return [];
  return [...new Set(run.measurements.filter((m) => m.result.tool === 'turbina-loadgen').map((m) => m.scenario))];
}

/** The run's header lines: date and machine, generator and options, versions, skips. */
export function preamble(run: BenchRun): string[] {
  const own = ownGeneratorScenarios(run);
  return [
    `Date: ${run.date}. Machine: ${run.machine.cpus} cores (${run.machine.model}), ${run.machine.memoryGiB} GiB; ${run.machine.note}`,
    run.startup !== undefined
      ? `Startup: ${run.options.starts ?? 0} start(s) per target, the targets taking turns, each spawned as in every run (through /bin/sh, which raises the file-descriptor limit and execs the target), with no load.`
      : `Load generator: ${run.loadGenerator}, ${run.options.threads} threads, ${run.options.connections} connections, ${run.options.durationSec} s per run (ramp steps ${run.options.rampStepSec} s)` +
        (run.paired !== undefined
          ? `; ${run.options.rounds} paired round(s) per target, each loading it and its baseline at once, median round shown.`
          : run.options.rounds > 1
            ? `; ${run.options.rounds} interleaved rounds per target, median round shown.`
            : '.') +
        (own.length > 0 ? ` ${own.join(', ')}: the project's generator (it counts 2xx, 5xx and stale answers apart).` : ''),
    `Versions: ${Object.entries(run.versions).map(([t, v]) => `${run.labels[t] ?? t}: ${v}`).join('; ')}.`,
    ...run.skipped.map((s) => `Skipped ${s.what}: ${s.reason}.`),
  ];
}

export function terminalReport(run: BenchRun): string {
  return [
    ...preamble(run),
    '',
    ...tables(run).map((t) => textTable(t) + '\n'),
    ...redisBenchmarkLines(run).map((l) => l + '\n'),
    pairedTable(run.paired ?? [], run.labels),
    startupTable(run.startup ?? [], run.labels),
    asciiBars(run),
  ].join('\n');
}

export function markdownReport(run: BenchRun): string {
  const bars = asciiBars(run).trimEnd();
  return [
    ...preamble(run).map((l) => `${l}  `),
    '',
    ...tables(run).map((t) => markdownTable(t) + '\n'),
    ...redisBenchmarkLines(run).map((l) => l + '\n'),
    pairedTable(run.paired ?? [], run.labels),
    startupTable(run.startup ?? [], run.labels),
    ...(bars === '' ? [] : ['```', bars, '```']),
    '',
  ].join('\n');
}
