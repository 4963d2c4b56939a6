// redis-server as a scenario's shared L2 cache: one process per scenario that asks for it,
// started on a free port before its first run (where --server-cores puts it: with the load
// generator, off the server's cores), given to the targets as REDIS_URL, stopped after the
// last. Nothing is flushed between runs: each target's warm-up fills its own keys.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, spawnTarget, type RunningTarget } from './run-target.js';
import type { Launch } from './targets.js';

export const REDIS_INSTALL = 'apt-get install -y redis-server';

export interface RunningRedis {
  /** redis://127.0.0.1:<port>: the targets' REDIS_URL. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Undefined when redis-server runs here; otherwise the command that installs it. */
export function redisServerSkipReason(): string | undefined {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return undefined;
  } catch {
    return `redis-server is not installed (${REDIS_INSTALL})`;
  }
}

/** No snapshots, no append-only file, loopback only: a cache, nothing to persist. */
export function redisServerLaunch(port: number): Launch {
  return { command: 'redis-server', args: ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], env: {} };
}

/** Starts it (through `place`, which may pin it) and waits until it answers PING. */
export async function startRedisServer(place: (launch: Launch) => Launch, logPath: string, timeoutMs = 10_000): Promise<RunningRedis> {
  const port = await freePort();
  const server: RunningTarget = spawnTarget(place(redisServerLaunch(port)), logPath);
  const deadline = Date.now() + timeoutMs;
  while (!(await answersPing(port))) {
    if (server.exited() || Date.now() > deadline) {
      await server.stop();
      throw new Error(`redis-server did not answer PING on port ${port} (see ${logPath})`);
    }
    await sleep(20);
  }
  return { url: `redis://127.0.0.1:${port}`, port, pid: server.pid, stop: () => server.stop() };
}

/** Whether a server on the port answers an inline PING with +PONG (or NOAUTH: a server
 *  with only ACL users is up all the same). */
export function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n')) done(text.startsWith('+PONG') || text.startsWith('-NOAUTH'));
    });
  });
}
