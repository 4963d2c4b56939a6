// Node 24 swaps AsyncContextFrame's prototype when the first timer fires; a
// process.nextTick that ran before that keeps a polymorphic load for good (about 5% CPU
// per request). The real server, started as a child with a probe preloaded, must have
// made Node decide before its first tick. The bare node:http peer shows the probe can see
// the problem: as node:http leaves it, its listen() ticks first; with
// BARE_NODE_SETTINGS=turbina it settles first too. The probe needs --expose-internals to
// see the class; on a Node without AsyncContextFrame (20, and 22 by default) there is
// nothing to check.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { probeFreePort } from '../../src/lifecycle/listeners.js';
import { startServer } from '../helpers/child.js';
import { request } from '../helpers/http.js';

const BARE_PEER = fileURLToPath(new URL('../../scripts/peers/bare-node.js', import.meta.url));

// Reports whether the active AsyncContextFrame is installed at the first process.nextTick
// and again after a timer has fired (by then Node has decided either way), when sent
// SIGUSR2. Node 24 installs it by swapping the prototype, Node 26 as own properties.
const PROBE = `
let frame;
try { frame = require('internal/async_context_frame'); } catch { process._rawDebug('probe: no AsyncContextFrame'); return; }
const proto = () => Object.getPrototypeOf(frame).name === 'ActiveAsyncContextFrame' || Object.hasOwn(frame, 'current') ? 'active' : 'inactive';
const tick = process.nextTick;
let first = '';
process.nextTick = function (...args) {
  if (first === '') first = proto();
  return tick.apply(this, args);
};
process.on('SIGUSR2', () => setTimeout(() => process._rawDebug('probe: first tick ' + (first || 'none') + ', settled ' + proto()), 1));
`;

const SETTLED = 'first tick active, settled active';

function probeArgs(t: TestContext): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'turbina-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const probe = join(dir, 'probe.cjs');
  writeFileSync(probe, PROBE);
  return ['--expose-internals', '--require', probe];
}

/** Sends SIGUSR2 and waits for the probe's line on stderr. */
async function report(kill: (signal: NodeJS.Signals) => void, stderr: () => string): Promise<string> {
  kill('SIGUSR2');
  const deadline = Date.now() + 5000;
  while (!stderr().includes('probe:') && Date.now() < deadline) await sleep(20);
  const line = /probe: (.*)/.exec(stderr())?.[1];
  assert.ok(line !== undefined, `the probe said nothing; stderr:\n${stderr()}`);
  return line;
}

/** Whether this Node has nothing to check (and the test should skip). */
function frameOff(t: TestContext, line: string): boolean {
  if (line !== 'no AsyncContextFrame' && !line.endsWith('settled inactive')) return false;
  t.skip(`AsyncContextFrame is off on Node ${process.versions.node} (${line})`);
  return true;
}

async function bareReport(t: TestContext, settings: string): Promise<string> {
  const port = await new Promise<number>((resolve, reject) => probeFreePort(0, '127.0.0.1', resolve, reject));
  const child = spawn(process.execPath, [...probeArgs(t), BARE_PEER], {
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), BARE_NODE_SETTINGS: settings },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        assert.equal((await request(port, '/io?ms=0')).status, 200);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(50);
      }
    }
    return await report((signal) => child.kill(signal), () => err);
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

test('the server settles AsyncContextFrame before its first process.nextTick', async (t) => {
  const { child, port } = await startServer([], {}, probeArgs(t));
  try {
    assert.equal((await request(port, '/products/1')).status, 200);
    const line = await report((signal) => child.kill(signal), () => child.stderr());
    if (frameOff(t, line)) return;
    assert.equal(line, SETTLED);
  } finally {
    child.kill('SIGKILL');
    await child.exited;
  }
});

describe('the bare node:http peer', () => {
  test('as node:http leaves it, ticks before AsyncContextFrame is settled (what the probe must see)', async (t) => {
    const line = await bareReport(t, '');
    if (frameOff(t, line)) return;
    assert.equal(line, 'first tick inactive, settled active');
  });

  test("with BARE_NODE_SETTINGS=turbina, settles it first, as turbina does", async (t) => {
    const line = await bareReport(t, 'turbina');
    if (frameOff(t, line)) return;
    assert.equal(line, SETTLED);
  });
});
