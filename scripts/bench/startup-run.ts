// --startup: starts a target the way every run starts it (spawnTarget), polls /healthz on
// a fresh connection every POLL_MS until it answers 200, waits IDLE_AFTER_MS, reads the
// RSS of its process tree, and stops it.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { processTree, treeRssBytes } from './proc-stats.js';
import { spawnTarget, statusOf } from './run-target.js';
import type { StartSample } from './startup.js';
import type { Launch } from './targets.js';

const POLL_MS = 2;
/** Long enough for a cluster's later workers to be up and the first answer's garbage to settle. */
const IDLE_AFTER_MS = 1000;
const GIVE_UP_MS = 30_000;

/** Milliseconds from `spawnedAt` to the first 200 on /healthz. A refused or reset
 *  connection is tried again POLL_MS after the last try began; one the kernel accepted
 *  waits for its answer. A 4xx means the target has no /healthz: no point waiting. */
async function firstAnswer(port: number, spawnedAt: number, exited: () => boolean, what: string, logPath: string): Promise<number> {
  for (;;) {
    const attempt = performance.now();
    const status = await statusOf(port, '/healthz', GIVE_UP_MS);
    if (status === 200) return performance.now() - spawnedAt;
    if (status !== undefined && status >= 400 && status < 500) throw new Error(`${what} answered /healthz with ${status} (see ${logPath})`);
    if (exited()) throw new Error(`${what} exited before answering (see ${logPath})`);
    if (attempt - spawnedAt > GIVE_UP_MS) throw new Error(`${what} did not answer /healthz on port ${port} within ${GIVE_UP_MS / 1000} s (see ${logPath})`);
    const wait = POLL_MS - (performance.now() - attempt);
    if (wait > 0) await sleep(wait);
  }
}

export async function timeStart(launch: Launch, port: number, logPath: string): Promise<StartSample> {
  const spawnedAt = performance.now();
  const target = spawnTarget(launch, logPath);
  try {
    const firstAnswerMs = await firstAnswer(port, spawnedAt, () => target.exited(), launch.command, logPath);
    await sleep(IDLE_AFTER_MS);
    return {
      firstAnswerMs: Math.round(firstAnswerMs * 10) / 10,
      idleRssBytes: treeRssBytes(target.pid),
      processes: processTree(target.pid).length,
    };
  } finally {
    await target.stop();
  }
}
