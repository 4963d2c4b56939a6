// The debug token never reaches the output: the real server, as one process and as a
// cluster of two, with DEBUG_TOKEN set and every log level on, serves a few requests (one
// into /debug with the token), stops, and neither stdout nor stderr holds the token.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startServer } from '../helpers/child.js';
import { request } from '../helpers/http.js';

const TOKEN = 'output-secret-0123456789abcdef';
/** A client behind a proxy counts as remote, so only the token lets it in. */
const PROXIED = { 'x-forwarded-for': '203.0.113.9' };

describe('DEBUG_TOKEN in the output', { concurrency: 2 }, () => {
  for (const workers of ['1', '2']) {
    test(`WORKERS=${workers}: neither stdout nor stderr holds the token, from start to exit`, async () => {
      const { child, port } = await startServer([], { WORKERS: workers, DEBUG_TOKEN: TOKEN, LOG_LEVEL: 'debug' });
      try {
        const withToken = await request(port, '/debug/pprof/goroutine', { headers: { ...PROXIED, authorization: `Bearer ${TOKEN}` } });
        assert.equal(withToken.status, 200, 'the token lets the proxied client in');
        const wrongToken = await request(port, '/debug/pprof/', { headers: { ...PROXIED, authorization: `Bearer ${TOKEN}-wrong` } });
        assert.equal(wrongToken.status, 404);
        for (const path of ['/products/1', '/nope', '/metrics', '/healthz']) await request(port, path);
        child.kill('SIGTERM');
        assert.deepEqual(await child.exited, { code: 0, signal: null });
        const out = child.stdout();
        assert.ok(child.lines.some((l) => l['msg'] === 'listening' && (l['config'] as Record<string, unknown>)['debugToken'] === '(set)'), out);
        assert.ok(child.lines.some((l) => l['path'] === '/debug/pprof/goroutine'), 'the /debug request was logged');
        assert.ok(!out.includes(TOKEN), `stdout holds the token:\n${out}`);
        assert.ok(!child.stderr().includes(TOKEN), `stderr holds the token:\n${child.stderr()}`);
      } finally {
        child.kill('SIGKILL');
      }
    });
  }
});
