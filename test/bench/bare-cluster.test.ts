// The bare node:http cluster peer (node-bare-cluster), as the bench starts it: a primary
// and its workers, both workers answering with the single peer's bytes but for their own
// request-id prefix, each worker with its own listening socket where Node has
// SO_REUSEPORT (the primary's shared one elsewhere), /healthz for the startup
// measurement, and SIGTERM to the primary alone ending the whole group.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { processTree } from '../../scripts/bench/proc-stats.js';
import { freePort, startTarget, type RunningTarget } from '../../scripts/bench/run-target.js';
import { CLUSTER_WORKERS, TARGETS } from '../../scripts/bench/targets.js';
import { reusePortSupported } from '../../src/platform/node-features.js';
import { eventually, request } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';

const ENV = { STORE_LATENCY_MS: '0' };

async function start(name: string, dir: string): Promise<{ port: number; server: RunningTarget }> {
  const target = TARGETS.find((t) => t.name === name);
  assert.ok(target !== undefined, name);
  const port = await freePort();
  return { port, server: await startTarget(target.launch(port, ENV), port, join(dir, `${name}.log`)) };
}

/** Alive and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The inodes of the IPv4 sockets listening on `port` (/proc/net/tcp, state 0A). */
function listeningInodes(port: number): Set<string> {
  const hexPort = ':' + port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(hexPort) === true && fields[3] === '0A' && fields[9] !== undefined) inodes.add(fields[9]);
  }
  return inodes;
}

/** How many of `inodes` the process holds open. */
function holds(pid: number, inodes: ReadonlySet<string>): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode !== undefined && inodes.has(inode)) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

/** A response with its Date and request id (a per-process prefix of the same length, and
 *  a per-process counter) made comparable. */
function normalised(response: string): string {
  return response.replace(/^Date: .*$/m, 'Date: -').replace(/^x-request-id: bare\d{4}-[0-9a-z]+\r$/m, 'x-request-id: bareNNNN-N\r');
}

const closing = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

describe('node-bare-cluster', () => {
  let dir = '';
  let single: { port: number; server: RunningTarget } | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'turbina-bare-cluster-'));
    single = await start('node-bare', dir);
  });
  after(async () => {
    await single?.server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a primary and its workers; both workers answer, with the single peer\'s bytes but for their request-id prefix', async () => {
    const cluster = await start('node-bare-cluster', dir);
    try {
      const tree = processTree(cluster.server.pid);
      assert.equal(tree.length, 1 + CLUSTER_WORKERS);
      const listening = listeningInodes(cluster.port);
      const workers = tree.filter((p) => p.pid !== cluster.server.pid).map((p) => holds(p.pid, listening));
      if (reusePortSupported()) {
        assert.equal(listening.size, CLUSTER_WORKERS, 'one SO_REUSEPORT socket per worker');
        assert.deepEqual([holds(cluster.server.pid, listening), ...workers], [0, ...workers.map(() => 1)]);
      } else {
        assert.equal(listening.size, 1, "node:cluster's one shared socket");
        assert.deepEqual([holds(cluster.server.pid, listening), ...workers], [1, ...workers.map(() => 0)]);
      }
      // Fresh connections until both workers have answered (the primary hands them out in
      // turn; SO_REUSEPORT spreads them by their ports).
      const prefixes = new Set<string>();
      for (let i = 0; i < 50 && prefixes.size < CLUSTER_WORKERS; i++) {
        const reply = await request(cluster.port, '/io?ms=0');
        assert.equal(reply.status, 200);
        prefixes.add(String(reply.headers['x-request-id']).slice(0, 9));
      }
      assert.deepEqual([...prefixes].sort(), ['bare0001-', 'bare0002-']);
      assert.equal(String((await request(single?.port ?? 0, '/io?ms=0')).headers['x-request-id']).slice(0, 9), 'bare0000-');

      for (const path of ['/io?ms=0', '/products/1', '/healthz']) {
        const [fromSingle, fromCluster] = await Promise.all([sendRaw(single?.port ?? 0, closing(path)), sendRaw(cluster.port, closing(path))]);
        assert.match(fromSingle, /^HTTP\/1\.1 200 OK\r\n/, path);
        assert.equal(normalised(fromCluster), normalised(fromSingle), path);
      }
      assert.deepEqual((await request(cluster.port, '/healthz')).json(), { status: 'ok' });
    } finally {
      await cluster.server.stop();
    }
  });

  test('SIGTERM to the primary alone stops its workers too', async () => {
    const cluster = await start('node-bare-cluster', dir);
    try {
      const pids = processTree(cluster.server.pid).map((p) => p.pid);
      assert.equal(pids.length, 1 + CLUSTER_WORKERS);
      process.kill(cluster.server.pid, 'SIGTERM');
      await eventually(() => pids.every((pid) => !alive(pid)), 'the primary and its workers to exit', 5000);
    } finally {
      await cluster.server.stop();
    }
  });
});
