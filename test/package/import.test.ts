// The package as a user gets it: `npm pack` of this project, unpacked into a temp
// project's node_modules, imported by name from a program that adds a route and a
// middleware, starts, serves and stops; and a TypeScript consumer type-checked against
// the shipped declarations.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
/** dist/suite/test/package/ -> the project root. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const PROGRAM = `
import { createApp, HttpError } from 'turbina';

const app = createApp({ port: 0, host: '127.0.0.1', logLevel: 'silent', storeLatencyMs: 0, listenSockets: 1 });
app.route('GET', '/hello/{name}', (ctx) => app.respond.json(ctx, 200, { hello: ctx.params[0] }));
app.use((next) => (ctx) => {
  if (ctx.path.startsWith('/hello/') && ctx.req.headers['x-api-key'] !== 'k') throw new HttpError(401, 'an API key is required');
  return next(ctx);
});
const port = await app.start();
const get = async (path, headers = {}) => {
  const res = await fetch('http://127.0.0.1:' + port + path, { headers });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
};
const results = {
  hello: await get('/hello/world', { 'x-api-key': 'k' }),
  refused: await get('/hello/world'),
  product: await get('/products/1'),
  missing: await get('/nowhere'),
};
results.stopped = await app.stop();
process.stdout.write(JSON.stringify(results));
`;

const TYPED = `
import { createApp, RedisClient, RedisError, type Handler, type Middleware, type ProductStore, type RespValue } from 'turbina';

// A store with no products: every id is a 404.
const store: ProductStore = {
  get: async () => undefined,
  list: async () => ({ items: [], total: 0 }),
};
const hello: Handler = (ctx) => app.respond.json(ctx, 200, { hello: ctx.params[0] ?? '' });
const timing: Middleware = (next) => (ctx) => next(ctx);
const app = createApp({ port: 0 }, { store }).route('GET', '/hello/{name}', hello).use(timing);
const port: Promise<number> = app.start();
// turbina's own Redis client, for a user's commands (nothing connects: this is only type-checked).
const redis = new RedisClient({ url: 'redis://127.0.0.1:6379', maxQueue: 100, commandTimeoutMs: 50, maxBulkBytes: 1 << 20, reconnectBaseMs: 100, reconnectMaxMs: 1000 });
const reply: Promise<RespValue> = redis.send(['INCR', 'visits']).catch((error: unknown) => (error instanceof RedisError ? error.code : null));
void reply;
// @ts-expect-error: an unknown option is a type error too
createApp({ prot: 1 });
void port;
`;

describe('the package, imported by name', () => {
  let dir = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'turbina-package-'));
    const { stdout } = await execFileAsync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT });
    const packed = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    const tarball = packed[0];
    assert.ok(tarball !== undefined, stdout);
    const files = tarball.files.map((f) => f.path);
    assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts') && files.includes('dist/server.js'), files.join(' '));
    assert.ok(!files.some((f) => f.startsWith('dist/suite/') || f.startsWith('src/') || f.startsWith('test/')), 'only the build ships');
    const into = join(dir, 'node_modules', 'turbina');
    mkdirSync(into, { recursive: true });
    await execFileAsync('tar', ['-xzf', join(dir, tarball.filename), '-C', into, '--strip-components=1']);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a program adds a route and a middleware, serves them with the built-in routes, and stops gracefully', async () => {
    writeFileSync(join(dir, 'main.mjs'), PROGRAM);
    const { stdout } = await execFileAsync(process.execPath, ['main.mjs'], { cwd: dir, timeout: 20_000 });
    const results = JSON.parse(stdout) as Record<string, { status: number; type: string; body: Record<string, unknown> }> & { stopped: number };
    assert.deepEqual(results['hello']?.body, { hello: 'world' });
    assert.equal(results['hello']?.status, 200);
    assert.equal(results['refused']?.status, 401);
    assert.equal(results['refused']?.type, 'application/problem+json');
    assert.equal(results['product']?.status, 200);
    assert.equal(results['product']?.body['id'], 1);
    assert.equal(results['missing']?.status, 404);
    assert.equal(results.stopped, 0, 'stop() drains and resolves 0');
  });

  test('importing it starts nothing (the process exits by itself)', async () => {
    writeFileSync(join(dir, 'quiet.mjs'), "import { createApp } from 'turbina';\nprocess.stdout.write(typeof createApp);\n");
    const { stdout } = await execFileAsync(process.execPath, ['quiet.mjs'], { cwd: dir, timeout: 10_000 });
    assert.equal(stdout, 'function');
  });

  test('the declarations type-check a TypeScript consumer, and refuse an unknown option', async () => {
    writeFileSync(join(dir, 'consumer.ts'), TYPED);
    const tsconfig = {
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, exactOptionalPropertyTypes: true, typeRoots: [join(ROOT, 'node_modules', '@types')], types: ['node'] },
      files: ['consumer.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const run = await execFileAsync(process.execPath, [TSC, '-p', dir], { cwd: dir, timeout: 60_000 }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    assert.equal(run.stdout, '', run.stdout);
    assert.match(readFileSync(join(dir, 'node_modules', 'turbina', 'dist', 'index.d.ts'), 'utf8'), /createApp/);
  });
});
