// The floor: a bare node:http server with the same routes and the same response bytes as
// turbina's hot paths, and nothing else (no router, no validation, no logs, no metrics).
// What turbina costs is measured against this in the same run.
import { createServer } from 'node:http';
import { generateProduct } from '../../src/products/catalog.js';

const port = Number(process.env['PORT'] ?? 8080);
const storeLatencyMs = Number(process.env['STORE_LATENCY_MS'] ?? 20);
const ttlMs = 30_000;
const MAX_ENTRIES = 10_000;
const OK = Buffer.from('{"message":"ok"}');
const cache = new Map<string, { body: Buffer; expiresAt: number }>();
let counter = 0;

function send(res: import('node:http').ServerResponse, body: Buffer, hit: boolean, expiresAt: number): void {
  res.writeHead(200, [
    'content-type', 'application/json',
    'content-length', String(body.length),
    'x-request-id', 'bare0000-' + (++counter).toString(36),
    'x-cache', hit ? 'HIT' : 'MISS',
    'cache-control', 'public, max-age=' + Math.floor((expiresAt - performance.now()) / 1000),
  ]);
  res.end(body);
}

createServer((req, res) => {
  const url = req.url ?? '/';
  if (url.startsWith('/io')) {
    const ms = Number(/ms=(\d+)/.exec(url)?.[1] ?? 1);
    setTimeout(() => {
      res.writeHead(200, ['content-type', 'application/json', 'content-length', String(OK.length)]);
      res.end(OK);
    }, ms);
    return;
  }
  if (url.startsWith('/products/')) {
    const id = url.slice(10);
    const entry = cache.get(id);
    if (entry !== undefined && entry.expiresAt > performance.now()) return send(res, entry.body, true, entry.expiresAt);
    setTimeout(() => {
      const fresh = { body: Buffer.from(JSON.stringify(generateProduct(Number(id)))), expiresAt: performance.now() + ttlMs };
      if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
      cache.set(id, fresh);
      send(res, fresh.body, false, fresh.expiresAt);
    }, storeLatencyMs);
    return;
  }
  res.writeHead(404, ['content-length', '0']);
  res.end();
}).listen(port, '127.0.0.1');

process.on('SIGTERM', () => process.exit(0));
