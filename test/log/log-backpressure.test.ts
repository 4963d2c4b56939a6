// The real server (a child process) whose stdout pipe nobody reads, under load: memory
// stays bounded (a server that queued every line would grow by about 100 MB a second),
// whole batches are dropped and counted in /metrics and Prometheus, requests are
// answered without stalling, and when the reader comes back one warning line per
// process says how many lines it lost, and every line is whole JSON. Once in a single
// process, once with WORKERS=2 (whose workers write through the primary's relay).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import type { MetricsReport } from '../../src/metrics/report.js';
import { runLoad } from '../../scripts/load/loadgen.js';
import { startServer, type Child } from '../helpers/child.js';
import { request } from '../helpers/http.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';

const MiB = 1024 * 1024;
/** The defaults: LOG_QUEUE_BYTES, and the logger's batch (a queue may pass the bound by one). */
const LOG_QUEUE_BYTES = 4 * MiB;
const BATCH_BYTES = 64 * 1024;
/** Access lines of about 12 KB: the queue a blocked stdout builds grows fast. */
const LONG_PATH = `/nope/${'x'.repeat(12_000)}`;
const WARNING = 'log output was blocked: lines dropped';

async function metrics(port: number): Promise<MetricsReport> {
  const reply = await request(port, '/metrics');
  assert.equal(reply.status, 200);
  return reply.json<MetricsReport>();
}

/** A process's resident memory, from /proc (the primary reports none in /metrics). */
function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1];
  return Number(kb) * 1024;
}

function load(port: number, durationMs: number): ReturnType<typeof runLoad> {
  return runLoad({ host: '127.0.0.1', port, plan: { path: LONG_PATH }, connections: 8, threads: 1, durationMs, timeoutMs: 5000 });
}

/** Blocks the child's stdout and loads it (a warm-up, then 1.5 s measured), checks
 *  memory, counters and answers, then reads again and checks the warnings and lines. */
async function blockLoadResume(child: Child, port: number, processes: number): Promise<void> {
  const stdout = child.proc.stdout;
  assert.ok(stdout !== null);
  // Our end stops reading: the pipe fills, and the server's writes queue behind it.
  stdout.pause();
  // The warm-up grows the heap to what this load needs (about 45 MB a process) and the
  // log queue to its bound: from then on a bounded server stays the same size.
  await load(port, 1000);
  const primary = child.proc.pid as number;
  const primaryBefore = rssOf(primary);
  const before = await metrics(port);

  const measured = await load(port, 1500);
  assert.ok(measured.requests > 1000, `only ${measured.requests} requests`);
  assert.deepEqual(measured.errors, { connect: 0, read: 0, write: 0, timeout: 0 });
  assert.equal(measured.non2xx3xx, measured.requests); // every one answered (404)

  // Still blocked: answered at once, memory bounded, the drops counted.
  const started = performance.now();
  assert.equal((await request(port, '/healthz')).status, 200);
  assert.ok(performance.now() - started < 1000, 'a request stalled behind the blocked log');
  const during = await metrics(port);
  // The queue itself: at most the bound plus the batch that crossed it, in each process.
  // Memory follows it, give or take what the garbage collector has not yet taken back
  // (dropped 64 KiB batches, each process's heap: tens of MiB on Node 24 under this load).
  assert.ok(during.logs.queuedBytes <= processes * (LOG_QUEUE_BYTES + BATCH_BYTES), `${during.logs.queuedBytes} bytes queued`);
  const grown = during.memory.rssBytes - before.memory.rssBytes;
  const grownExternal = during.memory.externalBytes - before.memory.externalBytes;
  assert.ok(grown < (64 + 32 * processes) * MiB, `the servers' memory grew by ${Math.round(grown / MiB)} MiB`);
  assert.ok(grownExternal < 32 * processes * MiB, `the servers' external memory grew by ${Math.round(grownExternal / MiB)} MiB`);
  if (processes > 1) assert.ok(rssOf(primary) - primaryBefore < 16 * MiB, 'the primary grew');
  assert.ok(during.logs.dropped - before.logs.dropped > 0, 'no line dropped');
  const prom = parsePrometheus((await request(port, '/metrics?format=prometheus')).text);
  assert.ok(sampleValue(prom, 'turbina_log_lines_dropped_total') >= during.logs.dropped);

  stdout.resume();
  const warnings = async (): Promise<Record<string, unknown>[]> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const seen = child.lines.filter((l) => l['msg'] === WARNING);
      if (new Set(seen.map((l) => l['pid'])).size === processes || Date.now() > deadline) return seen;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const warned = await warnings();
  assert.equal(new Set(warned.map((l) => l['pid'])).size, processes, 'one warning per serving process');
  assert.ok(warned.every((l) => l['level'] === 40 && typeof l['dropped'] === 'number' && l['dropped'] > 0));
  const after = await metrics(port);
  const droppedInWarnings = warned.reduce((sum, l) => sum + (l['dropped'] as number), 0);
  assert.equal(after.logs.dropped, droppedInWarnings);

  child.kill('SIGTERM');
  assert.equal((await child.exited).code, 0);
  assert.deepEqual(child.lines.filter((l) => 'unparseable' in l).map((l) => String(l['unparseable']).slice(0, 200)), []);
  // Every request finished before the last scrape, and the scrape itself: logged or counted, once.
  const logged = child.lines.filter((l) => l['msg'] === 'request').length;
  assert.equal(logged + after.logs.dropped, after.requests.total + 1);
}

describe('a stdout nobody reads', () => {
  test('one process: memory bounded, lines dropped whole and counted, no stall, one warning after', async () => {
    const { child, port } = await startServer();
    try {
      await blockLoadResume(child, port, 1);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('WORKERS=2: the same in every worker, and the primary stays small', async () => {
    const { child, port } = await startServer([], { WORKERS: '2' });
    try {
      await blockLoadResume(child, port, 2);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
