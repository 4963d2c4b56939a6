// The product-l2 scenario's Redis: a redis-server started through the bench's helper (on a
// free port, through the placement it is given, answering PING before it returns, gone
// after stop), one that cannot start failing with its log named, and redis-benchmark's GET
// rate measured against it and read from its CSV.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseRedisBenchmarkCsv, productBlobBytes, redisBenchmarkArgs, runRedisBenchmark } from '../../scripts/bench/redis-benchmark.js';
import { answersPing, redisServerLaunch, startRedisServer } from '../../scripts/bench/redis-server.js';
import type { Launch } from '../../scripts/bench/targets.js';
import { SKIP_WITHOUT_REDIS } from '../helpers/redis.js';

const CSV =
  '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n' +
  '"SET","79365.08","0.661","0.304","0.623","1.031","1.487","3.071"\n' +
  '"GET","75187.97","0.677","0.312","0.671","0.791","1.071","2.687"\n';

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

test('the launch: no persistence, loopback only, on the port', () => {
  assert.deepEqual(redisServerLaunch(6400), {
    command: 'redis-server',
    args: ['--port', '6400', '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
    env: {},
  });
});

test("redis-benchmark: SET then GET (so each GET reads a value) of the given size; the GET row's rate and p99", () => {
  assert.deepEqual(redisBenchmarkArgs(6400, 302), ['-h', '127.0.0.1', '-p', '6400', '-t', 'set,get', '-n', '200000', '-c', '100', '-d', '302', '-q', '--csv']);
  assert.deepEqual(parseRedisBenchmarkCsv(CSV), { getPerSec: 75187.97, p99Ms: 1.071 });
  assert.equal(parseRedisBenchmarkCsv(CSV.split('\n').slice(0, 2).join('\n')), undefined, 'no GET row');
  assert.equal(parseRedisBenchmarkCsv(''), undefined);
  assert.equal(parseRedisBenchmarkCsv(CSV.replace('"75187.97"', '"n/a"')), undefined);
  // About a product's JSON, as an L2 hit reads it.
  assert.ok(productBlobBytes() > 200 && productBlobBytes() < 500, String(productBlobBytes()));
});

describe('a redis-server started by the bench', { skip: SKIP_WITHOUT_REDIS, timeout: 20_000 }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'turbina-bench-redis-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('answers PING on its URL once started, through the placement given, and is gone after stop', async () => {
    const placed: Launch[] = [];
    const redis = await startRedisServer((launch) => {
      placed.push(launch);
      return launch;
    }, join(dir, 'redis.log'));
    try {
      assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
      assert.deepEqual(placed, [redisServerLaunch(redis.port)]);
      assert.equal(await answersPing(redis.port), true);
      assert.match(commandLine(redis.pid), new RegExp(`redis-server 127\\.0\\.0\\.1:${redis.port}`));

      const rate = await runRedisBenchmark('product-l2', redis.port, 300, 2000);
      assert.equal(rate.scenario, 'product-l2');
      assert.equal(rate.valueBytes, 300);
      assert.ok(rate.getPerSec > 0 && rate.p99Ms >= 0, JSON.stringify(rate));
      assert.match(rate.command, new RegExp(`^redis-benchmark -h 127\\.0\\.0\\.1 -p ${redis.port} -t set,get -n 2000 `));
    } finally {
      await redis.stop();
    }
    assert.equal(await answersPing(redis.port), false, 'still answering after stop');
    assert.equal(commandLine(redis.pid), '', 'the process is still there');
  });

  test('one that cannot start (a bad option) fails, naming its log', async () => {
    const failing = startRedisServer((launch) => ({ ...launch, args: [...launch.args, '--no-such-option', 'x'] }), join(dir, 'bad.log'), 3000);
    await assert.rejects(failing, (error: Error) => {
      assert.match(error.message, /did not answer PING/);
      assert.ok(error.message.includes(join(dir, 'bad.log')), error.message);
      return true;
    });
  });
});
