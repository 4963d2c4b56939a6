// Which outputs cluster workers write directly: regular files and /dev/null take each
// write whole; pipes (and anything unknown) go through the primary's line relay. A
// child process reports what it sees on its own fd 1, so real pipes, files and
// /dev/null are classified, not stand-ins.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { workerOutput } from '../../src/cluster/worker-stdio.js';

const MODULE = fileURLToPath(new URL('../../src/cluster/worker-stdio.js', import.meta.url));
const REPORT = `import(${JSON.stringify(MODULE)}).then((m) => process.stderr.write(m.workerOutput(1)))`;

/** What a child whose fd 1 is `stdout` makes of it (it answers on stderr). */
function seenBy(stdout: 'pipe' | 'ignore' | number): string {
  const child = spawnSync(process.execPath, ['-e', REPORT], { stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return child.stderr;
}

describe('workerOutput', () => {
  test('a pipe is relayed', () => {
    assert.equal(seenBy('pipe'), 'pipe');
  });

  test('/dev/null is inherited', () => {
    assert.equal(seenBy('ignore'), 'inherit');
  });

  test('a regular file is inherited', () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbina-stdio-'));
    const fd = openSync(join(dir, 'out.log'), 'a');
    try {
      assert.equal(seenBy(fd), 'inherit');
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a descriptor that is not open is relayed, not an error', () => {
    assert.equal(workerOutput(987), 'pipe');
  });
});
