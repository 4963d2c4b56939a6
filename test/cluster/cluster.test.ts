// Cluster mode on the real server (WORKERS=2, child processes): requests spread over
// both workers, whole-server /metrics, a killed worker replaced and counted, graceful
// and forced shutdown of the group, a worker that cannot answer a scrape, and workers
// that never outlive the primary. A stopped (SIGSTOP) worker stands in for one that is
// blocked: it neither answers the primary nor drains.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { Agent, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { boundPort, Listeners } from '../../src/lifecycle/listeners.js';
import { reusePortSupported } from '../../src/platform/node-features.js';
import type { MetricsReport } from '../../src/metrics/report.js';
import { runServer, SERVER_JS, serverEnv, startServer, type Child } from '../helpers/child.js';
import { request, type Reply } from '../helpers/http.js';
import { hasPromtool, parsePrometheus, promtoolCheck, sampleValue } from '../helpers/prometheus.js';

interface Cluster {
  readonly child: Child;
  readonly port: number;
  readonly primary: number;
  readonly workers: readonly [number, number];
}

async function startCluster(env: Record<string, string> = {}): Promise<Cluster> {
  const { child, port } = await startServer([], { WORKERS: '2', ...env });
  const listening = await child.waitForLine((l) => l['msg'] === 'listening');
  const pids = listening['workerPids'] as number[];
  const [first, second] = pids;
  assert.ok(pids.length === 2 && first !== undefined && second !== undefined, JSON.stringify(pids));
  return { child, port, primary: child.proc.pid as number, workers: [first, second] };
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pids: readonly number[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > deadline) throw new Error(`still running: ${pids.filter(alive).join(', ')}`);
    await sleep(20);
  }
}

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 1200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Never leave a worker behind, whatever a test did. */
function cleanup(c: Cluster): void {
  for (const pid of [...c.workers, c.primary]) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

async function metrics(port: number): Promise<MetricsReport> {
  const reply = await request(port, '/metrics');
  assert.equal(reply.status, 200);
  return reply.json<MetricsReport>();
}

/** Sends `n` copies of a request and returns the first answer: with one worker stopped,
 *  a connection handed to it waits until it continues. The others are left to finish.
 *  Round-robin hands every other connection to each worker; SO_REUSEPORT hashes them, so
 *  16 leave a 1 in 65,536 chance that all wait on the stopped one. */
function firstAnswer(port: number, path: string, headers: Record<string, string> = {}, n = 16): Promise<Reply> {
  return Promise.any(Array.from({ length: n }, () => request(port, path, { headers })));
}

describe('cluster mode (WORKERS=2)', { concurrency: 3 }, () => {
  test('requests spread over both workers; /metrics totals equal the requests sent, with a per-worker breakdown', async () => {
    const c = await startCluster({ METRICS_WORKER_TIMEOUT_MS: '5000' });
    try {
      const SENT = 40;
      for (let i = 0; i < SENT; i += 4) {
        await Promise.all([0, 1, 2, 3].map((k) => request(c.port, `/products/${((i + k) % 5) + 1}`)));
      }
      const m = await metrics(c.port);
      assert.equal(m.requests.byRoute['GET /products/{id}'], SENT);
      assert.deepEqual(m.requests.byStatus, { '200': SENT });
      assert.equal(m.requests.total, SENT);
      assert.equal(m.cache.scope, 'per-worker');
      assert.equal(m.cache.hits + m.cache.misses, SENT);
      assert.equal(m.cluster?.workers, 2);
      assert.deepEqual(m.cluster?.missing, []);
      assert.equal(m.cluster?.answered, 2);
      assert.ok(c.workers.includes(m.cluster?.answeredBy as number));
      const breakdown = m.workers ?? [];
      assert.deepEqual(breakdown.map((w) => w.pid).sort(), [...c.workers].sort());
      assert.deepEqual(breakdown.map((w) => w.worker), [0, 1]);
      assert.equal(breakdown.reduce((sum, w) => sum + w.requests.total, 0), SENT);
      assert.ok(breakdown.every((w) => w.requests.total > 0), `every worker served some: ${breakdown.map((w) => w.requests.total).join(', ')}`);
      assert.equal(m.memory.rssBytes, breakdown.reduce((sum, w) => sum + w.memory.rssBytes, 0));

      const promText = (await request(c.port, '/metrics', { headers: { accept: 'text/plain' } })).text;
      const prom = parsePrometheus(promText);
      assert.equal(sampleValue(prom, 'turbina_http_requests_total', { method: 'GET', route: '/products/{id}', status: '200' }), SENT);
      assert.equal(sampleValue(prom, 'turbina_workers'), 2);
      assert.equal(sampleValue(prom, 'turbina_metrics_scrape_missing_workers'), 0);
      assert.equal(prom.get('process_resident_memory_bytes')?.samples.length, 2);
      for (const pid of c.workers) assert.equal(sampleValue(prom, 'turbina_worker_info', { pid: String(pid) }), 1);

      // The access log says which worker served each request.
      c.child.kill('SIGTERM');
      assert.equal((await c.child.exited).code, 0);
      const served = c.child.lines.filter((l) => l['msg'] === 'request' && String(l['path']).startsWith('/products/'));
      assert.equal(served.length, SENT);
      assert.deepEqual([...new Set(served.map((l) => l['pid']))].sort(), [...c.workers].sort());
      if (hasPromtool()) promtoolCheck(promText);
    } finally {
      cleanup(c);
    }
  });

  test('a SIGKILLed worker is replaced after a backoff, and the restart is counted', async () => {
    const c = await startCluster();
    try {
      const victim = c.workers[0];
      process.kill(victim, 'SIGKILL');
      const restarting = await c.child.waitForLine((l) => l['msg'] === 'worker exited unexpectedly; restarting');
      assert.equal(restarting['pid'], victim);
      assert.equal(restarting['signal'], 'SIGKILL');
      assert.ok((restarting['restartInMs'] as number) > 0);
      const replaced = await c.child.waitForLine((l) => l['msg'] === 'worker listening' && !c.workers.includes(l['pid'] as number));
      const m = await metrics(c.port);
      assert.equal(m.cluster?.restarts, 1);
      assert.deepEqual(m.workers?.map((w) => w.pid).sort(), [replaced['pid'], c.workers[1]].sort());
      const prom = parsePrometheus((await request(c.port, '/metrics?format=prometheus')).text);
      assert.equal(sampleValue(prom, 'turbina_worker_restarts_total'), 1);
      assert.equal(alive(victim), false);
      c.child.kill('SIGTERM');
      assert.equal((await c.child.exited).code, 0);
      await waitGone([replaced['pid'] as number, ...c.workers]);
    } finally {
      cleanup(c);
    }
  });

  test('SIGTERM drains an in-flight slow request on each worker; the group exits 0 and no process is left', async () => {
    const c = await startCluster();
    try {
      // Round-robin gives each worker every other connection; with SO_REUSEPORT the kernel
      // hashes them, and 16 all land on one worker once in 32,768 runs.
      const slow: Promise<Reply>[] = [];
      for (let i = 0; i < 16; i++) slow.push(request(c.port, '/io?ms=1000'));
      // Signal only once each worker has one in flight (not counting the /metrics request).
      await waitFor(async () => {
        const m = await metrics(c.port);
        return (m.workers ?? []).every((w) => w.requests.inFlight - (w.pid === m.cluster?.answeredBy ? 1 : 0) >= 1);
      }, 'a slow request in flight on each worker');
      c.child.kill('SIGTERM');
      const replies = await Promise.all(slow);
      assert.deepEqual(replies.map((r) => r.status), new Array<number>(16).fill(200));
      assert.deepEqual(await c.child.exited, { code: 0, signal: null });
      const started = c.child.lines.filter((l) => l['msg'] === 'shutdown started' && c.workers.includes(l['pid'] as number));
      assert.equal(started.length, 2);
      assert.ok(started.every((l) => (l['inFlight'] as number) >= 1), JSON.stringify(started));
      const done = c.child.lines.find((l) => l['msg'] === 'shutdown complete' && l['pid'] === c.primary);
      assert.equal(done?.['exitCode'], 0);
      await waitGone([c.primary, ...c.workers], 1000);
    } finally {
      cleanup(c);
    }
  });

  test('SHUTDOWN_TIMEOUT_MS: a request outliving the deadline is cut and the group exits 1', async () => {
    const c = await startCluster({ SHUTDOWN_TIMEOUT_MS: '300' });
    try {
      const slow = request(c.port, '/io?ms=1000').catch((error: unknown) => error);
      await waitFor(async () => (await metrics(c.port)).requests.inFlight >= 2, 'the slow request to arrive');
      c.child.kill('SIGTERM');
      assert.ok((await slow) instanceof Error);
      assert.equal((await c.child.exited).code, 1);
      await waitGone(c.workers, 1000);
    } finally {
      cleanup(c);
    }
  });

  test('a worker that cannot drain (stopped) is killed at the deadline and the exit code is 1', async () => {
    const c = await startCluster({ SHUTDOWN_TIMEOUT_MS: '200' });
    try {
      const stuck = c.workers[0];
      process.kill(stuck, 'SIGSTOP');
      c.child.kill('SIGTERM');
      assert.equal((await c.child.exited).code, 1);
      const killed = c.child.lines.find((l) => l['msg'] === 'shutdown deadline reached: workers killed');
      assert.deepEqual(killed?.['killed'], [stuck]);
      await waitGone(c.workers, 1000);
    } finally {
      cleanup(c);
    }
  });

  test('a worker that does not answer the scrape in time is reported missing; the scrape still answers', async () => {
    const c = await startCluster({ METRICS_WORKER_TIMEOUT_MS: '1000' });
    try {
      const stuck = c.workers[0];
      process.kill(stuck, 'SIGSTOP');
      const started = Date.now();
      const m = (await firstAnswer(c.port, '/metrics')).json<MetricsReport>();
      assert.ok(Date.now() - started < 5000);
      assert.deepEqual(m.cluster?.missing, [{ worker: 0, pid: stuck }]);
      assert.equal(m.cluster?.answered, 1);
      assert.ok((m.cluster?.missingTotal ?? 0) >= 1);
      assert.deepEqual(m.workers?.map((w) => w.pid), [c.workers[1]]);
      const prom = parsePrometheus((await firstAnswer(c.port, '/metrics', { accept: 'text/plain' })).text);
      assert.equal(sampleValue(prom, 'turbina_metrics_scrape_missing_workers'), 1);
      assert.ok(sampleValue(prom, 'turbina_metrics_scrape_missing_workers_total') >= 2);
      process.kill(stuck, 'SIGCONT');
      c.child.kill('SIGTERM');
      assert.equal((await c.child.exited).code, 0);
    } finally {
      cleanup(c);
    }
  });

  test('under load, every stdout line from every process is one whole JSON line', async () => {
    const c = await startCluster();
    try {
      const agents = Array.from({ length: 16 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
      const LONG = 5;
      let sent = 0;
      // A reader that stops: the pipe fills and writes queue up; when it reads again,
      // processes sharing the pipe would write pieces of lines (a write is atomic only
      // up to PIPE_BUF, and queued writes go out with writev) between each other's.
      const stdout = c.child.proc.stdout;
      // Our stdout is a pipe (a socket pair, as Node makes them): the workers write to
      // pipes of their own, which the primary relays.
      for (const pid of c.workers) assert.match(readlinkSync(`/proc/${pid}/fd/1`), /^(pipe|socket):/);
      stdout?.pause();
      // ~1.1 KB access lines fill the 64 KB batches; a few are longer than PIPE_BUF.
      await Promise.all(agents.map(async (agent, a) => {
        for (let i = 0; i < 80; i++) {
          const pad = a < LONG && i === 0 ? 6000 : 1000;
          await request(c.port, `/nope/${a}-${i}-${'x'.repeat(pad)}`, { agent });
          sent++;
        }
      }));
      stdout?.resume();
      for (const agent of agents) agent.destroy();
      c.child.kill('SIGTERM');
      assert.equal((await c.child.exited).code, 0);
      const bad = c.child.lines.filter((l) => 'unparseable' in l);
      assert.deepEqual(bad.map((l) => String(l['unparseable']).slice(0, 300)), []);
      const requests = c.child.lines.filter((l) => l['msg'] === 'request');
      assert.equal(requests.length, sent);
      assert.equal(requests.filter((l) => String(l['path']).length > 6000).length, LONG);
      assert.ok(c.child.lines.every((l) => [c.primary, ...c.workers].includes(l['pid'] as number)));
      assert.deepEqual([...new Set(requests.map((l) => l['pid']))].sort(), [...c.workers].sort());
    } finally {
      cleanup(c);
    }
  });

  test('with stdout a file, workers append to it themselves, and under load every line is one whole JSON line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbina-cluster-out-'));
    const path = join(dir, 'out.log');
    const fd = openSync(path, 'a');
    const proc = spawn(process.execPath, [SERVER_JS], {
      env: serverEnv({ WORKERS: '2' }),
      stdio: ['ignore', fd, 'pipe'],
    });
    closeSync(fd);
    const exited = once(proc, 'exit');
    const pids: number[] = [proc.pid as number];
    try {
      const fileLines = (): Record<string, unknown>[] =>
        readFileSync(path, 'utf8').split('\n').filter((text) => text !== '').map((text) => {
          try {
            return JSON.parse(text) as Record<string, unknown>;
          } catch {
            return { unparseable: text };
          }
        });
      let listening: Record<string, unknown> | undefined;
      await waitFor(async () => (listening = fileLines().find((l) => l['msg'] === 'listening')) !== undefined, 'the listening line', 10_000);
      const port = listening?.['port'] as number;
      const workers = listening?.['workerPids'] as number[];
      pids.push(...workers);
      // The workers hold the file itself, not a pipe to the primary.
      for (const pid of workers) assert.equal(readlinkSync(`/proc/${pid}/fd/1`), path);
      const agents = Array.from({ length: 16 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
      let sent = 0;
      // Lines longer than PIPE_BUF from both workers at once: a split write would show.
      await Promise.all(agents.map(async (agent, a) => {
        for (let i = 0; i < 60; i++) {
          await request(port, `/nope/${a}-${i}-${'x'.repeat(i % 10 === 0 ? 6000 : 1000)}`, { agent });
          sent++;
        }
      }));
      for (const agent of agents) agent.destroy();
      proc.kill('SIGTERM');
      assert.equal((await exited)[0], 0);
      const lines = fileLines();
      assert.deepEqual(lines.filter((l) => 'unparseable' in l).map((l) => String(l['unparseable']).slice(0, 300)), []);
      const requests = lines.filter((l) => l['msg'] === 'request');
      assert.equal(requests.length, sent);
      assert.deepEqual([...new Set(requests.map((l) => l['pid']))].sort(), [...workers].sort());
      assert.ok(lines.some((l) => l['pid'] === proc.pid), 'the primary writes to the same file');
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('workers never outlive the primary: SIGKILL the primary and they exit', async () => {
    const c = await startCluster();
    try {
      c.child.kill('SIGKILL');
      await c.child.exited;
      await waitGone(c.workers, 5000);
    } finally {
      cleanup(c);
    }
  });

  test('workers open LISTEN_SOCKETS sockets each where SO_REUSEPORT exists, else share the primary\'s', async () => {
    const c = await startCluster({ LISTEN_SOCKETS: '4' });
    try {
      const listening = c.child.lines.find((l) => l['msg'] === 'listening') ?? {};
      // A worker's own line comes through its pipe, which can lag the primary's line.
      const workerLines = (): Record<string, unknown>[] => c.child.lines.filter((l) => l['msg'] === 'worker listening');
      await waitFor(async () => workerLines().length === 2, 'both workers\' listening lines');
      if (reusePortSupported()) {
        assert.equal(listening['accepting'], 'workers, SO_REUSEPORT');
        assert.equal(listening['listenSockets'], 8);
        assert.deepEqual(workerLines().map((l) => l['listenSockets']), [4, 4]);
        assert.deepEqual(workerLines().map((l) => l['port']), [c.port, c.port], 'PORT=0: the primary picks one port for all');
      } else {
        assert.equal(listening['accepting'], 'primary, round-robin');
        assert.equal(listening['listenSockets'], 1);
      }
      // Fresh connections land wherever the kernel (or the primary) puts them: all are served.
      const replies = await Promise.all(Array.from({ length: 24 }, () => request(c.port, '/healthz')));
      assert.ok(replies.every((r) => r.status === 200));
    } finally {
      cleanup(c);
    }
  });

  test('a port already taken, even with SO_REUSEPORT, stops the group with exit code 1 and says why', async () => {
    // Held the way another copy of turbina would hold it: several SO_REUSEPORT sockets
    // where supported, which the workers' own sockets could otherwise join.
    const holder = new Listeners(createServer());
    await new Promise<void>((resolve, reject) => holder.listen({ port: 0, host: '127.0.0.1', backlog: 511, sockets: 4 }, resolve, reject));
    const port = boundPort(holder.server, 0);
    const child = runServer([], { WORKERS: '2', PORT: String(port) });
    try {
      // Whichever comes first: a group that starts anyway fails here at once.
      const listening = child.waitForLine((l) => l['msg'] === 'listening').then(() => 'listening', () => 'exited');
      assert.equal(await Promise.race([listening, child.exited.then(() => 'exited')]), 'exited');
      assert.equal((await child.exited).code, 1);
      assert.match(child.stderr(), /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
    } finally {
      child.kill('SIGKILL');
      await new Promise<void>((resolve) => holder.close(resolve));
    }
  });
});
