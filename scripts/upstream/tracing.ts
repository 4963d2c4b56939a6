// The inventory service continues its callers' traces when OTEL_EXPORTER_OTLP_ENDPOINT
// (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: each /products request is a SERVER span
// whose parent is the request's traceparent (turbina's attempt span), sent through
// turbina's own exporter as service.name inventory (OTEL_SERVICE_NAME, or a service.name
// in OTEL_RESOURCE_ATTRIBUTES, overrides). OTEL_TRACES_SAMPLER applies as in turbina.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tracesUrl } from '../../src/app.js';
import { Logger } from '../../src/log/logger.js';
import { OtlpExporter } from '../../src/trace/exporter.js';
import { newSpanId, newTraceId } from '../../src/trace/ids.js';
import { packageVersion, parseResourceAttributes, resourceAttributes } from '../../src/trace/resource.js';
import { createSampler } from '../../src/trace/sampler.js';
import { remoteParent } from '../../src/trace/trace-context.js';
import { Tracer } from '../../src/trace/tracer.js';

export const INVENTORY_SERVICE_NAME = 'inventory';

export interface InventoryTracing {
  /** Starts the span of a /products request; it ends when the response closes. */
  traceRequest(req: IncomingMessage, res: ServerResponse, path: string): void;
  /** Sends the spans still queued (at shutdown), within withinMs. */
  flush(withinMs: number): Promise<void>;
}

/** The service's tracing, or undefined when no collector is configured. Throws (an Error
 *  naming the variable) on a bad OTEL_* value. */
export function inventoryTracing(env: Readonly<Record<string, string | undefined>>): InventoryTracing | undefined {
  const url = tracesUrl({ otlpEndpoint: env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '', otlpTracesEndpoint: env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? '' });
  if (url === '') return undefined;
  const raw = env['OTEL_RESOURCE_ATTRIBUTES'];
  const named = env['OTEL_SERVICE_NAME'] || parseResourceAttributes(raw)['service.name'];
  const exporter = new OtlpExporter({
    url,
    resource: resourceAttributes({ serviceName: named || INVENTORY_SERVICE_NAME, raw }),
    scope: { name: INVENTORY_SERVICE_NAME, version: packageVersion() ?? '' },
    logger: new Logger('warn', (chunk) => process.stdout.write(chunk)),
  });
  const sampler = createSampler(env['OTEL_TRACES_SAMPLER'], env['OTEL_TRACES_SAMPLER_ARG'] || undefined);
  const tracer = new Tracer({ traceId: newTraceId, spanId: newSpanId }, sampler, exporter);

  return {
    traceRequest(req, res, path) {
      const parent = remoteParent(req.headers);
      const method = req.method ?? 'GET';
      const route = path === '/products' ? path : '/products/{id}';
      const span = tracer.startServer(`${method} ${route}`, parent);
      if (!span.sampled) return;
      span.set('http.request.method', method).set('url.scheme', 'http').set('url.path', path).set('http.route', route);
      const port = req.socket.localPort;
      if (port !== undefined) span.set('server.port', port);
      res.once('close', () => {
        if (res.writableFinished) {
          span.set('http.response.status_code', res.statusCode);
          if (res.statusCode >= 500) span.set('error.type', String(res.statusCode)).fail(`HTTP ${res.statusCode}`);
        } else {
          // Refused (down), hung up on, or cut mid-drip: no whole answer went out.
          span.set('error.type', 'aborted').fail('the connection closed before the answer was sent');
        }
        span.end();
      });
    },
    flush: (withinMs) => exporter.flush(withinMs),
  };
}
