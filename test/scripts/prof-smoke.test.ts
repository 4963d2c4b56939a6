// npm run prof end to end, as a child process: a short `node --prof` run under load, the
// --prof-process report on disk naming functions of our own files, nothing left running.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { reportSection } from '../../scripts/prof/report-section.js';

/** dist/suite/test/scripts/prof-smoke.test.js -> dist/suite/scripts/prof.js */
const PROF_JS = fileURLToPath(new URL('../../scripts/prof.js', import.meta.url));
const execFileAsync = promisify(execFile);

test('npm run prof: a 2-second run writes a report naming our functions and prints its top entries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'turbina-prof-'));
  try {
    const { stdout } = await execFileAsync(process.execPath, [PROF_JS, '--duration', '2', '--connections', '20', '--out', dir], { timeout: 60_000 });
    const reportPath = join(dir, 'report.txt');
    assert.ok(existsSync(reportPath), stdout);
    assert.ok(stdout.includes(`prof: report ${reportPath}`), stdout);
    assert.match(stdout, /\[Summary\]:/);
    assert.match(stdout, /\[JavaScript\]:\n\s+ticks/);
    const report = readFileSync(reportPath, 'utf8');
    assert.match(report, /^Statistical profiling result from /);
    // A tick in a compiled file of ours: "JS: *onRequest file:///.../dist/http/dispatch.js:54:30".
    assert.match(report, /JS: [*^~]?\S+ file:\/\/\S*\/dist\/(http|products|routes|observability|cache|lifecycle)\/[a-z-]+\.js:\d+/);
    const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
    assert.deepEqual(ps.split('\n').filter((l) => l.includes(dir)), [], 'the profiled server is still running');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reportSection: title, column header and the first rows, skipping a note', () => {
  const report = [
    ' [JavaScript]:',
    '   ticks  total  nonlib   name',
    '      5    0.3%    0.3%  JS: *a',
    '      4    0.2%    0.2%  JS: *b',
    '',
    ' [Bottom up (heavy) profile]:',
    '  Note: a note.',
    '',
    '   ticks parent  name',
    '    291   32.2%  UNKNOWN',
    '',
  ].join('\n');
  assert.deepEqual(reportSection(report, 'JavaScript', 1), [' [JavaScript]:', '   ticks  total  nonlib   name', '      5    0.3%    0.3%  JS: *a']);
  assert.deepEqual(reportSection(report, 'Bottom up (heavy) profile', 5), [' [Bottom up (heavy) profile]:', '   ticks parent  name', '    291   32.2%  UNKNOWN']);
  assert.deepEqual(reportSection(report, 'C++', 5), []);
});
