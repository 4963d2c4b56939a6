// RedisClient against real redis-server processes: the handshake (HELLO 3, ACL AUTH, SELECT,
// the RESP2 fallback against a fake server), pipelining and its one write per tick, error
// replies, the queue bound, timeouts, a killed server and the reconnect, and RESP3 pushes.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { RedisClient, RedisClientError, type RedisClientOptions, type RedisState } from '../../../src/cache/redis/redis-client.js';
import { RedisError, RespPush, type RespValue } from '../../../src/cache/redis/resp.js';
import { eventually } from '../../helpers/http.js';
import { SKIP_WITHOUT_REDIS, startRedis, type TestRedis } from '../../helpers/redis.js';

const clients: RedisClient[] = [];
/** Fake servers and proxies, closed after the file's tests even when one fails midway. */
const servers: net.Server[] = [];

/** A client closed after the file's tests; `url` overrides the options' default. */
function client(url: string, options: Partial<RedisClientOptions> = {}): RedisClient {
  const made = new RedisClient({ url, maxQueue: 2000, commandTimeoutMs: 2000, maxBulkBytes: 1 << 20, reconnectBaseMs: 10, reconnectMaxMs: 50, ...options });
  clients.push(made);
  return made;
}

async function ready(redis: RedisClient): Promise<void> {
  await eventually(() => redis.state === 'ready', 'the client to be ready');
}

/** What a promise settles with, without throwing. */
async function settle(promise: Promise<RespValue>): Promise<RespValue | Error> {
  try {
    return await promise;
  } catch (error) {
    return error as Error;
  }
}

function failure(kind: string): (error: unknown) => boolean {
  return (error) => error instanceof RedisClientError && error.kind === kind;
}

after(async () => {
  await Promise.all(clients.map((made) => made.close()));
  for (const server of servers) server.close();
});

describe('RedisClient on a shared redis-server', { skip: SKIP_WITHOUT_REDIS, timeout: 10_000 }, () => {
  let server: TestRedis;
  before(async () => {
    server = await startRedis();
  });
  after(() => server.stop());

  test('HELLO 3 gives RESP3; binary values round-trip; commands sent before ready wait for it', async () => {
    const redis = client(server.url);
    assert.equal(redis.state, 'connecting');
    const value = Buffer.from([0, 1, 2, 13, 10, 255, 254, 0x24]);
    const set = redis.send(['SET', 'bin', value]);
    const get = redis.send(['GET', Buffer.from('bin')]);
    assert.equal(await set, 'OK');
    assert.deepEqual(await get, value);
    assert.equal(redis.protocol, 3);
    assert.equal(await redis.send(['GET', 'missing']), null);
    assert.equal(await redis.send(['INCRBY', 'n', 5]), 5);
    const hello = await redis.send(['HELLO']);
    assert.ok(hello instanceof Map);
    assert.equal(hello.get('proto'), 3);
    const stats = redis.stats();
    assert.equal(stats.state, 'ready');
    assert.equal(stats.sent, 5);
    assert.equal(stats.replies, 5);
    assert.equal(stats.pending, 0);
  });

  test('AUTH as an ACL user with a percent-encoded password; a wrong password fails the commands without echoing it', async () => {
    const admin = client(server.url);
    assert.equal(await admin.send(['ACL', 'SETUSER', 'app', 'on', '>p@ss:w/rd', '~*', '+@all']), 'OK');
    const app = client(`redis://app:p%40ss%3Aw%2Frd@127.0.0.1:${server.port}`);
    assert.deepEqual(await app.send(['ACL', 'WHOAMI']), Buffer.from('app'));
    assert.equal(app.protocol, 3);

    const states: string[] = [];
    const wrong = client(`redis://app:not-it@127.0.0.1:${server.port}`, { onState: (state, reason) => states.push(`${state}: ${reason}`) });
    await assert.rejects(wrong.send(['PING']), (error: Error) => {
      assert.ok(error instanceof RedisClientError && error.kind === 'connection-lost', String(error));
      assert.match(error.message, /WRONGPASS/);
      assert.ok(!error.message.includes('not-it'));
      return true;
    });
    assert.ok(states.some((line) => /^down: HELLO failed: WRONGPASS/.test(line)), states.join('\n'));
    // After a failed handshake it is down: send() fails fast instead of waiting for the next attempt.
    await wrong.close();
  });

  test('SELECT the URL database', async () => {
    const db3 = client(`${server.url}/3`);
    const db0 = client(server.url);
    assert.equal(await db3.send(['SET', 'only-in-3', 'x']), 'OK');
    assert.equal(await db0.send(['GET', 'only-in-3']), null);
    assert.deepEqual(await db3.send(['GET', 'only-in-3']), Buffer.from('x'));
    const info = await db3.send(['CLIENT', 'INFO']);
    assert.match(String(info), / db=3 /);
  });

  test('1000 concurrent commands get their own replies, in order', async () => {
    const redis = client(server.url);
    await ready(redis);
    const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => redis.send(['ECHO', `m${i}`])));
    replies.forEach((reply, i) => assert.deepEqual(reply, Buffer.from(`m${i}`)));
    assert.equal(redis.stats().replies, 1000);
  });

  test('a server error rejects only its command; the connection stays', async () => {
    const redis = client(server.url);
    const set = redis.send(['SET', 'str', 'v']);
    const wrongType = redis.send(['LPUSH', 'str', 'x']).then(() => 'resolved', (error: unknown) => error);
    const get = redis.send(['GET', 'str']);
    assert.equal(await set, 'OK');
    const error = await wrongType;
    assert.ok(error instanceof RedisError, String(error));
    assert.equal(error.code, 'WRONGTYPE');
    assert.deepEqual(await get, Buffer.from('v'));
    assert.equal(redis.state, 'ready');
    assert.equal(redis.stats().errors, 1);
    assert.equal(redis.stats().reconnects, 0);
  });

  test('beyond maxQueue send() rejects at once and is counted', async () => {
    const redis = client(server.url, { maxQueue: 10 });
    await ready(redis);
    const sent = Array.from({ length: 15 }, (_, i) => settle(redis.send(['ECHO', String(i)])));
    assert.equal(redis.stats().pending, 10);
    const results = await Promise.all(sent);
    assert.deepEqual(results.slice(0, 10), Array.from({ length: 10 }, (_, i) => Buffer.from(String(i))));
    for (const result of results.slice(10)) assert.ok(failure('queue-full')(result), String(result));
    assert.equal(redis.stats().rejectedQueueFull, 5);
  });

  test('commands issued in one tick reach the server in one write', async () => {
    const proxy = await countingProxy(server.port);
    const redis = client(`redis://127.0.0.1:${proxy.port}`);
    await ready(redis);
    const before = proxy.chunks.length;
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => redis.send(['ECHO', `p${i}`])));
    assert.equal(replies.length, 50);
    const chunks = proxy.chunks.slice(before);
    assert.equal(chunks.length, 1, `${chunks.length} writes for 50 commands`);
    assert.equal((chunks[0]?.toString('latin1').match(/ECHO/g) ?? []).length, 50);
  });

  test('CLIENT TRACKING ON: another connection writing a tracked key sends an invalidation push to onPush', async () => {
    const pushes: RespPush[] = [];
    const tracked = client(server.url, { onPush: (push) => pushes.push(push) });
    const writer = client(server.url);
    assert.equal(await tracked.send(['CLIENT', 'TRACKING', 'ON']), 'OK');
    await writer.send(['SET', 'tracked', '1']);
    await tracked.send(['GET', 'tracked']);
    await writer.send(['SET', 'tracked', '2']);
    await eventually(() => pushes.length > 0, 'an invalidation push');
    const [kind, keys] = pushes[0]?.items ?? [];
    assert.deepEqual(kind, Buffer.from('invalidate'));
    assert.deepEqual(keys, [Buffer.from('tracked')]);
    // The push was not taken as a reply: the next command still gets its own.
    assert.equal(await tracked.send(['PING']), 'PONG');
  });
});

describe('RedisClient when the server fails', { skip: SKIP_WITHOUT_REDIS, timeout: 10_000 }, () => {
  test('a server that stops answering: the command times out and the connection is redialled', async () => {
    const server = await startRedis();
    try {
      const redis = client(server.url, { commandTimeoutMs: 200 });
      await ready(redis);
      server.proc().kill('SIGSTOP');
      const start = performance.now();
      const first = settle(redis.send(['PING']));
      const second = settle(redis.send(['PING']));
      const results = await Promise.all([first, second]);
      const took = performance.now() - start;
      assert.ok(failure('timeout')(results[0]), String(results[0]));
      assert.ok(failure('connection-lost')(results[1]), String(results[1]));
      assert.ok(took >= 190 && took < 1000, `timed out after ${took} ms`);
      assert.equal(redis.stats().timeouts, 1);
      server.proc().kill('SIGCONT');
      await eventually(() => redis.stats().reconnects === 1 && redis.state === 'ready', 'a reconnect', 3000);
      assert.equal(await redis.send(['PING']), 'PONG');
    } finally {
      server.proc().kill('SIGCONT');
      await server.stop();
    }
  });

  test('killed mid-load: everything pending fails at once, send() fails fast while down, reconnects on restart', async () => {
    const server = await startRedis();
    try {
      const states: RedisState[] = [];
      const redis = client(server.url, { commandTimeoutMs: 5000, onState: (state) => states.push(state) });
      await ready(redis);
      // BLPOP blocks the connection: the 200 commands behind it stay in flight until the kill.
      const pending = [settle(redis.send(['BLPOP', 'never', 0])), ...Array.from({ length: 200 }, (_, i) => settle(redis.send(['ECHO', String(i)])))];
      await eventually(() => redis.stats().sent === 201, 'the commands to be written');
      const killedAt = performance.now();
      await server.kill();
      const results = await Promise.all(pending);
      const took = performance.now() - killedAt;
      assert.ok(took < 500, `pending commands failed ${took} ms after the kill`);
      for (const result of results) assert.ok(failure('connection-lost')(result), String(result));
      assert.equal(redis.stats().pending, 0);

      assert.notEqual(redis.state, 'ready');
      const whileDown = performance.now();
      await assert.rejects(redis.send(['PING']), failure('down'));
      assert.ok(performance.now() - whileDown < 50);
      assert.ok(redis.stats().rejectedDown >= 1);

      await server.restart();
      await eventually(() => redis.state === 'ready', 'a reconnect', 3000);
      assert.equal(await redis.send(['PING']), 'PONG');
      assert.equal(redis.stats().reconnects, 1);
      assert.deepEqual(states.slice(0, 3), ['connecting', 'ready', 'down']);
    } finally {
      await server.stop();
    }
  });
});

describe('RedisClient against a fake server', { timeout: 10_000 }, () => {
  test('a RESP2-only server: HELLO fails, AUTH and SELECT follow, protocol 2', async () => {
    const received: string[] = [];
    const replies = ['-ERR unknown command \'HELLO\', with args beginning with: \'3\'\r\n', '+OK\r\n', '+OK\r\n', '$2\r\nhi\r\n'];
    const fake = await fakeServer((socket, text) => {
      received.push(text);
      socket.write(replies.shift() ?? '-ERR no more\r\n');
    });
    const redis = client(`redis://:pw@127.0.0.1:${fake.port}/2`);
    assert.deepEqual(await redis.send(['GET', 'k']), Buffer.from('hi'));
    assert.equal(redis.protocol, 2);
    assert.deepEqual(received, [
      '*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$2\r\npw\r\n',
      '*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n',
      '*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n',
      '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n',
    ]);
  });

  test('a malformed reply drops the connection and fails its command', async () => {
    const fake = await fakeServer((socket, text) => socket.write(text.includes('HELLO') ? '%0\r\n' : '?bad\r\n'));
    const redis = client(`redis://127.0.0.1:${fake.port}`);
    await ready(redis);
    await assert.rejects(redis.send(['PING']), (error: Error) => failure('connection-lost')(error) && /protocol error/.test(error.message));
  });

  test('a chunk that drops the connection is read no further: one redial, not one per value left in it', async () => {
    let connections = 0;
    const fake = await fakeServer((socket, text) => {
      if (text.includes('HELLO')) socket.write('-ERR nope\r\n' + '+OK\r\n'.repeat(20));
    }, () => connections++);
    const redis = client(`redis://127.0.0.1:${fake.port}`, { reconnectBaseMs: 200, reconnectMaxMs: 200 });
    await sleep(300);
    // Before the fix: over a thousand, one per value left in the chunk, each redialling.
    assert.ok(connections <= 10, `${connections} connections in 300 ms`);
    await redis.close();
  });

  test('a server that completes the handshake and hangs up: the backoff still grows', async () => {
    let connections = 0;
    const fake = await fakeServer((socket, text) => {
      if (text.includes('HELLO')) socket.end('%0\r\n');
    }, () => connections++);
    const redis = client(`redis://127.0.0.1:${fake.port}`, { reconnectBaseMs: 20, reconnectMaxMs: 5_000 });
    await sleep(1_000);
    // Reset on every ready, each redial would wait at most 20 ms: about 50 in a second.
    assert.ok(connections <= 12, `${connections} connections in 1 s`);
    await redis.close();
  });

  test('close() fails what is pending, stops reconnecting and resolves once the socket closed', async () => {
    const fake = await fakeServer((socket, text) => {
      if (text.includes('HELLO')) socket.write('%0\r\n');
    });
    const redis = client(`redis://127.0.0.1:${fake.port}`);
    await ready(redis);
    const pending = settle(redis.send(['PING']));
    await redis.close();
    assert.ok(failure('closed')(await pending));
    assert.equal(redis.state, 'closed');
    await assert.rejects(redis.send(['PING']), failure('closed'));
  });
});

/** A TCP proxy to 127.0.0.1:target recording each chunk the client side sends. */
async function countingProxy(target: number): Promise<{ port: number; chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  const server = net.createServer((inbound) => {
    const outbound = net.connect({ host: '127.0.0.1', port: target });
    inbound.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      outbound.write(chunk);
    });
    outbound.pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, chunks };
}

/** A server calling `onCommand` with each chunk it receives (one command per chunk in these tests). */
async function fakeServer(onCommand: (socket: net.Socket, text: string) => void, onConnection: () => void = () => {}): Promise<{ port: number }> {
  const server = net.createServer((socket) => {
    onConnection();
    socket.on('data', (chunk: Buffer) => onCommand(socket, chunk.toString('latin1')));
    socket.on('error', () => {});
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port };
}
