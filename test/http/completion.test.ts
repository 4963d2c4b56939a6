// Every request completes, whatever way its response ends: sent, 304, HEAD, streamed,
// failed before the head, failed after it, a client that resets, a client that
// half-closes. Each store behaviour (answers, hangs past STORE_TIMEOUT_MS, throws, breaks
// in the middle of an export) is run against every route with every kind of client, and
// afterwards nothing is in flight, every request was counted once, and every socket closed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EmbeddedStore, type ProductPage, type ProductStore } from '../../src/products/store.js';
import type { Product } from '../../src/products/catalog.js';
import { startServer } from '../helpers/child.js';
import { eventually, request, withApp, type TestApp } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';

type StoreMode = 'answers' | 'hangs' | 'throws' | 'breaks mid-export' | 'hangs mid-export';

/** A store that behaves as told: the failures a real dependency has. */
class ScriptedStore implements ProductStore {
  readonly size = 3000;
  private readonly inner = new EmbeddedStore(this.size, 0);

  constructor(private readonly mode: StoreMode) {}

  get(id: number): Promise<Product | undefined> {
    return this.act(() => this.inner.get(id));
  }

  list(offset: number, limit: number): Promise<ProductPage> {
    if (this.mode === 'breaks mid-export' && offset > 0) return Promise.reject(new Error('the store broke'));
    if (this.mode === 'hangs mid-export' && offset > 0) return new Promise<ProductPage>(() => {});
    return this.act(() => this.inner.list(offset, limit));
  }

  private act<T>(work: () => Promise<T>): Promise<T> {
    if (this.mode === 'hangs') return new Promise<T>(() => {});
    if (this.mode === 'throws') return Promise.reject(new Error('the store failed'));
    return work();
  }
}

type ClientKind = 'GET' | 'HEAD' | 'gzip' | 'revalidate' | 'reset' | 'half-close';

interface Outcome {
  /** The status line's code, or 0 when nothing arrived. */
  readonly status: number;
  /** The response arrived whole (its Content-Length, or the chunked terminator). */
  readonly whole: boolean;
  readonly requestId: string | undefined;
  readonly etag: string | undefined;
}

/** One request on its own raw connection, read until the server closes it. */
async function exchange(port: number, path: string, kind: ClientKind, etag: string | undefined, arrived?: () => boolean): Promise<Outcome> {
  const method = kind === 'HEAD' ? 'HEAD' : 'GET';
  let head = `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n`;
  if (kind === 'gzip') head += 'Accept-Encoding: gzip\r\n';
  if (kind === 'revalidate' && etag !== undefined) head += `If-None-Match: ${etag}\r\n`;
  const ending = kind === 'half-close' || kind === 'reset' ? kind : 'wait';
  // A request that never completes keeps its socket open: given up on after 5 s.
  const text = await sendRaw(port, head + '\r\n', ending, 5000, arrived);
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, whole: false, requestId: undefined, etag: undefined };
  const lines = text.slice(0, end).split('\r\n');
  const header = (name: string): string | undefined =>
    lines.find((l) => l.toLowerCase().startsWith(name + ':'))?.slice(name.length + 1).trim();
  const status = Number(lines[0]?.split(' ')[1]);
  const body = text.slice(end + 4);
  const length = header('content-length');
  const bodiless = method === 'HEAD' || status === 304;
  const whole = bodiless || (length !== undefined ? body.length === Number(length) : body.endsWith('0\r\n\r\n'));
  return { status, whole, requestId: header('x-request-id'), etag: header('etag') };
}

const PATHS = ['/products/1', '/products?offset=0&limit=5', '/products/export', '/io?ms=5', '/healthz', '/readyz', '/metrics', '/debug/pprof/goroutine', '/nope'];
const KINDS: readonly ClientKind[] = ['GET', 'HEAD', 'gzip', 'revalidate', 'reset', 'half-close'];

async function inFlightSettles(t: TestApp): Promise<void> {
  await eventually(() => t.app.metrics.inFlight === 0, `inFlight back to 0 (it is ${t.app.metrics.inFlight})`, 5000);
  await eventually(() => t.app.connections.active === 0, 'every connection closed', 5000);
}

describe('every route, every client, every store behaviour: nothing stays in flight', () => {
  for (const mode of ['answers', 'hangs', 'throws', 'breaks mid-export', 'hangs mid-export'] as const) {
    test(`the store ${mode}`, async () => {
      await withApp(
        async (t) => {
          let sent = 0;
          for (const path of PATHS) {
            const { etag } = await exchange(t.port, path, 'GET', undefined);
            sent++;
            for (const kind of KINDS) {
              // A reset waits until the server has the request (started or already answered).
              const seen = t.app.metrics.total + t.app.metrics.inFlight;
              const outcome = await exchange(t.port, path, kind, etag, () => t.app.metrics.total + t.app.metrics.inFlight > seen);
              sent++;
              // Whatever ended the request, a client that stayed got an answer that was
              // either whole or cut (never a short body that looks complete).
              if (kind !== 'reset') assert.ok(outcome.status > 0, `${mode}: ${kind} ${path} got no answer`);
              if (outcome.status === 200 && kind !== 'reset' && !(mode.endsWith('mid-export') && path === '/products/export')) {
                assert.ok(outcome.whole, `${mode}: ${kind} ${path}: a cut 200`);
              }
            }
          }
          await inFlightSettles(t);
          assert.equal(t.app.metrics.total, sent, 'every request counted once');
        },
        { storeTimeoutMs: 50 },
        { store: new ScriptedStore(mode) },
      );
    });
  }
});

describe('a store that fails after the export has started', () => {
  for (const mode of ['breaks mid-export', 'hangs mid-export'] as const) {
    test(`(${mode}): the connection is cut, the request completes with its real status, logged once`, async () => {
      await withApp(
        async (t) => {
          const outcome = await exchange(t.port, '/products/export', 'GET', undefined);
          assert.equal(outcome.status, 200, 'the head went out first');
          assert.equal(outcome.whole, false, 'a cut body never ends like a complete one');
          await inFlightSettles(t);
          const status = mode === 'hangs mid-export' ? 504 : 500;
          const counts = t.app.metrics.counts().filter((c) => c.route === '/products/export');
          assert.deepEqual(counts.map((c) => [c.status, c.count]), [[status, 1]]);
          const logs = t.logs();
          const failures = logs.filter((l) => l['msg'] === 'response failed after its head was sent: connection cut');
          assert.equal(failures.length, 1, JSON.stringify(logs));
          assert.equal(failures[0]?.['reqId'], outcome.requestId);
          assert.equal(failures[0]?.['status'], status);
          const access = logs.filter((l) => l['msg'] === 'request' && l['path'] === '/products/export');
          assert.deepEqual(access.map((l) => l['status']), [status]);
          assert.equal(t.app.pool.stats().inUse, 0, 'pooled Buffers returned');
          assert.equal(t.app.compression.stats().streamsOpen, 0);
        },
        { storeTimeoutMs: 50 },
        { store: new ScriptedStore(mode) },
      );
    });
  }
});

test('STORE_LATENCY_MS=200 STORE_TIMEOUT_MS=50: the export answers 504, /metrics shows nothing in flight, SIGTERM exits 0 at once', async () => {
  const { child, port } = await startServer([], { STORE_LATENCY_MS: '200', STORE_TIMEOUT_MS: '50', SHUTDOWN_TIMEOUT_MS: '10000' });
  try {
    const outcome = await exchange(port, '/products/export', 'GET', undefined);
    assert.equal(outcome.status, 504);
    assert.equal(outcome.whole, true);
    const metrics = (await request(port, '/metrics')).json<{ requests: { inFlight: number } }>();
    assert.equal(metrics.requests.inFlight, 1, 'only the /metrics request itself');
    const started = Date.now();
    child.kill('SIGTERM');
    assert.deepEqual(await child.exited, { code: 0, signal: null });
    assert.ok(Date.now() - started < 5000, `exited after ${Date.now() - started} ms`);
    const access = child.lines.find((l) => l['msg'] === 'request' && l['path'] === '/products/export');
    assert.equal(access?.['status'], 504);
  } finally {
    child.kill('SIGKILL');
  }
});
