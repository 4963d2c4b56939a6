// The project's own load generator, for machines without wrk: keep-alive connections
// spread over worker threads, a fixed duration, latency from a mergeable histogram (so
// percentiles are over every sample), socket errors and timeouts counted as wrk does.
import { Worker } from 'node:worker_threads';
import { LatencyHistogram } from './latency-histogram.js';
import type { HistogramFields, WorkerDone, WorkerInput, WorkerProgress } from './load-worker.js';
import type { LoadOptions, LoadResult } from './types.js';

const WORKER_URL = new URL('./load-worker.js', import.meta.url);

/** Runs the load; `onProgress` gets the requests completed so far. */
export async function runLoad(options: LoadOptions, onProgress?: (requests: number) => void): Promise<LoadResult> {
  if (!Number.isInteger(options.connections) || options.connections < 1) {
    throw new RangeError(`connections must be a whole number of at least 1, got ${options.connections}`);
  }
  const threads = Math.max(1, Math.min(options.threads, options.connections));
  const perThread = Array.from({ length: threads }, (_, i) =>
    Math.floor(options.connections / threads) + (i < options.connections % threads ? 1 : 0),
  );
  const progress = new Array<number>(threads).fill(0);
  const results = await Promise.all(
    perThread.map(
      (connections, threadIndex) =>
        new Promise<WorkerDone>((resolve, reject) => {
          const input: WorkerInput = { options: { ...options, threads }, connections, threadIndex };
          const worker = new Worker(WORKER_URL, { workerData: input });
          worker.on('message', (message: WorkerProgress | WorkerDone) => {
            if (message.kind === 'progress') {
              progress[threadIndex] = message.requests;
              onProgress?.(progress.reduce((a, b) => a + b, 0));
            } else {
              resolve(message);
              void worker.terminate();
            }
          });
          worker.on('error', reject);
        }),
    ),
  );
  const histogram = new LatencyHistogram();
  const admitted = new LatencyHistogram();
  let refused503 = 0;
  let status5xx = 0;
  let stale = 0;
  let requests = 0;
  let bytes = 0;
  let non2xx3xx = 0;
  const errors = { connect: 0, read: 0, write: 0, timeout: 0 };
  for (const r of results) {
    histogram.merge(revive(r.histogram));
    admitted.merge(revive(r.admitted));
    refused503 += r.refused503;
    status5xx += r.status5xx;
    stale += r.stale;
    requests += r.requests;
    bytes += r.bytes;
    non2xx3xx += r.non2xx3xx;
    errors.connect += r.errors.connect;
    errors.read += r.errors.read;
    errors.write += r.errors.write;
    errors.timeout += r.errors.timeout;
  }
  const seconds = options.durationMs / 1000;
  return {
    tool: 'turbina-loadgen',
    requests,
    // Responses are counted up to the deadline only, so the configured time is the divisor.
    durationSec: seconds,
    requestsPerSec: Math.round((requests / seconds) * 100) / 100,
    transferBytesPerSec: Math.round(bytes / seconds),
    latencyMs: histogram.summary(),
    errors,
    non2xx3xx,
    admitted: { requests: admitted.count, latencyMs: admitted.summary() },
    refused503,
    status5xx,
    stale,
    connections: options.connections,
    threads,
  };
}

function revive(fields: HistogramFields): LatencyHistogram {
  const h = new LatencyHistogram(fields.counts);
  Object.assign(h, { count: fields.count, sum: fields.sum, sumSquares: fields.sumSquares, min: fields.min, max: fields.max });
  return h;
}
