// The floor: a bare node:http server with the same routes and the same response bytes as
// turbina's hot paths, and nothing else (no router, no validation, no negotiation, no
// logs, no metrics). What turbina costs is measured against this in the same run.
// WORKERS=N (N > 1) makes it a cluster like turbina's: the primary forks N workers
// (bare-cluster.ts) and serves nothing; each worker runs this file and listens.
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { wireBody, type WireBody } from '../../src/http/wire-body.js';
import { reusePortSupported, type HttpServerOptions, type ReusePortListenOptions } from '../../src/platform/node-features.js';
import { generateProduct } from '../../src/products/catalog.js';

// BARE_NODE_SETTINGS=turbina: the node:http settings turbina applies (README,
// Performance): small bodies as strings (any Node), and on Node 24 optimizeEmptyRequests
// and a settled AsyncContextFrame. turbina's own cost is measured against them too.
// Settling AsyncContextFrame has to happen before the first process.nextTick, which is
// why it is a conditional require here and not an import (importing it settles it).
const tuned = process.env['BARE_NODE_SETTINGS'] === 'turbina';
if (tuned) void (createRequire(import.meta.url)('node:async_hooks') as typeof import('node:async_hooks')).AsyncLocalStorage;
const serverOptions: HttpServerOptions = tuned ? { optimizeEmptyRequests: true } : {};

const port = Number(process.env['PORT'] ?? 8080);
const storeLatencyMs = Number(process.env['STORE_LATENCY_MS'] ?? 20);
const workers = Number(process.env['WORKERS'] ?? 1);
/** Set by the primary in its workers' environment. */
const WORKER_ENV = 'BARE_WORKER';
/** 0 for the single process, 1..N for a cluster's workers. */
const workerNumber = Number(process.env[WORKER_ENV] ?? 0);
/** A request id prefix per process, as turbina's (same length: the bytes stay the same). */
const ID_PREFIX = 'bare' + String(workerNumber).padStart(4, '0') + '-';
const ttlMs = 30_000;
const MAX_ENTRIES = 10_000;
/** The body as res.end gets it: a string when tuned (written with the head in one write). */
const wire = (body: Buffer): WireBody => (tuned ? wireBody(body) : body);
const OK = Buffer.from('{"message":"ok"}');
const OK_WIRE = wire(OK);
const ALIVE = Buffer.from('{"status":"ok"}');
interface Body {
  readonly bytes: Buffer;
  readonly wire: WireBody;
}
const asBody = (bytes: Buffer): Body => ({ bytes, wire: wire(bytes) });
interface Entry {
  readonly body: Body;
  /** The gzip bytes (level 9, made once), for list pages. */
  readonly gzip: Body | undefined;
  readonly etag: string;
  readonly lastModified: string;
  readonly expiresAt: number;
}
const cache = new Map<string, Entry>();
let counter = 0;

function entry(value: unknown, updatedAt: number, gzip: boolean): Entry {
  const body = Buffer.from(JSON.stringify(value));
  return {
    body: asBody(body),
    gzip: gzip ? asBody(gzipSync(body, { level: 9 })) : undefined,
    etag: '"' + createHash('sha1').update(body).digest('base64url').slice(0, 22) + '"',
    lastModified: new Date(Math.min(updatedAt, Date.now())).toUTCString(),
    expiresAt: performance.now() + ttlMs,
  };
}

function send(res: ServerResponse, e: Entry, hit: boolean, gzip: boolean): void {
  const body = gzip && e.gzip !== undefined ? e.gzip : e.body;
  const headers = [
    'content-type', 'application/json',
    'x-request-id', ID_PREFIX + (++counter).toString(36),
    'vary', 'Accept-Encoding',
    'etag', e.etag,
    'last-modified', e.lastModified,
    'content-length', String(body.bytes.length),
    'x-cache', hit ? 'HIT' : 'MISS',
    'cache-control', 'public, max-age=' + Math.floor((e.expiresAt - performance.now()) / 1000),
  ];
  if (body !== e.body) headers.push('content-encoding', 'gzip');
  res.writeHead(200, headers);
  res.end(body.wire, 'latin1');
}

function remember(key: string, e: Entry): void {
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, e);
}

function listPage(url: string): { value: unknown; updatedAt: number } {
  const offset = Number(/[?&]offset=(\d+)/.exec(url)?.[1] ?? 0);
  const limit = Number(/[?&]limit=(\d+)/.exec(url)?.[1] ?? 20);
  const total = 10_000;
  const items = [];
  let updatedAt = 0;
  for (let id = offset + 1; id <= Math.min(total, offset + limit); id++) {
    const product = generateProduct(id);
    updatedAt = Math.max(updatedAt, Date.parse(product.updatedAt));
    items.push(product);
  }
  const next = offset + items.length;
  return { value: { items, total, offset, limit, nextOffset: next < total ? next : null }, updatedAt };
}

const server = createServer(serverOptions, (req, res) => {
  const url = req.url ?? '/';
  if (url.startsWith('/io')) {
    const ms = Number(/ms=(\d+)/.exec(url)?.[1] ?? 1);
    setTimeout(() => {
      // The same header lines turbina's /io sends (a JSON type is compressible: Vary).
      res.writeHead(200, [
        'content-type', 'application/json',
        'x-request-id', ID_PREFIX + (++counter).toString(36),
        'vary', 'Accept-Encoding',
        'content-length', String(OK.length),
      ]);
      res.end(OK_WIRE, 'latin1');
    }, ms);
    return;
  }
  if (url.startsWith('/products/')) {
    const id = url.slice(10);
    const hit = cache.get(id);
    if (hit !== undefined && hit.expiresAt > performance.now()) return send(res, hit, true, false);
    setTimeout(() => {
      const product = generateProduct(Number(id));
      const fresh = entry(product, Date.parse(product.updatedAt), false);
      remember(id, fresh);
      send(res, fresh, false, false);
    }, storeLatencyMs);
    return;
  }
  if (url.startsWith('/products?')) {
    const gzip = (req.headers['accept-encoding'] ?? '').includes('gzip');
    const hit = cache.get(url);
    if (hit !== undefined && hit.expiresAt > performance.now()) return send(res, hit, true, gzip);
    setTimeout(() => {
      const page = listPage(url);
      const fresh = entry(page.value, page.updatedAt, true);
      remember(url, fresh);
      send(res, fresh, false, gzip);
    }, storeLatencyMs);
    return;
  }
  if (url === '/healthz') {
    res.writeHead(200, ['content-type', 'application/json', 'content-length', String(ALIVE.length)]);
    res.end(ALIVE);
    return;
  }
  res.writeHead(404, ['content-length', '0']);
  res.end();
});
// turbina's default KEEP_ALIVE_TIMEOUT_MS, so even the Keep-Alive header has the same bytes.
server.keepAliveTimeout = 65_000;
if (workers > 1 && workerNumber === 0) {
  // Imported only here: the single process does not load node:cluster.
  (await import('./bare-cluster.js')).forkWorkers(workers, WORKER_ENV);
} else if (workerNumber > 0 && reusePortSupported()) {
  // Each worker its own SO_REUSEPORT socket, as turbina's workers have theirs.
  const own: ReusePortListenOptions = { port, host: '127.0.0.1', reusePort: true, exclusive: true };
  server.listen(own);
} else {
  // One process, or a worker sharing the primary's socket (node:cluster's round-robin).
  server.listen(port, '127.0.0.1');
}

process.on('SIGTERM', () => process.exit(0));
