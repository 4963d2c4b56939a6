// A client that sends its request and then half-closes (shutdown(SHUT_WR): "I have
// nothing more to send") still gets its answer, as nginx and Go give it: async answers
// included (a timer, a cache miss waiting on the store, a streamed export).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withApp } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';

test('half-closed clients get whole answers, sync and async, and the server then closes', async () => {
  await withApp(
    async (t) => {
      for (const path of ['/products/1', '/io?ms=300', '/products/2', '/products?offset=10&limit=3', '/products/export', '/nope']) {
        const text = await sendRaw(t.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, 'half-close');
        assert.match(text, /^HTTP\/1\.1 (200|404) /, `${path}: ${JSON.stringify(text.slice(0, 80))}`);
        const end = text.indexOf('\r\n\r\n');
        const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end));
        if (length !== null) assert.equal(text.length - end - 4, Number(length[1]), `${path}: the whole body`);
        else assert.ok(text.endsWith('\r\n0\r\n\r\n'), `${path}: the whole chunked body`);
      }
      assert.equal(t.app.metrics.aborted, 0);
      assert.equal(t.app.metrics.inFlight, 0);
    },
    // A store that takes a while: the miss is answered long after the client's FIN.
    { storeLatencyMs: 200, catalogSize: 2000 },
  );
});
