// GET /metrics: JSON by default (curl's Accept: */*), the Prometheus text format for
// Accept: text/plain or application/openmetrics-text (what Prometheus sends), or
// ?format=prometheus. In cluster mode the answering worker gathers every worker's
// snapshot through the primary and reports the whole server.
import { preferredMediaType } from '../http/accept.js';
import type { RequestContext } from '../http/context.js';
import { encodeBytes, NO_STORE } from '../http/encoded.js';
import type { Responder } from '../http/responder.js';
import type { Router } from '../http/router.js';
import { oneOf } from '../http/validation/fields.js';
import { query } from '../http/validation/query-schema.js';
import { aggregate } from '../metrics/aggregate.js';
import { metricsReport } from '../metrics/report.js';
import { takeSnapshot, type ClusterView, type MetricsGatherer, type MetricsSources, type ProcessSnapshot } from '../metrics/snapshot.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../metrics/prometheus.js';

type Format = 'json' | 'prometheus';

/** No default: without ?format= the Accept header decides. */
const metricsQuery = query({ format: oneOf(['json', 'prometheus', 'openmetrics']) });
const OFFERS = ['application/json', 'text/plain', 'application/openmetrics-text'];
// Answers vary by Accept: a cache between here and the scraper must know.
const HEADERS: readonly string[] = Object.freeze([...NO_STORE, 'vary', 'Accept']);

function chooseFormat(ctx: RequestContext): Format {
  const { format } = metricsQuery.read(ctx.rawQuery);
  if (format === 'prometheus' || format === 'openmetrics') return 'prometheus';
  if (format === 'json') return 'json';
  // OpenMetrics clients (Prometheus) also accept the 0.0.4 text format, which is what we
  // answer: its Content-Type tells them how to parse it.
  const preferred = preferredMediaType(ctx.req.headers.accept, OFFERS);
  return preferred === undefined || preferred === 'application/json' ? 'json' : 'prometheus';
}

export function registerMetricsRoute(router: Router, respond: Responder, sources: MetricsSources, cluster?: MetricsGatherer): void {
  const send = (ctx: RequestContext, format: Format, snapshots: readonly ProcessSnapshot[], view?: ClusterView): void | Promise<void> => {
    const agg = aggregate(snapshots);
    if (format === 'json') return respond.json(ctx, 200, metricsReport(agg, view), HEADERS);
    return respond.encoded(ctx, encodeBytes(200, PROMETHEUS_CONTENT_TYPE, Buffer.from(renderPrometheus(agg, view))), HEADERS);
  };
  router.add('GET', '/metrics', (ctx) => {
    const format = chooseFormat(ctx);
    if (cluster === undefined) return send(ctx, format, [takeSnapshot(sources)]);
    return cluster.gather().then((gathered) => send(ctx, format, gathered.snapshots, gathered.view));
  });
}
