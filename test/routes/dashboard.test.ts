// GET /debug/dashboard in-process: one self-contained page under 40 KB whose only script
// is the one its Content-Security-Policy hashes, served precomputed with an ETag (304,
// HEAD, gzip), behind the same access rules as /debug/pprof, absent when they are off,
// and linked from the /debug/pprof index.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { request, withApp } from '../helpers/http.js';

const PATH = '/debug/dashboard';
const TOKEN = 'dashboard-token-0123456789';

test('200 text/html, self-contained, under 40 KB, its one inline script allowed by hash', async () => {
  await withApp(async (t) => {
    const reply = await request(t.port, PATH);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(reply.headers['cache-control'], 'no-cache');
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
    assert.ok(reply.body.length < 40 * 1024, `${reply.body.length} bytes`);

    const scripts = [...reply.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0]![1], '', 'inline: no src');
    const hash = createHash('sha256').update(scripts[0]![2]!).digest('base64');
    const csp = String(reply.headers['content-security-policy']);
    assert.match(csp, /(^|; )default-src 'self'(;|$)/);
    assert.match(csp, new RegExp(`(^|; )script-src 'sha256-${hash.replace(/[+/]/g, '\\$&')}'(;|$)`));
    assert.doesNotMatch(csp, /script-src[^;]*unsafe/);

    // Nothing from elsewhere: no absolute URL anywhere, links within this server.
    assert.doesNotMatch(reply.text, /https?:\/\/(?!www\.w3\.org\/2000\/svg)|["'(]\/\//);
    for (const [, url] of reply.text.matchAll(/\b(?:href|src)="([^"]*)"/g)) assert.match(url!, /^(\/(?!\/)|data:)/, url);
    // What the page is for, by name.
    for (const hook of ['fetch(\'/metrics\'', 'href="/debug/pprof/profile?seconds=10"', 'prefers-color-scheme:dark', 'name="viewport"']) {
      assert.ok(reply.text.includes(hook), hook);
    }
  });
});

test('made once: the same ETag each time, 304 on revalidation, HEAD without a body, a gzip variant', async () => {
  await withApp(async (t) => {
    const first = await request(t.port, PATH);
    const etag = String(first.headers['etag']);
    assert.match(etag, /^"[\w-]{22}"$/);
    assert.equal((await request(t.port, PATH)).headers['etag'], etag);
    const revalidated = await request(t.port, PATH, { headers: { 'if-none-match': etag } });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.body.length, 0);

    const head = await request(t.port, PATH, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['etag'], etag);
    assert.equal(head.headers['content-length'], String(first.body.length));
    assert.equal(head.body.length, 0);

    const gzipped = await request(t.port, PATH, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gzipped.headers['content-encoding'], 'gzip');
    assert.notEqual(gzipped.headers['etag'], etag);
    assert.ok(gzipped.headers['content-security-policy'] !== undefined);
    assert.deepEqual(gunzipSync(gzipped.body), first.body);
  });
});

test('the /debug/pprof index links the dashboard', async () => {
  await withApp(async (t) => {
    assert.ok((await request(t.port, '/debug/pprof/')).text.includes(`href="${PATH}"`));
  });
});

test('a remote client: the same 404 as an unknown path without the token, the page with it', async () => {
  await withApp(
    async (t) => {
      const denied = await request(t.port, PATH);
      assert.equal(denied.status, 404);
      assert.equal(denied.json<{ detail: string }>().detail, 'no such resource');
      assert.equal((await request(t.port, PATH, { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 404);
      assert.equal((await request(t.port, PATH, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    },
    { debugToken: TOKEN },
    { isLocalClient: () => false },
  );
});

test('a loopback request through a proxy is remote', async () => {
  await withApp(async (t) => {
    assert.equal((await request(t.port, PATH, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 404);
  });
});

test('DEBUG_ENDPOINTS=off: no dashboard', async () => {
  await withApp(
    async (t) => {
      assert.equal((await request(t.port, PATH)).status, 404);
      assert.ok(!t.app.router.routes.some((r) => r.pattern === PATH));
    },
    { debugEndpoints: 'off' },
  );
});
