// The upstream-client measurement as a real child process, in miniature: both clients
// measured in every round with the first alternating, CPU per call for each, the
// inventory service it starts stopped at the end, and its argument errors.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ClientComparison } from '../../scripts/bench/upstream-client.js';
import { processTree } from '../../scripts/bench/proc-stats.js';

/** dist/suite/test/bench/upstream-client.test.js -> dist/suite/scripts/bench/upstream-client.js */
const SCRIPT = fileURLToPath(new URL('../../scripts/bench/upstream-client.js', import.meta.url));

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Inventory services seen below it while it ran: pid -> command line. */
  readonly services: ReadonlyMap<number, string>;
}

function run(args: readonly string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const services = new Map<number, string>();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const watch = setInterval(() => {
      for (const { pid } of processTree(child.pid ?? 0)) {
        const line = cmdline(pid);
        if (line?.includes('inventory.js') === true && !line.startsWith('taskset')) services.set(pid, line);
      }
    }, 20);
    const limit = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(watch);
      clearTimeout(limit);
      resolve({ code, stdout, stderr, services });
    });
  });
}

test('both clients in every round, the first alternating; CPU per call for each; the service stopped', async () => {
  const exit = await run(['--calls', '400', '--rounds', '2', '--concurrency', '8', '--json']);
  assert.equal(exit.code, 0, exit.stderr);
  const result = JSON.parse(exit.stdout) as ClientComparison;
  assert.deepEqual(
    result.rounds.map((r) => `${r.round} ${r.client}`),
    ['1 node:http', '1 fetch', '2 fetch', '2 node:http'],
  );
  for (const r of result.rounds) {
    assert.equal(r.calls, 400);
    // A call over loopback costs some microseconds of CPU, never nothing and never a second.
    assert.ok(r.cpuUsPerCall > 1 && r.cpuUsPerCall < 100_000, JSON.stringify(r));
    assert.ok(r.callsPerSec > 0, JSON.stringify(r));
  }
  assert.ok(result.medianCpuUsPerCall['node:http'] > 0 && result.medianCpuUsPerCall.fetch > 0, JSON.stringify(result.medianCpuUsPerCall));
  assert.ok(result.fetchOverHttp.min <= result.fetchOverHttp.median && result.fetchOverHttp.median <= result.fetchOverHttp.max, JSON.stringify(result.fetchOverHttp));
  assert.equal(result.node, process.version);
  // It started the service, and the service is gone.
  assert.equal(exit.services.size, 1, JSON.stringify([...exit.services]));
  for (const [pid, line] of exit.services) assert.notEqual(cmdline(pid), line, `left running: ${pid} ${line}`);
});

test('a bad count exits 2 naming the option', async () => {
  const exit = await run(['--calls', 'many']);
  assert.equal(exit.code, 2);
  assert.match(exit.stderr, /--calls/);
  assert.equal(exit.services.size, 0);
});
