// A real redis-server per test: no persistence, loopback only, on a free port, answering
// PING before the test starts. Tests skip without redis-server (and fail in CI, which installs it).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { answersPing } from '../../scripts/bench/redis-server.js';
import { freePort } from '../../scripts/bench/run-target.js';
import { hasCommand, skipWithout } from './tools.js';

export const HAS_REDIS = hasCommand('redis-server', ['--version']);
/** node:test's `skip` option for tests that need redis-server. */
export const SKIP_WITHOUT_REDIS = skipWithout(HAS_REDIS, 'redis-server', 'apt-get install -y redis-server');

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** The running server's process (e.g. to SIGSTOP it). */
  readonly proc: () => ChildProcess;
  /** SIGTERM, resolved once it exited. */
  stop(): Promise<void>;
  /** SIGKILL, resolved once it exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after stop or kill). */
  restart(): Promise<void>;
}

/** Starts redis-server with `extraArgs` (e.g. ['--user', 'app', 'on', '>pw', '~*', '+@all']). */
export async function startRedis(extraArgs: readonly string[] = []): Promise<TestRedis> {
  if (!HAS_REDIS) throw new Error('redis-server is required when CI is set (apt-get install -y redis-server)');
  const port = await freePort();
  let proc = await launch(port, extraArgs);
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(signal);
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    proc: () => proc,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    restart: async () => {
      proc = await launch(port, extraArgs);
    },
  };
}

async function launch(port: number, extraArgs: readonly string[]): Promise<ChildProcess> {
  const args = ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', ...extraArgs];
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const deadline = Date.now() + 5000;
  while (!(await answersPing(port))) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}: ${output}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING on port ${port}: ${output}`);
    }
    await sleep(20);
  }
  return proc;
}
