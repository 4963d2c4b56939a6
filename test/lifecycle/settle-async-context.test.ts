// Node 24 swaps AsyncContextFrame's prototype when the first timer fires; a
// process.nextTick that ran before that keeps a polymorphic load for good (about 4% CPU
// per request). The real server, started as a child with a probe preloaded, must have
// made Node decide before its first tick. The probe needs --expose-internals to see the
// class; on a Node without AsyncContextFrame (20, and 22 by default) there is nothing to check.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '../helpers/child.js';
import { request } from '../helpers/http.js';

// Reports the prototype's name at the first process.nextTick and again after a timer has
// fired (by then Node has decided either way).
const PROBE = `
let frame;
try { frame = require('internal/async_context_frame'); } catch { process._rawDebug('probe: no AsyncContextFrame'); return; }
const proto = () => Object.getPrototypeOf(frame).name;
const tick = process.nextTick;
let first = '';
process.nextTick = function (...args) {
  if (first === '') first = proto();
  return tick.apply(this, args);
};
process.on('SIGUSR2', () => setTimeout(() => process._rawDebug('probe: first tick ' + (first || 'none') + ', settled ' + proto()), 1));
`;

test('the server settles AsyncContextFrame before its first process.nextTick', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'turbina-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const probe = join(dir, 'probe.cjs');
  writeFileSync(probe, PROBE);
  const { child, port } = await startServer([], {}, ['--expose-internals', '--require', probe]);
  try {
    assert.equal((await request(port, '/products/1')).status, 200);
    child.kill('SIGUSR2');
    const deadline = Date.now() + 5000;
    while (!child.stderr().includes('probe:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const report = /probe: (.*)/.exec(child.stderr())?.[1];
    assert.ok(report !== undefined, `the probe said nothing; stderr:\n${child.stderr()}`);
    if (report === 'no AsyncContextFrame' || report.endsWith('settled InactiveAsyncContextFrame')) {
      t.skip(`AsyncContextFrame is off on Node ${process.versions.node} (${report})`);
      return;
    }
    assert.equal(report, 'first tick ActiveAsyncContextFrame, settled ActiveAsyncContextFrame');
  } finally {
    child.kill('SIGKILL');
    await child.exited;
  }
});
