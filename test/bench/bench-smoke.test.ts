// The benchmark end to end, as a real child process: a 1-second run of turbina in the io
// scenario with our own load generator (and with wrk when installed), its files and
// report, paired runs (a cluster beside the bare cluster, placed on the cores fairly),
// the upstream scenarios (an inventory service started per scenario, given to turbina as
// STORE_URL, placed with the load generator and stopped), one start of each --startup
// target, the reports made again from a results.json (--report), argument errors with
// exit code 2, and no process left behind afterwards.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { processTree } from '../../scripts/bench/proc-stats.js';
import type { BenchRun } from '../../scripts/bench/results.js';
import { hasWrk } from '../../scripts/bench/wrk.js';
import { hasCommand, skipWithout } from '../helpers/tools.js';
import { fullRun } from './fake-run.js';

/** dist/suite/test/bench/bench-smoke.test.js -> dist/suite/scripts/bench.js */
const BENCH_JS = fileURLToPath(new URL('../../scripts/bench.js', import.meta.url));

interface BenchExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether it had to be stopped by us after `limitMs`. */
  readonly timedOut: boolean;
  /** Every process seen below the bench while it ran, with its command line. */
  readonly descendants: ReadonlyMap<number, string>;
  /** The cores each of those processes (and the bench, under its own pid) was seen
   *  allowed on, and whether it ran as a cluster (WORKERS in its environment). */
  readonly placements: ReadonlyMap<number, { readonly cores: Set<string>; readonly clustered: boolean }>;
  /** The environment of each server and inventory process seen (NAME=value). */
  readonly environs: ReadonlyMap<number, readonly string[]>;
  /** When each of those processes was first and last seen (ms since the bench started). */
  readonly lifetimes: ReadonlyMap<number, { readonly first: number; readonly last: number }>;
  readonly pid: number;
}

function allowedCores(pid: number): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1];
  } catch {
    return undefined;
  }
}

function clustered(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').some((v) => v.startsWith('WORKERS=') && v !== 'WORKERS=1');
  } catch {
    return false;
  }
}

function environ(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

function runBench(args: readonly string[], limitMs: number): Promise<BenchExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BENCH_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const descendants = new Map<number, string>();
    const placements = new Map<number, { cores: Set<string>; clustered: boolean }>();
    const environs = new Map<number, readonly string[]>();
    const lifetimes = new Map<number, { first: number; last: number }>();
    const started = performance.now();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // Record the process tree (targets, wrk) so we can check afterwards that all are gone.
    const watch = setInterval(() => {
      if (child.pid === undefined) return;
      const own = cmdline(child.pid);
      for (const entry of processTree(child.pid)) {
        // A pinned target starts as `/bin/sh` (which raises the file-descriptor limit), then
        // `taskset`, first with the bench's cores (between fork and exec it shows the bench's
        // command line, or none while an exec is under way): a placement counts once the
        // process is what it will run, read the same before and after its cores.
        const before = cmdline(entry.pid);
        const cores = allowedCores(entry.pid);
        const settled =
          entry.pid === child.pid ||
          (before !== undefined && before !== '' && before !== own && !before.startsWith('taskset') && !before.startsWith('/bin/sh ') && cmdline(entry.pid) === before);
        if (cores !== undefined && settled) {
          const seen = placements.get(entry.pid) ?? { cores: new Set<string>(), clustered: clustered(entry.pid) };
          seen.cores.add(cores);
          placements.set(entry.pid, seen);
        }
        if (entry.pid === child.pid) continue;
        // Keep the latest: a pid first seen between fork and exec still shows the parent's
        // command line.
        const line = cmdline(entry.pid);
        if (line !== undefined && line !== '') descendants.set(entry.pid, line);
        const env = line !== undefined && /dist\/server\.js|inventory\.js/.test(line) ? environ(entry.pid) : undefined;
        if (env !== undefined) {
          environs.set(entry.pid, env);
          const now = performance.now() - started;
          lifetimes.set(entry.pid, { first: lifetimes.get(entry.pid)?.first ?? now, last: now });
        }
      }
    }, 50);
    // SIGTERM, not SIGKILL: the bench's handler then stops its targets too.
    const limit = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(watch);
      clearTimeout(limit);
      resolve({ code, signal, stdout, stderr, timedOut, descendants, placements, environs, lifetimes, pid: child.pid ?? 0 });
    });
  });
}

/** Nothing the bench started is still running, and no process mentions its folder. */
function assertNothingLeft(exit: BenchExit, dir: string): void {
  for (const [pid, line] of exit.descendants) {
    // The same pid with the same command line would be the same process, still alive.
    assert.notEqual(cmdline(pid), line, `left running: ${pid} ${line}`);
  }
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  const mine = ps.split('\n').filter((l) => l.includes(dir));
  assert.deepEqual(mine, [], 'processes still mention the results folder');
}

async function smoke(loadgen: 'node' | 'wrk'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'turbina-bench-smoke-'));
  try {
    const exit = await runBench(['--duration', '1', '--warmup', '0', '--targets', 'turbina', '--scenarios', 'io', '--loadgen', loadgen, '--out', dir], 30_000);
    assert.equal(exit.timedOut, false, 'the bench did not finish within 30 s');
    assert.equal(exit.code, 0, exit.stderr);

    const run = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchRun;
    assert.equal(run.measurements.length, 1);
    const m = run.measurements[0];
    assert.ok(m !== undefined);
    assert.equal(m.target, 'turbina');
    assert.equal(m.scenario, 'io');
    assert.equal(m.connections, 100);
    assert.equal(m.result.tool, loadgen === 'wrk' ? 'wrk' : 'turbina-loadgen');
    assert.ok(m.result.requests > 0, `requests ${m.result.requests}`);
    assert.deepEqual(m.result.errors, { connect: 0, read: 0, write: 0, timeout: 0 });
    assert.equal(m.result.non2xx3xx, 0);
    assert.ok(m.cpuSecondsPer10k > 0, `cpuSecondsPer10k ${m.cpuSecondsPer10k}`);
    assert.ok(m.peakRssBytes > 0, `peakRssBytes ${m.peakRssBytes}`);
    assert.deepEqual(m.roundsRequestsPerSec, [m.result.requestsPerSec]);
    assert.ok(run.loadGenerator.startsWith(loadgen === 'wrk' ? 'wrk' : 'turbina-loadgen'), run.loadGenerator);

    for (const file of ['results.md', 'results.html', 'chart.svg']) {
      assert.ok(existsSync(join(dir, file)), `${file} missing`);
      assert.ok(statSync(join(dir, file)).size > 0, `${file} is empty`);
    }
    assert.ok(readFileSync(join(dir, 'chart.svg'), 'utf8').startsWith('<svg'));
    assert.ok(exit.stdout.includes('vs bare'), exit.stdout);
    assert.ok(exit.stdout.includes(join(dir, 'results.json')), exit.stdout);
    assert.ok(exit.stdout.includes('results.md, results.html, chart.svg'), exit.stdout);
    assert.ok(readFileSync(join(dir, 'results.html'), 'utf8').includes('<h2>io</h2>'));

    // The target really ran under the bench (so the leak check below means something).
    assert.ok([...exit.descendants.values()].some((l) => l.includes('dist/server.js')), [...exit.descendants.values()].join('\n'));
    if (loadgen === 'wrk') assert.ok([...exit.descendants.values()].some((l) => l.startsWith('wrk ')), 'wrk was not run');
    assertNothingLeft(exit, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('bench (child process)', () => {
  test('argument errors exit 2 with one line naming the problem; --help lists the options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbina-bench-args-'));
    try {
      // --out everywhere: should validation ever pass, nothing lands in the repository.
      const [duration, target, help] = await Promise.all([
        runBench(['--duration', 'abc', '--out', dir], 10_000),
        runBench(['--targets', 'nope', '--out', dir], 10_000),
        runBench(['--help'], 10_000),
      ]);

      assert.equal(duration.code, 2);
      assert.equal(duration.stderr.trim().split('\n').length, 1, duration.stderr);
      assert.match(duration.stderr, /--duration/);
      assert.match(duration.stderr, /abc/);
      assert.equal(duration.stdout, '');

      assert.equal(target.code, 2);
      assert.equal(target.stderr.trim().split('\n').length, 1, target.stderr);
      assert.match(target.stderr, /nope/);
      assert.match(target.stderr, /target/);

      assert.equal(help.code, 0);
      assert.match(help.stdout, /--rounds/);
      assert.match(help.stdout, /--loadgen/);
      assert.equal(help.stderr, '');
      // None of them got as far as creating the results folder's work dir.
      assert.equal(existsSync(join(dir, 'work')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--report FILE writes the reports again beside a results.json, measuring nothing; a file that is not one exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbina-bench-report-'));
    try {
      const json = join(dir, 'results.json');
      writeFileSync(json, JSON.stringify(fullRun()));
      writeFileSync(join(dir, 'not-a-run.json'), '{"hello": 1}');
      const older = fullRun();
      mkdirSync(join(dir, 'older'));
      writeFileSync(join(dir, 'older', 'results.json'), JSON.stringify({ ...older, measurements: older.measurements.map((m, i) => (i === 0 ? { ...m, result: null } : m)) }));
      const [report, wrong, missing, shape] = await Promise.all([
        runBench(['--report', json], 10_000),
        runBench(['--report', join(dir, 'not-a-run.json')], 10_000),
        runBench(['--report', join(dir, 'missing.json')], 10_000),
        runBench(['--report', join(dir, 'older', 'results.json')], 10_000),
      ]);
      assert.equal(report.code, 0, report.stderr);
      assert.equal(report.stdout, `results: ${json}, results.md, results.html\n`);
      assert.ok(readFileSync(join(dir, 'results.html'), 'utf8').includes('<section id="paired">'));
      assert.ok(readFileSync(join(dir, 'results.md'), 'utf8').includes('| target | first 200 |'));
      assert.deepEqual([...report.descendants.values()], [], 'nothing started');
      assert.equal(existsSync(join(dir, 'work')), false);
      for (const bad of [wrong, missing, shape]) {
        assert.equal(bad.code, 2, bad.stderr);
        assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
        assert.equal(bad.stdout, '');
      }
      assert.match(wrong.stderr, /not a bench results.json/);
      assert.match(missing.stderr, /cannot read/);
      assert.match(shape.stderr, /cannot render .*results\.json: .*not the shape this bench writes/);
      assert.deepEqual(readdirSync(join(dir, 'older')), ['results.json'], 'no report half written');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--connections 0.4 (a positive number that rounds to 0) is refused instead of hanging', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbina-bench-zero-'));
    try {
      // A worker thread with no sockets never reports done, so runLoad never resolves; a
      // correct bench refuses the value (exit 2) or at least finishes. Stopped after 3 s.
      const zero = await runBench(['--connections', '0.4', '--duration', '1', '--warmup', '0', '--targets', 'turbina', '--scenarios', 'io', '--loadgen', 'node', '--out', dir], 3_000);
      assertNothingLeft(zero, dir);
      assert.equal(zero.timedOut, false, `--connections 0.4 still running after 3 s; stderr:\n${zero.stderr}`);
      assert.equal(zero.code, 2, zero.stderr);
      assert.match(zero.stderr, /--connections/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('smoke run with the node load generator: results.json, results.md, results.html, chart.svg, nothing left running', async () => {
    await smoke('node');
  });

  test('smoke run with wrk', { skip: skipWithout(hasWrk(), 'wrk', 'apt-get install -y wrk') }, async () => {
    await smoke('wrk');
  });

  test('--paired: turbina and bare node:http loaded at once, both servers measured, nothing left running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbina-bench-paired-'));
    try {
      const args = ['--paired', '--duration', '1', '--warmup', '0', '--rounds', '2', '--targets', 'turbina,node-bare', '--scenarios', 'io,ramp,product-upstream', '--loadgen', 'node', '--out', dir];
      const exit = await runBench(args, 30_000);
      assert.equal(exit.timedOut, false, 'the bench did not finish within 30 s');
      assert.equal(exit.code, 0, exit.stderr);
      const run = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchRun;
      assert.deepEqual(run.measurements, [], 'a paired run makes only paired measurements');
      assert.equal(run.paired?.length, 1);
      const p = run.paired?.[0];
      assert.ok(p !== undefined);
      assert.deepEqual([p.target, p.base, p.scenario, p.rounds.length], ['turbina', 'node-bare', 'io', 2]);
      for (const r of p.rounds) {
        assert.ok(r.targetRequests > 0 && r.baseRequests > 0, JSON.stringify(r));
        assert.ok(r.targetCpuUsPerRequest > 0 && r.baseCpuUsPerRequest > 0, JSON.stringify(r));
        assert.equal(r.targetErrors + r.baseErrors, 0);
      }
      assert.ok(run.skipped.some((s) => s.what === 'scenario ramp'), 'the ramp is not paired and says so');
      assert.ok(run.skipped.some((s) => s.what === 'scenario product-upstream' && /upstream/.test(s.reason)), JSON.stringify(run.skipped));
      assert.ok(![...exit.descendants.values()].some((l) => l.includes('inventory.js')), 'a skipped upstream scenario started no inventory service');
      assert.ok(exit.stdout.includes('Paired, each target with its baseline'), exit.stdout);
      assert.ok(p.targetP99Ms > 0 && p.baseP99Ms > 0, JSON.stringify(p));
      // Both servers ran at the same time under the bench.
      const lines = [...exit.descendants.values()];
      assert.ok(lines.some((l) => l.includes('dist/server.js')) && lines.some((l) => l.includes('bare-node.js')), lines.join('\n'));
      assertNothingLeft(exit, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--paired without a target\'s baseline among the targets, or with --startup, is refused with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbina-bench-paired-'));
    try {
      const [single, cluster, startup] = await Promise.all([
        runBench(['--paired', '--targets', 'turbina', '--out', dir], 10_000),
        runBench(['--paired', '--targets', 'turbina-cluster,node-bare', '--out', dir], 10_000),
        runBench(['--paired', '--startup', '1', '--targets', 'turbina,node-bare', '--out', dir], 10_000),
      ]);
      assert.equal(single.code, 2);
      assert.match(single.stderr, /--paired compares turbina with node-bare: include node-bare in --targets/);
      assert.equal(cluster.code, 2);
      assert.match(cluster.stderr, /--paired compares turbina-cluster with node-bare-cluster: include node-bare-cluster in --targets/);
      assert.equal(startup.code, 2);
      assert.match(startup.stderr, /--startup and --paired/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--paired --server-cores 0: the single process pinned beside bare node:http, the cluster beside the bare cluster on every core, its load generator too', { skip: skipWithout(hasCommand('taskset', ['--version']), 'taskset', 'apt-get install -y util-linux') }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbina-bench-cluster-'));
    try {
      const args = ['--paired', '--server-cores', '0', '--duration', '1', '--warmup', '0', '--targets', 'turbina,node-bare,turbina-cluster,node-bare-cluster', '--scenarios', 'io', '--loadgen', 'node', '--out', dir];
      const exit = await runBench(args, 30_000);
      assert.equal(exit.timedOut, false, 'the bench did not finish within 30 s');
      assert.equal(exit.code, 0, exit.stderr);
      const run = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchRun;
      assert.deepEqual(run.paired?.map((p) => `${p.target} + ${p.base}`), ['turbina + node-bare', 'turbina-cluster + node-bare-cluster']);
      for (const p of run.paired ?? []) {
        for (const r of p.rounds) assert.ok(r.targetRequests > 0 && r.baseRequests > 0 && r.targetCpuUsPerRequest > 0 && r.baseCpuUsPerRequest > 0, JSON.stringify(r));
      }
      assert.match(run.machine.note, /clusters with more workers than those cores unpinned/);

      const every = `0-${cpus().length - 1}`;
      const load = cpus().length === 2 ? '1' : `1-${cpus().length - 1}`;
      const servers = [...exit.placements].filter(([pid]) => /dist\/server\.js|bare-node\.js/.test(exit.descendants.get(pid) ?? ''));
      const singles = servers.filter(([, p]) => !p.clustered);
      const clusters = servers.filter(([, p]) => p.clustered);
      // Two single processes; two primaries and their workers.
      assert.equal(singles.length, 2, JSON.stringify(servers.map(([pid, p]) => [exit.descendants.get(pid), [...p.cores]])));
      assert.ok(clusters.length >= 6, `${clusters.length} cluster processes`);
      for (const [pid, p] of singles) assert.deepEqual([...p.cores], ['0'], exit.descendants.get(pid));
      for (const [pid, p] of clusters) assert.deepEqual([...p.cores], [every], exit.descendants.get(pid));
      // The bench (whose threads generate the load) moved to every core for the cluster pair and back.
      assert.deepEqual([...(exit.placements.get(exit.pid)?.cores ?? [])].sort(), [every, load].sort());
      assertNothingLeft(exit, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the upstream scenarios: an inventory service per scenario, turbina given it as STORE_URL, the 5xx and stale counts, nothing left running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbina-bench-upstream-'));
    try {
      const pinned = hasCommand('taskset', ['--version']) && cpus().length >= 2;
      // A warm-up, so that what a run reads from the service is the run's alone only if it is reset in between.
      const args = ['--duration', '1', '--warmup', '0.5', '--targets', 'turbina', '--scenarios', 'product-upstream,upstream-faulty', '--loadgen', 'node', '--out', dir];
      const exit = await runBench(pinned ? [...args, '--server-cores', '0'] : args, 30_000);
      assert.equal(exit.timedOut, false, 'the bench did not finish within 30 s');
      assert.equal(exit.code, 0, exit.stderr);
      const run = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchRun;
      assert.deepEqual(run.measurements.map((m) => [m.target, m.scenario]), [['turbina', 'product-upstream'], ['turbina', 'upstream-faulty']]);
      const [miss, faulty] = run.measurements;
      assert.ok(miss?.upstream !== undefined && faulty?.upstream !== undefined, JSON.stringify(run.measurements));
      // Every request a miss through the service: one call per answer, and a few more: those
      // in flight when the run ends, and the warm-up's last ones landing after the reset (at
      // most one per connection each). A fixed ratio would count those against a slow run.
      const inFlight = 2 * miss.connections;
      assert.ok(miss.upstream.calls >= miss.result.requests * 0.95 && miss.upstream.calls <= miss.result.requests + inFlight, `${miss.upstream.calls} calls for ${miss.result.requests} requests (calls per request ${miss.upstream.callsPerRequest})`);
      assert.ok(miss.result.requests > 2 * inFlight, `${miss.result.requests} requests, too few to tell one call per request from two`);
      assert.equal(miss.upstream.byOutcome.error, 0);
      assert.equal(miss.result.status5xx, 0);
      // The faulty service failed about a tenth of the calls, and turbina retried them.
      const calls = faulty.upstream.calls;
      assert.ok(calls > 100 && faulty.upstream.byOutcome.error > calls * 0.03 && faulty.upstream.byOutcome.error < calls * 0.2, JSON.stringify(faulty.upstream));
      assert.ok(faulty.upstream.store !== undefined && faulty.upstream.store.retries > 0, JSON.stringify(faulty.upstream.store));
      assert.ok(faulty.result.status5xx !== undefined && faulty.result.stale !== undefined, JSON.stringify(faulty.result));
      assert.match(exit.stdout, /upstream-faulty \(100 connections, behind the inventory service\)/);

      // One service per scenario, each given to that scenario's turbina as STORE_URL.
      const envOf = (pid: number, name: string): string | undefined => exit.environs.get(pid)?.find((v) => v.startsWith(`${name}=`))?.slice(name.length + 1);
      const processes = (pattern: RegExp): number[] => [...exit.descendants].filter(([, l]) => pattern.test(l) && !l.startsWith('taskset')).map(([pid]) => pid);
      const services = processes(/inventory\.js/);
      const servers = processes(/dist\/server\.js/);
      assert.equal(services.length, 2, [...exit.descendants.values()].join('\n'));
      assert.equal(servers.length, 2, [...exit.descendants.values()].join('\n'));
      const serviceUrls = services.map((pid) => `http://127.0.0.1:${envOf(pid, 'PORT') ?? '?'}`).sort();
      assert.deepEqual(servers.map((pid) => envOf(pid, 'STORE_URL')).sort(), serviceUrls);
      assert.notEqual(serviceUrls[0], serviceUrls[1]);
      // In the order started: product-upstream's service, then upstream-faulty's, which fails calls.
      const [first, second] = [...services].sort((a, b) => (exit.lifetimes.get(a)?.first ?? 0) - (exit.lifetimes.get(b)?.first ?? 0));
      assert.equal(envOf(first ?? 0, 'ERROR_RATE'), undefined);
      assert.equal(envOf(second ?? 0, 'ERROR_RATE'), '0.1');
      // The first scenario's service stopped before the second scenario's began.
      const firstGone = exit.lifetimes.get(first ?? 0)?.last ?? Infinity;
      assert.ok(firstGone < (exit.lifetimes.get(second ?? 0)?.first ?? 0), JSON.stringify([...exit.lifetimes]));
      if (pinned) {
        // The service sits with the load generator, off the server's core.
        const load = cpus().length === 2 ? '1' : `1-${cpus().length - 1}`;
        for (const pid of services) assert.deepEqual([...(exit.placements.get(pid)?.cores ?? [])], [load], `inventory ${pid}`);
        for (const pid of servers) assert.deepEqual([...(exit.placements.get(pid)?.cores ?? [])], ['0'], `turbina ${pid}`);
      }
      assertNothingLeft(exit, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--startup 1: one start of each target, timed to its first 200 on /healthz, with the idle RSS of all its processes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbina-bench-startup-'));
    try {
      const exit = await runBench(['--startup', '1', '--targets', 'turbina,node-bare-cluster', '--out', dir], 20_000);
      assert.equal(exit.timedOut, false, 'the bench did not finish within 20 s');
      assert.equal(exit.code, 0, exit.stderr);
      const run = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchRun;
      assert.deepEqual(run.measurements, []);
      assert.equal(run.options.starts, 1);
      assert.deepEqual(run.startup?.map((m) => [m.target, m.starts.length, m.starts[0]?.processes]), [
        ['turbina', 1, 1],
        ['node-bare-cluster', 1, 3],
      ]);
      for (const m of run.startup ?? []) {
        assert.ok(m.firstAnswerMs.median > 0 && m.firstAnswerMs.median < 10_000, JSON.stringify(m));
        // Every process of the tree counted: a Node process holds well over 20 MB.
        const processes = m.starts[0]?.processes ?? 0;
        assert.ok(m.idleRssBytes.median >= processes * 20 * 1024 * 1024, JSON.stringify(m));
      }
      assert.ok(exit.stdout.includes('Startup: from spawn() to the first 200 on /healthz'), exit.stdout);
      assert.ok(readFileSync(join(dir, 'results.md'), 'utf8').includes('| target | first 200 |'));
      assert.equal(existsSync(join(dir, 'chart.svg')), false, 'no chart without load');
      assert.ok(readFileSync(join(dir, 'results.html'), 'utf8').includes('<section id="startup">'));
      assert.ok([...exit.descendants.values()].some((l) => l.includes('bare-node.js')), [...exit.descendants.values()].join('\n'));
      assertNothingLeft(exit, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
