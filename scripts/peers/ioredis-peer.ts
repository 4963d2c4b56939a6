// The L2 peer: bare node:http reading products from Redis with ioredis, the most used Node
// Redis client, written the plain way its users would (an async handler awaiting each
// command). What turbina's L2 hit (L1 off) is measured against in the product-l2 scenario.
// ioredis is not a dependency: the bench installs it into a cache folder outside the project
// (scripts/bench/ioredis-install.ts) and passes its entry point as IOREDIS_ENTRY.
//   GET /products/{id}: getBuffer('ioredis-peer:' + id); a hit answers the stored bytes; a
//   miss builds the product as turbina's embedded store does, SETs it (PX 60000), answers.
import { createServer, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { generateProduct } from '../../src/products/catalog.js';

/** The part of ioredis this peer uses. */
interface IoRedisClient {
  getBuffer(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, mode: 'PX', milliseconds: number): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}
type IoRedisConstructor = new (url: string, options: { readonly enableAutoPipelining: boolean }) => IoRedisClient;

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`ioredis-peer: ${name} is required`);
  return value;
}

async function loadIoRedis(entry: string): Promise<IoRedisConstructor> {
  const mod: unknown = await import(pathToFileURL(entry).href);
  const ctor: unknown = typeof mod === 'object' && mod !== null ? (mod as { default?: unknown }).default : undefined;
  if (typeof ctor !== 'function') throw new Error(`ioredis-peer: ${entry} does not export the Redis class`);
  return ctor as IoRedisConstructor;
}

const port = Number(process.env['PORT'] ?? 8080);
const storeLatencyMs = Number(process.env['STORE_LATENCY_MS'] ?? 0);
const catalogSize = Number(process.env['CATALOG_SIZE'] ?? 10_000);
/** ioredis's enableAutoPipelining (off in ioredis by default): on here, because it measured
 *  faster in this scenario (scripts/bench/README.md); IOREDIS_AUTO_PIPELINING=off for ioredis's default. */
const autoPipelining = process.env['IOREDIS_AUTO_PIPELINING'] !== 'off';
const TTL_MS = 60_000;
const KEY_PREFIX = 'ioredis-peer:';
const OK = Buffer.from('{"message":"ok"}');

const Redis = await loadIoRedis(env('IOREDIS_ENTRY'));
const redis = new Redis(env('REDIS_URL'), { enableAutoPipelining: autoPipelining });
redis.on('error', (error) => process.stderr.write(`ioredis-peer: ${error.message}\n`));

function answer(res: ServerResponse, status: number, body: Buffer, cache: string): void {
  res.writeHead(status, ['content-type', 'application/json', 'content-length', String(body.length), 'x-cache', cache]);
  res.end(body);
}

async function product(res: ServerResponse, id: string): Promise<void> {
  const n = Number(id);
  if (!Number.isInteger(n) || n < 1 || n > catalogSize) {
    res.writeHead(404, ['content-length', '0']);
    res.end();
    return;
  }
  const key = KEY_PREFIX + id;
  const cached = await redis.getBuffer(key);
  if (cached !== null) return answer(res, 200, cached, 'HIT');
  if (storeLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, storeLatencyMs));
  const body = Buffer.from(JSON.stringify(generateProduct(n)));
  await redis.set(key, body, 'PX', TTL_MS);
  answer(res, 200, body, 'MISS');
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (url.startsWith('/products/')) {
    product(res, url.slice(10)).catch((error: unknown) => {
      process.stderr.write(`ioredis-peer: ${error instanceof Error ? error.message : String(error)}\n`);
      if (!res.headersSent) answer(res, 503, Buffer.from('{"error":"redis unavailable"}'), 'ERROR');
    });
    return;
  }
  if (url.startsWith('/io') || url === '/healthz') return answer(res, 200, OK, 'NONE');
  res.writeHead(404, ['content-length', '0']);
  res.end();
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');

process.on('SIGTERM', () => process.exit(0));
