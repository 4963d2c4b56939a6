// V8's sampling heap profile (HeapProfiler.getSamplingProfile) -> pprof with
// [objects/count, space/bytes]. V8 already scales selfSize for sampling; the object count
// is scaled the same way from the individual samples (each stands for
// 1 / (1 - e^(-size/interval)) objects, as V8's SamplingHeapProfiler computes it).
import { ProfileBuilder, type CallFrame } from './profile-builder.js';

export interface SamplingHeapProfile {
  readonly head: SamplingHeapNode;
  readonly samples?: readonly { readonly size: number; readonly nodeId: number }[];
}

export interface SamplingHeapNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly selfSize: number;
  readonly children: readonly SamplingHeapNode[];
}

export interface HeapProfileMeta {
  /** Average bytes between samples. */
  readonly intervalBytes: number;
  readonly startedAtMs: number;
  readonly durationMs: number;
}

export function heapProfileToPprof(profile: SamplingHeapProfile, meta: HeapProfileMeta): Uint8Array {
  const builder = new ProfileBuilder([
    { type: 'objects', unit: 'count' },
    { type: 'space', unit: 'bytes' },
  ]);
  const objects = new Map<number, number>();
  for (const sample of profile.samples ?? []) {
    const scale = 1 / (1 - Math.exp(-sample.size / meta.intervalBytes));
    objects.set(sample.nodeId, (objects.get(sample.nodeId) ?? 0) + scale);
  }

  // Depth first with the path from the root; (root) itself is no frame.
  const visit = (node: SamplingHeapNode, parents: readonly number[]): void => {
    const stack = node.callFrame.functionName === '(root)' ? parents : [builder.locationOf(node.callFrame), ...parents];
    if (node.selfSize > 0 && stack.length > 0) {
      builder.addSample(stack, [Math.round(objects.get(node.id) ?? 0), Math.round(node.selfSize)]);
    }
    for (const child of node.children) visit(child, stack);
  };
  visit(profile.head, []);

  return builder.encode({
    periodType: { type: 'space', unit: 'bytes' },
    period: meta.intervalBytes,
    timeNanos: BigInt(Math.round(meta.startedAtMs)) * 1_000_000n,
    durationNanos: meta.durationMs * 1_000_000,
    defaultSampleType: 'space',
  });
}
