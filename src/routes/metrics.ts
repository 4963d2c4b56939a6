// GET /metrics: the JSON snapshot of every counter.
import { NO_STORE, sendJson } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { metricsReport, type MetricsSources } from '../observability/metrics-report.js';


export function registerMetricsRoute(router: Router, sources: MetricsSources): void {
  router.add('GET', '/metrics', (ctx) => sendJson(ctx, 200, metricsReport(sources), NO_STORE));
}
