// npm run prof: the `node --prof` workflow in one command. Starts `node --prof
// dist/server.js` on a free loopback port, loads it (wrk when installed, else our own
// generator), stops it with SIGTERM (the graceful exit flushes V8's tick log), runs
// `node --prof-process` on that log, writes the text report, and prints the top entries.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, killAll, startTarget } from './bench/run-target.js';
import { PROJECT_ROOT } from './bench/targets.js';
import { runWrk } from './bench/wrk.js';
import { parseCli } from './cli.js';
import { runLoad } from './load/loadgen.js';
import { reportSection } from './prof/report-section.js';
import type { LoadOptions, LoadResult } from './load/types.js';

const execFileAsync = promisify(execFile);

const HELP = `usage: npm run prof -- [options]

  --duration S      seconds of load (default 10)
  --path P          what the load requests (default /products/1)
  --connections N   connections (default 50)
  --loadgen NAME    wrk, node or auto (default auto: wrk when installed)
  --top N           report entries printed per section (default 15)
  --out DIR         where the V8 log and the report go (default results/prof-<date>)
  --help            this text
`;

async function main(): Promise<void> {
  const cli = parseCli('prof', ['duration', 'path', 'connections', 'loadgen', 'top', 'out']);
  if (cli.help) {
    process.stdout.write(HELP);
    return;
  }
  const duration = cli.count('duration', 10);
  const connections = cli.count('connections', 50);
  const top = cli.count('top', 15);
  const path = cli.str('path') ?? '/products/1';
  if (!path.startsWith('/')) cli.fail(`--path must start with "/", got "${path}"`);
  const useWrk = cli.useWrk();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outDir = resolve(cli.str('out') ?? join(PROJECT_ROOT, 'results', `prof-${stamp}`));
  mkdirSync(outDir, { recursive: true });

  process.on('SIGINT', () => {
    killAll();
    process.exit(130);
  });
  process.on('exit', killAll);

  const isolateLog = join(outDir, 'isolate.log');
  const port = await freePort();
  // --no-logfile-per-isolate: one log under our name instead of isolate-0x...-v8.log in cwd.
  const server = await startTarget(
    {
      command: process.execPath,
      args: ['--prof', '--no-logfile-per-isolate', `--logfile=${isolateLog}`, join(PROJECT_ROOT, 'dist', 'server.js')],
      env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      cwd: outDir,
    },
    port,
    join(outDir, 'server.log'),
    '/healthz',
  );
  process.stdout.write(`prof: node --prof dist/server.js on port ${port}, ${duration} s of ${useWrk ? 'wrk' : 'turbina-loadgen'} load on ${path}\n`);
  const options: LoadOptions = { host: '127.0.0.1', port, plan: { path }, connections, threads: 2, durationMs: duration * 1000, timeoutMs: 2000 };
  let result: LoadResult;
  try {
    result = useWrk ? await runWrk(options, outDir) : await runLoad(options);
  } finally {
    await server.stop(); // SIGTERM: a graceful exit, so V8 writes out the whole log
  }
  process.stdout.write(`prof: ${result.requests.toLocaleString('en-US')} requests (${Math.round(result.requestsPerSec).toLocaleString('en-US')} req/s); processing ${isolateLog}\n`);

  const { stdout: report } = await execFileAsync(process.execPath, ['--prof-process', isolateLog], { cwd: outDir, maxBuffer: 256 * 1024 * 1024 });
  const reportPath = join(outDir, 'report.txt');
  writeFileSync(reportPath, report);
  const summary = [...reportSection(report, 'Summary', top), '', ...reportSection(report, 'JavaScript', top), '', ...reportSection(report, 'Bottom up (heavy) profile', top)];
  process.stdout.write(`\n${summary.join('\n')}\n\nprof: report ${reportPath}\nprof: V8 log ${isolateLog} (node --prof-process ${isolateLog})\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`prof: ${error instanceof Error ? error.message : String(error)}\n`);
  killAll();
  process.exit(1);
});
