// --server-cores: which cores the servers and the load generator get, and the refusals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSideLaunch, pinnedLaunch, planPinning } from '../../scripts/bench/pinning.js';
import { hasCommand, skipWithout } from '../helpers/tools.js';

const SKIP = skipWithout(hasCommand('taskset', ['--version']), 'taskset', 'apt-get install -y util-linux');

const fail = (message: string): never => {
  throw new Error(message);
};

test('a list, a range or one core: the servers get those, the load generator the rest', { skip: SKIP }, () => {
  assert.deepEqual(planPinning('0', 2, fail), { serverCores: '0', loadCores: '1' });
  assert.deepEqual(planPinning('0-1', 4, fail), { serverCores: '0,1', loadCores: '2,3' });
  assert.deepEqual(planPinning('3,1', 4, fail), { serverCores: '1,3', loadCores: '0,2' });
});

test('refused: a core the machine lacks, no core left for the load, junk', { skip: SKIP }, () => {
  assert.throws(() => planPinning('5', 2, fail), /cores 0 to 1, not 5/);
  assert.throws(() => planPinning('0,1', 2, fail), /at least one core for the load generator/);
  for (const junk of ['a', '0-', '-1', '0;1', '']) assert.throws(() => planPinning(junk, 2, fail), /--server-cores must be a list/, junk);
});

test('a pinned launch runs the same command under taskset on the server cores', () => {
  const launch = { command: '/usr/bin/node', args: ['dist/server.js'], env: { PORT: '1' } };
  assert.deepEqual(pinnedLaunch(launch, { serverCores: '0', loadCores: '1' }), {
    command: 'taskset',
    args: ['-c', '0', '/usr/bin/node', 'dist/server.js'],
    env: { PORT: '1' },
  });
});

test("a load-side launch (the scenarios' upstream service) runs under taskset on the load generator's cores", () => {
  const launch = { command: '/usr/bin/node', args: ['inventory.js'], env: { PORT: '2' } };
  assert.deepEqual(loadSideLaunch(launch, { serverCores: '0', loadCores: '1,2' }), {
    command: 'taskset',
    args: ['-c', '1,2', '/usr/bin/node', 'inventory.js'],
    env: { PORT: '2' },
  });
});
