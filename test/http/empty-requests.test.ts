// A request without Content-Length or Transfer-Encoding has no body; on Node >= 24.12
// the server asks node:http (optimizeEmptyRequests) to hand it over already ended, so no
// body stream events run for it. Requests with a body are covered in hostile.test.ts.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { boundPort } from '../../src/lifecycle/listeners.js';
import type { HttpServerOptions } from '../../src/platform/node-features.js';
import { request, withApp } from '../helpers/http.js';

/** Whether this Node honours the option: a plain server with it sees an ended GET body. */
async function nodeHasOption(): Promise<boolean> {
  let ended = false;
  const options: HttpServerOptions = { optimizeEmptyRequests: true };
  const server = createServer(options, (req, res) => {
    ended = req.readableEnded;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await request(boundPort(server, 0), '/');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return ended;
}

test('a bodiless request reaches the handler with its body already ended (Node >= 24.12)', async (t) => {
  if (!(await nodeHasOption())) {
    t.skip(`node:http has no optimizeEmptyRequests on Node ${process.versions.node}`);
    return;
  }
  await withApp(async (app) => {
    const seen: boolean[] = [];
    // Runs right after turbina's own 'request' listener, on the same request.
    app.app.server.on('request', (req: IncomingMessage) => seen.push(req.readableEnded));
    assert.equal((await request(app.port, '/products/1')).status, 200);
    assert.equal((await request(app.port, '/io?ms=0')).status, 200);
    assert.deepEqual(seen, [true, true]);
  });
});
