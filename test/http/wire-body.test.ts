// Small bodies are written as latin1 strings so node:http sends them with the head in
// one socket write; large ones stay Buffers. Either way the client must get exactly the
// bytes: every byte value, multi-byte UTF-8, both sides of the size limit, compressed
// variants.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { encodeBytes } from '../../src/http/encoded.js';
import { STRING_BODY_MAX_BYTES, wireBody } from '../../src/http/wire-body.js';
import { request, withApp } from '../helpers/http.js';

const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const AT_LIMIT = randomBytes(STRING_BODY_MAX_BYTES);
const OVER_LIMIT = randomBytes(STRING_BODY_MAX_BYTES + 1);
const UNICODE = { name: 'Grüße € 😀', text: 'ü'.repeat(3000) };

describe('wireBody', () => {
  test('up to the limit: a string holding exactly the bytes, one character each', () => {
    for (const body of [Buffer.alloc(0), EVERY_BYTE, AT_LIMIT]) {
      const wire = wireBody(body);
      assert.equal(typeof wire, 'string');
      assert.equal(wire.length, body.length);
      assert.deepEqual(Buffer.from(wire as string, 'latin1'), body);
    }
  });

  test('over the limit: the Buffer itself', () => {
    assert.equal(wireBody(OVER_LIMIT), OVER_LIMIT);
  });
});

describe('bodies on the wire', () => {
  test('every byte value, both sides of the limit and multi-byte UTF-8 arrive exactly, with their Content-Length', async () => {
    await withApp(async ({ app, port }) => {
      const bodies: Record<string, Buffer> = { '/every-byte': EVERY_BYTE, '/at-limit': AT_LIMIT, '/over-limit': OVER_LIMIT };
      for (const [path, body] of Object.entries(bodies)) {
        app.route('GET', path, (ctx) => app.respond.encoded(ctx, encodeBytes(200, 'application/octet-stream', body)));
      }
      app.route('GET', '/unicode', (ctx) => app.respond.json(ctx, 200, UNICODE));
      for (const [path, body] of Object.entries(bodies)) {
        const reply = await request(port, path);
        assert.equal(reply.status, 200);
        assert.equal(reply.headers['content-length'], String(body.length), path);
        assert.ok(reply.body.equals(body), `${path}: the bytes differ`);
      }
      const unicode = await request(port, '/unicode');
      assert.equal(unicode.headers['content-length'], String(Buffer.byteLength(JSON.stringify(UNICODE))));
      assert.deepEqual(unicode.json(), UNICODE);
      // Compressed (on the fly: not a cached response), then written as a string.
      const gzipped = await request(port, '/unicode', { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(gzipped.headers['content-encoding'], 'gzip');
      assert.ok(gzipped.body.length <= STRING_BODY_MAX_BYTES);
      assert.deepEqual(JSON.parse(gunzipSync(gzipped.body).toString('utf8')), UNICODE);
    });
  });

  test('a small body leaves with the head in one socket write; a large one takes a second (non-empty writes counted)', async () => {
    await withApp(async ({ app, port }) => {
      const writes: Record<string, number> = {};
      const counted = (path: string, body: Buffer): void => {
        app.router.add('GET', path, (ctx) => {
          const socket = ctx.res.socket as Socket;
          const write = socket.write;
          writes[path] = 0;
          socket.write = function (this: Socket, ...args: Parameters<Socket['write']>): boolean {
            // Node 20 also writes '' when the response ends.
            if (args[0].length > 0) writes[path] = (writes[path] ?? 0) + 1;
            return write.apply(this, args);
          } as Socket['write'];
          app.respond.encoded(ctx, encodeBytes(200, 'application/octet-stream', body));
          socket.write = write;
        });
      };
      counted('/small', EVERY_BYTE);
      counted('/large', OVER_LIMIT);
      assert.ok((await request(port, '/small')).body.equals(EVERY_BYTE));
      assert.ok((await request(port, '/large')).body.equals(OVER_LIMIT));
      assert.deepEqual(writes, { '/small': 1, '/large': 2 });
    });
  });
});
