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

function answers(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

export interface RunningTarget {
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts the launch, stderr into `logPath`, and waits until `readyPath` answers 200. */
export async function startTarget(launch: Launch, port: number, logPath: string, readyPath = '/io?ms=0'): Promise<RunningTarget> {
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
  const deadline = Date.now() + 30_000;
  while (!(await answers(port, readyPath))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${launch.command} exited before answering (see ${logPath})`);
    if (Date.now() > deadline) {
      killAll();
      throw new Error(`${launch.command} did not answer on port ${port} within 30 s (see ${logPath})`);
    }
    await sleep(100);
  }
  return {
    pid,
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
