// One trace across three processes: the caller (this test, with a traceparent of its own),
// turbina (dist/server.js) with STORE_URL at the inventory service, and the inventory
// itself, both exporting to one real collector. The inventory fails the first attempt
// with 503 and a Retry-After of a second, long enough for the test to turn the fault off
// before the retry. Both processes flush their spans when stopped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from '../../helpers/child.js';
import { Collector } from '../../helpers/collector.js';
import { request } from '../../helpers/http.js';
import { startInventory } from '../../helpers/inventory.js';
import { attributesOf, SPAN_KIND, STATUS_CODE, type OtlpSpan } from '../../helpers/otlp.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN_ID = 'b7ad6b7169203331';

const { INTERNAL, SERVER, CLIENT } = SPAN_KIND;
const STATUS_ERROR = STATUS_CODE.ERROR;

interface ServiceSpan extends OtlpSpan {
  readonly service: string;
}

/** Every span the collector received, with the service.name of its resource. */
function received(collector: Collector): ServiceSpan[] {
  const all: ServiceSpan[] = [];
  for (const { resource, scopeSpans } of collector.resourceSpans()) {
    const service = resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    for (const { spans } of scopeSpans) for (const span of spans) all.push({ ...span, service });
  }
  return all;
}

test('a product miss retried upstream is one trace: turbina\'s server span, its store span, two attempt spans, and the inventory\'s server span under each attempt', { timeout: 20_000 }, async () => {
  const collector = await Collector.start();
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}` };
  const inventory = await startInventory({ errorRate: 1, retryAfter: '1' }, { env: otel });
  const turbina = await startServer([], { ...otel, STORE_URL: inventory.url, SHUTDOWN_TIMEOUT_MS: '5000' }).catch(async (error: unknown) => {
    await inventory.kill();
    throw error;
  });
  try {
    const answered = request(turbina.port, '/products/42', { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` } });
    // The first attempt has its 503; the retry waits out Retry-After, and finds the fault gone.
    const deadline = Date.now() + 3_000;
    while ((await inventory.stats()).byOutcome.error === 0) {
      assert.ok(Date.now() < deadline, 'the first attempt reached the inventory');
      await sleep(10);
    }
    await inventory.control({ errorRate: 0 });
    const reply = await answered;
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-cache'], 'MISS');

    turbina.child.kill('SIGTERM');
    assert.deepEqual(await turbina.child.exited, { code: 0, signal: null });
    await inventory.stop();

    const spans = received(collector).filter((span) => span.traceId === TRACE_ID);
    const server = spans.find((span) => span.service === 'turbina' && span.kind === SERVER);
    assert.ok(server, `turbina's server span among ${JSON.stringify(spans.map((s) => [s.service, s.name]))}`);
    assert.equal(server.parentSpanId, CALLER_SPAN_ID);
    assert.equal(server.name, 'GET /products/{id}');
    assert.equal(reply.headers['traceparent'], `00-${TRACE_ID}-${server.spanId}-01`, 'the answer names turbina\'s server span');

    const store = spans.filter((span) => span.parentSpanId === server.spanId);
    assert.equal(store.length, 1, 'one store span under the server span');
    const call = store[0] as ServiceSpan;
    assert.deepEqual([call.service, call.name, call.kind], ['turbina', 'store get', INTERNAL]);
    assert.equal(attributesOf(call)['turbina.store.attempts'], 2n);
    assert.equal(attributesOf(call)['turbina.store.outcome'], 'ok');

    const attempts = spans.filter((span) => span.parentSpanId === call.spanId);
    assert.equal(attempts.length, 2, 'two attempt spans under the store span');
    for (const attempt of attempts) assert.deepEqual([attempt.service, attempt.name, attempt.kind], ['turbina', 'GET', CLIENT]);
    const failed = attempts.find((span) => attributesOf(span)['http.request.resend_count'] === undefined);
    const retried = attempts.find((span) => attributesOf(span)['http.request.resend_count'] === 1n);
    assert.ok(failed && retried, 'the first attempt without a resend count, the retry with 1');
    assert.equal(attributesOf(failed)['http.response.status_code'], 503n);
    assert.equal(attributesOf(failed)['error.type'], '503');
    assert.equal(failed.status.code, STATUS_ERROR);
    assert.equal(attributesOf(retried)['http.response.status_code'], 200n);
    assert.equal(attributesOf(retried)['url.full'], `${inventory.url}/products/42`);
    assert.notEqual(retried.status.code, STATUS_ERROR);

    for (const attempt of [failed, retried]) {
      const upstream = spans.filter((span) => span.parentSpanId === attempt.spanId);
      assert.equal(upstream.length, 1, 'the inventory\'s server span is the attempt\'s child');
      const [inventorySpan] = upstream as [ServiceSpan];
      assert.deepEqual([inventorySpan.service, inventorySpan.name, inventorySpan.kind], ['inventory', 'GET /products/{id}', SERVER]);
      assert.equal(attributesOf(inventorySpan)['http.response.status_code'], attempt === failed ? 503n : 200n);
    }
    assert.equal(spans.length, 6, 'nothing else in the trace');
  } finally {
    turbina.child.kill('SIGKILL');
    await inventory.kill();
    await collector.close();
  }
});
