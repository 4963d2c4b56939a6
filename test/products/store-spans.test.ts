// Store calls as spans, with a tracer whose sink the test reads: the resilient store's
// call span over each HTTP attempt's CLIENT span (a real HttpStore against a scripted
// upstream on a loopback port, which records the traceparent each request carried), the
// embedded store with no client spans, failures, timeouts and aborts as error status, an
// unsampled trace recording nothing but still passing its context on, and no span at all
// (tracing off) sending no trace headers.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { generateProduct } from '../../src/products/catalog.js';
import { ResilientStore, type ResilienceOptions } from '../../src/products/resilient-store.js';
import { EmbeddedStore, type ProductStore } from '../../src/products/store.js';
import { HttpStore } from '../../src/products/upstream/http-store.js';
import { CircuitBreaker } from '../../src/resilience/circuit-breaker.js';
import { RetryBudget } from '../../src/resilience/retry-budget.js';
import type { FinishedSpan } from '../../src/trace/span.js';
import { Tracer, type Span } from '../../src/trace/tracer.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_ID = '00f067aa0ba902b7';
const TRACESTATE = 'rojo=00f067aa0ba902b7';

/** How the upstream answers its n-th request (from 0). */
type Answer = 'ok' | 503 | 'hang';

/** A product upstream on a loopback port that answers as scripted and keeps what each request sent. */
class Upstream {
  readonly seen: IncomingHttpHeaders[] = [];
  script: readonly Answer[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const answer = this.script[this.seen.length] ?? 'ok';
      this.seen.push(req.headers);
      if (answer === 'hang') {
        this.hanging.add(res);
        return;
      }
      const status = answer === 503 ? 503 : 200;
      const body = JSON.stringify(status === 200 ? productOrPage(req.url ?? '') : { title: 'unavailable', status });
      res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'application/problem+json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  reset(script: readonly Answer[]): void {
    this.script = script;
    this.seen.length = 0;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  close(): Promise<void> {
    this.reset([]);
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server?.closeAllConnections();
    return closed;
  }
}

function productOrPage(url: string): unknown {
  if (url.startsWith('/products?')) return { items: [generateProduct(1)], total: 1, offset: 0, limit: 5, nextOffset: null };
  return generateProduct(Number(url.slice('/products/'.length)));
}

const upstream = new Upstream();
before(() => upstream.start());
after(() => upstream.close());

/** A tracer (sampling as told) whose finished spans land in `spans`. */
function tracing(sampled = true): { tracer: Tracer; spans: FinishedSpan[] } {
  let n = 0;
  const hex = (length: number): string => (++n).toString(16).padStart(length, '0');
  const spans: FinishedSpan[] = [];
  const tracer = new Tracer({ traceId: () => hex(32), spanId: () => hex(16) }, { sample: (parent) => parent ?? sampled }, { add: (span) => spans.push(span) });
  return { tracer, spans };
}

/** The request's server span, continuing a caller's sampled trace with a tracestate. */
function serverSpan(tracer: Tracer, sampled = true): Span {
  return tracer.startServer('GET /products/{id}', { traceId: TRACE_ID, parentId: CALLER_ID, sampled, traceState: TRACESTATE });
}

/** Retries at once (no jitter), never refused by the breaker or the retry budget. */
function resilient(inner: ProductStore, options: Partial<ResilienceOptions> = {}): ResilientStore {
  return new ResilientStore(inner, {
    attemptTimeoutMs: 1_000,
    retries: 2,
    retryBaseMs: 1,
    callBudgetMs: 0,
    random: () => 0,
    breaker: new CircuitBreaker({ consecutiveFailures: 0, failureRatio: 0, minCalls: 2, windowMs: 10_000, openMs: 5_000 }),
    retryBudget: new RetryBudget({ ratio: 1, minPerSecond: 1000, windowMs: 10_000 }),
    ...options,
  });
}

function overHttp(options: Partial<ResilienceOptions> = {}): { store: ResilientStore; http: HttpStore } {
  const http = new HttpStore({ url: `http://127.0.0.1:${upstream.port}`, maxSockets: 4, maxBodyBytes: 1 << 20 });
  return { store: resilient(http, options), http };
}

function named(spans: readonly FinishedSpan[], name: string): FinishedSpan[] {
  return spans.filter((span) => span.name === name);
}

test('a retried upstream call: the store span over one CLIENT span per attempt, the retry with its resend count, each request carrying its attempt\'s traceparent', async () => {
  upstream.reset([503, 'ok']);
  const { tracer, spans } = tracing();
  const { store, http } = overHttp();
  const server = serverSpan(tracer);
  try {
    assert.deepEqual(await store.get(7, undefined, server), generateProduct(7));
  } finally {
    http.close();
  }
  server.end();

  const [call] = named(spans, 'store get');
  assert.ok(call, 'a store span');
  assert.equal(call.kind, 'internal');
  assert.equal(call.traceId, TRACE_ID);
  assert.equal(call.parentSpanId, server.spanId);
  assert.deepEqual(call.attributes, { 'turbina.store.attempts': 2, 'turbina.store.outcome': 'ok' });
  assert.deepEqual(call.status, { code: 'unset' });

  const attempts = named(spans, 'GET');
  assert.equal(attempts.length, 2, 'one client span per attempt');
  const [first, second] = attempts as [FinishedSpan, FinishedSpan];
  const origin = `http://127.0.0.1:${upstream.port}`;
  for (const attempt of attempts) {
    assert.equal(attempt.kind, 'client');
    assert.equal(attempt.traceId, TRACE_ID);
    assert.equal(attempt.parentSpanId, call.spanId);
    assert.ok(call.startMs <= attempt.startMs && attempt.endMs <= call.endMs, 'within the store call');
  }
  assert.deepEqual(first.attributes, {
    'http.request.method': 'GET',
    'server.address': '127.0.0.1',
    'server.port': upstream.port,
    'url.full': `${origin}/products/7`,
    'http.response.status_code': 503,
    'error.type': '503',
  });
  assert.equal(first.status.code, 'error');
  assert.deepEqual(second.attributes, {
    'http.request.method': 'GET',
    'server.address': '127.0.0.1',
    'server.port': upstream.port,
    'url.full': `${origin}/products/7`,
    'http.request.resend_count': 1,
    'http.response.status_code': 200,
  });
  assert.deepEqual(second.status, { code: 'unset' });
  assert.ok(first.endMs <= second.startMs, 'the retry follows the failed attempt');

  assert.deepEqual(
    upstream.seen.map((headers) => headers['traceparent']),
    [`00-${TRACE_ID}-${first.spanId}-01`, `00-${TRACE_ID}-${second.spanId}-01`],
  );
  assert.deepEqual(upstream.seen.map((headers) => headers['tracestate']), [TRACESTATE, TRACESTATE]);
});

test('a call that fails for good: the store span fails with the last error type; url.full leaves the query out', async () => {
  upstream.reset([503, 503]);
  const { tracer, spans } = tracing();
  const { store, http } = overHttp({ retries: 1 });
  const server = serverSpan(tracer);
  try {
    await assert.rejects(store.list(0, 5, undefined, server));
  } finally {
    http.close();
  }
  const [call] = named(spans, 'store list');
  assert.ok(call);
  assert.equal(call.attributes['turbina.store.attempts'], 2);
  assert.equal(call.attributes['turbina.store.outcome'], 'failed');
  assert.equal(call.attributes['error.type'], '503');
  assert.equal(call.status.code, 'error');
  const attempts = named(spans, 'GET');
  assert.deepEqual(attempts.map((span) => span.attributes['error.type']), ['503', '503']);
  assert.deepEqual(attempts.map((span) => span.attributes['url.full']), [`http://127.0.0.1:${upstream.port}/products`, `http://127.0.0.1:${upstream.port}/products`]);
  assert.deepEqual(attempts.map((span) => span.attributes['http.request.resend_count']), [undefined, 1]);
});

test('an attempt that times out is a client span with error.type timeout; a caller giving up ends both spans as aborted', async () => {
  upstream.reset(['hang', 'hang']);
  const { tracer, spans } = tracing();
  const { store, http } = overHttp({ retries: 0, attemptTimeoutMs: 50 });
  try {
    await assert.rejects(store.get(1, undefined, serverSpan(tracer)));
    const caller = new AbortController();
    const gaveUp = store.get(2, caller.signal, serverSpan(tracer));
    setTimeout(() => caller.abort(new Error('the request gave up')), 20);
    await assert.rejects(gaveUp, /the request gave up/);
  } finally {
    http.close();
  }
  const [timedOut, aborted] = named(spans, 'store get') as [FinishedSpan, FinishedSpan];
  assert.equal(timedOut.attributes['turbina.store.outcome'], 'failed');
  assert.equal(timedOut.attributes['error.type'], 'timeout');
  assert.equal(aborted.attributes['turbina.store.outcome'], 'aborted');
  assert.equal(aborted.attributes['error.type'], 'aborted');
  assert.deepEqual(aborted.status, { code: 'error', message: 'the request gave up' });
  const attempts = named(spans, 'GET');
  assert.deepEqual(attempts.map((span) => [span.attributes['error.type'], span.status.code]), [['timeout', 'error'], ['aborted', 'error']]);
  assert.equal(attempts[0]?.attributes['http.response.status_code'], undefined, 'no answer, no status');
});

test('the embedded store: the store span alone, no client span (there is no remote call)', async () => {
  const { tracer, spans } = tracing();
  const store = resilient(new EmbeddedStore(10, 0));
  const server = serverSpan(tracer);
  assert.deepEqual(await store.get(3, undefined, server), generateProduct(3));
  assert.deepEqual(await store.get(99, undefined, server), undefined);
  assert.deepEqual(spans.map((span) => [span.name, span.kind, span.parentSpanId, span.attributes['turbina.store.outcome']]), [
    ['store get', 'internal', server.spanId, 'ok'],
    ['store get', 'internal', server.spanId, 'ok'],
  ]);
});

test('an unsampled trace records nothing, yet each attempt sends its traceparent with the sampled flag off', async () => {
  upstream.reset([503, 'ok']);
  const { tracer, spans } = tracing(false);
  const { store, http } = overHttp();
  const server = serverSpan(tracer, false);
  try {
    assert.deepEqual(await store.get(4, undefined, server), generateProduct(4));
  } finally {
    http.close();
  }
  server.end();
  assert.deepEqual(spans, []);
  const sent = upstream.seen.map((headers) => headers['traceparent']);
  assert.equal(sent.length, 2);
  const ids = new Set<string>();
  for (const traceparent of sent) {
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-00$/.exec(String(traceparent));
    assert.ok(match, `unsampled, in the caller's trace: ${String(traceparent)}`);
    assert.equal(match[1], TRACE_ID);
    assert.notEqual(match[2], server.spanId, "the attempt's own span id, not the server span's");
    ids.add(match[2] as string);
  }
  assert.equal(ids.size, 2, 'each attempt its own span id');
  assert.deepEqual(upstream.seen.map((headers) => headers['tracestate']), [TRACESTATE, TRACESTATE]);
});

test('no span (tracing off): the calls and their retries as before, no trace headers sent', async () => {
  upstream.reset([503, 'ok']);
  const { store, http } = overHttp();
  try {
    assert.deepEqual(await store.get(5), generateProduct(5));
    assert.deepEqual((await store.list(0, 5)).total, 1);
  } finally {
    http.close();
  }
  assert.equal(store.stats().attempts, 3);
  assert.deepEqual(upstream.seen.map((headers) => [headers['traceparent'], headers['tracestate'], headers['accept']]), [
    [undefined, undefined, 'application/json'],
    [undefined, undefined, 'application/json'],
    [undefined, undefined, 'application/json'],
  ]);
});
