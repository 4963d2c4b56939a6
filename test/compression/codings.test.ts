// compressBody: every coding decodes back to the body, and a large body's result owns
// exactly its bytes (zlib hands a lone output chunk back as a view of its whole buffer,
// which a cached variant would otherwise keep alive).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compressBody, zlibCodings } from '../../src/compression/codings.js';
import { EmbeddedStore } from '../../src/products/store.js';
import { decode } from '../helpers/stream.js';

test('a 1000-item page compressed by every coding at both strengths decodes back and holds only its own bytes', async () => {
  const body = Buffer.from(JSON.stringify(await new EmbeddedStore(10_000, 0).list(0, 1000)));
  for (const coding of zlibCodings) {
    for (const strength of ['fast', 'best'] as const) {
      const out = await compressBody(coding, body, strength, 5);
      assert.ok(decode(coding, out).equals(body), `${coding} ${strength} decodes back`);
      assert.ok(out.length < body.length / 4, `${coding} ${strength}: ${out.length} bytes`);
      assert.equal(out.buffer.byteLength, out.length, `${coding} ${strength} holds ${out.buffer.byteLength} bytes for ${out.length}`);
    }
  }
});
