// Loading the server's modules must not load undici (with http2 and tls): an ESM import of
// node:http does, on Node 22 and later, by reading its lazy WebSocket exports, and that
// was most of the start-up time. platform/node-http.ts requires it instead.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** dist/suite/test/platform/ -> dist/index.js and dist/server.js (what users and the CLI load). */
const INDEX = fileURLToPath(new URL('../../../index.js', import.meta.url));

function loadedAfter(script: string): string[] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `${script}; process.stdout.write(JSON.stringify(process.moduleLoadList))`], { encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(out) as string[];
}

test('importing the package loads neither undici nor http2 (and the probe sees them when node:http is imported as ESM)', () => {
  const ours = loadedAfter(`await import(${JSON.stringify(INDEX)})`);
  assert.ok(ours.some((m) => m.includes('_http_server')), 'node:http itself is loaded');
  assert.deepEqual(ours.filter((m) => /undici|http2/.test(m)), []);
  // The trap the module avoids, where this Node has it (22 and later): proof the probe can fail.
  const esm = loadedAfter(`await import('node:http')`);
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) assert.ok(esm.some((m) => m.includes('undici')), 'an ESM import of node:http loads undici on this Node');
});
