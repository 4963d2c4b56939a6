// The report files that go beside results.json, from a run just measured or, with
// --report, from a results.json on disk.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { htmlReport } from './html-report.js';
import { markdownReport } from './report.js';
import type { BenchRun } from './results.js';
import { svgChart } from './svg-chart.js';

/** Writes results.md, results.html and (a run with load) chart.svg into `dir`; their names. */
export function writeReports(dir: string, run: BenchRun): string[] {
  const files: [string, string][] = [
    ['results.md', markdownReport(run)],
    ['results.html', htmlReport(run)],
  ];
  if (run.startup === undefined) files.push(['chart.svg', svgChart(run)]);
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return files.map(([name]) => name);
}

/** A results.json written by the bench, or why it is not one. */
export function readRun(path: string): BenchRun | { readonly error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { error: `cannot read ${path}: ${(error as Error).message}` };
  }
  const looksLikeRun = typeof parsed === 'object' && parsed !== null && 'measurements' in parsed && Array.isArray(parsed.measurements) && 'options' in parsed;
  return looksLikeRun ? (parsed as BenchRun) : { error: `${path} is not a bench results.json (no measurements)` };
}
