// RATE_LIMIT_RPS over real sockets, with the app's clock held still (or moved) by the
// test: a burst then 429 with Retry-After, the RateLimit-Policy/RateLimit fields on every
// kind of response of a limited route, the probes and /metrics never limited, the
// client named by X-Forwarded-For/Forwarded only behind TRUST_PROXY, IPv6 and
// IPv4-mapped peers, and the counters in /metrics.
import assert from 'node:assert/strict';
import { request as httpRequest, Agent, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { createApp } from '../../src/app.js';
import { Logger } from '../../src/log/logger.js';
import type { MetricsReport } from '../../src/metrics/report.js';
import { request, testConfig, withApp, type Reply } from '../helpers/http.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';

/** A clock the app reads and the test moves. */
function stillClock(): { ms: number; now: () => number } {
  const clock = { ms: 1_000_000, now: () => clock.ms };
  return clock;
}

const LIMITED = { rateLimitRps: 1, rateLimitBurst: 3 };

function assertRateHeaders(reply: Reply, remaining: number, t: number, what: string): void {
  assert.equal(reply.headers['ratelimit-policy'], '"default";q=3;w=3', what);
  assert.equal(reply.headers['ratelimit'], `"default";r=${remaining};t=${t}`, what);
}

function assertUnlimited(reply: Reply, what: string): void {
  assert.notEqual(reply.status, 429, what);
  assert.equal(reply.headers['ratelimit'], undefined, what);
  assert.equal(reply.headers['ratelimit-policy'], undefined, what);
}

describe('rate limiting over HTTP', () => {
  test('a burst is served, then 429 problem+json with Retry-After; the refill lets the client back in', async () => {
    const clock = stillClock();
    await withApp(async (t) => {
      for (let left = 2; left >= 0; left--) {
        const reply = await request(t.port, '/products/1');
        assert.equal(reply.status, 200);
        assertRateHeaders(reply, left, 1, `request leaving ${left}`);
      }
      const refused = await request(t.port, '/products/1');
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['content-type'], 'application/problem+json');
      assert.equal(refused.headers['retry-after'], '1');
      assertRateHeaders(refused, 0, 1, '429');
      assert.equal(refused.json<{ status: number }>().status, 429);
      assert.equal((await request(t.port, '/io')).status, 429, 'every limited route shares the bucket');

      clock.ms += 999;
      assert.equal((await request(t.port, '/products/1')).status, 429);
      clock.ms += 1;
      const back = await request(t.port, '/products/1');
      assert.equal(back.status, 200);
      assertRateHeaders(back, 0, 1, 'after the refill');
    }, LIMITED, { now: clock.now });
  });

  test('Retry-After is the wait for one token in whole seconds, rounded up', async () => {
    const clock = stillClock();
    await withApp(async (t) => {
      assert.equal((await request(t.port, '/products/1')).status, 200);
      const refused = await request(t.port, '/products/1');
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['retry-after'], '4');
      assert.equal(refused.headers['cache-control'], 'no-store', 'a refusal is not for caches to keep');
      assert.equal(refused.headers['content-type'], 'application/problem+json');
      assert.equal(refused.headers['ratelimit-policy'], '"default";q=1;w=4');
      assert.equal(refused.headers['ratelimit'], '"default";r=0;t=4');
      clock.ms += 2700; // 1.3 s to go
      assert.equal((await request(t.port, '/products/1')).headers['retry-after'], '2');
      clock.ms += 1000; // 0.3 s to go
      assert.equal((await request(t.port, '/products/1')).headers['retry-after'], '1');
    }, { rateLimitRps: 0.25 }, { now: clock.now });
  });

  test('the fields are on 200, 304, 404, 405 and HEAD answers of limited routes', async () => {
    const clock = stillClock();
    await withApp(async (t) => {
      const ok = await request(t.port, '/products/1');
      assertRateHeaders(ok, 2, 1, '200');
      const etag = String(ok.headers['etag']);
      const notModified = await request(t.port, '/products/1', { headers: { 'if-none-match': etag } });
      assert.equal(notModified.status, 304);
      assertRateHeaders(notModified, 1, 1, '304');
      const missing = await request(t.port, '/no/such/thing');
      assert.equal(missing.status, 404);
      assertRateHeaders(missing, 0, 1, '404');
      clock.ms += 2000;
      const wrong = await request(t.port, '/products/1', { method: 'DELETE' });
      assert.equal(wrong.status, 405);
      assertRateHeaders(wrong, 1, 1, '405');
      const head = await request(t.port, '/products/1', { method: 'HEAD' });
      assert.equal(head.status, 200);
      assertRateHeaders(head, 0, 1, 'HEAD');
    }, LIMITED, { now: clock.now });
  });

  test('/healthz, /readyz, /metrics (and HEAD) and /debug are never limited, even with the bucket empty', async () => {
    const clock = stillClock();
    await withApp(async (t) => {
      assert.equal((await request(t.port, '/products/1')).status, 200);
      assert.equal((await request(t.port, '/products/1')).status, 429);
      for (let i = 0; i < 3; i++) {
        for (const path of ['/healthz', '/readyz', '/metrics', '/debug/pprof/']) {
          const reply = await request(t.port, path);
          assert.equal(reply.status, 200, path);
          assertUnlimited(reply, path);
        }
        for (const path of ['/healthz', '/readyz', '/metrics']) assertUnlimited(await request(t.port, path, { method: 'HEAD' }), `HEAD ${path}`);
      }
      // Paths that only look like them are limited.
      assert.equal((await request(t.port, '/healthz/')).status, 429);
      assert.equal((await request(t.port, '/metricsx')).status, 429);
    }, { rateLimitRps: 1, rateLimitBurst: 1 }, { now: clock.now });
  });

  test('with DEBUG_ENDPOINTS=off, /debug paths are unknown paths like any other, and limited', async () => {
    const clock = stillClock();
    await withApp(async (t) => {
      assert.equal((await request(t.port, '/debug/pprof/')).status, 404);
      assert.equal((await request(t.port, '/debug/pprof/')).status, 429);
    }, { rateLimitRps: 1, rateLimitBurst: 1, debugEndpoints: 'off' }, { now: clock.now });
  });

  test('without TRUST_PROXY, X-Forwarded-For and Forwarded change nothing: the socket is the client', async () => {
    const clock = stillClock();
    await withApp(async (t) => {
      assert.equal((await request(t.port, '/products/1', { headers: { 'x-forwarded-for': '1.1.1.1' } })).status, 200);
      assert.equal((await request(t.port, '/products/1', { headers: { 'x-forwarded-for': '2.2.2.2' } })).status, 429);
      assert.equal((await request(t.port, '/products/1', { headers: { forwarded: 'for=3.3.3.3' } })).status, 429);
    }, { rateLimitRps: 1, rateLimitBurst: 1 }, { now: clock.now });
  });

  test('TRUST_PROXY=1: the nearest proxy\'s X-Forwarded-For entry is the client; spoofed entries left of it change nothing', async () => {
    const clock = stillClock();
    await withApp(async (t) => {
      const as = (xff: string): Promise<Reply> => request(t.port, '/products/1', { headers: { 'x-forwarded-for': xff } });
      assert.equal((await as('1.1.1.1')).status, 200);
      assert.equal((await as('2.2.2.2')).status, 200, 'another client, another bucket');
      assert.equal((await as('6.6.6.6, 1.1.1.1')).status, 429, 'a spoofed entry on the left is not the client');
      assert.equal((await as('7.7.7.7, 2.2.2.2')).status, 429);
      // Garbage is not a client: the proxy (the socket's peer) is charged instead.
      assert.equal((await as('not-an-address')).status, 200);
      assert.equal((await as('<script>')).status, 429);
      // No header: the socket's peer, the same bucket the garbage fell back to.
      assert.equal((await request(t.port, '/products/1')).status, 429);
      // Forwarded, when there is no X-Forwarded-For.
      const fwd = (value: string): Promise<Reply> => request(t.port, '/products/1', { headers: { forwarded: value } });
      assert.equal((await fwd('for="[2001:db8:1:2::1]:443";proto=https')).status, 200);
      assert.equal((await fwd('for=9.9.9.9, for="[2001:db8:1:2::ffff]"')).status, 429, 'the same /64');
      assert.equal((await fwd('for=unknown')).status, 429, 'unknown falls back to the proxy, already limited');
    }, { rateLimitRps: 1, rateLimitBurst: 1, trustProxy: '1' }, { now: clock.now });
  });

  test('TRUST_PROXY as blocks: trusted hops are walked past; an untrusted peer\'s headers are not read', async () => {
    const clock = stillClock();
    await withApp(async (t) => {
      const as = (xff: string): Promise<Reply> => request(t.port, '/products/1', { headers: { 'x-forwarded-for': xff } });
      assert.equal((await as('5.5.5.5, 10.0.0.7')).status, 200);
      assert.equal((await as('spoof, 5.5.5.5, 10.1.2.3')).status, 429, 'same client behind another trusted hop');
      assert.equal((await as('5.5.5.6')).status, 200);
    }, { rateLimitRps: 1, rateLimitBurst: 1, trustProxy: '127.0.0.0/8, 10.0.0.0/8' }, { now: clock.now });
    await withApp(async (t) => {
      const as = (xff: string): Promise<Reply> => request(t.port, '/products/1', { headers: { 'x-forwarded-for': xff } });
      assert.equal((await as('5.5.5.5')).status, 200);
      assert.equal((await as('5.5.5.6')).status, 429, '127.0.0.1 is not a trusted proxy here');
    }, { rateLimitRps: 1, rateLimitBurst: 1, trustProxy: '10.0.0.0/8' }, { now: clock.now });
  });

  test('the store stays within RATE_LIMIT_MAX_CLIENTS; /metrics counts refusals, clients and evictions (JSON and Prometheus)', async () => {
    const clock = stillClock();
    await withApp(async (t) => {
      for (let i = 0; i < 20; i++) await request(t.port, '/products/1', { headers: { 'x-forwarded-for': `192.0.2.${i}` } });
      await request(t.port, '/products/1', { headers: { 'x-forwarded-for': '192.0.2.19' } });
      await request(t.port, '/products/1', { headers: { 'x-forwarded-for': '192.0.2.19' } });
      const report = (await request(t.port, '/metrics')).json<MetricsReport>();
      assert.deepEqual(report.rateLimit, { limited: 2, clients: 5, evictions: 15 });
      assert.equal(report.requests.byStatus['429'], 2);
      const families = parsePrometheus((await request(t.port, '/metrics?format=prometheus')).text);
      assert.equal(sampleValue(families, 'turbina_rate_limited_total'), 2);
      assert.equal(sampleValue(families, 'turbina_rate_limit_clients'), 5);
      assert.equal(sampleValue(families, 'turbina_rate_limit_evictions_total'), 15);
    }, { rateLimitRps: 1, rateLimitBurst: 1, rateLimitMaxClients: 5, trustProxy: '1' }, { now: clock.now });
  });

  test('off (the default): no limiter is made (app.ts chains one only when made), no fields', async () => {
    await withApp(async (t) => {
      assert.equal(t.app.rateLimit, undefined);
      for (let i = 0; i < 5; i++) assertUnlimited(await request(t.port, '/products/1'), 'off');
      assert.deepEqual((await request(t.port, '/metrics')).json<MetricsReport>().rateLimit, { limited: 0, clients: 0, evictions: 0 });
    });
  });
});

/** One GET to `host`, on the given agent (keep-alive when the test needs the connection's state). */
function get(host: string, port: number, agent: Agent): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path: '/products/1', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function onHost(listenHost: string, body: (port: number, app: ReturnType<typeof createApp>) => Promise<void>): Promise<void> {
  const clock = stillClock();
  const app = createApp(testConfig({ rateLimitRps: 1, rateLimitBurst: 1 }), { logger: new Logger('error', () => {}), now: clock.now });
  await new Promise<void>((resolve) => app.server.listen(0, listenHost, resolve));
  try {
    await body((app.server.address() as AddressInfo).port, app);
  } finally {
    app.stopTimers();
    app.server.closeAllConnections();
    await new Promise<void>((resolve) => app.server.close(() => resolve()));
  }
}

describe('client keys of real peers', () => {
  test('an IPv6 peer (::1) is keyed by its /64, once per connection', async () => {
    await onHost('::1', async (port, app) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        assert.equal((await get('::1', port, agent)).status, 200);
        const [state] = [...app.connections.states()];
        assert.equal(state?.remote, '::1');
        assert.equal(state?.clientKey, '0:0:0:0::/64');
        assert.equal((await get('::1', port, agent)).status, 429);
      } finally {
        agent.destroy();
      }
    });
  });

  test('an IPv4 client of a dual-stack listener (::ffff:127.0.0.1) is keyed as 127.0.0.1', async () => {
    await onHost('::', async (port, app) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        assert.equal((await get('127.0.0.1', port, agent)).status, 200);
        const [state] = [...app.connections.states()];
        assert.equal(state?.remote, '::ffff:127.0.0.1');
        assert.equal(state?.clientKey, '127.0.0.1');
      } finally {
        agent.destroy();
      }
    });
  });
});
