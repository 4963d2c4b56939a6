// The profile.proto encoder on hand-made V8 profiles, read back by the tests' own decoder:
// string table, sample types, stacks, 1-based lines, anonymous names, dropped frames.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { cpuProfileToPprof, type CpuProfile } from '../../src/observability/pprof/cpu-profile.js';
import { heapProfileToPprof, type SamplingHeapProfile } from '../../src/observability/pprof/heap-profile.js';
import type { CallFrame } from '../../src/observability/pprof/profile-builder.js';
import { decodePprof } from '../helpers/pprof-decode.js';

const frame = (functionName: string, url = '', lineNumber = -1, columnNumber = -1): CallFrame => ({ functionName, scriptId: '1', url, lineNumber, columnNumber });

describe('CPU profile -> pprof', () => {
  const profile: CpuProfile = {
    startTime: 1_000_000,
    endTime: 3_500_000,
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 6] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('(garbage collector)') },
      { id: 4, callFrame: frame('handle', 'file:///srv/app.js', 9, 2), children: [5, 7] },
      { id: 5, callFrame: frame('', 'file:///srv/app.js', 19, 4) },
      { id: 6, callFrame: frame('(program)') },
      { id: 7, callFrame: frame('', 'file:///srv/app.js', 29, 0) },
    ],
    samples: [2, 2, 3, 4, 5, 5, 5, 7, 6],
    timeDeltas: [100, 100, 200, 1000, 1000, 1000, 1000, 500, 50],
  };
  const startedAtMs = 1_795_370_551_841; // time_nanos is then far beyond 2^53
  const decoded = decodePprof(gzipSync(cpuProfileToPprof(profile, { intervalUs: 1000, startedAtMs })));

  test('string_table[0] is "", sample and period types, period, duration, time', () => {
    assert.equal(decoded.stringTable[0], '');
    assert.deepEqual(decoded.sampleTypes, [
      { type: 'samples', unit: 'count' },
      { type: 'cpu', unit: 'nanoseconds' },
    ]);
    assert.deepEqual(decoded.periodType, { type: 'cpu', unit: 'nanoseconds' });
    assert.equal(decoded.period, 1_000_000);
    assert.equal(decoded.durationNanos, 2_500_000_000);
    assert.equal(decoded.timeNanos, BigInt(startedAtMs) * 1_000_000n);
    assert.equal(decoded.defaultSampleType, 'cpu');
  });

  test('(root) and (idle) are gone; (garbage collector) and (program) stay', () => {
    const names = decoded.samples.map((s) => decoded.stack(s).map((f) => f.name).join(' <- '));
    assert.deepEqual(names.sort(), [
      '(anonymous app.js:20:5) <- handle',
      '(anonymous app.js:30:1) <- handle',
      '(garbage collector)',
      '(program)',
      'handle',
    ]);
  });

  test('values: sample count and summed time per node', () => {
    const byLeaf = new Map(decoded.samples.map((s) => [decoded.stack(s)[0]?.name, s.values]));
    assert.deepEqual(byLeaf.get('(anonymous app.js:20:5)'), [3, 3_000_000]);
    assert.deepEqual(byLeaf.get('handle'), [1, 1_000_000]);
    assert.deepEqual(byLeaf.get('(garbage collector)'), [1, 200_000]);
  });

  test('functions: 1-based lines, file paths from file URLs, anonymous ones kept apart', () => {
    const fns = [...decoded.functions.values()];
    const handle = fns.find((f) => f.name === 'handle');
    assert.deepEqual(handle && { filename: handle.filename, startLine: handle.startLine }, { filename: '/srv/app.js', startLine: 10 });
    assert.equal(fns.filter((f) => f.name.startsWith('(anonymous')).length, 2);
    for (const [id, lines] of decoded.locations) {
      assert.ok(id > 0);
      for (const line of lines) assert.equal(line.line, decoded.functions.get(line.functionId)?.startLine);
    }
  });
});

describe('sampling heap profile -> pprof', () => {
  const interval = 32_768;
  const profile: SamplingHeapProfile = {
    head: {
      id: 1,
      callFrame: frame('(root)'),
      selfSize: 0,
      children: [
        {
          id: 2,
          callFrame: frame('load', 'file:///srv/store.js', 4, 0),
          selfSize: 65_536,
          children: [{ id: 3, callFrame: frame('encode', 'file:///srv/store.js', 40, 2), selfSize: 1_000_000, children: [] }],
        },
        { id: 4, callFrame: frame('idleFn', 'file:///srv/x.js', 1, 1), selfSize: 0, children: [] },
      ],
    },
    samples: [
      { size: 32_768, nodeId: 2 },
      { size: 100, nodeId: 3 },
      { size: 100, nodeId: 3 },
    ],
  };
  const decoded = decodePprof(Buffer.from(heapProfileToPprof(profile, { intervalBytes: interval, startedAtMs: 1000, durationMs: 2000 })));

  test('objects/count and space/bytes; nodes without bytes make no sample; (root) is no frame', () => {
    assert.equal(decoded.stringTable[0], '');
    assert.deepEqual(decoded.sampleTypes, [
      { type: 'objects', unit: 'count' },
      { type: 'space', unit: 'bytes' },
    ]);
    assert.deepEqual(decoded.periodType, { type: 'space', unit: 'bytes' });
    assert.equal(decoded.period, interval);
    assert.equal(decoded.durationNanos, 2_000_000_000);
    const stacks = decoded.samples.map((s) => ({ stack: decoded.stack(s).map((f) => f.name), values: s.values }));
    // One 32 KiB sample stands for 1/(1-e^-1) objects; a 100-byte one for about 328.
    const small = Math.round(2 / (1 - Math.exp(-100 / interval)));
    assert.deepEqual(stacks, [
      { stack: ['load'], values: [2, 65_536] },
      { stack: ['encode', 'load'], values: [small, 1_000_000] },
    ]);
  });
});
