import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request, startApp } from './helpers/http.js';

test('the app answers GET /healthz', async () => {
  const t = await startApp();
  try {
    const reply = await request(t.port, '/healthz');
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), { status: 'ok' });
  } finally {
    await t.close();
  }
});
