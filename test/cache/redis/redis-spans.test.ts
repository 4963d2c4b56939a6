// The CLIENT spans of the Redis commands a request causes (RedisCache with a parent span):
// against a real redis-server, the read, the add and the tombstone with the database
// conventions' attributes and nothing of the key, the value or the URL's credentials;
// a server's error reply; nothing for an unsampled or untraced request, nor for the
// variant write-back. Against a fake server: a timeout, a lost connection, and an open
// breaker or a server that is down (the command not sent, and the span says so).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RedisCache, type RedisCacheOptions } from '../../../src/cache/redis/redis-cache.js';
import { RedisClient } from '../../../src/cache/redis/redis-client.js';
import { Logger } from '../../../src/log/logger.js';
import type { FinishedSpan } from '../../../src/trace/span.js';
import { FakeRedis } from '../../helpers/fake-redis.js';
import { eventually } from '../../helpers/http.js';
import { SKIP_WITHOUT_REDIS, startRedis, type TestRedis } from '../../helpers/redis.js';
import { captureSpans } from '../../helpers/spans.js';

const PASSWORD = 'sekret-pw';
const KEY = 'product-4242';

const opened: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(opened.map((made) => made.close()));
});

function cache(url: string, options: Partial<RedisCacheOptions> = {}): RedisCache {
  const redis = new RedisCache({
    url,
    keyPrefix: 'spans:',
    timeoutMs: 500,
    maxValueBytes: 1 << 20,
    onInvalidate: () => {},
    onReconnect: () => {},
    logger: new Logger('error', () => {}),
    ...options,
  });
  opened.push(redis);
  return redis;
}

function failure(span: FinishedSpan | undefined): { type: unknown; status: string | undefined } {
  return { type: span?.attributes['error.type'], status: span?.status.code };
}

describe('Redis command spans on a real redis-server', { skip: SKIP_WITHOUT_REDIS, timeout: 20_000 }, () => {
  let server: TestRedis;
  let url: string;

  before(async () => {
    server = await startRedis(['--requirepass', PASSWORD]);
    // Database 3, with credentials: the span names the database, never the password.
    url = `redis://:${PASSWORD}@127.0.0.1:${server.port}/3`;
  });
  after(() => server.stop());

  test("a miss, the add after a load, a hit, the tombstone and a read of it: one CLIENT span each under the request's span", async () => {
    const redis = cache(url);
    await eventually(() => redis.usable, 'redis to be ready', 5000);
    const { spans, server: request } = captureSpans();
    const parent = request();
    assert.equal(await redis.get(KEY, parent), undefined);
    redis.add(KEY, Buffer.from('{"id":4242,"name":"value bytes"}'), 10_000, parent);
    assert.ok(await redis.get(KEY, parent));
    await redis.delete(KEY, parent);
    assert.deepEqual(await redis.get(KEY, parent), Buffer.alloc(0));
    await eventually(() => spans.length === 5, 'five command spans');

    assert.deepEqual(spans.map((span) => span.name), ['GET', 'SET', 'GET', 'SET', 'GET']);
    const common = { 'db.system.name': 'redis', 'db.namespace': '3', 'server.address': '127.0.0.1', 'server.port': server.port };
    assert.deepEqual(spans[0]?.attributes, { ...common, 'db.operation.name': 'GET', 'turbina.cache.hit': false });
    assert.deepEqual(spans[1]?.attributes, { ...common, 'db.operation.name': 'SET' });
    assert.deepEqual(spans[2]?.attributes, { ...common, 'db.operation.name': 'GET', 'turbina.cache.hit': true });
    assert.deepEqual(spans[3]?.attributes, { ...common, 'db.operation.name': 'SET' });
    // The tombstone is an empty value: no hit.
    assert.deepEqual(spans[4]?.attributes, { ...common, 'db.operation.name': 'GET', 'turbina.cache.hit': false });
    for (const span of spans) {
      assert.equal(span.kind, 'client');
      assert.equal(span.traceId, parent.traceId);
      assert.equal(span.parentSpanId, parent.spanId);
      assert.deepEqual(span.status, { code: 'unset' });
      assert.ok(span.startMs <= span.endMs);
    }
    const text = JSON.stringify(spans);
    assert.ok(!text.includes(KEY) && !text.includes('4242') && !text.includes(PASSWORD), `no key, value or password in ${text}`);

    // The variant write-back and a discard belong to no request: no span, traced or not.
    redis.replace(KEY, 'T1\t', Buffer.from('x'));
    redis.discard(KEY);
    assert.equal(await redis.get(KEY), undefined);
    assert.equal(spans.length, 5);
  });

  test('an unsampled request, and an untraced one, record nothing', async () => {
    const redis = cache(url);
    await eventually(() => redis.usable, 'redis to be ready', 5000);
    const { spans, server: request } = captureSpans();
    const quiet = request(false);
    await redis.get(KEY, quiet);
    redis.add(KEY, Buffer.from('v'), 10_000, quiet);
    await redis.delete(KEY, quiet);
    await redis.get(KEY);
    redis.add(KEY, Buffer.from('v'), 10_000);
    await redis.delete(KEY);
    assert.deepEqual(spans, []);
  });

  test("a server's error reply: error status, its code as error.type and db.response.status_code", async () => {
    const redis = cache(url);
    await eventually(() => redis.usable, 'redis to be ready', 5000);
    const admin = new RedisClient({ url, maxQueue: 10, commandTimeoutMs: 2000, maxBulkBytes: 1 << 20, reconnectBaseMs: 20, reconnectMaxMs: 100 });
    opened.push(admin);
    await admin.send(['LPUSH', 'spans:1:a-list', 'x']);
    const { spans, server: request } = captureSpans();
    assert.equal(await redis.get('a-list', request()), undefined);
    const [span] = spans;
    assert.equal(span?.name, 'GET');
    assert.equal(span?.attributes['db.response.status_code'], 'WRONGTYPE');
    assert.deepEqual(failure(span), { type: 'WRONGTYPE', status: 'error' });
    assert.match(span?.status.message ?? '', /^WRONGTYPE /);
  });
});

describe('Redis command spans when Redis fails', { timeout: 20_000 }, () => {
  test('timeouts, then the breaker open: each a failed span; once open, nothing is sent and the span says why', async () => {
    const fake = new FakeRedis();
    fake.answerGet = () => undefined;
    const port = await fake.listen();
    try {
      const redis = cache(`redis://127.0.0.1:${port}`, { timeoutMs: 30, breakerOpenMs: 60_000 });
      const { spans, server: request } = captureSpans();
      for (let read = 0; read < 5; read++) {
        await eventually(() => redis.state === 'ready', `connection ${read + 1}`, 5000);
        assert.equal(await redis.get(KEY, request()), undefined);
      }
      assert.equal(spans.length, 5);
      for (const span of spans) {
        assert.deepEqual(failure(span), { type: 'timeout', status: 'error' });
        assert.equal(span.status.message, 'Redis command timed out after 30 ms');
        assert.ok(span.endMs - span.startMs >= 25, `waited for the timeout: ${span.endMs - span.startMs} ms`);
      }
      await eventually(() => redis.state === 'ready', 'a connection again', 5000);
      assert.equal(redis.stats().breaker.state, 'open');
      redis.add(KEY, Buffer.from('v'), 10_000, request());
      assert.equal(await redis.get(KEY, request()), undefined);
      assert.equal(fake.commands('GET').length, 5, 'nothing sent while open');
      assert.equal(fake.commands('SET').length, 0);
      assert.deepEqual(spans.slice(5).map((span) => [span.name, ...Object.values(failure(span))]), [
        ['SET', 'breaker-open', 'error'],
        ['GET', 'breaker-open', 'error'],
      ]);
    } finally {
      fake.close();
    }
  });

  test('a connection lost mid-command, then Redis down: the read fails as connection-lost, later commands are not sent (down)', async () => {
    const fake = new FakeRedis();
    fake.answerGet = () => undefined;
    const port = await fake.listen();
    const redis = cache(`redis://127.0.0.1:${port}`, { timeoutMs: 5000 });
    await eventually(() => redis.state === 'ready', 'a connection', 5000);
    const { spans, server: request } = captureSpans();
    const read = redis.get(KEY, request());
    await eventually(() => fake.commands('GET').length === 1, 'the GET to arrive');
    fake.close();
    assert.equal(await read, undefined);
    assert.deepEqual(failure(spans[0]), { type: 'connection-lost', status: 'error' });
    const state = redis.state;
    assert.ok(state === 'down' || state === 'connecting', state);

    assert.equal(await redis.get(KEY, request()), undefined);
    // The tombstone is not guarded by the breaker: the client refuses it while down.
    await assert.rejects(redis.delete(KEY, request()));
    assert.deepEqual(spans.slice(1).map((span) => [span.name, ...Object.values(failure(span))]), [
      ['GET', state, 'error'],
      ['SET', 'down', 'error'],
    ]);
  });
});
