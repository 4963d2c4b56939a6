// npm run bench: the Go-vs-Python study with Node added. Starts each target on a free
// loopback port, warms it, loads it (wrk when installed, else our own generator), samples
// its CPU and memory, stops it, and writes a table, bar charts, JSON, Markdown, HTML and SVG.
//   node dist/suite/scripts/bench.js --duration 300      reproduces the study's 5 minutes
//   node dist/suite/scripts/bench.js --report DIR/results.json   re-renders DIR's reports
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { terminalReport } from './bench/report.js';
import type { BenchRun, Measurement, Skip } from './bench/results.js';
import { freePort, killAll, startTarget } from './bench/run-target.js';
import { SCENARIOS, type Scenario } from './bench/scenarios.js';
import { pairedRound, pairedSummary, type PairedMeasurement, type PairedRound } from './bench/paired.js';
import { planPairs, type Pair } from './bench/pairing.js';
import { fitsServerCores, loadSideLaunch, planPinning, pinLoadGenerator, pinnedLaunch, unpinLoadGenerator, type Pinning } from './bench/pinning.js';
import { startupSummary, type StartSample, type StartupMeasurement } from './bench/startup.js';
import { timeStart } from './bench/startup-run.js';
import { PROJECT_ROOT, TARGETS, type Launch, type Target } from './bench/targets.js';
import { loopbackBytes, Progress, rateOf } from './bench/progress.js';
import { ProcSampler } from './bench/proc-stats.js';
import { runRedisBenchmark, type RedisBenchmarkRate } from './bench/redis-benchmark.js';
import { redisServerSkipReason, startRedisServer, type RunningRedis } from './bench/redis-server.js';
import { startSpanSink } from './bench/span-sink-process.js';
import { metricsText, startUpstream, storeCounters, storeCountersBetween, upstreamUse, type RunningUpstream, type UpstreamUse } from './bench/upstream.js';
import { runWrk, wrkVersion } from './bench/wrk.js';
import { readRun, writeReports } from './bench/write-reports.js';
import { parseCli } from './cli.js';
import { runLoad } from './load/loadgen.js';
import type { LoadOptions, LoadResult, PathPlan } from './load/types.js';

const HELP = `usage: npm run bench -- [options]

  --connections N   connections per run (default 100)
  --duration S      seconds per measured run (default 10; 300 reproduces the study)
  --threads N       load-generator threads (default 2)
  --warmup S        seconds of unmeasured load before each run (default min(3, duration))
  --rounds N        measure every target N times, interleaved, and keep the median (default 1)
  --ramp-step S     seconds per ramp step (default max(2, duration / 3))
  --targets LIST    comma-separated: ${TARGETS.map((t) => t.name).join(', ')} (default all)
  --scenarios LIST  comma-separated: ${SCENARIOS.map((s) => s.name).join(', ')} (default all)
  --loadgen NAME    wrk, node or auto (default auto: wrk when installed)
  --server-cores L  pin the servers to these cores (0, 0,1, 0-1) and the load generator
                    to the others (default: no pinning, everything shares every core); a
                    cluster with more workers than these cores runs unpinned
  --paired          load each target and its baseline (bare node:http; for a cluster, the
                    bare node:http cluster) at the same time, on the same cores, and
                    compare their CPU per request and p99 (steady on a noisy machine;
                    best with --server-cores); ramp and variant-only scenarios are skipped
  --baseline NAME   with --paired: compare every other chosen target with NAME instead
                    (e.g. --targets turbina,node-ioredis --baseline node-ioredis)
  --startup N       instead of loading: start each target N times (taking turns) and
                    report the time from spawn() to the first 200 on /healthz and the
                    idle RSS of all its processes (median and range)
  --out DIR         results folder (default results/<date>)
  --report FILE     measure nothing: write results.md, results.html and chart.svg again
                    from FILE (a results.json), beside it
  --help            this text
`;

function pick<T extends { name: string }>(all: readonly T[], raw: string | undefined, what: string, fail: (message: string) => never): T[] {
  if (raw === undefined) return [...all];
  return raw.split(',').map((name) => all.find((x) => x.name === name.trim()) ?? fail(`unknown ${what} "${name}" (known: ${all.map((x) => x.name).join(', ')})`));
}

async function main(): Promise<void> {
  const cli = parseCli('bench', ['connections', 'duration', 'threads', 'warmup', 'rounds', 'ramp-step', 'targets', 'scenarios', 'loadgen', 'out', 'server-cores', 'startup', 'baseline', 'report'], ['paired']);
  if (cli.help) {
    process.stdout.write(HELP);
    return;
  }
  const str = cli.str;
  const reportFrom = str('report');
  if (reportFrom !== undefined) {
    const path = resolve(reportFrom);
    const read = readRun(path);
    const run = 'error' in read ? cli.fail(read.error) : read;
    let written: string[];
    try {
      written = writeReports(dirname(path), run);
    } catch (error) {
      // A results.json of another shape (an older bench's, or edited by hand): one line, no stack.
      return cli.fail(`cannot render ${path}: ${(error as Error).message} (not the shape this bench writes)`);
    }
    process.stdout.write(`results: ${path}, ${written.join(', ')}\n`);
    return;
  }
  const connections = cli.count('connections', 100);
  const duration = cli.positive('duration', 10);
  const threads = cli.count('threads', 2);
  const warmup = str('warmup') === '0' ? 0 : cli.positive('warmup', Math.min(3, duration));
  const rounds = cli.count('rounds', 1);
  const rampStep = cli.positive('ramp-step', Math.max(2, Math.round(duration / 3)));
  const targets = pick(TARGETS, str('targets'), 'target', cli.fail);
  const scenarios = pick(SCENARIOS, str('scenarios'), 'scenario', cli.fail);
  const useWrk = cli.useWrk();
  const coresSpec = str('server-cores');
  const paired = cli.flag('paired');
  const starts = str('startup') === undefined ? undefined : cli.count('startup', 1);
  if (starts !== undefined && paired) cli.fail('--startup and --paired are separate runs: give one of them');
  // A start is timed from spawn(): taskset's own exec would be in it.
  if (starts !== undefined && coresSpec !== undefined) cli.fail('--startup runs unpinned: leave out --server-cores');
  const pinning = coresSpec === undefined ? undefined : planPinning(coresSpec, cpus().length, cli.fail);
  if (pinning !== undefined) pinLoadGenerator(pinning);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outDir = resolve(str('out') ?? join(PROJECT_ROOT, 'results', stamp));
  const workDir = join(outDir, 'work');
  mkdirSync(workDir, { recursive: true });

  // Ctrl-C (or a kill) stops every target and load process before exiting.
  const loadPids = new Set<number>();
  const abort = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nbench: ${signal}: stopping targets\n`);
    for (const pid of loadPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    killAll();
    process.exit(130);
  };
  process.on('SIGINT', abort);
  process.on('SIGTERM', abort);
  process.on('exit', killAll);

  const skipped: Skip[] = [];
  const redisRates: RedisBenchmarkRate[] = [];
  const available: Target[] = [];
  const redisScenarios = scenarios.filter((s) => s.redis === true);
  for (const target of targets) {
    if (target.needsRedis === true) {
      // Checked (ioredis installed) only where a chosen scenario starts a Redis for it.
      if (starts !== undefined) {
        skipped.push({ what: target.label, reason: 'needs a Redis; measured in its scenarios only, not started alone' });
        continue;
      }
      if (!redisScenarios.some((s) => s.only?.includes(target.name) === true)) continue;
    }
    const reason = target.skipReason();
    if (reason === undefined) available.push(target);
    else skipped.push({ what: target.label, reason });
  }
  const baselineName = str('baseline');
  if (baselineName !== undefined && !available.some((t) => t.name === baselineName)) cli.fail(`--baseline ${baselineName} is not among the targets that can run`);
  // --baseline: every other target is loaded beside that one; it is a baseline only.
  const pairable = baselineName === undefined ? available : available.map((t): Target => ({ ...t, baseline: baselineName }));
  const planned = paired ? planPairs(pairable) : { pairs: [] };
  const pairsToMeasure = 'error' in planned ? cli.fail(planned.error) : planned.pairs;
  for (const target of available) target.prepare(workDir);
  const versions = Object.fromEntries(available.map((t) => [t.name, t.version()]));
  const labels = Object.fromEntries(TARGETS.map((t) => [t.name, t.label]));

  if (starts !== undefined) {
    const startup = await measureStartups(available, starts, workDir);
    const run = runRecord([], { startup });
    writeFileSync(join(outDir, 'results.json'), JSON.stringify(run, null, 2) + '\n');
    const written = writeReports(outDir, run);
    process.stdout.write('\n' + terminalReport(run) + '\n');
    process.stdout.write(`results: ${join(outDir, 'results.json')}, ${written.join(', ')}\n`);
    return;
  }

  const load = (options: LoadOptions, progressLabel: string, progress: Progress, bytesPerRequest: number, ownGenerator = false): Promise<LoadResult> => {
    if (useWrk && !ownGenerator) {
      const lo = rateOf(loopbackBytes, bytesPerRequest);
      progress.start(progressLabel, options.durationMs / 1000, lo);
      // Paired runs have two wrk at once: each forgets only its own pid when it ends.
      let pid: number | undefined;
      const track = (started: number): void => {
        pid = started;
        loadPids.add(started);
      };
      return runWrk(options, workDir, track).finally(() => {
        if (pid !== undefined) loadPids.delete(pid);
      });
    }
    let done = 0;
    const rate = rateOf(() => done);
    progress.start(progressLabel, options.durationMs / 1000, rate);
    return runLoad(options, (n) => (done = n));
  };

  const measurements: Measurement[] = [];
  const pairs: PairedMeasurement[] = [];
  const progress = new Progress();
  for (const scenario of scenarios) {
    const runs = available.filter((t) => (scenario.only === undefined ? t.variant !== true : scenario.only.includes(t.name)));
    const redisMissing = scenario.redis === true ? redisServerSkipReason() : undefined;
    if (redisMissing !== undefined) {
      skipped.push({ what: `scenario ${scenario.name}`, reason: redisMissing });
      continue;
    }
    if (paired) {
      const here = pairsToMeasure.filter((p) => runs.some((t) => t.name === p.target.name) && runs.some((t) => t.name === p.base.name));
      if (scenario.upstream !== undefined) {
        skipped.push({ what: `scenario ${scenario.name}`, reason: 'not paired: both sides would share its upstream service' });
        continue;
      }
      if (scenario.steps !== undefined || scenario.skipReason !== undefined || here.length === 0) {
        skipped.push({ what: `scenario ${scenario.name}`, reason: 'not paired: a ramp, no target beside its baseline, or unavailable' });
        continue;
      }
      // Both sides share the scenario's Redis, as the processes of a deployment share one.
      await withServices(scenario, async (servicesEnv) => {
        for (const pair of here) pairs.push(await measurePair(pair, scenario, servicesEnv));
      });
      continue;
    }
    if (scenario.skipReason !== undefined) {
      skipped.push({ what: `scenario ${scenario.name}`, reason: scenario.skipReason });
      continue;
    }
    // One upstream service for all of the scenario's runs, on the load generator's side.
    const upstream =
      scenario.upstream === undefined
        ? undefined
        : await startUpstream(scenario.upstream, (launch) => (pinning === undefined ? launch : loadSideLaunch(launch, pinning)), join(workDir, `inventory-${scenario.name}.log`));
    try {
      await withServices(scenario, async (servicesEnv) => {
        // Rounds interleave the targets, so a slow minute on a shared machine hits them all.
        const perRound: Measurement[] = [];
        for (let round = 1; round <= rounds; round++) {
          for (const target of runs) perRound.push(...(await measure(target, scenario, round, upstream, servicesEnv)));
        }
        measurements.push(...medians(perRound));
      });
    } finally {
      await upstream?.stop();
    }
  }

  /** Runs `body` with the scenario's services, on the load generator's side like the
   *  inventory service, then stops them: its redis-server (if it has one) as REDIS_URL,
   *  with redis-benchmark's GET rate against it after, the ceiling for the scenario's req/s;
   *  its span sink (if it has one) as TURBINA_BENCH_COLLECTOR. */
  async function withServices(scenario: Scenario, body: (servicesEnv: Readonly<Record<string, string>>) => Promise<void>): Promise<void> {
    const place = (launch: Launch): Launch => (pinning === undefined ? launch : loadSideLaunch(launch, pinning));
    const sink = scenario.collector === true ? await startSpanSink(place, join(workDir, `span-sink-${scenario.name}.log`)) : undefined;
    try {
      if (scenario.redis !== true) return await body(sink === undefined ? {} : { TURBINA_BENCH_COLLECTOR: sink.url });
      const redis: RunningRedis = await startRedisServer(place, join(workDir, `redis-${scenario.name}.log`));
      try {
        await body({ REDIS_URL: redis.url, ...(sink === undefined ? {} : { TURBINA_BENCH_COLLECTOR: sink.url }) });
        progress.done(`[redis-benchmark] ${scenario.name}: GET against the scenario's redis-server...`);
        const rate = await runRedisBenchmark(scenario.name, redis.port);
        redisRates.push(rate);
        progress.done(`[redis-benchmark] ${scenario.name}: GET ${Math.round(rate.getPerSec).toLocaleString('en-US')} req/s, p99 ${rate.p99Ms.toFixed(2)} ms (${rate.valueBytes}-byte values)`);
      } finally {
        await redis.stop();
      }
    } finally {
      await sink?.stop();
    }
  }

  /** Runs `body` with the targets' launches placed by --server-cores: pinned where each
   *  of their workers gets a server core, otherwise unpinned, with the load generator let
   *  onto every core too for the time (pinning.ts says why). */
  async function placed<T>(workers: number, body: (place: (launch: Launch) => Launch) => Promise<T>): Promise<T> {
    if (pinning === undefined) return body((launch) => launch);
    const pinned: Pinning = pinning;
    if (fitsServerCores(pinned, workers)) return body((launch) => pinnedLaunch(launch, pinned));
    unpinLoadGenerator(cpus().length);
    try {
      return await body((launch) => launch);
    } finally {
      pinLoadGenerator(pinned);
    }
  }

  function measure(
    target: Target,
    scenario: Scenario,
    round: number,
    upstream: RunningUpstream | undefined,
    servicesEnv: Readonly<Record<string, string>>,
  ): Promise<Measurement[]> {
    return placed(target.workers ?? 1, (place) => measurePlaced(target, scenario, round, place, upstream, servicesEnv));
  }

  async function measurePlaced(
    target: Target,
    scenario: Scenario,
    round: number,
    place: (launch: Launch) => Launch,
    upstream: RunningUpstream | undefined,
    servicesEnv: Readonly<Record<string, string>>,
  ): Promise<Measurement[]> {
    const port = await freePort();
    const env: Record<string, string> = { STORE_LATENCY_MS: '20', ...scenario.env, ...servicesEnv, ...(upstream === undefined ? {} : { STORE_URL: upstream.url }) };
    const server = await startTarget(place(target.launch(port, env)), port, join(workDir, `${target.name}-${scenario.name}.log`));
    const out: Measurement[] = [];
    try {
      const base = (plan: PathPlan, c: number, seconds: number): LoadOptions => ({
        host: '127.0.0.1',
        port,
        plan,
        connections: c,
        threads,
        durationMs: seconds * 1000,
        timeoutMs: 2000,
        ...(scenario.headers ? { headers: scenario.headers } : {}),
        ...(scenario.honourRetryAfter === true ? { honourRetryAfter: true } : {}),
      });
      const steps = scenario.steps ?? [connections];
      let bytesPerRequest = 300;
      if (warmup > 0) {
        const warm = await load(base(scenario.warm, Math.min(connections, 100), warmup), `[${target.name}] ${scenario.name} warm-up`, progress, bytesPerRequest, scenario.loadgen === 'node');
        progress.done(`[${target.name}] ${scenario.name} warm-up: ${Math.round(warm.requestsPerSec).toLocaleString('en-US')} req/s`);
        if (warm.requestsPerSec > 0) bytesPerRequest = warm.transferBytesPerSec / warm.requestsPerSec + 60;
      }
      for (const c of steps) {
        const seconds = scenario.steps ? rampStep : duration;
        await upstream?.resetStats();
        const storeBefore = upstream === undefined ? undefined : storeCounters(await metricsText(port));
        const upstreamSampler = upstream === undefined ? undefined : new ProcSampler(upstream.pid);
        const sampler = new ProcSampler(server.pid);
        const result = await load(base(scenario.plan, c, seconds), `[${target.name}] ${scenario.name} c=${c}${rounds > 1 ? ` round ${round}/${rounds}` : ''}`, progress, bytesPerRequest, scenario.loadgen === 'node');
        const usage = sampler.stop();
        let used: UpstreamUse | undefined;
        if (upstream !== undefined && upstreamSampler !== undefined) {
          const upstreamCpu = upstreamSampler.stop().cpuSeconds;
          // turbina's store counters (retries, breaker, stale served) say where its 5xx came from.
          const metrics = await metricsText(port);
          if (metrics !== undefined) writeFileSync(join(workDir, `${target.name}-${scenario.name}-c${c}-round${round}.metrics.json`), metrics);
          used = upstreamUse(await upstream.stats(), result.requests, upstreamCpu, storeCountersBetween(storeBefore, storeCounters(metrics)));
        }
        const errors = result.errors.connect + result.errors.read + result.errors.write + result.non2xx3xx;
        progress.done(
          `[${target.name}] ${scenario.name} c=${c}: ${Math.round(result.requestsPerSec).toLocaleString('en-US')} req/s, ` +
            `p99 ${result.latencyMs.p99.toFixed(2)} ms, errors ${errors}, timeouts ${result.errors.timeout}` +
            (result.admitted !== undefined && scenario.loadgen === 'node'
              ? `; ${Math.round(result.admitted.requests / result.durationSec).toLocaleString('en-US')} 2xx/s, ` +
                `${Math.round((result.refused503 ?? 0) / result.durationSec).toLocaleString('en-US')} 503/s, 2xx p99 ${result.admitted.latencyMs.p99.toFixed(2)} ms`
              : '') +
            (used !== undefined ? `; 5xx ${result.status5xx ?? '-'}, stale ${result.stale ?? '-'}, upstream calls per request ${used.callsPerRequest}` : ''),
        );
        out.push({
          target: target.name,
          scenario: scenario.name,
          connections: c,
          result,
          cpuSecondsPer10k: result.requests === 0 ? 0 : Math.round((usage.cpuSeconds / result.requests) * 10_000 * 1000) / 1000,
          peakRssBytes: usage.peakRssBytes,
          roundsRequestsPerSec: [result.requestsPerSec],
          ...(used === undefined ? {} : { upstream: used }),
        });
      }
    } finally {
      await server.stop();
    }
    return out;
  }

  /** Both placed alike: pinned only if both sides' workers fit the server cores. */
  function measurePair(pair: Pair<Target>, scenario: Scenario, servicesEnv: Readonly<Record<string, string>>): Promise<PairedMeasurement> {
    const workers = Math.max(pair.target.workers ?? 1, pair.base.workers ?? 1);
    return placed(workers, (place) => measurePairPlaced(pair, scenario, place, servicesEnv));
  }

  /** Both servers up at once, warmed together, then `rounds` loads of both at once. */
  async function measurePairPlaced(
    { target, base: baseline }: Pair<Target>,
    scenario: Scenario,
    place: (launch: Launch) => Launch,
    servicesEnv: Readonly<Record<string, string>>,
  ): Promise<PairedMeasurement> {
    const env: Record<string, string> = { STORE_LATENCY_MS: '20', ...scenario.env, ...servicesEnv };
    const start = async (t: Target): Promise<{ port: number; server: Awaited<ReturnType<typeof startTarget>> }> => {
      const port = await freePort();
      const server = await startTarget(place(t.launch(port, env)), port, join(workDir, `${t.name}-${scenario.name}-paired.log`));
      return { port, server };
    };
    const a = await start(target);
    const b = await start(baseline).catch(async (error: unknown) => {
      await a.server.stop();
      throw error;
    });
    const options = (port: number, plan: PathPlan, seconds: number): LoadOptions => ({
      host: '127.0.0.1',
      port,
      plan,
      connections,
      threads,
      durationMs: seconds * 1000,
      timeoutMs: 2000,
      ...(scenario.headers ? { headers: scenario.headers } : {}),
    });
    const label = `[${target.name} + ${baseline.name}] ${scenario.name} paired`;
    const hidden = new Progress(false); // the baseline's load runs beside the target's, which shows
    const done: PairedRound[] = [];
    try {
      if (warmup > 0) {
        await Promise.all([load(options(a.port, scenario.warm, warmup), `${label} warm-up`, progress, 600), load(options(b.port, scenario.warm, warmup), '', hidden, 600)]);
        progress.done(`${label} warm-up`);
      }
      for (let round = 1; round <= rounds; round++) {
        const samplers = [new ProcSampler(a.server.pid), new ProcSampler(b.server.pid)] as const;
        // Which side starts first and is shown alternates by round, so whatever that
        // position costs (a control pair of two bare clusters put the tail on it) falls
        // on both sides alike.
        const targetFirst = round % 2 === 1;
        const shown = `${label} round ${round}/${rounds}`;
        const loadA = (): Promise<LoadResult> => load(options(a.port, scenario.plan, duration), targetFirst ? shown : '', targetFirst ? progress : hidden, 600);
        const loadB = (): Promise<LoadResult> => load(options(b.port, scenario.plan, duration), targetFirst ? '' : shown, targetFirst ? hidden : progress, 600);
        const [ra, rb] = targetFirst ? await Promise.all([loadA(), loadB()]) : await Promise.all([loadB(), loadA()]).then(([rB, rA]) => [rA, rB] as const);
        const r = pairedRound(ra, samplers[0].stop().cpuSeconds, rb, samplers[1].stop().cpuSeconds);
        done.push(r);
        progress.done(
          `${label} round ${round}: ${r.targetCpuUsPerRequest.toFixed(2)} against ${r.baseCpuUsPerRequest.toFixed(2)} us of CPU per request: ${r.ratio.toFixed(3)}x; ` +
            `p99 ${r.targetP99Ms.toFixed(2)} against ${r.baseP99Ms.toFixed(2)} ms`,
        );
      }
    } finally {
      await Promise.all([a.server.stop(), b.server.stop()]);
    }
    return pairedSummary(target.name, baseline.name, scenario.name, done);
  }

  /** What results.json holds; `measured` are the load runs' measurements. */
  function runRecord(
    measured: readonly Measurement[],
    extra: { readonly paired?: readonly PairedMeasurement[]; readonly startup?: readonly StartupMeasurement[] },
  ): BenchRun {
    const cpu = cpus();
    const unpinned = pinning !== undefined && available.some((t) => !fitsServerCores(pinning, t.workers ?? 1));
    return {
      date: new Date().toISOString(),
      machine: {
        cpus: cpu.length,
        model: cpu[0]?.model ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 1024 ** 3),
        note:
          starts !== undefined
            ? 'the targets start one at a time, with no load'
            : pinning === undefined
              ? 'the load generator runs on the same machine and shares its cores'
              : `servers pinned to core ${pinning.serverCores}, the load generator to core ${pinning.loadCores}` +
                (unpinned ? '; clusters with more workers than those cores unpinned, with their load generators, on every core' : ''),
      },
      loadGenerator: starts !== undefined ? 'none' : useWrk ? wrkVersion() : 'turbina-loadgen (scripts/load)',
      options: { connections, durationSec: duration, threads, rampStepSec: rampStep, rounds, ...(starts !== undefined ? { starts } : {}) },
      versions,
      labels,
      measurements: measured,
      ...(redisRates.length === 0 ? {} : { redisBenchmark: redisRates }),
      ...extra,
      skipped,
    };
  }

  const run = runRecord(measurements, paired ? { paired: pairs } : {});
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(run, null, 2) + '\n');
  const written = writeReports(outDir, run);
  process.stdout.write('\n' + terminalReport(run) + '\n');
  process.stdout.write(`results: ${join(outDir, 'results.json')}, ${written.join(', ')}\n`);
}

/** Every target started `starts` times, the targets taking turns, so that a slow moment
 *  of the machine hits them alike. */
async function measureStartups(targets: readonly Target[], starts: number, workDir: string): Promise<StartupMeasurement[]> {
  const samples = new Map<string, StartSample[]>(targets.map((t) => [t.name, []]));
  const progress = new Progress();
  for (let n = 1; n <= starts; n++) {
    for (const target of targets) {
      const port = await freePort();
      const sample = await timeStart(target.launch(port, { STORE_LATENCY_MS: '20' }), port, join(workDir, `${target.name}-startup.log`));
      samples.get(target.name)?.push(sample);
      const rss = (sample.idleRssBytes / 1024 / 1024).toFixed(1);
      progress.done(`[${target.name}] start ${n}/${starts}: first 200 after ${sample.firstAnswerMs.toFixed(1)} ms, idle RSS ${rss} MB in ${sample.processes} process(es)`);
    }
  }
  return targets.map((t) => startupSummary(t.name, samples.get(t.name) ?? []));
}

/** One measurement per target, scenario and connection count: the round with the median
 *  req/s, carrying every round's req/s so the spread is on record. */
function medians(all: readonly Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of all) {
    const key = `${m.target} ${m.scenario} ${m.connections}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()].map((group) => {
    const sorted = [...group].sort((a, b) => a.result.requestsPerSec - b.result.requestsPerSec);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!; // a group has a measurement at least
    return { ...median, roundsRequestsPerSec: group.map((m) => m.result.requestsPerSec) };
  });
}

main().catch((error: unknown) => {
  killAll();
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
