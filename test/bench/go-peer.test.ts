// The Go peer against the inventory service, as the upstream scenarios run it: with
// STORE_URL a product miss is fetched, checked and cached (CACHE_TTL_MS), a 404 passes
// through, an upstream error or a body that is not a product is a 502 and a hang a 504
// after STORE_TIMEOUT_MS; without STORE_URL it keeps its simulated store.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, statusOf } from '../../scripts/bench/run-target.js';
import { PROJECT_ROOT } from '../../scripts/bench/targets.js';
import { generateProduct } from '../../src/products/catalog.js';
import { request } from '../helpers/http.js';
import { startInventory, type Inventory } from '../helpers/inventory.js';
import { hasCommand, skipWithout } from '../helpers/tools.js';

const SKIP = skipWithout(hasCommand('go', ['version']), 'go', 'apt-get install -y golang-go');

interface Peer {
  readonly port: number;
  stop(): Promise<void>;
}

describe('the Go peer with STORE_URL', { skip: SKIP }, () => {
  let dir = '';
  let binary = '';
  let inventory: Inventory;
  const peers: ChildProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'turbina-go-peer-'));
    binary = join(dir, 'go-peer');
    // The user's build cache (a warm one builds in about a second), as `npm run bench` may not.
    execFileSync('go', ['build', '-o', binary, '.'], {
      cwd: join(PROJECT_ROOT, 'scripts', 'peers', 'go'),
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'auto' },
      timeout: 120_000,
    });
    inventory = await startInventory({}, { catalogSize: 100 });
  });

  after(async () => {
    for (const peer of peers) peer.kill('SIGKILL');
    await inventory?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startPeer(env: Record<string, string>): Promise<Peer> {
    const port = await freePort();
    const child = spawn(binary, [], { env: { PATH: process.env['PATH'] ?? '', PORT: String(port), ...env }, stdio: 'ignore' });
    peers.push(child);
    const exited = once(child, 'exit');
    for (let i = 0; (await statusOf(port, '/healthz')) !== 200; i++) {
      if (i > 100 || child.exitCode !== null) throw new Error('the Go peer did not answer /healthz');
      await sleep(20);
    }
    return {
      port,
      stop: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  test('a miss is fetched once, checked and cached: the upstream product, MISS then HIT', async () => {
    await inventory.control({ errorRate: 0, garbageRate: 0, hangRate: 0 });
    const peer = await startPeer({ STORE_URL: inventory.url });
    try {
      await inventory.resetStats();
      const first = await request(peer.port, '/products/7');
      assert.equal(first.status, 200, first.text);
      assert.equal(first.headers['x-cache'], 'MISS');
      assert.deepEqual(first.json(), generateProduct(7));
      const second = await request(peer.port, '/products/7');
      assert.equal(second.headers['x-cache'], 'HIT');
      assert.equal(second.text, first.text);
      assert.deepEqual((await inventory.stats()).byOutcome.ok, 1);
      // Beyond the catalog: the upstream's 404, passed through.
      assert.equal((await request(peer.port, '/products/101')).status, 404);
      assert.equal((await inventory.stats()).byOutcome.notFound, 1);
    } finally {
      await peer.stop();
    }
  });

  test('an upstream error is a 502, every kind of garbage too, and none is cached', async () => {
    const peer = await startPeer({ STORE_URL: inventory.url });
    try {
      await inventory.control({ errorRate: 1, garbageRate: 0, hangRate: 0 });
      assert.equal((await request(peer.port, '/products/8')).status, 502);
      await inventory.control({ errorRate: 0, garbageRate: 1 });
      await inventory.resetStats();
      // The service takes its garbage kinds in turn: a dozen requests see each of them.
      for (let i = 0; i < 12; i++) {
        const reply = await request(peer.port, '/products/8');
        assert.equal(reply.status, 502, `garbage answer ${i}: ${reply.status} ${reply.text}`);
      }
      assert.equal((await inventory.stats()).byOutcome.garbage, 12);
      await inventory.control({ garbageRate: 0 });
      const good = await request(peer.port, '/products/8');
      assert.equal(good.status, 200);
      assert.equal(good.headers['x-cache'], 'MISS');
    } finally {
      await inventory.control({ errorRate: 0, garbageRate: 0 });
      await peer.stop();
    }
  });

  test('a hang is a 504 after STORE_TIMEOUT_MS', async () => {
    const peer = await startPeer({ STORE_URL: inventory.url, STORE_TIMEOUT_MS: '300' });
    try {
      await inventory.control({ hangRate: 1 });
      const started = performance.now();
      const reply = await request(peer.port, '/products/9');
      const ms = performance.now() - started;
      assert.equal(reply.status, 504);
      assert.ok(ms >= 290 && ms < 1500, `answered after ${ms.toFixed(0)} ms`);
    } finally {
      await inventory.control({ hangRate: 0 });
      await peer.stop();
    }
  });

  test('CACHE_TTL_MS bounds the cached copy: after it, the product is fetched again', async () => {
    const peer = await startPeer({ STORE_URL: inventory.url, CACHE_TTL_MS: '150' });
    try {
      await inventory.resetStats();
      assert.equal((await request(peer.port, '/products/10')).headers['x-cache'], 'MISS');
      assert.equal((await request(peer.port, '/products/10')).headers['x-cache'], 'HIT');
      await sleep(250);
      assert.equal((await request(peer.port, '/products/10')).headers['x-cache'], 'MISS');
      assert.equal((await inventory.stats()).byOutcome.ok, 2);
    } finally {
      await peer.stop();
    }
  });

  test('without STORE_URL: the simulated store, the upstream never asked', async () => {
    const peer = await startPeer({ STORE_LATENCY_MS: '0' });
    try {
      await inventory.resetStats();
      const reply = await request(peer.port, '/products/11');
      assert.equal(reply.status, 200);
      assert.equal(reply.json<{ name: string }>().name, 'Bright Cotton Clock');
      assert.equal((await inventory.stats()).requests, 0);
    } finally {
      await peer.stop();
    }
  });
});
