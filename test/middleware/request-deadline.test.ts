// REQUEST_DEADLINE_MS over real sockets: a request whose handler has not answered in
// time gets one 503 (504 while it waits on the store), its store call sees the abort,
// nothing is written after it, a shared store call is aborted only when every request
// waiting on it has given up, a started stream is not cut, /debug is exempt, 0 turns it
// off, and every request is counted once with the status it was sent.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { MetricsReport } from '../../src/metrics/report.js';
import type { Product } from '../../src/products/catalog.js';
import { EmbeddedStore, type ProductPage, type ProductStore } from '../../src/products/store.js';
import { eventually, request, withApp, type TestApp } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';

/** How long a call takes: milliseconds, 'never', or 'held' (until release()). The store
 *  ignores its signal, as a careless one would: the server must not rely on it. */
type Timing = number | 'never' | 'held';

/** The embedded catalog behind a scripted delay; keeps every signal it was given. */
class ScriptedStore implements ProductStore {
  readonly size = 3000;
  readonly signals: AbortSignal[] = [];
  private readonly inner = new EmbeddedStore(this.size, 0);
  private readonly held: (() => void)[] = [];

  constructor(private readonly timing: (key: number) => Timing) {}

  get calls(): number {
    return this.signals.length;
  }

  get(id: number, signal?: AbortSignal): Promise<Product | undefined> {
    return this.after(this.timing(id), signal, () => this.inner.get(id));
  }

  list(offset: number, limit: number, signal?: AbortSignal): Promise<ProductPage> {
    return this.after(this.timing(offset), signal, () => this.inner.list(offset, limit));
  }

  /** Lets every held call answer. */
  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  private after<T>(timing: Timing, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    assert.ok(signal !== undefined, 'every store call carries a signal');
    this.signals.push(signal);
    if (timing === 'never') return new Promise<T>(() => {});
    const wait = new Promise<void>((resolve) => (timing === 'held' ? this.held.push(resolve) : setTimeout(resolve, timing)));
    return wait.then(work);
  }
}

/** One GET on a keep-alive raw connection, read for `readMs`: every byte the server sent,
 *  so a second response (or a stray write) would show. */
function rawGet(port: number, path: string, readMs: number): Promise<string> {
  return sendRaw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, 'wait', readMs);
}

function statusLines(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

function detail(text: string): string {
  return (JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { detail: string }).detail;
}

async function settles(t: TestApp): Promise<void> {
  await eventually(() => t.app.metrics.inFlight === 0, `inFlight back to 0 (it is ${t.app.metrics.inFlight})`);
}

function statuses(t: TestApp, route: string): [number, number][] {
  return t.app.metrics.counts().filter((c) => c.route === route).map((c) => [c.status, c.count]);
}

/** Warnings and errors logged (the access log's lines are info). */
function complaints(t: TestApp): Record<string, unknown>[] {
  return t.logs().filter((line) => Number(line['level']) >= 40);
}

/** Runs body while recording process warnings and uncaught exceptions. */
async function watchingProcess(body: () => Promise<void>): Promise<unknown[]> {
  const trouble: unknown[] = [];
  const record = (what: unknown): void => {
    trouble.push(what);
  };
  process.on('warning', record);
  process.on('uncaughtException', record);
  try {
    await body();
  } finally {
    process.off('warning', record);
    process.off('uncaughtException', record);
  }
  return trouble;
}

test('a store call slower than the deadline: each waiting client gets one 504, and the shared call is aborted with the reason', async () => {
  const store = new ScriptedStore(() => 'never');
  await withApp(
    async (t) => {
      const started = Date.now();
      const [a, b] = await Promise.all([rawGet(t.port, '/products/3', 500), rawGet(t.port, '/products/3', 500)]);
      for (const text of [a, b]) {
        assert.deepEqual(statusLines(text), [504], text);
        assert.match(text, /content-type: application\/problem\+json/i);
        assert.equal(detail(text), 'the server could not answer within 100 ms: it was waiting on the product store');
      }
      assert.equal(store.calls, 1, 'the two misses shared one call');
      const signal = store.signals[0];
      assert.equal(signal?.aborted, true, 'the store saw the abort');
      assert.ok(signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError', String(signal.reason));
      assert.match(String(signal.reason.message), /within 100 ms/);
      assert.ok(Date.now() - started < 2000);
      await settles(t);
      assert.deepEqual(statuses(t, '/products/{id}'), [[504, 2]]);
      const report = (await request(t.port, '/metrics')).json<MetricsReport>();
      assert.deepEqual(report.deadline, { ms: 100, answered503: 0, answered504: 2 });
      assert.equal(report.requests.inFlight, 1, 'only the /metrics request itself');
      assert.equal(report.cache.inflight, 0, 'the abandoned load is forgotten');
      assert.equal(report.cache.entries, 0, 'nothing cached');
      const prometheus = (await request(t.port, '/metrics?format=prometheus')).text;
      assert.match(prometheus, /^turbina_http_deadline_exceeded_total\{status="503"\} 0$/m);
      assert.match(prometheus, /^turbina_http_deadline_exceeded_total\{status="504"\} 2$/m);
      assert.deepEqual(complaints(t), []);
    },
    { requestDeadlineMs: 100, storeTimeoutMs: 5000 },
    { store },
  );
});

test('a late store answer after the 504 writes nothing: no error logged, no warning, no uncaught exception, nothing cached', async () => {
  const store = new ScriptedStore(() => 250);
  await withApp(
    async (t) => {
      const trouble = await watchingProcess(async () => {
        const text = await rawGet(t.port, '/products/7', 500); // read past the store's answer
        assert.deepEqual(statusLines(text), [504], text);
        await settles(t);
      });
      assert.deepEqual(trouble, []);
      assert.deepEqual(complaints(t), []);
      assert.deepEqual(statuses(t, '/products/{id}'), [[504, 1]]);
      assert.equal(t.app.cache.stats().entries, 0);
      assert.equal(t.app.cache.stats().loadErrors, 1);
    },
    { requestDeadlineMs: 80 },
    { store },
  );
});

test('a route that never answers gets 503, and its signal is aborted; one that answers late writes nothing', async () => {
  let neverSignal: AbortSignal | undefined;
  const lateErrors: unknown[] = [];
  let lateWritten = false;
  await withApp(
    async (t) => {
      t.app.route('GET', '/never', (ctx) => {
        neverSignal = ctx.signal;
        return new Promise(() => {});
      });
      t.app.route('GET', '/late', async (ctx) => {
        await sleep(200);
        try {
          await t.app.respond.json(ctx, 200, { late: true });
          lateWritten = true;
        } catch (error) {
          lateErrors.push(error);
        }
      });
      const trouble = await watchingProcess(async () => {
        const never = await rawGet(t.port, '/never', 300);
        assert.deepEqual(statusLines(never), [503], never);
        assert.equal(detail(never), 'the server could not answer within 100 ms');
        const late = await rawGet(t.port, '/late', 400);
        assert.deepEqual(statusLines(late), [503], late);
        assert.doesNotMatch(late, /"late"/);
        await settles(t);
      });
      assert.deepEqual(trouble, []);
      assert.ok(lateWritten, 'the handler made its late answer');
      assert.deepEqual(lateErrors, [], 'the late answer was ignored, not refused with an error');
      assert.equal(neverSignal?.aborted, true);
      assert.equal((neverSignal?.reason as Error).name, 'TimeoutError');
      assert.deepEqual(t.app.snapshot().deadline, { ms: 100, answered503: 2, answered504: 0 });
      const access = t.logs().filter((l) => l['msg'] === 'request').map((l) => [l['path'], l['status']]);
      assert.deepEqual(access, [['/never', 503], ['/late', 503]], 'each request logged once, with the status sent');
      assert.deepEqual(complaints(t), []);
    },
    { requestDeadlineMs: 100 },
  );
});

test('a handler that fails for real after the deadline answered is logged once; one failing with its cancellation is not', async () => {
  await withApp(
    async (t) => {
      t.app.route('GET', '/broken-late', async () => {
        await sleep(150);
        throw new Error('late bug');
      });
      t.app.route('GET', '/cancelled-late', async (ctx) => {
        await sleep(150);
        throw ctx.signal.reason;
      });
      assert.deepEqual(statusLines(await rawGet(t.port, '/broken-late', 300)), [503]);
      assert.deepEqual(statusLines(await rawGet(t.port, '/cancelled-late', 300)), [503]);
      await settles(t);
      await eventually(() => complaints(t).length > 0, 'the late failure is logged');
      await sleep(50);
      const logged = complaints(t).map((l) => [l['msg'], l['path']]);
      assert.deepEqual(logged, [['handler failed after its request was complete', '/broken-late']]);
    },
    { requestDeadlineMs: 100 },
  );
});

test('a response still being compressed when the deadline answered is dropped, even while the 503 waits its turn on the connection', async () => {
  // Random hex compresses slowly: megabytes take far longer than the 5 ms deadline.
  const big = { data: randomBytes(3 << 20).toString('hex') };
  const errors: unknown[] = [];
  let compressed = false;
  await withApp(
    async (t) => {
      // Exempt, and answering only once the compression has ended: the 503 queued behind
      // it is not yet sent (nor its response closed) when the compressed body comes back.
      t.app.route('GET', '/debug/hold', async (ctx) => {
        await eventually(() => compressed, 'the compression to end', 5000);
        await t.app.respond.json(ctx, 200, { held: true });
      });
      t.app.route('GET', '/big', async (ctx) => {
        try {
          await t.app.respond.json(ctx, 200, big);
        } catch (error) {
          errors.push(error);
        }
        compressed = true;
      });
      const pipelined = 'GET /debug/hold HTTP/1.1\r\nHost: x\r\n\r\nGET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n';
      const text = await sendRaw(t.port, pipelined, 'wait', 5000);
      assert.deepEqual(statusLines(text), [200, 503], text.slice(0, 2000));
      await settles(t);
      assert.deepEqual(errors, [], 'the compressed body was dropped, not refused with an error');
      assert.deepEqual(complaints(t), []);
    },
    { requestDeadlineMs: 5 },
  );
});

test('/io slower than the deadline: one 503, the timer\'s late answer writes nothing, and the connection serves the next request', async () => {
  await withApp(
    async (t) => {
      const socket = connect(t.port, '127.0.0.1');
      await once(socket, 'connect');
      let text = '';
      socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
      socket.write('GET /io?ms=250 HTTP/1.1\r\nHost: x\r\n\r\n');
      await sleep(400);
      assert.deepEqual(statusLines(text), [503], text);
      socket.write('GET /io?ms=0 HTTP/1.1\r\nHost: x\r\n\r\n');
      await eventually(() => statusLines(text).length === 2, 'the second answer');
      assert.deepEqual(statusLines(text), [503, 200]);
      socket.destroy();
      await settles(t);
      assert.deepEqual(statuses(t, '/io'), [[200, 1], [503, 1]]);
      assert.deepEqual(complaints(t), []);
    },
    { requestDeadlineMs: 100 },
  );
});

test('requests sharing one store call: the call goes on while any of them waits, and is aborted when the last client leaves', async () => {
  const store = new ScriptedStore(() => 'held');
  await withApp(
    async (t) => {
      // One client leaves, one stays: the stayer gets the product.
      const leaver = connect(t.port, '127.0.0.1');
      await once(leaver, 'connect');
      leaver.on('error', () => {});
      leaver.write('GET /products/5 HTTP/1.1\r\nHost: x\r\n\r\n');
      const stayer = request(t.port, '/products/5');
      await eventually(() => t.app.metrics.inFlight === 2 && store.calls === 1, 'both requests waiting on one call');
      // A reset: a FIN alone is a half-close, whose client still gets its answer.
      leaver.resetAndDestroy();
      await eventually(() => t.app.metrics.aborted === 1, 'the server saw the client leave');
      assert.equal(store.signals[0]?.aborted, false, 'one client leaving does not abort the others\' call');
      store.release();
      const reply = await stayer;
      assert.equal(reply.status, 200);
      assert.equal(reply.json<Product>().id, 5);

      // Both leave: the call is aborted when the second one does, not before.
      const clients = await Promise.all([0, 1].map(async () => {
        const socket = connect(t.port, '127.0.0.1');
        await once(socket, 'connect');
        socket.on('error', () => {});
        socket.write('GET /products/6 HTTP/1.1\r\nHost: x\r\n\r\n');
        return socket;
      }));
      await eventually(() => t.app.metrics.inFlight === 2 && store.calls === 2, 'both waiting on the second call');
      clients[0]?.resetAndDestroy();
      await eventually(() => t.app.metrics.aborted === 2, 'the first one left');
      assert.equal(store.signals[1]?.aborted, false);
      clients[1]?.resetAndDestroy();
      await eventually(() => store.signals[1]?.aborted === true, 'the call aborted when the last waiter left');
      assert.equal((store.signals[1]?.reason as Error).name, 'AbortError');
      await settles(t);
      assert.equal(t.app.cache.stats().inflight, 0);
      assert.deepEqual(statuses(t, '/products/{id}'), [[200, 1], [499, 3]]);
      store.release();
    },
    { requestDeadlineMs: 5000 },
    { store },
  );
});

test('an export that streams longer than the deadline is not cut; one whose first page is late gets 504', async () => {
  // Pages after the first take longer than the whole deadline.
  const slowPages = new ScriptedStore((offset) => (offset === 0 ? 0 : 120));
  await withApp(
    async (t) => {
      const started = Date.now();
      const reply = await request(t.port, '/products/export');
      assert.ok(Date.now() - started >= 240, `took ${Date.now() - started} ms`);
      assert.equal(reply.status, 200);
      const lines = reply.text.trimEnd().split('\n');
      assert.equal(lines.length, 3000, 'every product');
      assert.equal((JSON.parse(lines[2999] ?? '') as Product).id, 3000);
      await settles(t);
      assert.deepEqual(t.app.snapshot().deadline, { ms: 100, answered503: 0, answered504: 0 });
    },
    { requestDeadlineMs: 100 },
    { store: slowPages },
  );
  const slowStart = new ScriptedStore(() => 'never');
  await withApp(
    async (t) => {
      const text = await rawGet(t.port, '/products/export', 300);
      assert.deepEqual(statusLines(text), [504], text);
      assert.equal(slowStart.signals[0]?.aborted, true);
      await settles(t);
      assert.equal(t.app.exports.stats().active, 0, 'the export slot is given back');
    },
    { requestDeadlineMs: 100 },
    { store: slowStart },
  );
});

test('/debug routes are exempt: a profile runs as long as it was asked to', async () => {
  await withApp(
    async (t) => {
      t.app.route('GET', '/debug/slow', async (ctx) => {
        await sleep(150);
        await t.app.respond.json(ctx, 200, { slow: true });
      });
      const reply = await request(t.port, '/debug/slow');
      assert.equal(reply.status, 200);
      assert.deepEqual(t.app.snapshot().deadline.answered503, 0);
    },
    { requestDeadlineMs: 50 },
  );
});

test('REQUEST_DEADLINE_MS=0: no deadline; a handler takes as long as it takes', async () => {
  await withApp(
    async (t) => {
      t.app.route('GET', '/never', () => new Promise(() => {}));
      assert.equal(await rawGet(t.port, '/never', 300), '', 'no answer at all');
      assert.equal((await request(t.port, '/io?ms=150')).status, 200);
      assert.deepEqual(t.app.snapshot().deadline, { ms: 0, answered503: 0, answered504: 0 });
    },
    { requestDeadlineMs: 0 },
  );
});
