// Runs the real server (dist/server.js) as a child process, for tests where the process
// lifecycle matters: config errors, signals, exit codes. The port comes from the
// startup log line, so PORT=0 gives every test its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** dist/suite/test/helpers/child.js -> dist/server.js */
export const SERVER_JS = fileURLToPath(new URL('../../../server.js', import.meta.url));

export interface ExitResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Child {
  readonly proc: ChildProcess;
  /** Parsed JSON log lines seen so far on stdout. */
  readonly lines: Record<string, unknown>[];
  /** Raw stdout and stderr text seen so far. */
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<ExitResult>;
  /** Resolves with the first log line (already seen or future) that matches. */
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): void;
}

/** The environment a test server runs with: PORT=0 on loopback, no store latency, plus `env`. */
export function serverEnv(env: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', PORT: '0', HOST: '127.0.0.1', STORE_LATENCY_MS: '0', ...env };
}

/** `nodeArgs` go to node itself, before the script (flags NODE_OPTIONS refuses). */
export function runServer(args: readonly string[] = [], env: Record<string, string> = {}, nodeArgs: readonly string[] = []): Child {
  return runScript(SERVER_JS, args, serverEnv(env), nodeArgs);
}

/** Any of our scripts as a child process, with exactly `env`, reading its JSON lines. */
export function runScript(script: string, args: readonly string[], env: Record<string, string>, nodeArgs: readonly string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let partial = '';
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) {
      if (text === '') continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { unparseable: text };
      }
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = once(proc, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));

  return {
    proc,
    lines,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine(match, timeoutMs = 10_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`server exited before the line appeared; stdout:\n${out}\nstderr:\n${err}`));
        });
      });
    },
    kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
  };
}

/** Starts the server and waits for its "listening" line; returns the child and its port. */
export async function startServer(
  args: readonly string[] = [],
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): Promise<{ child: Child; port: number }> {
  const child = runServer(args, env, nodeArgs);
  try {
    const line = await child.waitForLine((l) => l['msg'] === 'listening');
    return { child, port: line['port'] as number };
  } catch (error) {
    child.kill('SIGKILL'); // never leave an orphan holding the test run's pipes
    throw error;
  }
}
