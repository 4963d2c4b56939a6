// Recording through node:inspector, in this process. Session.post's callback API is
// promisified here: it is the same on every Node from 20 to 26, while
// node:inspector/promises is still marked experimental on some of them.
// Each recording gets its own session, disconnected when done (a disconnect also stops
// whatever that session left running).
import { Session } from 'node:inspector';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CpuProfile } from './cpu-profile.js';
import type { SamplingHeapProfile } from './heap-profile.js';

type Post = <T>(method: string, params?: object) => Promise<T>;

async function withSession<T>(body: (post: Post) => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  const post: Post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => {
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T)));
    });
  try {
    return await body(post);
  } finally {
    session.disconnect();
  }
}

/** Waits ms, or less when `stop` fires (the client left, or a shutdown began). */
async function waitUntilStopped(ms: number, stop: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal: stop, ref: false });
  } catch (error) {
    if (!stop.aborted) throw error;
  }
}

export interface Recording<T> {
  readonly profile: T;
  /** Epoch ms when recording began. */
  readonly startedAtMs: number;
  readonly durationMs: number;
}

/** A CPU profile over ms, or up to when `stop` fires (the profiler is stopped either way). */
export function recordCpuProfile(ms: number, intervalUs: number, stop: AbortSignal): Promise<Recording<CpuProfile>> {
  return withSession(async (post) => {
    await post('Profiler.enable');
    // Only takes effect before start.
    await post('Profiler.setSamplingInterval', { interval: intervalUs });
    const startedAtMs = Date.now();
    await post('Profiler.start');
    await waitUntilStopped(ms, stop);
    const { profile } = await post<{ profile: CpuProfile }>('Profiler.stop');
    await post('Profiler.disable');
    return { profile, startedAtMs, durationMs: Date.now() - startedAtMs };
  });
}

/**
 * Samples allocations over ms, including objects the GC has already collected (what was
 * allocated, not only what survived). Sampling starts afresh for every collection and
 * stops after it, so samples never accumulate between profiles.
 */
export function sampleHeap(ms: number, intervalBytes: number, stop: AbortSignal): Promise<Recording<SamplingHeapProfile>> {
  return withSession(async (post) => {
    await post('HeapProfiler.enable');
    const startedAtMs = Date.now();
    await post('HeapProfiler.startSampling', {
      samplingInterval: intervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    try {
      await waitUntilStopped(ms, stop);
      const { profile } = await post<{ profile: SamplingHeapProfile }>('HeapProfiler.getSamplingProfile');
      return { profile, startedAtMs, durationMs: Date.now() - startedAtMs };
    } finally {
      await post('HeapProfiler.stopSampling');
    }
  });
}
