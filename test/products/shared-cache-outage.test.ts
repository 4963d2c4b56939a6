// Redis failing under two real server processes: hung (SIGSTOP), then killed (SIGKILL)
// under load, then back on the same port. Redis is an optimisation: every request is still
// answered, none waits much past REDIS_TIMEOUT_MS, and the shared cache works again once
// Redis is back. One redis-server and one pair of servers for the whole story, in order.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type Child } from '../helpers/child.js';
import { eventuallyAsync, request } from '../helpers/http.js';
import { SKIP_WITHOUT_REDIS, startRedis, type TestRedis } from '../helpers/redis.js';
import { redisStats, untilTracking } from '../helpers/shared-cache.js';

const REDIS_TIMEOUT_MS = 300;
/** What a busy 2-core machine may add to a request beyond the Redis timeout. */
const MARGIN_MS = 400;

interface Sample {
  readonly startedAt: number;
  readonly ms: number;
  readonly status: number;
  readonly cache: string;
}

/** `clients` keep-alive clients, each asking for a product at a time until stopAt: mostly
 *  ids 1 to 5 (process-cache hits), every fourth a new id (a miss that asks Redis). */
async function load(port: number, clients: number, stopAt: number, firstNewId: number): Promise<Sample[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const samples: Sample[] = [];
  let n = 0;
  const client = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      const i = n++;
      const path = i % 4 === 3 ? `/products/${firstNewId + i}` : `/products/${(i % 5) + 1}`;
      const startedAt = performance.now();
      const reply = await request(port, path, { agent });
      samples.push({ startedAt, ms: performance.now() - startedAt, status: reply.status, cache: String(reply.headers['x-cache']) });
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, client));
  } finally {
    agent.destroy();
  }
  return samples;
}

async function readyzRedis(port: number): Promise<string> {
  const reply = await request(port, '/readyz');
  assert.equal(reply.status, 200, reply.text);
  return reply.json<{ redis: string }>().redis;
}

describe('Redis hung, killed and back, under two server processes', { skip: SKIP_WITHOUT_REDIS, timeout: 30_000 }, () => {
  let redis: TestRedis;
  let a: { child: Child; port: number };
  let b: { child: Child; port: number };
  before(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS) };
    [a, b] = await Promise.all([startServer([], env), startServer([], env)]);
    await Promise.all([untilTracking(a.port), untilTracking(b.port)]);
  });
  after(async () => {
    a?.child.kill('SIGKILL');
    b?.child.kill('SIGKILL');
    if (redis?.proc().signalCode === null) redis.proc().kill('SIGCONT');
    await redis?.stop();
  });

  test('Redis hangs: misses wait REDIS_TIMEOUT_MS at most, then skip Redis while it is redialled; hits never wait', async () => {
    for (const id of [1, 2]) assert.equal((await request(a.port, `/products/${id}`)).headers['x-cache'], 'MISS');
    redis.proc().kill('SIGSTOP');
    try {
      // Misses together, as under load: their reads all hang, and all time out.
      const timed = async (path: string): Promise<{ ms: number; cache: unknown }> => {
        const startedAt = performance.now();
        const reply = await request(a.port, path);
        assert.equal(reply.status, 200, reply.text);
        return { ms: performance.now() - startedAt, cache: reply.headers['x-cache'] };
      };
      const together = await Promise.all([...Array.from({ length: 8 }, (_, i) => timed(`/products/${100 + i}`)), timed('/products/1')]);
      const hit = together.pop()!;
      assert.equal(hit.cache, 'HIT');
      assert.ok(hit.ms < REDIS_TIMEOUT_MS, `a hit took ${Math.round(hit.ms)} ms while Redis hung`);
      assert.ok(together.every((r) => r.cache === 'MISS'));
      const slowest = Math.max(...together.map((r) => r.ms));
      assert.ok(slowest < REDIS_TIMEOUT_MS + MARGIN_MS, `a miss took ${Math.round(slowest)} ms`);
      const stats = await redisStats(a.port);
      // The timeout dropped the connection; the redial's handshake cannot finish.
      assert.notEqual(stats.state, 'ready', JSON.stringify(stats));
      assert.ok(stats.timeouts >= 1, `timeouts: ${stats.timeouts}`);
      // One stall is one failure for the breaker, not one per command it failed.
      assert.equal(stats.breaker.state, 'closed', JSON.stringify(stats));
      // Misses now skip Redis without waiting for it.
      const skipped = stats.skipped;
      for (let id = 110; id < 114; id++) {
        const miss = await timed(`/products/${id}`);
        assert.equal(miss.cache, 'MISS');
        assert.ok(miss.ms < REDIS_TIMEOUT_MS, `a miss took ${Math.round(miss.ms)} ms while Redis was redialled`);
      }
      assert.ok((await redisStats(a.port)).skipped >= skipped + 4, 'the misses skipped Redis');
      assert.notEqual(await readyzRedis(a.port), 'ready');
    } finally {
      redis.proc().kill('SIGCONT');
    }
  });

  test('Redis killed under load: no 5xx, nothing waits past REDIS_TIMEOUT_MS, hits go on; back on its port, B uses it again', async () => {
    const start = performance.now();
    const killAt = start + 400;
    const killing = sleep(400).then(() => redis.kill());
    const samples = await load(b.port, 4, start + 1400, 1000);
    await killing;
    const bad = samples.filter((s) => s.status >= 500);
    assert.deepEqual(bad, [], 'no 5xx');
    const afterDeath = samples.filter((s) => s.startedAt > killAt);
    assert.ok(afterDeath.length > 100, `only ${afterDeath.length} requests after Redis died`);
    const slowest = Math.max(...afterDeath.map((s) => s.ms));
    assert.ok(slowest < REDIS_TIMEOUT_MS + MARGIN_MS, `a request took ${Math.round(slowest)} ms after Redis died`);
    assert.ok(afterDeath.filter((s) => s.cache === 'HIT').length > afterDeath.length / 2, 'the process cache kept hitting');
    assert.ok(afterDeath.some((s) => s.cache === 'MISS'), 'misses went to the store');

    const stats = await redisStats(b.port);
    assert.notEqual(stats.state, 'ready');
    assert.ok(stats.skipped > 0, 'misses skipped the dead Redis');
    // Between redials the state is down; during one, connecting.
    assert.match(await readyzRedis(b.port), /^(down|connecting): serving from the process cache and the store$/);

    await redis.restart();
    await eventuallyAsync(async () => (await redisStats(b.port)).tracking, 'B back on Redis', 7000);
    const prometheus = (await request(b.port, '/metrics?format=prometheus')).text;
    assert.match(prometheus, /^turbina_redis_up 1$/m);
    assert.equal(await readyzRedis(b.port), 'ready');
  });

  test('Redis back: each instance serves what the other wrote (HIT-L2)', async () => {
    await eventuallyAsync(async () => (await redisStats(a.port)).tracking, 'A back on Redis', 7000);
    for (const [writer, reader, id] of [
      [b, a, 3000],
      [a, b, 3001],
    ] as const) {
      const pushed = (await redisStats(reader.port)).invalidations;
      assert.equal((await request(writer.port, `/products/${id}`)).headers['x-cache'], 'MISS');
      await eventuallyAsync(async () => (await redisStats(reader.port)).invalidations > pushed, 'the push of the write');
      const reply = await request(reader.port, `/products/${id}`);
      assert.equal(reply.headers['x-cache'], 'HIT-L2', `id ${id}`);
    }
  });
});
