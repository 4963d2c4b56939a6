// The library's start() and stop() (server.ts uses them too; the child-process tests in
// shutdown.test.ts cover the signals): start resolves the bound port, a second start is
// refused without touching the open sockets, stop resolves 0 once drained, and a stop
// before any start resolves at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp } from '../../src/app.js';
import { Logger } from '../../src/log/logger.js';
import { request } from '../helpers/http.js';

const quiet = (): Logger => new Logger('silent', () => {});

test('start() resolves the bound port; a second start() is refused and the first sockets still serve; stop() resolves 0', { timeout: 10_000 }, async () => {
  const app = createApp({ port: 0, host: '127.0.0.1', storeLatencyMs: 0, listenSockets: 1 }, { logger: quiet() });
  const port = await app.start();
  assert.ok(port > 0);
  await assert.rejects(app.start(), /already started/);
  assert.equal((await request(port, '/healthz')).status, 200);
  assert.equal(await app.stop(), 0);
  await assert.rejects(request(port, '/healthz'), /ECONNREFUSED/);
});

test('stop() waits for a request in flight, answers it with Connection: close, then resolves 0', async () => {
  const app = createApp({ port: 0, host: '127.0.0.1', storeLatencyMs: 0, listenSockets: 1 }, { logger: quiet() });
  const port = await app.start();
  const slow = request(port, '/io?ms=300');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stopped = app.stop();
  const reply = await slow;
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['connection'], 'close');
  assert.equal(await stopped, 0);
});

test('stop() before start() resolves 0 at once', async () => {
  const app = createApp({}, { logger: quiet() });
  assert.equal(await app.stop(), 0);
});
