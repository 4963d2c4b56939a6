// One load-generator thread: `connections` keep-alive sockets, each sending its next
// request as soon as the previous response is complete (like wrk), for a fixed time.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { LatencyHistogram } from './latency-histogram.js';
import { ResponseParser } from './response-parser.js';
import type { LoadOptions } from './types.js';

export interface WorkerInput {
  readonly options: LoadOptions;
  readonly connections: number;
  readonly threadIndex: number;
}

/** Sent every PROGRESS_MS while running. */
export interface WorkerProgress {
  readonly kind: 'progress';
  readonly requests: number;
}

/** A LatencyHistogram's fields, as a message carries them. */
export interface HistogramFields {
  counts: Float64Array;
  count: number;
  sum: number;
  sumSquares: number;
  min: number;
  max: number;
}

export interface WorkerDone {
  readonly kind: 'done';
  readonly requests: number;
  readonly bytes: number;
  readonly non2xx3xx: number;
  readonly refused503: number;
  readonly status5xx: number;
  readonly stale: number;
  readonly errors: { connect: number; read: number; write: number; timeout: number };
  readonly histogram: HistogramFields;
  /** The 2xx responses only. */
  readonly admitted: HistogramFields;
}

function fields(h: LatencyHistogram): HistogramFields {
  return { counts: h.counts, count: h.count, sum: h.sum, sumSquares: h.sumSquares, min: h.min, max: h.max };
}

const PROGRESS_MS = 250;

function run(input: WorkerInput): Promise<WorkerDone> {
  const { options, threadIndex } = input;
  const histogram = new LatencyHistogram();
  const admitted = new LatencyHistogram();
  let refused503 = 0;
  let status5xx = 0;
  let stale = 0;
  const errors = { connect: 0, read: 0, write: 0, timeout: 0 };
  let requests = 0;
  let bytes = 0;
  let non2xx3xx = 0;
  let sequence = 0;
  const deadline = performance.now() + options.durationMs;
  const extraHeaders = Object.entries(options.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const requestFor = (path: string): Buffer => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\n${extraHeaders}\r\n`);
  const plan = options.plan;
  let nextRequest: () => Buffer;
  if ('path' in plan) {
    const fixed = requestFor(plan.path);
    nextRequest = () => fixed;
  } else if ('span' in plan) {
    nextRequest = () => requestFor(plan.prefix + (plan.first + Math.floor(Math.random() * plan.span)));
  } else {
    // Interleave threads so every id is requested once across the whole run.
    nextRequest = () => requestFor(plan.prefix + (plan.first + sequence++ * options.threads + threadIndex));
  }

  return new Promise((resolve) => {
    let open = 0;
    const progress = setInterval(() => parentPort?.postMessage({ kind: 'progress', requests } satisfies WorkerProgress), PROGRESS_MS);

    const finishOne = (): void => {
      if (--open > 0) return;
      clearInterval(progress);
      resolve({
        kind: 'done',
        requests,
        bytes,
        non2xx3xx,
        refused503,
        status5xx,
        stale,
        errors,
        histogram: fields(histogram),
        admitted: fields(admitted),
      });
    };

    const drive = (): void => {
      let socket: Socket;
      let parser = new ResponseParser();
      let sentAt = 0;
      let connected = false;
      let watchdog: NodeJS.Timeout | undefined;
      const start = (): void => {
        connected = false;
        parser = new ResponseParser();
        socket = connect({ host: options.host, port: options.port, noDelay: true });
        socket.on('connect', () => {
          connected = true;
          send();
        });
        socket.on('data', (chunk: Buffer) => {
          let responses;
          try {
            responses = parser.push(chunk);
          } catch {
            errors.read++;
            socket.destroy();
            return;
          }
          for (const response of responses) {
            const now = performance.now();
            if (now <= deadline) {
              requests++;
              bytes += response.bytes;
              const us = (now - sentAt) * 1000;
              histogram.record(us);
              if (response.status >= 200 && response.status < 300) admitted.record(us);
              else if (response.status === 503) refused503++;
              if (response.status < 200 || response.status >= 400) non2xx3xx++;
              if (response.status >= 500) status5xx++;
              if (response.stale === true) stale++;
            }
            if (response.close || now > deadline) {
              socket.end();
              socket.destroy();
              return;
            }
            const waitS = options.honourRetryAfter === true ? response.retryAfterSeconds : undefined;
            if (waitS !== undefined && waitS > 0) {
              // The same timer slot as the watchdog, so a close cancels the wait; never past the run's end.
              clearTimeout(watchdog);
              watchdog = setTimeout(send, Math.min(waitS * 1000, deadline - now + 1));
              return;
            }
            send();
          }
        });
        socket.on('error', (error: NodeJS.ErrnoException) => {
          if (!connected) errors.connect++;
          else if (error.code === 'EPIPE') errors.write++;
          else errors.read++;
        });
        socket.on('close', () => {
          clearTimeout(watchdog);
          if (performance.now() < deadline) {
            // A response cut short by the server is a read error (wrk counts it so too).
            if (connected && parser.pending > 0) errors.read++;
            // Back off briefly after a failed connect so a dead port is not hammered.
            setTimeout(start, connected ? 0 : 10);
          } else {
            finishOne();
          }
        });
      };
      const send = (): void => {
        if (performance.now() > deadline) {
          socket.destroy();
          return;
        }
        sentAt = performance.now();
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          errors.timeout++;
          socket.destroy();
        }, options.timeoutMs);
        socket.write(nextRequest());
      };
      open++;
      start();
    };

    for (let i = 0; i < input.connections; i++) drive();
  });
}

if (parentPort !== null) {
  void run(workerData as WorkerInput).then((done) => parentPort?.postMessage(done));
}
