// LISTEN_SOCKETS: several listening sockets on one port (SO_REUSEPORT), all feeding one
// http.Server. Real sockets; the accept test loads the server from a child process
// while this process's event loop is kept busy, as under load.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Agent, createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { boundPort, Listeners } from '../../src/lifecycle/listeners.js';
import { reusePortSupported } from '../../src/platform/node-features.js';
import { request } from '../helpers/http.js';

const NO_REUSEPORT = reusePortSupported() ? false : `SO_REUSEPORT needs Linux and Node >= 22.12 (this is ${process.platform}, Node ${process.versions.node})`;

function helloServer(): Server {
  return createServer((_req, res) => {
    res.writeHead(200, ['content-length', '2']);
    res.end('ok');
  });
}

function listen(listeners: Listeners, sockets: number, port = 0): Promise<void> {
  return new Promise((resolve, reject) => listeners.listen({ port, host: '127.0.0.1', backlog: 4096, sockets }, resolve, reject));
}

function close(listeners: Listeners): Promise<void> {
  return new Promise((resolve) => listeners.close(resolve));
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

describe('Listeners', () => {
  test('opens the sockets asked for where supported (one elsewhere), and every connection is served', async () => {
    const server = helloServer();
    const listeners = new Listeners(server);
    await listen(listeners, 8);
    try {
      assert.equal(listeners.count, reusePortSupported() ? 8 : 1);
      // Fresh connections land on sockets the kernel picks: all must reach the one server.
      const replies = await Promise.all(Array.from({ length: 40 }, () => request(boundPort(server, 0), '/', { agent: false })));
      for (const reply of replies) assert.equal(reply.text, 'ok');
    } finally {
      server.closeAllConnections();
      await close(listeners);
    }
    assert.equal(listeners.count, 0);
  });

  test('close refuses new connections at once and waits for the open ones, on every socket', async () => {
    const server = helloServer();
    const listeners = new Listeners(server);
    await listen(listeners, 8);
    const port = boundPort(server, 0);
    const agent = new Agent({ keepAlive: true, maxSockets: 30 });
    try {
      // 30 keep-alive connections, spread over the sockets, stay open after their request.
      await Promise.all(Array.from({ length: 30 }, () => request(port, '/', { agent })));
      let closed = false;
      const done = close(listeners).then(() => {
        closed = true;
      });
      await assert.rejects(request(port, '/', { agent: false }), (error) => errorCode(error) === 'ECONNREFUSED');
      await sleep(100);
      assert.equal(closed, false, 'close must wait for the open connections');
      agent.destroy();
      await done;
    } finally {
      agent.destroy();
    }
  });

  test('a port already taken is EADDRINUSE, even by another reusePort listener, and nothing stays open', async () => {
    const holder = helloServer();
    const holding = new Listeners(holder);
    await listen(holding, 8);
    const port = boundPort(holder, 0);
    try {
      const second = new Listeners(helloServer());
      await assert.rejects(listen(second, 8, port), (error) => errorCode(error) === 'EADDRINUSE');
      assert.equal(second.count, 0);
    } finally {
      await close(holding);
    }
    const plain = createNetServer();
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const third = new Listeners(helloServer());
      await assert.rejects(listen(third, 8, boundPort(plain, 0)), (error) => errorCode(error) === 'EADDRINUSE');
      assert.equal(third.count, 0);
    } finally {
      plain.close();
    }
  });
});

/** Answers `count` new connections (opened at once, one request each) from a child process; resolves with the milliseconds it took. */
function burst(port: number, count: number): Promise<number> {
  const script = `
    const net = require('node:net');
    const [port, count] = process.argv.slice(1).map(Number);
    const start = performance.now();
    let done = 0;
    for (let i = 0; i < count; i++) {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'));
      socket.resume();
      socket.on('end', () => { if (++done === count) console.log(Math.round(performance.now() - start)); });
      socket.on('error', (error) => { console.error(error.message); process.exit(1); });
    }`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script, String(port), String(count)], (error, stdout) => {
      if (error) reject(error);
      else resolve(Number(stdout.trim()));
    });
  });
}

/** Runs `burst` while every turn of this process's event loop takes at least `turnMs`. */
async function burstWhileBusy(sockets: number, turnMs: number, count: number): Promise<number> {
  const server = helloServer();
  const listeners = new Listeners(server);
  await listen(listeners, sockets);
  let busy = true;
  const spin = (): void => {
    const until = performance.now() + turnMs;
    while (performance.now() < until);
    if (busy) setImmediate(spin);
  };
  setImmediate(spin);
  try {
    return await burst(boundPort(server, 0), count);
  } finally {
    busy = false;
    await close(listeners);
  }
}

test('a busy server takes a burst of new connections in a few turns with 64 sockets, one per turn with one', { skip: NO_REUSEPORT }, async () => {
  // libuv (>= 1.45) accepts one connection per listening socket per event-loop turn.
  // 100 connections at 10 ms a turn: about a second with one socket.
  const one = await burstWhileBusy(1, 10, 100);
  const many = await burstWhileBusy(64, 10, 100);
  assert.ok(one >= 800, `one socket took ${one} ms; if libuv accepts in a loop again, LISTEN_SOCKETS is no longer needed`);
  assert.ok(many * 3 < one, `64 sockets took ${many} ms against ${one} ms for one`);
});
