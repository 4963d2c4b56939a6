// V8's CPU profile (Profiler.stop) -> pprof. One pprof sample per profile node that was
// hit, with [samples/count, cpu/nanoseconds]: the count of V8 samples at the node and the
// sum of their time deltas. (root) is left out of stacks and (idle) samples are dropped;
// (program) and (garbage collector) are kept, as Chrome shows them.
import { ProfileBuilder, type CallFrame } from './profile-builder.js';

/** V8's .cpuprofile document (times in microseconds). */
export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

export interface CpuProfileMeta {
  /** Sampling interval, microseconds. */
  readonly intervalUs: number;
  /** When recording began, epoch milliseconds. */
  readonly startedAtMs: number;
}

export function cpuProfileToPprof(profile: CpuProfile, meta: CpuProfileMeta): Uint8Array {
  const builder = new ProfileBuilder([
    { type: 'samples', unit: 'count' },
    { type: 'cpu', unit: 'nanoseconds' },
  ]);
  const byId = new Map<number, CpuProfileNode>();
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }

  // Per node: how many samples landed on it and how long they took.
  const counts = new Map<number, number>();
  const nanos = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (const [i, id] of samples.entries()) {
    counts.set(id, (counts.get(id) ?? 0) + 1);
    // A delta is the time since the previous sample; clamp V8's rare negative ones.
    nanos.set(id, (nanos.get(id) ?? 0) + Math.max(0, deltas[i] ?? 0) * 1000);
  }

  for (const [id, count] of counts) {
    const node = byId.get(id);
    if (node === undefined || isRootOrIdle(node.callFrame)) continue;
    const stack: number[] = [];
    for (let at: CpuProfileNode | undefined = node; at !== undefined && !isRootOrIdle(at.callFrame); at = byId.get(parentOf.get(at.id) ?? -1)) {
      stack.push(builder.locationOf(at.callFrame));
    }
    builder.addSample(stack, [count, Math.round(nanos.get(id) ?? 0)]);
  }

  return builder.encode({
    periodType: { type: 'cpu', unit: 'nanoseconds' },
    period: meta.intervalUs * 1000,
    timeNanos: BigInt(Math.round(meta.startedAtMs)) * 1_000_000n,
    durationNanos: Math.max(0, profile.endTime - profile.startTime) * 1000,
    defaultSampleType: 'cpu',
  });
}

function isRootOrIdle(frame: CallFrame): boolean {
  return frame.functionName === '(root)' || frame.functionName === '(idle)';
}
