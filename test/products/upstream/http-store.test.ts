// HttpStore against a real node:http upstream on an ephemeral port that answers what each
// test needs: one attempt per call, results and typed failures, the abort that destroys
// the socket, and the keep-alive pool (reuse, its bound, no half-read socket back in it).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { generateProduct } from '../../../src/products/catalog.js';
import { HttpStore, type HttpStoreOptions } from '../../../src/products/upstream/http-store.js';
import { UpstreamError, type UpstreamErrorKind } from '../../../src/products/upstream/upstream-error.js';
import { eventually } from '../../helpers/http.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Upstream {
  readonly port: number;
  readonly url: string;
  /** Every connection the upstream accepted, and whether it has closed. */
  readonly connections: { readonly socket: Socket; closed: boolean }[];
  /** Every request it received. */
  readonly requests: IncomingMessage[];
}

const CAP = 4096;

async function listen(server: Server | NetServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Runs body against a fresh upstream answering with handler and a store on it; closes both. */
async function withUpstream(
  handler: Handler,
  body: (upstream: Upstream, store: HttpStore) => Promise<void>,
  options: Partial<HttpStoreOptions> = {},
): Promise<void> {
  const connections: Upstream['connections'] = [];
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  server.on('connection', (socket: Socket) => {
    const connection = { socket, closed: false };
    connections.push(connection);
    socket.on('close', () => (connection.closed = true));
  });
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  const store = new HttpStore({ url, maxSockets: 4, maxBodyBytes: CAP, ...options });
  try {
    await body({ port, url, connections, requests }, store);
  } finally {
    store.close();
    server.closeAllConnections();
    server.close();
  }
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof value === 'string' ? value : JSON.stringify(value));
  };
}

/** A guard so a call that would hang fails instead (its abort is not an UpstreamError). */
const guard = (): AbortSignal => AbortSignal.timeout(3000);
/** And one for each test, should the store ignore its signal. */
const BOUNDED = { timeout: 5000 } as const;

async function rejectsWith(call: Promise<unknown>, kind: UpstreamErrorKind, retryable: boolean, message: RegExp): Promise<UpstreamError> {
  let caught: unknown;
  await call.then(
    () => assert.fail(`resolved; expected a ${kind} failure`),
    (error: unknown) => (caught = error),
  );
  assert.ok(caught instanceof UpstreamError, `not an UpstreamError: ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  assert.equal(caught.retryable, retryable, caught.message);
  assert.match(caught.message, message);
  return caught;
}

describe('HttpStore: answers', () => {
  it('get: a 200 product, asked for as GET {url}/products/{id} with accept: application/json', BOUNDED, async () => {
    await withUpstream(json(200, generateProduct(7)), async (upstream, store) => {
      assert.deepEqual(await store.get(7, guard()), generateProduct(7));
      const [req] = upstream.requests;
      assert.equal(req?.method, 'GET');
      assert.equal(req?.url, '/products/7');
      assert.equal(req?.headers.accept, 'application/json');
    });
  });

  it('list: a 200 page, asked for as GET {url}/products?offset=&limit=; a path prefix is kept', BOUNDED, async () => {
    const page = { items: [11, 12, 13].map(generateProduct), total: 50, offset: 10, limit: 3, nextOffset: 13 };
    await withUpstream(json(200, page), async (upstream) => {
      const prefixed = new HttpStore({ url: `${upstream.url}/catalog/v1/`, maxSockets: 1, maxBodyBytes: CAP });
      try {
        assert.deepEqual(await prefixed.list(10, 3, guard()), { items: page.items, total: 50 });
        assert.equal(upstream.requests[0]?.url, '/catalog/v1/products?offset=10&limit=3');
      } finally {
        prefixed.close();
      }
    });
  });

  it('get: a JSON 404 (any body) is undefined; list: 404 is a status failure', BOUNDED, async () => {
    await withUpstream(json(404, '<html>not here</html>'), async (_upstream, store) => {
      assert.equal(await store.get(99, guard()), undefined);
      const error = await rejectsWith(store.list(0, 5, guard()), 'status', false, /answered GET \/products\?offset=0&limit=5 with 404 Not Found/);
      assert.equal(error.status, 404);
    });
    await withUpstream(json(404, '{}', { 'content-type': 'application/problem+json; charset=utf-8' }), async (_upstream, store) => {
      assert.equal(await store.get(99, guard()), undefined, "turbina's own 404");
    });
  });

  it("get: a 404 that is not JSON (a proxy's page, a wrong path prefix) is a status failure, not a missing product", BOUNDED, async () => {
    for (const type of ['text/html', 'text/plain; charset=utf-8', 'application/jsonp', '']) {
      await withUpstream(json(404, '<html>Not Found</html>', { 'content-type': type }), async (_upstream, store) => {
        const error = await rejectsWith(store.get(99, guard()), 'status', false, /answered GET \/products\/99 with 404 Not Found/);
        assert.equal(error.status, 404, type);
      });
    }
  });

  it('an id no product can have makes no request', BOUNDED, async () => {
    await withUpstream(json(200, generateProduct(1)), async (upstream, store) => {
      assert.equal(await store.get(0), undefined);
      assert.equal(await store.get(-1), undefined);
      assert.equal(upstream.requests.length, 0);
    });
  });

  it('unknown members are not passed on', BOUNDED, async () => {
    const injected = { ...generateProduct(4), admin: true, price: { amount: 1, currency: 'USD', note: '<script>' } };
    await withUpstream(json(200, injected), async (_upstream, store) => {
      const product = await store.get(4, guard());
      assert.equal(JSON.stringify(product), JSON.stringify({ ...generateProduct(4), price: { amount: 1, currency: 'USD' } }));
    });
  });
});

describe('HttpStore: statuses', () => {
  it('503 with Retry-After: retryable, the status and the raw header kept; its body is read and the socket reused', BOUNDED, async () => {
    await withUpstream(json(503, { detail: 'overloaded' }, { 'retry-after': '7' }), async (upstream, store) => {
      const error = await rejectsWith(store.get(1, guard()), 'status', true, /at http:\/\/127\.0\.0\.1:\d+ answered GET \/products\/1 with 503 Service Unavailable$/);
      assert.equal(error.status, 503);
      assert.equal(error.retryAfter, '7');
      assert.doesNotMatch(error.message, /overloaded/, 'the body is not in the message');
      await rejectsWith(store.get(1, guard()), 'status', true, /503/);
      assert.equal(upstream.connections.length, 1);
    });
  });

  it('502 and 504 are retryable; 500, 400 and 204 are not', BOUNDED, async () => {
    let status = 0;
    await withUpstream((req, res) => json(status, '{}')(req, res), async (_upstream, store) => {
      for (const [answer, retryable] of [[502, true], [504, true], [500, false], [400, false], [204, false]] as const) {
        status = answer;
        const error = await rejectsWith(store.get(1, guard()), 'status', retryable, new RegExp(`with ${answer} `));
        assert.equal(error.status, answer);
        assert.equal(error.retryAfter, undefined);
      }
    });
  });
});

describe('HttpStore: bodies that are not the wire format', () => {
  const invalid: [string, Handler, RegExp][] = [
    ['truncated JSON', json(200, JSON.stringify(generateProduct(1)).slice(0, 40)), /with a body that is not JSON$/],
    ['an HTML page', json(200, '<!doctype html><html><body>Welcome</body></html>', { 'content-type': 'text/html' }), /not JSON$/],
    ['an empty body', json(200, ''), /not JSON$/],
    ['a price as a string', json(200, { ...generateProduct(1), price: '9.99' }), /not a product: price is not an object$/],
    ['a stock as a string', json(200, { ...generateProduct(1), stock: '12' }), /not a product: stock is not an integer >= 0$/],
    ['another product than asked for', json(200, generateProduct(2)), /product 2 instead of product 1$/],
    ['a gzip-encoded body', json(200, 'x', { 'content-encoding': 'gzip' }), /with a gzip-encoded body$/],
  ];
  for (const [what, handler, message] of invalid) {
    it(`${what}: invalid, not retryable`, BOUNDED, async () => {
      await withUpstream(handler, async (_upstream, store) => {
        const error = await rejectsWith(store.get(1, guard()), 'invalid', false, message);
        assert.equal(error.status, 200);
      });
    });
  }

  it('a page out of order: invalid', BOUNDED, async () => {
    await withUpstream(json(200, { items: [generateProduct(2), generateProduct(1)], total: 9 }), async (_upstream, store) => {
      await rejectsWith(store.list(0, 5, guard()), 'invalid', false, /items\[1\] has id 1, not above/);
    });
  });

  it('a body over the cap: too-large, and the socket is destroyed, not pooled', BOUNDED, async () => {
    const big = JSON.stringify({ ...generateProduct(1), description: 'x'.repeat(CAP) });
    // Chunked, so only counting the bytes can catch it.
    const handler: Handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(big.slice(0, 1000));
      res.end(big.slice(1000));
    };
    await withUpstream(handler, async (upstream, store) => {
      await rejectsWith(store.get(1, guard()), 'too-large', false, /with a body over 4096 bytes \(\d+ bytes so far\)$/);
      await eventually(() => upstream.connections[0]?.closed === true, 'the upstream to see its connection closed');
    });
  });

  it('a content-length over the cap: too-large at once, without waiting for the body', BOUNDED, async () => {
    const handler: Handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(CAP + 1) });
      res.flushHeaders(); // and the body never comes
    };
    await withUpstream(handler, async (upstream, store) => {
      await rejectsWith(store.get(1, guard()), 'too-large', false, /\(content-length 4097\)$/);
      await eventually(() => upstream.connections[0]?.closed === true, 'the upstream to see its connection closed');
    });
  });

  it('an error status with a body over the cap is still a status failure', BOUNDED, async () => {
    await withUpstream(json(500, 'x'.repeat(CAP + 1)), async (upstream, store) => {
      await rejectsWith(store.get(1, guard()), 'status', false, /with 500 /);
      await eventually(() => upstream.connections[0]?.closed === true, 'the upstream to see its connection closed');
    });
  });
});

describe('HttpStore: connections', () => {
  it('a connection destroyed mid-body: reset, retryable', BOUNDED, async () => {
    const handler: Handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":1,"sku":', () => req.socket.destroy());
    };
    await withUpstream(handler, async (_upstream, store) => {
      await rejectsWith(store.get(1, guard()), 'reset', true, /closed the connection/);
    });
  });

  it('an answer that is not HTTP: invalid, not retryable', BOUNDED, async () => {
    const server = createNetServer((socket) => socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n')));
    const port = await listen(server);
    const store = new HttpStore({ url: `http://127.0.0.1:${port}`, maxSockets: 1, maxBodyBytes: CAP });
    try {
      await rejectsWith(store.get(1, guard()), 'invalid', false, /with something that is not HTTP \(HPE_/);
    } finally {
      store.close();
      server.close();
    }
  });

  it('a refused port (a closed server\'s): connect, retryable', BOUNDED, async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    const store = new HttpStore({ url: `http://127.0.0.1:${port}`, maxSockets: 1, maxBodyBytes: CAP });
    try {
      const error = await rejectsWith(store.get(1, guard()), 'connect', true, new RegExp(`could not connect to the product store at http://127\\.0\\.0\\.1:${port} for GET /products/1 \\(ECONNREFUSED`));
      assert.equal(error.status, undefined);
    } finally {
      store.close();
    }
  });

  it('an https: URL speaks TLS (to a plain HTTP upstream: a connect failure no retry fixes)', BOUNDED, async () => {
    await withUpstream(json(200, generateProduct(1)), async (upstream) => {
      const store = new HttpStore({ url: `https://127.0.0.1:${upstream.port}`, maxSockets: 1, maxBodyBytes: CAP });
      try {
        await rejectsWith(store.get(1, guard()), 'connect', false, /failed \(EPROTO/);
        assert.equal(upstream.requests.length, 0);
      } finally {
        store.close();
      }
    });
  });

  it('a hang aborted by the signal: rejects with its reason, and the upstream sees the socket close', BOUNDED, async () => {
    await withUpstream(
      () => {}, // never answers
      async (upstream, store) => {
        const controller = new AbortController();
        const pending = store.get(1, controller.signal);
        await eventually(() => upstream.requests.length === 1, 'the request to arrive');
        const reason = new Error('attempt timed out');
        controller.abort(reason);
        await assert.rejects(pending, (error) => error === reason);
        await eventually(() => upstream.connections[0]?.closed === true, 'the upstream to see its connection closed');
      },
    );
  });

  it('an abort in the middle of the body destroys the socket too', BOUNDED, async () => {
    const handler: Handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":1,');
    };
    await withUpstream(handler, async (upstream, store) => {
      const controller = new AbortController();
      const pending = store.list(0, 1, controller.signal);
      await eventually(() => upstream.requests.length === 1, 'the request to arrive');
      setTimeout(() => controller.abort(new Error('given up')), 20);
      await assert.rejects(pending, /given up/);
      await eventually(() => upstream.connections[0]?.closed === true, 'the upstream to see its connection closed');
    });
  });

  it('an already aborted signal makes no request', BOUNDED, async () => {
    await withUpstream(json(200, generateProduct(1)), async (upstream, store) => {
      const reason = new Error('too late');
      await assert.rejects(store.get(1, AbortSignal.abort(reason)), (error) => error === reason);
      assert.equal(upstream.requests.length, 0);
    });
  });

  it('keep-alive: sequential calls share one socket', BOUNDED, async () => {
    await withUpstream(json(200, generateProduct(5)), async (upstream, store) => {
      for (let i = 0; i < 4; i++) assert.equal((await store.get(5, guard()))?.id, 5);
      assert.equal(upstream.connections.length, 1);
      assert.equal(upstream.requests.length, 4);
    });
  });

  it('maxSockets bounds the sockets in parallel; calls beyond it wait their turn', BOUNDED, async () => {
    let inFlight = 0;
    let most = 0;
    const handler: Handler = (req, res) => {
      most = Math.max(most, ++inFlight);
      setTimeout(() => {
        inFlight--;
        json(200, generateProduct(Number(req.url?.split('/').pop())))(req, res);
      }, 30);
    };
    await withUpstream(
      handler,
      async (upstream, store) => {
        const ids = [1, 2, 3, 4, 5, 6];
        const products = await Promise.all(ids.map((id) => store.get(id, guard())));
        assert.deepEqual(products.map((p) => p?.id), ids);
        assert.equal(upstream.connections.length, 2);
        assert.equal(most, 2);
      },
      { maxSockets: 2 },
    );
  });

  it('a call aborted while queued for a socket goes nowhere, and the pool keeps its one socket', BOUNDED, async () => {
    const handler: Handler = (req, res) => setTimeout(() => json(200, generateProduct(Number(req.url?.split('/').pop())))(req, res), 50);
    await withUpstream(
      handler,
      async (upstream, store) => {
        const first = store.get(1, guard());
        const controller = new AbortController();
        const queued = store.get(2, controller.signal);
        const reason = new Error('gave up waiting');
        controller.abort(reason);
        await assert.rejects(queued, (error) => error === reason);
        assert.equal((await first)?.id, 1);
        assert.equal((await store.get(3, guard()))?.id, 3);
        assert.deepEqual(upstream.requests.map((req) => req.url), ['/products/1', '/products/3']);
        assert.equal(upstream.connections.length, 1);
      },
      { maxSockets: 1 },
    );
  });

  it('an idle pooled socket is closed before the upstream\'s announced keep-alive timeout', BOUNDED, async () => {
    // The upstream announces 2 s (and would keep it far longer); the pool closes it 1 s early.
    await withUpstream(json(200, generateProduct(1), { 'keep-alive': 'timeout=2' }), async (upstream, store) => {
      await store.get(1, guard());
      const answered = Date.now();
      await eventually(() => upstream.connections[0]?.closed === true, 'the pool to close its idle socket', 3000);
      assert.ok(Date.now() - answered < 1900, `closed after ${Date.now() - answered} ms`);
    });
  });

  it('close(): calls under way fail, queued ones never go out, later ones fail at once; none retryable', BOUNDED, async () => {
    await withUpstream(
      () => {}, // never answers
      async (upstream, store) => {
        const sent = store.get(1, guard());
        const queued = store.get(2, guard()); // waits for the only socket
        await eventually(() => upstream.requests.length === 1, 'the first request to arrive');
        store.close();
        await rejectsWith(sent, 'connect', false, /is closed \(shutting down\)$/);
        await rejectsWith(queued, 'connect', false, /is closed/);
        await rejectsWith(store.get(3), 'connect', false, /is closed/);
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(upstream.requests.map((req) => req.url), ['/products/1']);
        await eventually(() => upstream.connections.every((c) => c.closed), 'the upstream to see every connection closed');
      },
      { maxSockets: 1 },
    );
  });
});

describe('HttpStore: options', () => {
  it('refuses a URL it cannot use and bounds that are not positive integers', () => {
    const make = (url: string, maxSockets = 1, maxBodyBytes = CAP) => () => new HttpStore({ url, maxSockets, maxBodyBytes });
    assert.throws(make('127.0.0.1:9000'), /is not a URL|is not http/);
    assert.throws(make('ftp://127.0.0.1'), /is not http: or https:/);
    assert.throws(make('http://user:secret@127.0.0.1'), (error: Error) => /credentials/.test(error.message) && !error.message.includes('secret'));
    assert.throws(make('http://127.0.0.1/?x=1'), /query or fragment/);
    assert.throws(make('http://127.0.0.1', 0), /maxSockets/);
    assert.throws(make('http://127.0.0.1', 1, 1.5), /maxBodyBytes/);
  });
});
