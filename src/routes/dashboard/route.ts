// GET /debug/dashboard: the live dashboard page. Built once when the route is registered
// (bytes, ETag, and each compressed variant on first demand), so a request costs what
// any cached response does; the page then polls /metrics, one scrape per poll. Who may
// load it is the debugAccess middleware's job, as for /debug/pprof.
import { encodeBytes, type Encoded } from '../../http/encoded.js';
import type { Responder } from '../../http/responder.js';
import type { Router } from '../../http/router.js';
import { StoredRepresentation } from '../../http/stored-representation.js';
import { dashboardPage } from './page.js';

export const DASHBOARD_PATH = '/debug/dashboard';

export function registerDashboardRoute(router: Router, respond: Responder): void {
  const page = dashboardPage();
  const body = Buffer.from(page.html);
  const encoded: Encoded = { ...encodeBytes(200, 'text/html; charset=utf-8', body), stored: new StoredRepresentation(body, Date.now()) };
  // no-cache, not no-store: a reload revalidates with the ETag and gets a 304.
  const headers: readonly string[] = Object.freeze([
    'cache-control', 'no-cache',
    'content-security-policy', page.csp,
    'x-content-type-options', 'nosniff',
    'referrer-policy', 'no-referrer',
  ]);
  router.add('GET', DASHBOARD_PATH, (ctx) => respond.encoded(ctx, encoded, headers));
}
