// The acceptance test of the profiling issue: `go tool pprof -top` reads our CPU and heap
// profiles straight from a running server (a child process) while load hits
// /products/1, and its tables name functions of our own source files.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/bench/run-target.js';
import { runServer } from '../helpers/child.js';
import { request } from '../helpers/http.js';
import { loadFor } from '../helpers/load.js';
import { hasCommand, skipWithout } from '../helpers/tools.js';

const execFileAsync = promisify(execFile);


/** Functions of ours that every request to /products/1 runs (dispatch.ts, responder.ts). */
const OURS = /\b(onRequest|encoded)\b/;

test('go tool pprof -top reads /debug/pprof/profile and /debug/pprof/heap under load', { skip: skipWithout(hasCommand('go', ['version']), 'go', 'apt-get install -y golang-go') }, async () => {
  // LOG_LEVEL=warn: no access lines for the test to parse, so no listening line either.
  const port = await freePort();
  const child = runServer([], { PORT: String(port), LOG_LEVEL: 'warn' });
  // pprof saves each fetched profile under PPROF_TMPDIR (default ~/pprof).
  const dir = mkdtempSync(join(tmpdir(), 'turbina-pprof-'));
  const pprof = (args: readonly string[]) =>
    execFileAsync('go', ['tool', 'pprof', '-top', ...args], { env: { ...process.env, PPROF_TMPDIR: dir }, timeout: 60_000 });
  try {
    while ((await request(port, '/healthz').catch(() => undefined))?.status !== 200) {
      if (child.proc.exitCode !== null) assert.fail(`the server exited: ${child.stderr()}`);
      await sleep(50);
    }
    const base = `http://127.0.0.1:${port}/debug/pprof`;
    const load = loadFor(port, 4000);
    // Both at once: one CPU profile and one heap sampling may overlap.
    const [cpu, heap] = await Promise.all([pprof([`${base}/profile?seconds=2`]), pprof(['-seconds', '2', `${base}/heap`])]);
    await load;
    assert.match(cpu.stdout, /^Type: cpu$/m, cpu.stdout + cpu.stderr);
    assert.match(cpu.stdout, /flat +flat% +sum% +cum +cum%/);
    assert.match(cpu.stdout, OURS, cpu.stdout);
    assert.match(heap.stdout, /^Type: space$/m, heap.stdout + heap.stderr);
    assert.match(heap.stdout, OURS, heap.stdout);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
