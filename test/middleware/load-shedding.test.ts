// Load shedding over real sockets: a blocked event loop makes new requests 503 with
// Retry-After (by delay and by utilization) and recovers; MAX_IN_FLIGHT refuses the
// request beyond the bound at once and admits again once one completes, whichever way
// it ends; /healthz, /readyz and /metrics answer throughout; the refusals are counted in
// the JSON and Prometheus documents; with no option set nothing is ever refused.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../src/config.js';
import type { MetricsReport } from '../../src/metrics/report.js';
import { ELU_MIN_DELAY_MS, LoadShedder } from '../../src/middleware/load-shedding.js';
import { eventually, request, withApp, type TestApp } from '../helpers/http.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { sendRaw } from '../helpers/raw.js';

/** Holds the event loop, as a CPU-bound handler would. */
function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spinning on purpose
  }
}

/** A route that blocks the loop for 300 ms per request. */
function addBusyRoute(t: TestApp): void {
  t.app.route('GET', '/busy', (ctx) => {
    busyFor(300);
    return t.app.respond.json(ctx, 200, { busy: true });
  });
}

async function metrics(t: TestApp): Promise<MetricsReport> {
  return (await request(t.port, '/metrics')).json<MetricsReport>();
}

interface Tick {
  readonly io: number;
  readonly retryAfter: string | undefined;
  readonly problemType: string | undefined;
  /** /healthz, /readyz and /metrics, asked at the same moment. */
  readonly exempt: readonly number[];
  readonly active: number;
}

/** Every 20 ms, a new request to a cheap route and to each exempt path, while `work` runs and a little after. */
async function probeDuring(t: TestApp, work: () => Promise<unknown>): Promise<Tick[]> {
  const ticks: Promise<Tick>[] = [];
  const tick = async (): Promise<Tick> => {
    const [io, healthz, readyz, m] = await Promise.all([
      request(t.port, '/io?ms=0'),
      request(t.port, '/healthz'),
      request(t.port, '/readyz'),
      request(t.port, '/metrics'),
    ]);
    return {
      io: io.status,
      retryAfter: io.headers['retry-after'],
      problemType: io.headers['content-type'],
      exempt: [healthz.status, readyz.status, m.status],
      active: m.json<MetricsReport>().shedding.active,
    };
  };
  const timer = setInterval(() => ticks.push(tick()), 20);
  try {
    await work();
    await sleep(60);
  } finally {
    clearInterval(timer);
  }
  return Promise.all(ticks);
}

/** Polls a cheap route until it is admitted again. */
async function admittedAgain(t: TestApp): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await request(t.port, '/io?ms=0')).status !== 200) {
    if (Date.now() > deadline) throw new Error('still refused 5 s after the overload ended');
    await sleep(20);
  }
}

function checkShedTicks(ticks: readonly Tick[]): void {
  const refused = ticks.filter((k) => k.io === 503);
  assert.ok(refused.length > 0, `no request was refused: ${JSON.stringify(ticks)}`);
  for (const k of refused) {
    assert.equal(k.retryAfter, '1');
    assert.equal(k.problemType, 'application/problem+json');
  }
  assert.ok(ticks.some((k) => k.active === 1), 'the shedding state never showed in /metrics');
  for (const k of ticks) assert.deepEqual(k.exempt, [200, 200, 200], 'an exempt path was refused');
}

/** A broken bound would leave a held request waiting forever: fail instead of hanging. */
const LIMIT = { timeout: 15_000 };

const blockTwice = (t: TestApp) => () => Promise.all([request(t.port, '/busy'), request(t.port, '/busy')]);

/** Requests pipelined on one connection: the server reads them in one turn of its loop,
 *  each after the one before has been handled, as it reads a burst from many clients. */
function pipeline(paths: readonly string[]): string {
  return paths.map((path, i) => `GET ${path} HTTP/1.1\r\nHost: x\r\n${i === paths.length - 1 ? 'Connection: close\r\n' : ''}\r\n`).join('');
}

test('SHED_EVENT_LOOP_DELAY_MS: requests read while the loop is late get 503 with Retry-After; health and metrics answer; then it recovers', LIMIT, async () => {
  await withApp(async (t) => {
    addBusyRoute(t);
    await sleep(150); // the sampler has fired: there is a time the loop is due back by
    const text = await sendRaw(t.port, pipeline(['/busy', '/io?ms=0', '/healthz', '/readyz', '/metrics', '/io?ms=0']));
    const heads = text.split(/(?=HTTP\/1\.1 )/);
    assert.deepEqual(heads.map((h) => h.slice(9, 12)), ['200', '503', '200', '200', '200', '503'], text);
    for (const refused of [heads[1] ?? '', heads[5] ?? '']) {
      assert.match(refused, /\r\nretry-after: 1\r\n/i);
      assert.match(refused, /\r\ncontent-type: application\/problem\+json\r\n/i);
    }
    assert.match(heads[4] ?? '', /"shedding":\{[^}]*"active":1/, 'the shedding state shows in /metrics');

    // The loop is on time again: admitted.
    assert.equal((await request(t.port, '/io?ms=0')).status, 200);
    const m = await metrics(t);
    assert.equal(m.shedding.eventLoopDelayMs, 100);
    assert.deepEqual(m.shedding.shed, { eventLoopDelay: 2, eventLoopUtilization: 0, inFlight: 0 });
    assert.equal(m.shedding.active, 0);
    assert.equal(m.requests.byStatus['503'], 2);
  }, { shedEventLoopDelayMs: 100 });
});

test('SHED_EVENT_LOOP_DELAY_MS bounds the work one turn admits: requests read after the turn has run that long are refused, the next turn admits again', LIMIT, async () => {
  await withApp(async (t) => {
    t.app.route('GET', '/spin', (ctx) => {
      busyFor(30);
      return t.app.respond.json(ctx, 200, { spun: true });
    });
    await sleep(100);
    // One turn reads all four; the sampling timer (every 25 ms) alone would often admit the second.
    const text = await sendRaw(t.port, pipeline(['/spin', '/spin', '/spin', '/spin']));
    assert.deepEqual(text.split(/(?=HTTP\/1\.1 )/).map((h) => h.slice(9, 12)), ['200', '503', '503', '503'], text);
    assert.equal((await request(t.port, '/spin')).status, 200);
  }, { shedEventLoopDelayMs: 20 });
});

test('SHED_ELU: a window the loop spent busy refuses new requests, counted as utilization', LIMIT, async () => {
  await withApp(async (t) => {
    addBusyRoute(t);
    const ticks = await probeDuring(t, blockTwice(t));
    checkShedTicks(ticks);
    await admittedAgain(t);
    const m = await metrics(t);
    assert.ok(m.shedding.shed.eventLoopUtilization >= 1);
    assert.equal(m.shedding.shed.eventLoopDelay, 0);
    assert.equal(m.shedding.eventLoopUtilization, 0.8);
  }, { shedElu: 0.8 });
});

/** A route whose requests wait until the test lets them go, one by one, in arrival order. */
function addHeldRoute(t: TestApp): { release(): void; readonly waiting: number } {
  const held: (() => void)[] = [];
  t.app.route('GET', '/held', async (ctx) => {
    await new Promise<void>((resolve) => held.push(resolve));
    return t.app.respond.json(ctx, 200, { held: true });
  });
  return {
    release: () => held.shift()?.(),
    get waiting() {
      return held.length;
    },
  };
}

test('MAX_IN_FLIGHT=2: the third concurrent request gets 503 at once; once one finishes, new ones are admitted; counted in JSON and Prometheus', LIMIT, async () => {
  await withApp(async (t) => {
    const held = addHeldRoute(t);
    const first = request(t.port, '/held');
    const second = request(t.port, '/held');
    await eventually(() => held.waiting === 2, 'two requests admitted');

    // Answered while the two admitted ones still wait: refused, not queued.
    const third = await request(t.port, '/held');
    assert.equal(third.status, 503);
    assert.equal(third.headers['retry-after'], '1');
    assert.equal(third.json<{ status: number }>().status, 503);
    assert.equal(held.waiting, 2);
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await request(t.port, path)).status, 200, path);

    held.release();
    assert.equal((await first).status, 200);
    await eventually(() => t.app.metrics.inFlight === 1, 'the first to complete');
    const fourth = request(t.port, '/held');
    await eventually(() => held.waiting === 2, 'a new request admitted');
    held.release();
    held.release();
    assert.deepEqual([(await second).status, (await fourth).status], [200, 200]);

    const m = await metrics(t);
    assert.deepEqual(m.shedding, { eventLoopDelayMs: 0, eventLoopUtilization: 0, maxInFlight: 2, active: 0, shed: { eventLoopDelay: 0, eventLoopUtilization: 0, inFlight: 1 } });
    const families = parsePrometheus((await request(t.port, '/metrics', { headers: { accept: 'text/plain' } })).text);
    assert.equal(sampleValue(families, 'turbina_load_shed_total', { reason: 'in_flight' }), 1);
    assert.equal(sampleValue(families, 'turbina_load_shed_total', { reason: 'event_loop_delay' }), 0);
    assert.equal(sampleValue(families, 'turbina_load_shed_total', { reason: 'event_loop_utilization' }), 0);
    assert.equal(sampleValue(families, 'turbina_max_in_flight'), 2);
    assert.equal(sampleValue(families, 'turbina_load_shedding_active'), 0);
  }, { maxInFlight: 2 });
});

test('the /debug routes are not shed when DEBUG_ENDPOINTS=on (the dashboard and profiles of an overloaded server); other routes are', LIMIT, async () => {
  for (const debugEndpoints of ['on', 'off'] as const) {
    await withApp(async (t) => {
      const held = addHeldRoute(t);
      const first = request(t.port, '/held');
      await eventually(() => held.waiting === 1, 'one request admitted');
      assert.equal((await request(t.port, '/products/1')).status, 503);
      const expected = debugEndpoints === 'on' ? 200 : 503;
      for (const path of ['/debug/dashboard', '/debug/pprof/']) assert.equal((await request(t.port, path)).status, expected, `${path} with DEBUG_ENDPOINTS=${debugEndpoints}`);
      held.release();
      assert.equal((await first).status, 200);
    }, { maxInFlight: 1, debugEndpoints });
  }
});

test('MAX_IN_FLIGHT=1: no slot leaks when a handler throws, rejects, or its client goes away', LIMIT, async () => {
  await withApp(async (t) => {
    const held = addHeldRoute(t);
    t.app.route('GET', '/throws', () => {
      throw new Error('boom');
    });
    t.app.route('GET', '/rejects', async () => {
      await sleep(5);
      throw new Error('boom later');
    });
    for (const path of ['/throws', '/rejects', '/throws']) assert.equal((await request(t.port, path)).status, 500, path);
    await eventually(() => t.app.metrics.inFlight === 0, 'the failures to complete');

    // A client that leaves while its request is held: its slot is freed when it goes.
    const socket = connect(t.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /held HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => held.waiting === 1, 'the held request to be admitted');
    assert.equal((await request(t.port, '/io?ms=0')).status, 503);
    socket.resetAndDestroy();
    await eventually(() => t.app.metrics.inFlight === 0, 'the aborted request to complete');
    // Its handler finishing later must not free the slot a second time.
    held.release();
    await sleep(20);
    assert.equal(t.app.metrics.inFlight, 0);

    // Exactly one admitted again: the bound holds at 1, not 2.
    const next = request(t.port, '/held');
    await eventually(() => held.waiting === 1, 'a new request admitted');
    assert.equal((await request(t.port, '/io?ms=0')).status, 503);
    held.release();
    assert.equal((await next).status, 200);
    const m = await metrics(t);
    assert.equal(m.shedding.shed.inFlight, 2);
    assert.equal(m.requests.inFlight, 1); // the /metrics request itself
  }, { maxInFlight: 1 });
});

test('off by default: a blocked loop and many concurrent requests are all answered', LIMIT, async () => {
  const defaults: Partial<Config> = {};
  await withApp(async (t) => {
    addBusyRoute(t);
    const held = addHeldRoute(t);
    const ticks = await probeDuring(t, blockTwice(t));
    assert.ok(ticks.every((k) => k.io === 200 && k.active === 0), JSON.stringify(ticks));
    const text = await sendRaw(t.port, pipeline(['/busy', '/io?ms=0', '/io?ms=0']));
    assert.deepEqual(text.split(/(?=HTTP\/1\.1 )/).map((h) => h.slice(9, 12)), ['200', '200', '200']);
    const many = Array.from({ length: 20 }, () => request(t.port, '/held'));
    await eventually(() => held.waiting === 20, 'all 20 admitted');
    for (let i = 0; i < 20; i++) held.release();
    assert.ok((await Promise.all(many)).every((r) => r.status === 200));
    const m = await metrics(t);
    assert.deepEqual(m.shedding, { eventLoopDelayMs: 0, eventLoopUtilization: 0, maxInFlight: 0, active: 0, shed: { eventLoopDelay: 0, eventLoopUtilization: 0, inFlight: 0 } });
  }, defaults);
});

test('SHED_ELU alone does not shed a loop that is busy but prompt (its timer on time), nor one that is late but idle', () => {
  const shedder = new LoadShedder({ eventLoopDelayMs: 0, eventLoopUtilization: 0.9, maxInFlight: 0, debugRoutes: false }, { inFlight: 1 });
  shedder.sample({ at: performance.now(), delayMs: ELU_MIN_DELAY_MS - 1, utilization: 1 });
  assert.equal(shedder.stats().active, 0);
  shedder.sample({ at: performance.now(), delayMs: 200, utilization: 0.5 });
  assert.equal(shedder.stats().active, 0);
  shedder.sample({ at: performance.now(), delayMs: ELU_MIN_DELAY_MS, utilization: 0.95 });
  assert.equal(shedder.stats().active, 1);
  shedder.sample({ at: performance.now(), delayMs: 0, utilization: 0.95 });
  assert.equal(shedder.stats().active, 0);
});
