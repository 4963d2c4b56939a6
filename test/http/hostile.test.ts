// Hostile and broken clients over raw sockets: oversized headers, garbage, slowloris,
// mass aborts, bodies on GET, very long URLs. The server must answer or close, and live.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { runServer } from '../helpers/child.js';
import { eventually, request, withApp } from '../helpers/http.js';

interface RawReply {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** A raw client socket that buffers everything it receives and knows when it closed. */
class RawClient {
  private data = Buffer.alloc(0);
  private notify: (() => void) | undefined;
  closed = false;
  readonly closedAt: Promise<number>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.notify?.();
    });
    // A server that closes on us may reset the socket; what it sent is still in data.
    socket.on('error', () => {});
    this.closedAt = once(socket, 'close').then(() => {
      this.closed = true;
      this.notify?.();
      return performance.now();
    });
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Everything received so far, as text. */
  text(): string {
    return this.data.toString('latin1');
  }

  /** Reads the next complete response (Content-Length framed) off the buffer. */
  async next(timeoutMs = 2000): Promise<RawReply> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const end = this.data.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.data.subarray(0, end).toString('latin1').split('\r\n');
        const headers = new Map<string, string>();
        for (const line of head.slice(1)) {
          const colon = line.indexOf(':');
          headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
        }
        const length = Number(headers.get('content-length') ?? '0');
        if (this.data.length >= end + 4 + length) {
          const body = this.data.subarray(end + 4, end + 4 + length).toString('utf8');
          this.data = this.data.subarray(end + 4 + length);
          return { status: Number((head[0] ?? '').split(' ')[1]), headers, body };
        }
      }
      const left = deadline - performance.now();
      if (this.closed || left <= 0) throw new Error(`no complete response (closed=${this.closed}); got ${JSON.stringify(this.text())}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.notify = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.notify = undefined;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Aborts with a TCP reset, as a client that is gone does (a bare FIN is a half-close,
   *  which the server answers). */
  reset(): void {
    this.socket.resetAndDestroy();
  }
}

async function assertAlive(port: number): Promise<void> {
  const reply = await request(port, '/healthz');
  assert.equal(reply.status, 200);
  assert.equal(reply.text, '{"status":"ok"}');
}

function assertClientProblem(reply: RawReply, status: number, title: string): void {
  assert.equal(reply.status, status);
  assert.equal(reply.headers.get('content-type'), 'application/problem+json');
  assert.equal(reply.headers.get('connection'), 'close');
  assert.deepEqual(JSON.parse(reply.body), { type: 'about:blank', title, status, detail: 'the request could not be read' });
}

test('a header block over 16 KB -> 431 and the connection closes', async () => {
  await withApp(async (t) => {
    // One huge header, and many ordinary ones adding up past the limit.
    const blocks = [
      `X-Big: ${'a'.repeat(17 * 1024)}\r\n`,
      Array.from({ length: 300 }, (_, i) => `X-H${i}: ${'b'.repeat(60)}\r\n`).join(''),
    ];
    for (const block of blocks) {
      const client = await RawClient.open(t.port);
      client.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n${block}\r\n`);
      assertClientProblem(await client.next(), 431, 'Request Header Fields Too Large');
      await client.closedAt;
      assert.equal(client.text(), '', 'nothing after the 431');
    }
    await assertAlive(t.port);
    assert.equal(t.app.metrics.inFlight, 0);
  });
});

test('a header block just under the limit is served', async () => {
  await withApp(async (t) => {
    const client = await RawClient.open(t.port);
    try {
      client.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(15 * 1024)}\r\n\r\n`);
      const reply = await client.next();
      assert.equal(reply.status, 200);
      assert.equal(reply.body, '{"status":"ok"}');
    } finally {
      client.destroy();
    }
  });
});

test('a malformed request line -> 400 problem and close', async () => {
  await withApp(async (t) => {
    for (const garbage of ['GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', '\x00\x01\x02\r\n\r\n', 'GET /a b c HTTP/1.1\r\n\r\n']) {
      const client = await RawClient.open(t.port);
      client.write(garbage);
      assertClientProblem(await client.next(), 400, 'Bad Request');
      await client.closedAt;
    }
    await assertAlive(t.port);
    // They never reached a handler, but /metrics still counts them.
    assert.equal(t.app.metrics.clientErrors, 4);
    const metrics = (await request(t.port, '/metrics')).json<{ requests: { clientErrors: number } }>();
    assert.equal(metrics.requests.clientErrors, 4);
  });
});

test('a slow client (half the headers, then silence) is cut after HEADERS_TIMEOUT_MS', async () => {
  // startServer() without its try/finally gap: a child that never logs "listening" is
  // still killed, so a failure cannot leave the test run hanging on its pipes.
  const child = runServer([], { KEEP_ALIVE_TIMEOUT_MS: '500', HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000' });
  try {
    const port = (await child.waitForLine((l) => l['msg'] === 'listening', 5000))['port'] as number;
    const client = await RawClient.open(port);
    const start = performance.now();
    client.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const closedAt = await Promise.race([client.closedAt, sleep(3500).then(() => -1)]);
    assert.notEqual(closedAt, -1, 'the socket is still open after 3.5 s');
    const elapsed = closedAt - start;
    // Checked every second by node:http, so cut between 1 s and about 2 s.
    assert.ok(elapsed >= 900 && elapsed < 3000, `closed after ${elapsed} ms`);
    // The clientError handler answers the timeout in our format before closing.
    assertClientProblem(await client.next(0), 408, 'Request Timeout');
    assert.equal(client.text(), '');
    // Meanwhile and afterwards, well-behaved clients are served.
    await assertAlive(port);
  } finally {
    child.kill('SIGKILL');
    await child.exited;
  }
});

test('50 connections aborted mid-request do not hurt the server', async () => {
  await withApp(async (t) => {
    const clients: RawClient[] = [];
    for (let i = 0; i < 50; i++) {
      const client = await RawClient.open(t.port);
      // Half stop inside the headers, half send a whole request whose answer is slow.
      client.write(i % 2 === 0 ? 'GET /io?ms=500 HTTP/1.1\r\nHost: x\r\nX-Half: ' : 'GET /io?ms=500 HTTP/1.1\r\nHost: x\r\n\r\n');
      clients.push(client);
    }
    await eventually(() => t.app.metrics.inFlight === 25, '25 requests in flight');
    for (const client of clients) client.reset();

    await eventually(() => t.app.metrics.inFlight === 0, 'inFlight back to 0');
    await eventually(() => t.app.connections.active === 0, 'every aborted socket closed');
    assert.equal(t.app.metrics.aborted, 25);
    await assertAlive(t.port);
    const metrics = (await request(t.port, '/metrics')).json<{ requests: { inFlight: number; aborted: number; byStatus: Record<string, number> } }>();
    assert.equal(metrics.requests.inFlight, 1); // the /metrics request itself
    assert.equal(metrics.requests.aborted, 25);
    assert.deepEqual(metrics.requests.byStatus, { '200': 1, '499': 25 });
    // The /io timers fire later against gone sockets: nothing is counted twice.
    await sleep(550);
    assert.equal(t.app.metrics.aborted, 25);
    assert.equal(t.app.metrics.inFlight, 0);
    await assertAlive(t.port);
  });
});

test('a GET with a body is answered and the keep-alive connection stays usable', async () => {
  await withApp(async (t) => {
    const client = await RawClient.open(t.port);
    try {
      client.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789');
      const first = await client.next();
      assert.equal(first.status, 200);
      assert.equal(first.body, '{"status":"ok"}');
      assert.notEqual(first.headers.get('connection'), 'close');

      // The body must have been consumed, not parsed as the next request.
      client.write('GET /products/1 HTTP/1.1\r\nHost: x\r\n\r\n');
      const second = await client.next();
      assert.equal(second.status, 200);
      assert.equal((JSON.parse(second.body) as { id: number }).id, 1);
      assert.equal(client.closed, false);

      // A body that arrives after the response was sent is skipped as well.
      client.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n');
      const third = await client.next();
      assert.equal(third.status, 200);
      client.write('abcdeGET /io?ms=0 HTTP/1.1\r\nHost: x\r\n\r\n');
      const fourth = await client.next();
      assert.equal(fourth.status, 200);
      assert.equal(fourth.body, '{"message":"ok"}');
      assert.equal(client.text(), '');
    } finally {
      client.destroy();
    }
    await eventually(() => t.app.metrics.total === 4, '4 finished requests');
    assert.deepEqual(t.app.metrics.statusCounts(), { '200': 4 });
  });
});

test('pipelined requests in one write are answered in order, a slow one first included', async () => {
  await withApp(async (t) => {
    const client = await RawClient.open(t.port);
    try {
      // The first waits 30 ms on a timer; the two behind it must wait for it, in order.
      client.write(
        'GET /io?ms=30 HTTP/1.1\r\nHost: x\r\n\r\n' +
          'GET /products/2 HTTP/1.1\r\nHost: x\r\n\r\n' +
          'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc',
      );
      const first = await client.next();
      const second = await client.next();
      const third = await client.next();
      assert.deepEqual([first.status, second.status, third.status], [200, 200, 200]);
      assert.equal(first.body, '{"message":"ok"}');
      assert.equal((JSON.parse(second.body) as { id: number }).id, 2);
      assert.equal(third.body, '{"status":"ok"}');
      assert.equal(client.closed, false);
    } finally {
      client.destroy();
    }
    await eventually(() => t.app.metrics.total === 3, '3 finished requests');
    assert.equal(t.app.metrics.inFlight, 0);
    assert.deepEqual(t.app.metrics.statusCounts(), { '200': 3 });
  });
});

test('a very long URL (8 KB of path) -> 404, not a crash', async () => {
  await withApp(async (t) => {
    const long = await request(t.port, `/${'a'.repeat(8 * 1024)}`);
    assert.equal(long.status, 404);
    assert.equal(long.headers['content-type'], 'application/problem+json');
    // Many segments: the router's walk must not blow up either.
    const deep = await request(t.port, '/a'.repeat(4 * 1024));
    assert.equal(deep.status, 404);
    const deepProducts = await request(t.port, `/products${'/1'.repeat(4000)}`);
    assert.equal(deepProducts.status, 404);
    const longId = await request(t.port, `/products/${'9'.repeat(8 * 1024)}`);
    assert.equal(longId.status, 400);
    assert.ok(longId.text.includes('9'.repeat(64)) && !longId.text.includes('9'.repeat(65)), 'the echoed id is cut at 64 characters');
    assert.ok(longId.body.length < 500, `${longId.body.length} bytes`);
    await assertAlive(t.port);
  });
});

test('a request whose body trickles past REQUEST_TIMEOUT_MS after its answer: nothing more is written, the connection closes quietly', async () => {
  await withApp(
    async (t) => {
      const client = await RawClient.open(t.port);
      client.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
      const reply = await client.next();
      assert.equal(reply.status, 200);
      // The body keeps trickling, a byte every 100 ms, past the 2 s request timeout.
      const trickle = setInterval(() => {
        if (!client.closed) client.write('x');
      }, 100);
      try {
        const closedAt = await Promise.race([client.closedAt, sleep(5000).then(() => -1)]);
        assert.notEqual(closedAt, -1, 'the connection is still open after 5 s');
      } finally {
        clearInterval(trickle);
      }
      assert.equal(client.text(), '', 'no unsolicited answer after the 200');
      assert.equal(t.app.metrics.clientErrors, 0);
      await assertAlive(t.port);
    },
    { keepAliveTimeoutMs: 500, headersTimeoutMs: 1000, requestTimeoutMs: 2000 },
  );
});

test('a slow second request on a kept-alive connection still gets its 408', async () => {
  await withApp(
    async (t) => {
      const client = await RawClient.open(t.port);
      client.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await client.next()).status, 200);
      // Header bytes keep trickling (the keep-alive timer only cuts silence) past HEADERS_TIMEOUT_MS.
      client.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      const trickle = setInterval(() => {
        if (!client.closed) client.write('a');
      }, 200);
      try {
        await client.closedAt;
      } finally {
        clearInterval(trickle);
      }
      assertClientProblem(await client.next(0), 408, 'Request Timeout');
    },
    { keepAliveTimeoutMs: 500, headersTimeoutMs: 1000, requestTimeoutMs: 2000 },
  );
});
