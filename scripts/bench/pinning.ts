// --server-cores: pins every target to some cores and the load generator (this process,
// wrk, the worker threads, all of which inherit this process's affinity) to the others,
// so the server's cost is measured without the load generator competing for its core;
// the nearest a single machine gets to loading a server from another host.
import { execFileSync } from 'node:child_process';
import type { Launch } from './targets.js';

export interface Pinning {
  readonly serverCores: string;
  readonly loadCores: string;
}

/** Parses "0", "0,2" or "0-1" against the machine's core count. */
export function planPinning(spec: string, coreCount: number, fail: (message: string) => never): Pinning {
  const server = new Set<number>();
  for (const part of spec.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (range === null) fail(`--server-cores must be a list like 0 or 0,1 or 0-1, got "${spec}"`);
    const from = Number(range?.[1]);
    const to = range?.[2] === undefined ? from : Number(range[2]);
    for (let core = from; core <= to; core++) {
      if (core >= coreCount) fail(`--server-cores: this machine has cores 0 to ${coreCount - 1}, not ${core}`);
      server.add(core);
    }
  }
  const load = [...Array(coreCount).keys()].filter((core) => !server.has(core));
  if (server.size === 0 || load.length === 0) fail('--server-cores must leave at least one core for the load generator');
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
  } catch {
    fail('--server-cores needs taskset (apt-get install -y util-linux)');
  }
  return { serverCores: [...server].sort((a, b) => a - b).join(','), loadCores: load.join(',') };
}

/** Moves this process (and so every load generator it starts later) to the load cores. */
export function pinLoadGenerator(pinning: Pinning): void {
  moveLoadGenerator(pinning.loadCores);
}

/** Lets this process (and the load generators it starts later) run on every core again. */
export function unpinLoadGenerator(coreCount: number): void {
  moveLoadGenerator(`0-${coreCount - 1}`);
}

function moveLoadGenerator(cores: string): void {
  execFileSync('taskset', ['-p', '-c', cores, String(process.pid)], { stdio: 'ignore' });
}

/** Whether a target serving from `workers` processes is pinned: only where the server
 *  cores give each worker its own. Squeezed onto fewer cores, a cluster's workers would
 *  take turns on a core, and what would be measured is their switching, not the cluster;
 *  such a target (and its load generator) runs on every core instead. */
export function fitsServerCores(pinning: Pinning, workers: number): boolean {
  return pinning.serverCores.split(',').length >= workers;
}

/** The same launch, started on the server cores. */
export function pinnedLaunch(launch: Launch, pinning: Pinning): Launch {
  return onCores(launch, pinning.serverCores);
}

/** The same launch, started on the load generator's cores: a helper of the load (the
 *  scenarios' upstream service), whose work must not take the server's core. Placed
 *  explicitly, not inherited, so it stays there while a cluster pair lets the load
 *  generator onto every core. */
export function loadSideLaunch(launch: Launch, pinning: Pinning): Launch {
  return onCores(launch, pinning.loadCores);
}

function onCores(launch: Launch, cores: string): Launch {
  return { ...launch, command: 'taskset', args: ['-c', cores, launch.command, ...launch.args] };
}
