// The inventory service (scripts/upstream/inventory.ts) as a real child process on an
// ephemeral loopback port, for tests of turbina's upstream store: start it with knobs,
// change them at run time, read its exact counts, stop it, or kill it like a crash.
import { fileURLToPath } from 'node:url';
import { knobsToEnv, type Knobs } from '../../scripts/upstream/knobs.js';
import type { StatsSnapshot } from '../../scripts/upstream/stats.js';
import { runScript, type Child, type ExitResult } from './child.js';
import { request } from './http.js';

export type { Knobs, StatsSnapshot };

/** dist/suite/test/helpers/inventory.js -> dist/suite/scripts/upstream/inventory.js */
export const INVENTORY_JS = fileURLToPath(new URL('../../scripts/upstream/inventory.js', import.meta.url));

export interface InventoryOptions {
  /** Products 1..catalogSize exist (the service's default: 10000). */
  readonly catalogSize?: number;
  /** Command-line flags, e.g. ['--latency-ms', '5'] (a flag wins over the knobs' environment). */
  readonly args?: readonly string[];
  /** More environment, e.g. OTEL_EXPORTER_OTLP_ENDPOINT for the service's spans. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface Inventory {
  /** http://127.0.0.1:<port>, no trailing slash: a STORE_URL. */
  readonly url: string;
  readonly port: number;
  readonly child: Child;
  /** Sets some knobs; resolves with all of them as they now are. */
  control(knobs: Partial<Knobs>): Promise<Knobs>;
  knobs(): Promise<Knobs>;
  /** The counts of /products requests since the start or the last reset. */
  stats(): Promise<StatsSnapshot>;
  resetStats(): Promise<StatsSnapshot>;
  /** SIGTERM and wait for the exit; SIGKILL and throw when it takes longer than timeoutMs. */
  stop(timeoutMs?: number): Promise<ExitResult>;
  /** SIGKILL (a crash: nothing closed politely) and wait for the exit. */
  kill(): Promise<ExitResult>;
}

async function call<T>(port: number, method: string, path: string, body?: unknown): Promise<T> {
  const reply = await request(port, path, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  if (reply.status !== 200) throw new Error(`${method} ${path}: ${reply.status} ${reply.text}`);
  return reply.json<T>();
}

export async function startInventory(knobs: Partial<Knobs> = {}, options: InventoryOptions = {}): Promise<Inventory> {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', PORT: '0', HOST: '127.0.0.1', ...knobsToEnv(knobs), ...options.env };
  if (options.catalogSize !== undefined) env['CATALOG_SIZE'] = String(options.catalogSize);
  const child = runScript(INVENTORY_JS, options.args ?? [], env);
  let port: number;
  try {
    port = (await child.waitForLine((line) => line['msg'] === 'listening'))['port'] as number;
  } catch (error) {
    child.kill('SIGKILL'); // never leave an orphan holding the test run's pipes
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    control: (changes) => call<Knobs>(port, 'PUT', '/_control', changes),
    knobs: () => call<Knobs>(port, 'GET', '/_control'),
    stats: () => call<StatsSnapshot>(port, 'GET', '/_stats'),
    resetStats: () => call<StatsSnapshot>(port, 'POST', '/_stats/reset'),
    async stop(timeoutMs = 5000) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'late')));
      const result = await Promise.race([child.exited, late]);
      clearTimeout(timer);
      if (result !== 'late') return result;
      child.kill('SIGKILL');
      await child.exited;
      throw new Error(`the inventory service did not exit within ${timeoutMs} ms of SIGTERM; stderr:\n${child.stderr()}`);
    },
    async kill() {
      child.kill('SIGKILL');
      return child.exited;
    },
  };
}
