// What one upstream call costs in CPU with node:http and a keep-alive Agent (turbina's
// HttpStore, as the server runs it) against global fetch (undici), against the inventory
// service, at the same concurrency. Both read the body, parse it and check the product
// the same way, each with an AbortSignal per call as the resilient store gives it, so the
// difference is the HTTP client's. Rounds alternate which client goes first; the CPU is
// this process's (process.cpuUsage: every thread), per call.
//   node dist/suite/scripts/bench/upstream-client.js [--calls N] [--rounds N] [--concurrency N] [--json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HttpStore } from '../../src/products/upstream/http-store.js';
import { readProduct } from '../../src/products/upstream/product-shape.js';
import type { Product } from '../../src/products/catalog.js';
import { parseCli } from '../cli.js';
import { planPinning, pinLoadGenerator, pinnedLaunch, type Pinning } from './pinning.js';
import { killAll } from './run-target.js';
import { startUpstream } from './upstream.js';

const HELP = `usage: node dist/suite/scripts/bench/upstream-client.js [options]

  --calls N         calls per client per round (default 20000)
  --rounds N        rounds, each client once per round, the first alternating (default 6)
  --concurrency N   calls in flight at once, for either client (default 32)
  --json            print the result as one JSON line instead of a table
  --help            this text
`;

/** As the inventory's default catalog: ids 1..CATALOG all exist. */
const CATALOG = 10_000;
/** The largest body HttpStore reads in the server (STORE_MAX_BODY_BYTES-like bound). */
const MAX_BODY_BYTES = 1024 * 1024;

type Client = 'node:http' | 'fetch';
type GetProduct = (id: number, signal: AbortSignal) => Promise<Product | undefined>;

export interface ClientRound {
  readonly client: Client;
  readonly round: number;
  readonly calls: number;
  readonly cpuUsPerCall: number;
  readonly callsPerSec: number;
}

export interface ClientComparison {
  readonly node: string;
  readonly calls: number;
  readonly rounds: readonly ClientRound[];
  /** Median over the rounds of µs of CPU per call. */
  readonly medianCpuUsPerCall: Readonly<Record<Client, number>>;
  /** fetch / node:http in each round (they ran back to back). */
  readonly fetchOverHttp: { readonly median: number; readonly min: number; readonly max: number };
  readonly pinned: string;
}

function fetchClient(base: string): GetProduct {
  return async (id, signal) => {
    const res = await fetch(`${base}/products/${id}`, { headers: { accept: 'application/json' }, signal });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET /products/${id}: ${res.status}`);
    if (body.length > MAX_BODY_BYTES) throw new Error(`GET /products/${id}: a body over ${MAX_BODY_BYTES} bytes`);
    return readProduct(JSON.parse(body.toString('utf8')), id);
  };
}

/** `calls` calls, `concurrency` at a time; this process's CPU per call and the rate. */
async function batch(get: GetProduct, calls: number, concurrency: number, firstId: number): Promise<{ cpuUsPerCall: number; callsPerSec: number }> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const id = ((firstId + next++) % CATALOG) + 1;
      const product = await get(id, new AbortController().signal);
      if (product?.id !== id) throw new Error(`product ${id} came back as ${product?.id}`);
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { cpuUsPerCall: (used.user + used.system) / calls, callsPerSec: calls / seconds };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const cli = parseCli('upstream-client', ['calls', 'rounds', 'concurrency'], ['json']);
  if (cli.help) {
    process.stdout.write(HELP);
    return;
  }
  const calls = cli.count('calls', 20_000);
  const rounds = cli.count('rounds', 6);
  const concurrency = cli.count('concurrency', 32);
  const json = cli.flag('json');
  // The service on the last core, the clients on the others: its work is not in our CPU
  // time anyway, but it would slow the clients' core and so their wall-clock rate.
  const pinning: Pinning | undefined = cpus().length >= 2 && hasTaskset() ? planPinning(String(cpus().length - 1), cpus().length, cli.fail) : undefined;
  if (pinning !== undefined) pinLoadGenerator(pinning);
  const logDir = mkdtempSync(join(tmpdir(), 'turbina-upstream-client-'));
  process.on('exit', killAll);
  const upstream = await startUpstream({ catalogSize: CATALOG, knobs: {} }, (launch) => (pinning === undefined ? launch : pinnedLaunch(launch, pinning)), join(logDir, 'inventory.log'));
  const store = new HttpStore({ url: upstream.url, maxSockets: 64, maxBodyBytes: MAX_BODY_BYTES });
  const clients: Readonly<Record<Client, GetProduct>> = {
    'node:http': (id, signal) => store.get(id, signal),
    fetch: fetchClient(upstream.url),
  };
  const done: ClientRound[] = [];
  try {
    // Unmeasured: the JIT, undici's loading, both pools' connections.
    for (const client of ['node:http', 'fetch'] as const) await batch(clients[client], Math.min(calls, 5000), concurrency, 0);
    for (let round = 1; round <= rounds; round++) {
      const order: readonly Client[] = round % 2 === 1 ? ['node:http', 'fetch'] : ['fetch', 'node:http'];
      for (const client of order) {
        const r = await batch(clients[client], calls, concurrency, round * calls);
        done.push({ client, round, calls, cpuUsPerCall: Math.round(r.cpuUsPerCall * 100) / 100, callsPerSec: Math.round(r.callsPerSec) });
        if (!json) process.stderr.write(`round ${round}: ${client} ${r.cpuUsPerCall.toFixed(1)} us CPU per call, ${Math.round(r.callsPerSec)} calls/s\n`);
      }
    }
  } finally {
    store.close();
    await upstream.stop();
    rmSync(logDir, { recursive: true, force: true });
  }
  const of = (client: Client): number[] => done.filter((r) => r.client === client).map((r) => r.cpuUsPerCall);
  const ratios = of('fetch').map((f, i) => f / (of('node:http')[i] ?? f));
  const result: ClientComparison = {
    node: process.version,
    calls,
    rounds: done,
    medianCpuUsPerCall: { 'node:http': median(of('node:http')), fetch: median(of('fetch')) },
    fetchOverHttp: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
    pinned: pinning === undefined ? 'no' : `clients on core ${pinning.loadCores}, the inventory service on core ${pinning.serverCores}`,
  };
  if (json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const r = (n: number): string => n.toFixed(3);
  process.stdout.write(
    `Node ${result.node}, ${rounds} rounds of ${calls} calls per client, ${concurrency} in flight; pinned: ${result.pinned}\n` +
      `  node:http + keep-alive Agent (HttpStore): ${result.medianCpuUsPerCall['node:http'].toFixed(1)} us CPU per call (median)\n` +
      `  fetch (undici):                            ${result.medianCpuUsPerCall.fetch.toFixed(1)} us CPU per call (median)\n` +
      `  fetch / node:http per round: median ${r(result.fetchOverHttp.median)}x (${r(result.fetchOverHttp.min)}-${r(result.fetchOverHttp.max)}x)\n`,
  );
}

main().catch((error: unknown) => {
  killAll();
  process.stderr.write(`upstream-client: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
