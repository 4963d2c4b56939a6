// Retries as OTLP/HTTP asks: 429, 502, 503 and 504 are retried, after the wait their
// Retry-After asks for rather than the backoff, and the batch is delivered once taken.
// (Apart from exporter.test.ts: Retry-After's smallest wait is a whole second.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OtlpExporter } from '../../src/trace/exporter.js';
import { Logger } from '../../src/log/logger.js';
import { Collector } from '../helpers/collector.js';
import { eventually } from '../helpers/http.js';
import { ROOT_SPAN } from '../helpers/spans.js';

async function exporting(collector: Collector, run: (exporter: OtlpExporter) => Promise<void>): Promise<void> {
  const exporter = new OtlpExporter({ url: collector.url, resource: {}, scope: { name: 't', version: '1' }, scheduleMs: 5, retryBaseMs: 5_000, logger: new Logger('error', () => {}) });
  try {
    await run(exporter);
  } finally {
    exporter.close();
    await collector.close();
  }
}

test('a 503 with Retry-After: 1 is retried about a second later, and the batch then delivered', async () => {
  const collector = await Collector.start();
  collector.answerNext({ status: 503, retryAfter: '1' });
  await exporting(collector, async (exporter) => {
    exporter.add(ROOT_SPAN);
    await eventually(() => exporter.stats().exported === 1, 'the retried batch', 3000);
    const [first, second] = collector.received;
    const gap = (second?.at ?? 0) - (first?.at ?? 0);
    assert.ok(gap >= 980 && gap < 1500, `${gap} ms`);
    assert.equal(second?.raw, first?.raw);
    assert.deepEqual(exporter.stats(), { queued: 0, exported: 1, dropped: { queueFull: 0, rejected: 0, failed: 0 }, batches: 1, retries: 1, lastError: '503 Service Unavailable' });
  });
});

test('429, 502 and 504 are retried too; their Retry-After: 0 is honoured over a 5 s backoff', async () => {
  const collector = await Collector.start();
  collector.answerNext({ status: 429, retryAfter: '0' }, { status: 502, retryAfter: '0' }, { status: 504, retryAfter: '0' });
  await exporting(collector, async (exporter) => {
    exporter.add(ROOT_SPAN);
    // retryBaseMs is 5 s: only Retry-After: 0 makes these three retries quick.
    await eventually(() => exporter.stats().exported === 1, 'the batch, fourth time', 1000);
    assert.equal(collector.received.length, 4);
    assert.equal(exporter.stats().retries, 3);
  });
});
