// Starting and stopping one target server: its own process group (so the whole tree can
// be stopped), a raised file-descriptor limit for 1000 connections, a readiness poll,
// and a registry of everything running so Ctrl-C leaves no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Launch } from './targets.js';

const running = new Set<ChildProcess>();

/** Kills every started process group at once (Ctrl-C, a crash). */
export function killAll(): void {
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One GET on a fresh connection: the status it was answered with within `timeoutMs`,
 *  or undefined (refused, reset, timed out). */
export function statusOf(port: number, path: string, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => {
      req.destroy();
      resolve(undefined);
    });
  });
}

async function answers(port: number, path: string): Promise<boolean> {
  return (await statusOf(port, path)) === 200;
}

export interface RunningTarget {
  readonly pid: number;
  /** Whether the process has exited (it may not have answered yet). */
  exited(): boolean;
  stop(): Promise<void>;
}

/** Spawns the launch in its own process group, stderr into `logPath`, the same way for
 *  every target: through /bin/sh, which raises the file-descriptor limit and execs it (so
 *  the pid is the target's). */
export function spawnTarget(launch: Launch, logPath: string): RunningTarget {
  const log = openSync(logPath, 'a');
  const child = spawn('/bin/sh', ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', launch.command, ...launch.args], {
    cwd: launch.cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', ...launch.env },
    stdio: ['ignore', 'ignore', log],
    detached: true,
  });
  closeSync(log);
  running.add(child);
  const exited = once(child, 'exit');
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${launch.command}`);
  return {
    pid,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-pid, 'SIGTERM');
        const timer = setTimeout(() => {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // gone
          }
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
      // Whatever the leader left behind in its group goes too.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // nothing left
      }
      running.delete(child);
    },
  };
}

/** Starts the launch (spawnTarget) and waits until `readyPath` answers 200. */
export async function startTarget(launch: Launch, port: number, logPath: string, readyPath = '/io?ms=0'): Promise<RunningTarget> {
  const target = spawnTarget(launch, logPath);
  const deadline = Date.now() + 30_000;
  while (!(await answers(port, readyPath))) {
    if (target.exited()) throw new Error(`${launch.command} exited before answering (see ${logPath})`);
    if (Date.now() > deadline) {
      killAll();
      throw new Error(`${launch.command} did not answer on port ${port} within 30 s (see ${logPath})`);
    }
    await sleep(100);
  }
  return target;
}
