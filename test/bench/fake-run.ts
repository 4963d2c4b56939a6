// Hand-built benchmark results for the report tests: a measurement with the numbers
// a test names, the rest derived from them.
import { pairedRound, pairedSummary } from '../../scripts/bench/paired.js';
import type { BenchRun, Measurement } from '../../scripts/bench/results.js';
import { startupSummary } from '../../scripts/bench/startup.js';
import type { LoadResult, SocketErrors } from '../../scripts/load/types.js';

const NO_ERRORS: SocketErrors = { connect: 0, read: 0, write: 0, timeout: 0 };

export function measurement(target: string, scenario: string, connections: number, rps: number, p99: number, errors: SocketErrors = NO_ERRORS): Measurement {
  return {
    target,
    scenario,
    connections,
    result: {
      tool: 'turbina-loadgen',
      requests: rps * 10,
      durationSec: 10,
      requestsPerSec: rps,
      transferBytesPerSec: rps * 200,
      latencyMs: { avg: p99 / 3, stdev: p99 / 10, min: 0.1, max: p99 * 2, p50: p99 / 3, p90: p99 / 2, p99, p999: p99 * 1.5, withinStdevPct: 80 },
      errors,
      non2xx3xx: 0,
      connections,
      threads: 2,
    },
    cpuSecondsPer10k: 1.25,
    peakRssBytes: 64 * 1024 * 1024,
    roundsRequestsPerSec: [rps],
  };
}

const LABELS: Readonly<Record<string, string>> = {
  turbina: 'turbina (1 process)',
  'turbina-cluster': 'turbina cluster (2 workers)',
  'node-bare': 'bare node:http',
  'node-bare-cluster': 'bare node:http cluster (2 workers)',
  'node-bare-cluster-tuned': "bare node:http cluster (2 workers) + turbina's Node settings",
  go: 'Go net/http',
  fastapi: 'FastAPI + uvicorn',
};

/** A round's numbers that differ a little from round to round, the same on every call. */
function wobble(value: number, round: number): number {
  return value * (1 + 0.04 * Math.sin(round * 2.3 + value));
}

/** A run like a full one: scenarios at one connection count with three rounds, a ramp,
 *  an overload ramp counting 2xx apart, redis-benchmark, paired pairs and startups. */
export function fullRun(): BenchRun {
  const targets = Object.keys(LABELS);
  const scenarios = ['io', 'product-hit', 'product-traced', 'product-miss', 'list-gzip', 'export', 'product-upstream', 'product-l2'];
  const measurements: Measurement[] = [];
  scenarios.forEach((scenario, s) =>
    targets.forEach((target, t) => {
      const m = measurement(target, scenario, 100, 8_000 + t * 4_100 + s * 900, 2 + t * 1.7 + s);
      measurements.push({ ...m, cpuSecondsPer10k: 0.9 + t * 0.3, roundsRequestsPerSec: [1, 2, 3].map((r) => wobble(m.result.requestsPerSec, r)) });
    }),
  );
  for (const target of targets) {
    for (const c of [10, 50, 100, 250, 500, 1000]) measurements.push(measurement(target, 'ramp', c, Math.min(c * 300, 30_000) * (1 + targets.indexOf(target) / 5), 1 + c / 40));
  }
  for (const target of ['turbina', 'turbina-shed']) {
    for (const c of [1, 8, 256]) {
      const m = measurement(target, 'overload', c, 900 * Math.min(c, 8), 3 + c);
      const admitted = { requests: m.result.requests * (target === 'turbina' ? 1 : 0.8), latencyMs: { ...m.result.latencyMs, p99: target === 'turbina' ? c * 8 : 9 } };
      measurements.push({ ...m, result: { ...m.result, admitted, refused503: m.result.requests - admitted.requests } });
    }
  }
  const pairs = [
    ['turbina', 'node-bare', 'io'],
    ['turbina', 'node-bare', 'product-hit'],
    ['turbina-cluster', 'node-bare-cluster', 'io'],
    ['turbina-cluster', 'node-bare-cluster', 'product-hit'],
  ] as const;
  return {
    date: '2026-12-02T05:00:00.000Z',
    machine: { cpus: 2, model: 'Test CPU @ 2.0GHz', memoryGiB: 8, note: 'the load generator runs on the same machine and shares its cores' },
    loadGenerator: 'wrk 4.2.0',
    options: { connections: 100, durationSec: 10, threads: 2, rampStepSec: 3, rounds: 3 },
    versions: Object.fromEntries(targets.map((t) => [t, t === 'go' ? 'go1.22' : t === 'fastapi' ? 'Python 3.11' : 'node v20.20.2'])),
    labels: { ...LABELS, 'turbina-shed': 'turbina, shedding on' },
    measurements,
    redisBenchmark: [{ scenario: 'product-l2', getPerSec: 70_000, p99Ms: 1.1, valueBytes: 302, command: 'redis-benchmark -t get' }],
    paired: pairs.map(([target, base, scenario], i) =>
      pairedSummary(
        target,
        base,
        scenario,
        [1, 2, 3, 4, 5, 6, 7].map((r) => pairedRound(fakeLoad(wobble(100_000 + i * 9_000, r), 4 + i), 2, fakeLoad(100_000, 5), 2)),
      ),
    ),
    startup: ['turbina', 'turbina-cluster', 'node-bare', 'go'].map((target, i) =>
      startupSummary(target, [1, 2, 3, 4, 5].map((n) => ({ firstAnswerMs: wobble(40 + i * 60, n), idleRssBytes: wobble((45 + i * 40) * 1024 * 1024, n), processes: target.endsWith('cluster') ? 3 : 1 }))),
    ),
    skipped: [{ what: 'FastAPI + uvicorn', reason: 'python3 -m uvicorn not found' }],
  };
}

/** What a load generator reports for `requests` answered in one second. */
function fakeLoad(requests: number, p99: number): LoadResult {
  return { ...measurement('x', 'x', 100, requests, p99).result, durationSec: 1, requests: Math.round(requests) };
}
