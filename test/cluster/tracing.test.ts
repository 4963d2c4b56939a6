// Tracing in cluster mode (the real server, WORKERS=2): each worker exports its own spans
// (its own exporter, its own process.pid in the resource), every request's span arrives
// once, in the caller's trace, and the primary, which serves nothing, exports nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricsReport } from '../../src/metrics/report.js';
import { startServer } from '../helpers/child.js';
import { Collector } from '../helpers/collector.js';
import { request } from '../helpers/http.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const REQUESTS = 16;

interface Exported {
  readonly pid: number;
  readonly traceId: string;
  readonly parentSpanId: string;
}

function exported(collector: Collector): Exported[] {
  const out: Exported[] = [];
  for (const rs of collector.resourceSpans()) {
    const pid = Number(rs.resource.attributes.find((a) => a.key === 'process.pid')?.value.intValue);
    for (const ss of rs.scopeSpans) for (const span of ss.spans) out.push({ pid, traceId: span.traceId, parentSpanId: span.parentSpanId ?? '' });
  }
  return out;
}

test('WORKERS=2: each worker exports its own spans, each request once, in the caller trace', async () => {
  const collector = await Collector.start();
  const { child, port } = await startServer([], { WORKERS: '2', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}` });
  try {
    const callers: string[] = [];
    // A new connection per request, a few at a time, so both workers get some.
    for (let i = 0; i < REQUESTS; i += 4) {
      await Promise.all(
        Array.from({ length: 4 }, (_, j) => {
          const caller = (i + j + 1).toString(16).padStart(16, '0');
          callers.push(caller);
          return request(port, '/io?ms=0', { headers: { traceparent: `00-${TRACE_ID}-${caller}-01` } });
        }),
      );
    }
    // Queued in the workers (a span ends before its answer leaves), summed as /metrics
    // sums every block; the shutdown flushes them.
    const report = (await request(port, '/metrics')).json<MetricsReport>();
    assert.ok((report.tracing?.queued ?? 0) >= REQUESTS, JSON.stringify(report.tracing));
    child.kill('SIGTERM');
    assert.equal((await child.exited).code, 0);
    const ours = exported(collector).filter((span) => span.traceId === TRACE_ID);
    assert.deepEqual(ours.map((span) => span.parentSpanId).sort(), callers.sort(), 'every request once, under its caller');
    const pids = new Set(ours.map((span) => span.pid));
    assert.equal(pids.size, 2, `spans from ${[...pids].join(', ')}`);
    assert.ok(!pids.has(child.proc.pid ?? -1), 'the primary serves nothing and exports nothing');
  } finally {
    child.kill();
    await child.exited;
    await collector.close();
  }
});
