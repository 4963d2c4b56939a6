// The servers the benchmark compares. Each says whether it can run here (and if not, the
// install command), how to start it on a port, and its runtime version.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureIoredis, ioredisEntry, IOREDIS_VERSION } from './ioredis-install.js';

/** dist/suite/scripts/bench/targets.js -> the project root. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PEERS_SRC = join(PROJECT_ROOT, 'scripts', 'peers');
const BARE_NODE = fileURLToPath(new URL('../peers/bare-node.js', import.meta.url));
const IOREDIS_PEER = fileURLToPath(new URL('../peers/ioredis-peer.js', import.meta.url));

export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface Target {
  readonly name: string;
  readonly label: string;
  /** Undefined when it can run; otherwise why not and how to fix it. */
  readonly skipReason: () => string | undefined;
  /** Build steps (Go) happen here, once, before any load. */
  readonly prepare: (workDir: string) => void;
  readonly launch: (port: number, env: Readonly<Record<string, string>>) => Launch;
  readonly version: () => string;
  /** A variant measured only in the scenarios that name it (Scenario.only). */
  readonly variant?: boolean;
  /** The target --paired loads beside this one (default: DEFAULT_BASELINE). */
  readonly baseline?: string;
  /** Processes that serve requests (a cluster's workers; default 1): --server-cores pins
   *  a target only where it has a core for each (pinning.ts). */
  readonly workers?: number;
  /** Needs a Redis (REDIS_URL): runs only in the scenarios that start one (Scenario.redis). */
  readonly needsRedis?: boolean;
}

/** What a paired target is compared with unless it names its own baseline. */
export const DEFAULT_BASELINE = 'node-bare';

/** The workers of both clusters, turbina's and the bare one: as many as this machine's
 *  cores, and the same on both sides so that they compare. */
export const CLUSTER_WORKERS = 2;

function tryRun(command: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 }).trim();
  } catch {
    return undefined;
  }
}

/** The first python3 that imports fastapi and uvicorn (pyenv shims often shadow Debian's). */
function findPython(): string | undefined {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if (tryRun(candidate, ['-c', 'import fastapi, uvicorn']) !== undefined) return candidate;
  }
  return undefined;
}

const node = (script: string, extraEnv: Readonly<Record<string, string>> = {}) =>
  (port: number, env: Readonly<Record<string, string>>): Launch => ({
    command: process.execPath,
    args: [script],
    env: { ...env, ...extraEnv, PORT: String(port), HOST: '127.0.0.1' },
  });

/** `A=1 B=2` as an environment; undefined when a part is not NAME=value. */
export function settingsOf(raw: string): Record<string, string> | undefined {
  const env: Record<string, string> = {};
  for (const part of raw.split(' ')) {
    if (part === '') continue;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(part);
    if (match === null) return undefined;
    env[match[1]!] = match[2]!;
  }
  return env;
}

/** turbina sending spans to the scenario's collector (TURBINA_BENCH_COLLECTOR), sampled so. */
function traced(sampler: string, ratio: string): Target['launch'] {
  return (port, env) => {
    const { TURBINA_BENCH_COLLECTOR: collector, ...rest } = env;
    const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: collector ?? '', OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: ratio };
    return node(join(PROJECT_ROOT, 'dist', 'server.js'), tracing)(port, rest);
  };
}

let goBinary = '';
let python: string | undefined;

export const TARGETS: readonly Target[] = [
  {
    name: 'turbina',
    label: 'turbina (1 process)',
    skipReason: () => undefined,
    prepare: () => {},
    launch: node(join(PROJECT_ROOT, 'dist', 'server.js')),
    version: () => `node ${process.version}`,
  },
  {
    // Another checkout of turbina (TURBINA_BASE: its root, built with `npm run build`),
    // paired with this one: the A/B of a change against the code before it.
    name: 'turbina-base',
    label: 'turbina at TURBINA_BASE (1 process)',
    skipReason: () =>
      process.env['TURBINA_BASE'] === undefined ? 'set TURBINA_BASE to another checkout built with npm run build' : undefined,
    prepare: () => {},
    launch: (port, env) => node(join(process.env['TURBINA_BASE'] ?? '', 'dist', 'server.js'))(port, env),
    version: () => `node ${process.version}`,
    baseline: 'turbina',
  },
  {
    // This build with settings of its own (TURBINA_ENV: `NAME=value NAME=value`), paired
    // with its defaults: what an option costs when it is on.
    name: 'turbina-with',
    label: `turbina with ${process.env['TURBINA_ENV'] ?? 'TURBINA_ENV'} (1 process)`,
    skipReason: () => {
      const raw = process.env['TURBINA_ENV'];
      if (raw === undefined) return 'set TURBINA_ENV to the settings to compare, e.g. TURBINA_ENV="RATE_LIMIT_RPS=1000000"';
      return settingsOf(raw) === undefined ? `TURBINA_ENV must be NAME=value pairs separated by spaces, got "${raw}"` : undefined;
    },
    prepare: () => {},
    launch: (port, env) => node(join(PROJECT_ROOT, 'dist', 'server.js'), settingsOf(process.env['TURBINA_ENV'] ?? '') ?? {})(port, env),
    version: () => `node ${process.version}`,
    baseline: 'turbina',
  },
  {
    // Tracing on (the product-traced scenario's collector), paired with tracing off.
    name: 'turbina-traced',
    label: 'turbina, tracing every request',
    skipReason: () => undefined,
    prepare: () => {},
    launch: traced('always_on', '1'),
    version: () => `node ${process.version}`,
    variant: true,
    baseline: 'turbina',
  },
  {
    name: 'turbina-traced-1pct',
    label: 'turbina, tracing 1% of requests',
    skipReason: () => undefined,
    prepare: () => {},
    launch: traced('traceidratio', '0.01'),
    version: () => `node ${process.version}`,
    variant: true,
    baseline: 'turbina',
  },
  {
    name: 'turbina-nopool',
    label: 'turbina, BUFFER_POOL=off',
    skipReason: () => undefined,
    prepare: () => {},
    launch: node(join(PROJECT_ROOT, 'dist', 'server.js'), { BUFFER_POOL: 'off' }),
    version: () => `node ${process.version}`,
    variant: true,
  },
  {
    name: 'turbina-shed',
    label: 'turbina, load shedding on',
    skipReason: () => undefined,
    prepare: () => {},
    // The delay bound does the work on a CPU-bound route (its requests complete one after
    // another, so few are ever in flight); the in-flight bound is there for routes that wait.
    launch: node(join(PROJECT_ROOT, 'dist', 'server.js'), { SHED_EVENT_LOOP_DELAY_MS: '10', MAX_IN_FLIGHT: '16' }),
    version: () => `node ${process.version}`,
    variant: true,
  },
  {
    name: 'turbina-cluster',
    label: `turbina cluster (${CLUSTER_WORKERS} workers)`,
    skipReason: () => undefined,
    prepare: () => {},
    // The primary and the workers are sampled (ProcSampler follows the process tree) and
    // stopped (one process group).
    launch: node(join(PROJECT_ROOT, 'dist', 'server.js'), { WORKERS: String(CLUSTER_WORKERS) }),
    version: () => `node ${process.version}`,
    baseline: 'node-bare-cluster',
    workers: CLUSTER_WORKERS,
  },
  {
    name: 'node-bare',
    label: 'bare node:http',
    skipReason: () => undefined,
    prepare: () => {},
    launch: node(BARE_NODE),
    version: () => `node ${process.version}`,
  },
  {
    name: 'node-bare-tuned',
    label: "bare node:http + turbina's Node settings",
    skipReason: () => undefined,
    prepare: () => {},
    // The same peer with the node:http settings turbina applies (scripts/bench/README.md):
    // what turbina's own code costs, with those gains on both sides.
    launch: node(BARE_NODE, { BARE_NODE_SETTINGS: 'turbina' }),
    version: () => `node ${process.version}`,
  },
  {
    name: 'node-bare-cluster',
    label: `bare node:http cluster (${CLUSTER_WORKERS} workers)`,
    skipReason: () => undefined,
    prepare: () => {},
    // The same peer forked into workers that each open their own SO_REUSEPORT socket where
    // Node has it (node:cluster's shared socket elsewhere), as turbina's cluster does.
    launch: node(BARE_NODE, { WORKERS: String(CLUSTER_WORKERS) }),
    version: () => `node ${process.version}`,
    baseline: 'node-bare-cluster',
    workers: CLUSTER_WORKERS,
  },
  {
    name: 'node-bare-cluster-tuned',
    label: `bare node:http cluster (${CLUSTER_WORKERS} workers) + turbina's Node settings`,
    skipReason: () => undefined,
    prepare: () => {},
    launch: node(BARE_NODE, { WORKERS: String(CLUSTER_WORKERS), BARE_NODE_SETTINGS: 'turbina' }),
    version: () => `node ${process.version}`,
    baseline: 'node-bare-cluster',
    workers: CLUSTER_WORKERS,
  },
  {
    // Bare node:http reading from Redis with ioredis (installed outside the project on first
    // use): what turbina's L2 hit is measured against. With ioredis's auto-pipelining, which
    // measured faster here (scripts/bench/README.md); IOREDIS_AUTO_PIPELINING=off for its default.
    name: 'node-ioredis',
    label: `bare node:http + ioredis ${IOREDIS_VERSION}`,
    skipReason: () => ensureIoredis(),
    prepare: () => {},
    launch: (port, env) =>
      node(IOREDIS_PEER, {
        IOREDIS_ENTRY: ioredisEntry(),
        ...(process.env['IOREDIS_AUTO_PIPELINING'] === undefined ? {} : { IOREDIS_AUTO_PIPELINING: process.env['IOREDIS_AUTO_PIPELINING'] }),
      })(port, env),
    version: () => `node ${process.version}, ioredis ${IOREDIS_VERSION}, auto-pipelining ${process.env['IOREDIS_AUTO_PIPELINING'] === 'off' ? 'off' : 'on'}`,
    variant: true,
    needsRedis: true,
    // A baseline of its own, never paired with bare node:http (which has no Redis).
    baseline: 'node-ioredis',
  },
  {
    name: 'go',
    label: 'Go net/http',
    skipReason: () => (tryRun('go', ['version']) === undefined ? 'go is not installed (apt-get install -y golang-go)' : undefined),
    prepare: (workDir) => {
      const out = join(workDir, 'go');
      mkdirSync(out, { recursive: true });
      goBinary = join(out, 'go-peer');
      execFileSync('go', ['build', '-o', goBinary, '.'], {
        cwd: join(PEERS_SRC, 'go'),
        stdio: 'inherit',
        env: { ...process.env, GOCACHE: process.env['GOCACHE'] ?? join(workDir, 'go-cache'), GOFLAGS: '-mod=mod', GO111MODULE: 'auto' },
      });
    },
    launch: (port, env) => ({ command: goBinary, args: [], env: { ...env, PORT: String(port) } }),
    version: () => tryRun('go', ['version'])?.replace(/^go version /, '') ?? 'unknown',
  },
  {
    name: 'fastapi',
    label: 'FastAPI + uvicorn',
    skipReason: () => {
      python = findPython();
      return python === undefined ? 'python3 cannot import fastapi and uvicorn (apt-get install -y python3-fastapi python3-uvicorn)' : undefined;
    },
    prepare: () => {},
    launch: (port, env) => ({
      command: python ?? 'python3',
      args: ['-m', 'uvicorn', 'fastapi_app:app', '--host', '127.0.0.1', '--port', String(port), '--no-access-log', '--log-level', 'warning'],
      env: { ...env },
      cwd: PEERS_SRC,
    }),
    version: () =>
      tryRun(python ?? 'python3', ['-c', 'import sys, fastapi, uvicorn; print(f"python {sys.version.split()[0]}, fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__}")']) ?? 'unknown',
  },
];
