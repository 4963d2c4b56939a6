// Graceful shutdown, on the real server in a child process: signals, exit codes,
// in-flight requests, refused connections, and keep-alive clients mid-stream.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from '../helpers/child.js';
import { eventually, request } from '../helpers/http.js';

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

test('SIGTERM: a slow in-flight request completes with 200, new connections are refused, exit 0', async () => {
  const { child, port } = await startServer();
  const agent = new Agent({ keepAlive: true });
  try {
    const slow = request(port, '/io?ms=1000', { agent });
    await sleep(200);
    child.kill('SIGTERM');
    await child.waitForLine((l) => l['msg'] === 'shutdown: no longer accepting connections');
    await assert.rejects(request(port, '/healthz'), (error) => errorCode(error) === 'ECONNREFUSED');
    const reply = await slow;
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), { message: 'ok' });
    // A keep-alive client's in-flight response is the connection's last: it says so.
    assert.equal(reply.headers['connection'], 'close');
    const exit = await child.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    const done = child.lines.find((l) => l['msg'] === 'shutdown complete');
    assert.equal(done?.['exitCode'], 0);
    assert.equal(done?.['reason'], 'drained');
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
  }
});

test('DRAIN_DELAY_MS: /readyz turns 503 at once while requests are still served, then the port closes', async () => {
  const { child, port } = await startServer([], { DRAIN_DELAY_MS: '800' });
  const agent = new Agent({ keepAlive: true });
  try {
    assert.equal((await request(port, '/readyz')).status, 200);
    child.kill('SIGTERM');
    await child.waitForLine((l) => l['msg'] === 'shutdown started');
    const ready = await request(port, '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.headers['content-type'], 'application/problem+json');
    const product = await request(port, '/products/1', { agent });
    assert.equal(product.status, 200);
    assert.equal(product.headers['connection'], 'keep-alive', 'during the drain delay nothing changes for clients');
    await child.waitForLine((l) => l['msg'] === 'shutdown: no longer accepting connections');
    await assert.rejects(request(port, '/healthz'), (error) => errorCode(error) === 'ECONNREFUSED');
    assert.equal((await child.exited).code, 0);
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
  }
});

test('an idle keep-alive connection is closed after SHUTDOWN_IDLE_MS and does not hold up the exit', async () => {
  const { child, port } = await startServer([], { SHUTDOWN_IDLE_MS: '300', SHUTDOWN_TIMEOUT_MS: '8000' });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    assert.equal((await request(port, '/healthz', { agent })).status, 200);
    const started = Date.now();
    child.kill('SIGTERM');
    const exit = await child.exited;
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - started < 3000, `exit took ${Date.now() - started} ms`);
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
  }
});

test('a client that has started sending on an idle socket is answered, not cut', async () => {
  const { child, port } = await startServer([], { SHUTDOWN_IDLE_MS: '200' });
  try {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {});
    // Half a request, then SIGTERM, then well past the idle grace, the rest of it.
    socket.write('GET /products/1 HTTP/1.1\r\nHost: x\r\n');
    await sleep(100);
    child.kill('SIGTERM');
    await sleep(600);
    socket.write('\r\n');
    await closed;
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /\r\nconnection: close\r\n/i);
    assert.equal((await child.exited).code, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('SHUTDOWN_TIMEOUT_MS: a request still running at the deadline is cut and the exit code is 1', async () => {
  const { child, port } = await startServer([], { SHUTDOWN_TIMEOUT_MS: '300' });
  try {
    const slow = request(port, '/io?ms=1000');
    await sleep(100);
    child.kill('SIGTERM');
    await assert.rejects(slow);
    assert.equal((await child.exited).code, 1);
    assert.ok(child.lines.some((l) => l['msg'] === 'shutdown deadline reached: connections destroyed'));
  } finally {
    child.kill('SIGKILL');
  }
});

test('a second signal exits at once with code 1', async () => {
  const { child, port } = await startServer();
  try {
    const slow = request(port, '/io?ms=1000').catch((error: unknown) => error);
    await sleep(100);
    const started = Date.now();
    child.kill('SIGTERM');
    await child.waitForLine((l) => l['msg'] === 'shutdown started');
    child.kill('SIGINT');
    const exit = await child.exited;
    assert.equal(exit.code, 1);
    assert.ok(Date.now() - started < 900, 'did not wait for the in-flight request');
    assert.ok(child.lines.some((l) => l['msg'] === 'second signal: exiting now'));
    await slow;
  } finally {
    child.kill('SIGKILL');
  }
});

test('100 keep-alive clients sending back to back through SIGTERM: no request is reset or cut short', async () => {
  const { child, port } = await startServer([], { SHUTDOWN_IDLE_MS: '500' });
  const CLIENTS = 100;
  let completed = 0;
  let running = 0;
  let refused = 0;
  const failures: string[] = [];
  const agents: Agent[] = [];
  const expected = (await request(port, '/products/1')).text;
  completed++; // that one reached the server too

  const client = async (n: number): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    // Alternate a cached product and a 2 ms I/O wait, so some requests are in flight
    // when the signal lands.
    const path = n % 2 === 0 ? '/products/1' : '/io?ms=2';
    for (let sent = 0; ; sent++) {
      try {
        const reply = await request(port, path, { agent });
        const ok = reply.status === 200 && (path === '/io?ms=2' ? reply.text === '{"message":"ok"}' : reply.text === expected);
        if (!ok) failures.push(`client ${n}: status ${reply.status}, ${reply.body.length} bytes`);
        completed++;
        if (sent === 0) running++;
      } catch (error) {
        // Refused: the port was closed before this request was sent. It never reached
        // the server, and the client knows to retry elsewhere. Anything else is a loss.
        if (errorCode(error) === 'ECONNREFUSED') refused++;
        else failures.push(`client ${n}: ${errorCode(error)} ${(error as Error).message}`);
        return;
      }
    }
  };

  try {
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    // Every client's connection accepted and in use (on a busy machine the last connects
    // can take a while), then some more back-to-back requests.
    await eventually(() => running === CLIENTS, `all ${CLIENTS} clients to have an answer`, 10_000);
    await sleep(200);
    assert.ok(completed > 2 * CLIENTS, `clients are running (${completed} requests so far)`);
    child.kill('SIGTERM');
    await Promise.all(clients);
    const exit = await child.exited;
    assert.deepEqual(failures, []);
    assert.equal(refused, CLIENTS, 'every client ended on a refused connection');
    assert.deepEqual(exit, { code: 0, signal: null });
    // Every request the server saw was answered in full: its count equals ours.
    const done = child.lines.find((l) => l['msg'] === 'shutdown complete');
    assert.equal(done?.['requestsServed'], completed);
  } finally {
    for (const agent of agents) agent.destroy();
    child.kill('SIGKILL');
  }
});

test('SIGTERM during a 30 s CPU profile: the profile so far is sent at once and the exit is 0, not the deadline', async () => {
  const { child, port } = await startServer([], { SHUTDOWN_TIMEOUT_MS: '5000' });
  try {
    const started = Date.now();
    const profile = request(port, '/debug/pprof/profile?seconds=30');
    await sleep(300);
    child.kill('SIGTERM');
    const reply = await profile;
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/octet-stream');
    assert.ok(reply.body.length > 20, `a gzip pprof, got ${reply.body.length} bytes`);
    assert.equal(reply.body[0], 0x1f); // gzip magic
    assert.equal(reply.body[1], 0x8b);
    assert.deepEqual(await child.exited, { code: 0, signal: null });
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
  } finally {
    child.kill('SIGKILL');
  }
});

test('SIGHUP drains like SIGTERM: the in-flight request completes, the last log lines are written, exit 0', async () => {
  const { child, port } = await startServer();
  try {
    const slow = request(port, '/io?ms=500');
    await sleep(100);
    child.kill('SIGHUP');
    const reply = await slow;
    assert.equal(reply.status, 200);
    assert.deepEqual(await child.exited, { code: 0, signal: null });
    assert.equal(child.lines.find((l) => l['msg'] === 'shutdown started')?.['signal'], 'SIGHUP');
    assert.equal(child.lines.find((l) => l['msg'] === 'request' && l['path'] === '/io')?.['status'], 200);
    assert.equal(child.lines.at(-1)?.['msg'], 'shutdown complete');
  } finally {
    child.kill('SIGKILL');
  }
});
