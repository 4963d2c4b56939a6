// Child spans end to end: the app with tracing on, a real redis-server as its shared cache
// and no process cache (every request asks Redis), and a real OTLP/HTTP collector. A
// product read on a miss is a server span with a GET and a SET client span under it; the
// next read is the GET alone, a hit; a compressed page adds a `compress` internal span;
// DELETE /products/{id}/cache is its tombstone's SET.
// app.stop() flushes the exporter.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../../src/app.js';
import { Collector } from '../../helpers/collector.js';
import { eventually, request, type Reply } from '../../helpers/http.js';
import { attributesOf, SPAN_KIND, type OtlpSpan } from '../../helpers/otlp.js';
import { SKIP_WITHOUT_REDIS, startRedis, type TestRedis } from '../../helpers/redis.js';
import { startTracedApp } from '../../helpers/traced-app.js';

const { INTERNAL, SERVER, CLIENT } = SPAN_KIND;

function traceIdOf(reply: Reply): string {
  const header = reply.headers['traceparent'];
  assert.equal(typeof header, 'string');
  return (header as string).split('-')[1] ?? '';
}

describe('child spans through the app', { skip: SKIP_WITHOUT_REDIS, timeout: 20_000 }, () => {
  let redis: TestRedis;
  let collector: Collector;
  let app: App;
  let port: number;
  const replies: Reply[] = [];

  before(async () => {
    redis = await startRedis();
    collector = await Collector.start();
    ({ app, port } = await startTracedApp(collector, { cacheMaxEntries: 0, redisUrl: redis.url }));
    await eventually(() => app.shared?.redis.usable === true, 'redis to be ready', 5000);
    replies.push(await request(port, '/products/7'));
    replies.push(await request(port, '/products/7'));
    replies.push(await request(port, '/products?limit=500', { headers: { 'accept-encoding': 'gzip' } }));
    replies.push(await request(port, '/products/7/cache', { method: 'DELETE' }));
    // The adds after each load are fire and forget: their spans end with their replies.
    await eventually(() => app.shared?.redis.stats().pending === 0, 'the writes to Redis to be answered');
    await app.stop();
  });
  after(async () => {
    await collector.close();
    await redis.stop();
  });

  /** The spans of the trace `reply` answered, its server span first. */
  function traceOf(reply: Reply): { server: OtlpSpan; children: OtlpSpan[] } {
    const spans = collector.spans().filter((span) => span.traceId === traceIdOf(reply));
    const server = spans.find((span) => span.kind === SERVER);
    assert.ok(server, 'the server span');
    return { server, children: spans.filter((span) => span !== server) };
  }

  test('a miss with the process cache off: the server span, and under it the Redis GET (a miss) and the SET of the store answer', () => {
    const [miss] = replies;
    assert.equal(miss?.headers['x-cache'], 'MISS');
    const { server, children } = traceOf(miss as Reply);
    const get = children.find((span) => span.name === 'GET');
    const set = children.find((span) => span.name === 'SET');
    assert.ok(get && set, `GET and SET among ${children.map((span) => span.name).join(', ')}`);
    for (const span of [get, set]) {
      assert.equal(span.kind, CLIENT);
      assert.equal(span.parentSpanId, server.spanId);
      assert.equal(span.status.code ?? 0, 0);
    }
    assert.deepEqual(attributesOf(get), {
      'db.system.name': 'redis',
      'db.operation.name': 'GET',
      'db.namespace': '0',
      'server.address': '127.0.0.1',
      'server.port': BigInt(redis.port),
      'turbina.cache.hit': false,
    });
    assert.equal(attributesOf(set)['db.operation.name'], 'SET');
  });

  test("the next read is Redis's hit: one GET span, no write", () => {
    const hit = replies[1] as Reply;
    assert.equal(hit.headers['x-cache'], 'HIT-L2');
    const { server, children } = traceOf(hit);
    const redisSpans = children.filter((span) => span.kind === CLIENT && attributesOf(span)['db.system.name'] === 'redis');
    assert.deepEqual(redisSpans.map((span) => [span.name, span.parentSpanId, attributesOf(span)['turbina.cache.hit']]), [['GET', server.spanId, true]]);
  });

  test('a compressed miss: a compress span under the server span, with the coding and sizes', () => {
    const page = replies[2] as Reply;
    assert.equal(page.headers['content-encoding'], 'gzip');
    const { server, children } = traceOf(page);
    const compress = children.filter((span) => span.name === 'compress');
    assert.equal(compress.length, 1);
    const [span] = compress as [OtlpSpan];
    assert.equal(span.kind, INTERNAL);
    assert.equal(span.parentSpanId, server.spanId);
    const attributes = attributesOf(span);
    assert.equal(attributes['turbina.compression.coding'], 'gzip');
    assert.equal(attributes['turbina.compression.output.size'], BigInt(page.body.length));
    assert.ok(Number(attributes['turbina.compression.input.size']) > page.body.length);
  });

  test('DELETE /products/{id}/cache: the tombstone is a SET client span under the server span', () => {
    const deleted = replies[3] as Reply;
    assert.equal(deleted.status, 204);
    const { server, children } = traceOf(deleted);
    assert.deepEqual(children.map((span) => [span.name, span.kind, span.parentSpanId, attributesOf(span)['db.operation.name']]), [['SET', CLIENT, server.spanId, 'SET']]);
  });
});
