// wrk as the load generator: the command line, a Lua script (distinct or random ids for
// cache misses, and a done() hook printing exact percentiles as JSON), and the parser that
// turns wrk's text output into the same LoadResult our own generator returns.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LatencySummary } from '../load/latency-histogram.js';
import type { LoadOptions, LoadResult } from '../load/types.js';

const JSON_MARK = 'TURBINA_WRK ';

/** The Lua script: sequential distinct ids or random ones in a span when the plan asks
 *  for them, exact stats at the end. */
export function wrkScript(options: LoadOptions): string {
  const plan = options.plan;
  const headers = Object.entries(options.headers ?? {})
    .map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`)
    .join('\n');
  const request =
    'prefix' in plan
      ? `
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  n = 0
  math.randomseed(os.time() * 100 + tid)
end
function request()${
  'span' in plan
    ? `
  local id = math.random(${plan.first}, ${plan.first + plan.span - 1})`
    : `
  local id = ${plan.first} + n * ${options.threads} + tid
  n = n + 1`
}
  return wrk.format("GET", "${plan.prefix}" .. id)
end`
      : '';
  return `${headers}
${request}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${JSON_MARK}{"requests":%d,"durationUs":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"min":%d,"max":%d,"mean":%.3f,"stdev":%.3f,"p50":%d,"p90":%d,"p99":%d,"p999":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
`;
}

export function wrkArgs(options: LoadOptions, scriptPath: string): string[] {
  return [
    `-t${Math.min(options.threads, options.connections)}`,
    `-c${options.connections}`,
    `-d${Math.max(1, Math.round(options.durationMs / 1000))}s`,
    `--timeout`,
    `${Math.max(1, Math.round(options.timeoutMs / 1000))}s`,
    '--latency',
    '-s',
    scriptPath,
    `http://${options.host}:${options.port}${'path' in options.plan ? options.plan.path : '/'}`,
  ];
}

const UNITS_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const UNITS_BYTES: Readonly<Record<string, number>> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** "2.96ms" -> 2.96, "111.00us" -> 0.111, "1.05s" -> 1050. */
export function parseDurationMs(text: string): number {
  const [, value, unit = ''] = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim()) ?? [];
  const scale = UNITS_MS[unit];
  if (value === undefined || scale === undefined) throw new Error(`unreadable wrk duration "${text}"`);
  return Number(value) * scale;
}

/** "16.51MB" -> bytes. */
export function parseBytes(text: string): number {
  const [, value, unit = ''] = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text.trim()) ?? [];
  const scale = UNITS_BYTES[unit];
  if (value === undefined || scale === undefined) throw new Error(`unreadable wrk size "${text}"`);
  return Number(value) * scale;
}

/**
 * Parses wrk's output. The text report is always read; when the done() hook's JSON line
 * is present its exact values (p99.9, unrounded latency) take precedence.
 */
export function parseWrkOutput(text: string, options: Pick<LoadOptions, 'connections' | 'threads'>): LoadResult {
  /** The groups of the line matching `pattern`; '' for a group that took no part. */
  const line = (pattern: RegExp): ((group: number) => string) => {
    const match = pattern.exec(text);
    if (!match) throw new Error(`wrk output lacks ${pattern.source}:\n${text}`);
    return (group) => match[group] ?? '';
  };
  const total = line(/^[ \t]*(\d+) requests in ([\d.]+\w+), (\S+) read/m);
  const requests = Number(total(1));
  // With no completed request wrk prints "0.00us 0.00us 0.00us -nan%" and no distribution.
  const latency = line(/^[ \t]*Latency[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\S+)[ \t]+(-?nan|[\d.]+)%/m);
  const rps = line(/^Requests\/sec:\s+([\d.]+)/m);
  const transfer = line(/^Transfer\/sec:\s+(\S+)/m);
  const percentile = (p: string): number =>
    requests === 0 ? 0 : parseDurationMs(line(new RegExp(`^[ \\t]*${p}%[ \\t]+(\\S+)`, 'm'))(1));
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);

  let latencyMs: LatencySummary = {
    avg: parseDurationMs(latency(1)),
    stdev: parseDurationMs(latency(2)),
    min: 0,
    max: parseDurationMs(latency(3)),
    p50: percentile('50'),
    p90: percentile('90'),
    p99: percentile('99'),
    p999: 0,
    withinStdevPct: /nan/.test(latency(4)) ? 0 : Number(latency(4)),
  };
  const exact = text.split('\n').find((l) => l.startsWith(JSON_MARK));
  // An empty histogram reports min as INT64_MIN: there is nothing exact to take.
  if (exact !== undefined && requests > 0) {
    const j = JSON.parse(exact.slice(JSON_MARK.length)) as Record<string, number>;
    const ms = (us: number | undefined): number => Math.round(us ?? 0) / 1000;
    latencyMs = {
      avg: ms(j['mean']),
      stdev: ms(j['stdev']),
      min: ms(j['min']),
      max: ms(j['max']),
      p50: ms(j['p50']),
      p90: ms(j['p90']),
      p99: ms(j['p99']),
      p999: ms(j['p999']),
      withinStdevPct: latencyMs.withinStdevPct, // only the text report has it
    };
  }
  return {
    tool: 'wrk',
    requests,
    durationSec: parseDurationMs(total(2)) / 1000,
    requestsPerSec: Number(rps(1)),
    transferBytesPerSec: Math.round(parseBytes(transfer(1))),
    latencyMs,
    errors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
    },
    non2xx3xx: Number(non2xx?.[1] ?? 0),
    connections: options.connections,
    threads: options.threads,
  };
}

/** Runs wrk with a script written into `workDir`; `onChild` receives the process (for Ctrl-C). */
export function runWrk(options: LoadOptions, workDir: string, onChild?: (pid: number) => void): Promise<LoadResult> {
  // One script per port: paired runs load two servers at once.
  const scriptPath = join(workDir, `wrk-script-${options.port}.lua`);
  writeFileSync(scriptPath, wrkScript(options));
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', wrkArgs(options, scriptPath), { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) onChild?.(child.pid);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}:\n${out}`));
      try {
        resolve(parseWrkOutput(out, options));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Whether wrk is on the PATH. */
export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version: present all the same.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** "wrk debian/4.1.0-3+b2 [epoll] Copyright ..." -> "wrk 4.1.0". */
export function wrkVersion(): string {
  let banner: string;
  try {
    banner = execFileSync('wrk', ['--version'], { encoding: 'utf8' });
  } catch (error) {
    banner = String((error as { stdout?: string }).stdout ?? '');
  }
  const version = /(\d+\.\d+\.\d+)/.exec(banner.split('\n')[0] ?? '');
  return version ? `wrk ${version[1]}` : 'wrk';
}
