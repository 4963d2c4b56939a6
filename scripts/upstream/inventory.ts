// The inventory service: the embedded catalog over node:http in turbina's product wire
// format, with fault knobs (latency, errors, hangs, garbage, drip, down) set at start
// (environment or flags) and changed at run time (PUT /_control), and exact counts of what
// it did (GET /_stats), so turbina's upstream store can be tested and benchmarked against
// a real process on a real port. A development tool: `npm run upstream -- --help`.
// With an OTLP endpoint set (tracing.ts), its requests join their callers' traces.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyControl, KnobError, startOptions, USAGE, type Knobs, type StartOptions } from './knobs.js';
import { ProductsService } from './products.js';
import { Stats } from './stats.js';
import { inventoryTracing, type InventoryTracing } from './tracing.js';

/** A /_control body is a handful of knobs. */
const MAX_CONTROL_BYTES = 16 * 1024;

let options: StartOptions;
try {
  options = startOptions(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof KnobError)) throw error;
  process.stderr.write(`inventory: ${error.message} (see --help)\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}

let tracing: InventoryTracing | undefined;
try {
  tracing = inventoryTracing(process.env);
} catch (error) {
  process.stderr.write(`inventory: ${(error as Error).message}\n`);
  process.exit(2);
}

let knobs: Knobs = options.knobs;
const stats = new Stats();
const products = new ProductsService(options.catalogSize, stats);

function sendJson(res: ServerResponse, status: number, value: unknown, headers: readonly string[] = []): void {
  const body = Buffer.from(JSON.stringify(value));
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  res.writeHead(status, ['content-type', type, 'content-length', String(body.length), ...headers]);
  res.end(body);
}

const problem = (res: ServerResponse, status: number, title: string, detail: string, headers: readonly string[] = []): void =>
  sendJson(res, status, { title, status, detail }, headers);

function control(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET') return sendJson(res, 200, knobs);
  if (req.method !== 'PUT') return problem(res, 405, 'method not allowed', 'GET or PUT /_control', ['allow', 'GET, PUT']);
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_CONTROL_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_CONTROL_BYTES) return problem(res, 413, 'too large', `a /_control body is at most ${MAX_CONTROL_BYTES} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      knobs = applyControl(knobs, body);
    } catch (error) {
      if (!(error instanceof SyntaxError || error instanceof KnobError)) throw error;
      return problem(res, 400, 'bad knobs', error.message);
    }
    process.stdout.write(JSON.stringify({ msg: 'knobs', knobs }) + '\n');
    sendJson(res, 200, knobs);
  });
}

function statsRoute(req: IncomingMessage, res: ServerResponse, path: string): void {
  if (path === '/_stats' && req.method === 'GET') return sendJson(res, 200, stats.snapshot());
  if (path === '/_stats/reset' && req.method === 'POST') {
    stats.reset();
    return sendJson(res, 200, stats.snapshot());
  }
  problem(res, 405, 'method not allowed', 'GET /_stats or POST /_stats/reset', ['allow', path === '/_stats' ? 'GET' : 'POST']);
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path === '/products' || path.startsWith('/products/')) {
    tracing?.traceRequest(req, res, path);
    return products.serve(req, res, path, q < 0 ? '' : url.slice(q + 1), knobs);
  }
  if (path === '/_control') return control(req, res);
  if (path === '/_stats' || path === '/_stats/reset') return statsRoute(req, res, path);
  problem(res, 404, 'not found', `no route for ${path}`);
});
// Longer than an upstream client's idle keep-alive, so the client closes idle
// connections first and never reuses one this side is closing (turbina's default too).
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

server.on('error', (error) => {
  process.stderr.write(`inventory: ${error.message}\n`);
  process.exit(1);
});
server.listen(options.port, options.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ msg: 'listening', port, host: options.host, catalogSize: options.catalogSize, knobs }) + '\n');
});

/** The longest a stop waits for the last spans to reach the collector. */
const SPAN_FLUSH_MS = 1000;

/** Hanging and dripping answers are cut, not waited for: a fault injector owes them nothing.
 *  Their spans (ended as the connections close) go out with the rest before the exit. */
function stop(): void {
  server.close(() => {
    if (tracing === undefined) process.exit(0);
    void tracing.flush(SPAN_FLUSH_MS).then(() => process.exit(0));
  });
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000 + (tracing === undefined ? 0 : SPAN_FLUSH_MS)).unref();
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
