// The composition root: builds the store, cache, router, middleware and server from a
// Config. Nothing listens or installs signal handlers here (server.ts does), so tests
// can build an app in-process on an ephemeral port.
import { createServer, type Server, type ServerOptions } from 'node:http';
import { performance } from 'node:perf_hooks';
import { TtlCache } from './cache/ttl-cache.js';
import { zlibCodings } from './compression/codings.js';
import { Compression, requestCompressionJobs } from './compression/compression.js';
import type { Config } from './config.js';
import { handleClientError } from './http/client-error.js';
import { answerConnect } from './http/connect.js';
import { createRequestListener, type Middleware } from './http/dispatch.js';
import { measureEncoded } from './http/encoded-bytes.js';
import { RequestIds } from './http/request-id.js';
import type { Encoded } from './http/respond.js';
import { Router } from './http/router.js';
import { ConnectionTracker } from './http/connections.js';
import { Listeners } from './lifecycle/listeners.js';
import { LifecycleState } from './http/lifecycle-state.js';
import { debugAccess } from './middleware/debug-access.js';
import { AccessLog } from './observability/access-log.js';
import { EventLoopMonitor } from './observability/event-loop.js';
import type { LogOutputStats } from './log/log-output.js';
import type { Logger } from './log/logger.js';
import { takeSnapshot, type MetricsGatherer, type ProcessSnapshot } from './metrics/snapshot.js';
import { RequestMetrics } from './observability/request-metrics.js';
import { BufferPool } from './pool/buffer-pool.js';
import { ExportSlots } from './products/export-slots.js';
import { registerExportRoute } from './products/export.js';
import { registerProductRoutes } from './products/routes.js';
import { DeadlineStore } from './products/deadline-store.js';
import { EmbeddedStore, type ProductStore } from './products/store.js';
import { registerDebugRoutes } from './routes/debug.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerIoRoute } from './routes/io.js';
import { registerMetricsRoute } from './routes/metrics.js';

/** Node 24.12's createServer option; @types/node 20 does not know it (older Nodes ignore it). */
export interface ServerOptionsSince24_12 extends ServerOptions {
  readonly optimizeEmptyRequests?: boolean;
}

/** How often node:http checks headersTimeout/requestTimeout (its default is 30 s). */
const TIMEOUT_CHECK_MS = 1000;

export interface AppOptions {
  readonly logger: Logger;
  /** Where the logger's lines go, for the dropped-lines counter (none: 0). */
  readonly logOutput?: LogOutputStats;
  /** Another backing store; the embedded catalog by default. */
  readonly store?: ProductStore & { readonly calls?: number };
  /** The cache's monotonic clock, for tests that move time. */
  readonly now?: () => number;
  /** Cluster mode: /metrics asks every worker through the primary. */
  readonly cluster?: MetricsGatherer;
  /** Which client addresses count as local for /debug (loopback by default); tests play remote clients with it. */
  readonly isLocalClient?: (address: string | undefined) => boolean;
}

export interface App {
  readonly config: Config;
  readonly server: Server;
  /** The server's listening sockets (server.ts opens them; shutdown closes them). */
  readonly listeners: Listeners;
  readonly router: Router;
  readonly cache: TtlCache<Encoded>;
  readonly store: DeadlineStore;
  readonly metrics: RequestMetrics;
  readonly connections: ConnectionTracker;
  readonly lifecycle: LifecycleState;
  readonly logger: Logger;
  /** This process's metrics as plain data (what a worker sends the primary). */
  snapshot(): ProcessSnapshot;
  readonly compression: Compression;
  readonly pool: BufferPool;
  /** The bound on concurrent exports and its counters. */
  readonly exports: ExportSlots;
  /** Stops the app's own timers (cache sweep, event-loop sampling). */
  stopTimers(): void;
}

export function createApp(config: Config, options: AppOptions): App {
  const { logger, logOutput } = options;
  const startedAt = performance.now();
  const store = new DeadlineStore(
    options.store ?? new EmbeddedStore(config.catalogSize, config.storeLatencyMs),
    config.storeTimeoutMs,
  );
  const cache = new TtlCache<Encoded>({
    ttlMs: config.cacheTtlMs,
    maxEntries: config.cacheMaxEntries,
    maxBytes: config.cacheMaxBytes,
    measure: measureEncoded,
    released: (encoded) => encoded.stored?.release(),
    sweepMs: config.cacheSweepMs,
    ...(options.now ? { now: options.now } : {}),
  });
  const lifecycle = new LifecycleState();
  const connections = new ConnectionTracker();
  const eventLoop = new EventLoopMonitor();
  const compression = new Compression(
    { minBytes: config.compressMinBytes, gzipLevel: config.compressLevel, upgrades: config.compressUpgrades, upgradeBacklog: config.compressUpgradeBacklog, requestJobs: requestCompressionJobs(config.compressUpgrades) },
    zlibCodings,
    (error) => logger.error('compression failed', { err: error instanceof Error ? error : new Error(String(error)) }),
  );
  const pool = new BufferPool(config.bufferPoolBytes, config.bufferPoolMax, config.bufferPool === 'on');

  const router = new Router();
  registerProductRoutes(router, { cache, store, negativeTtlMs: config.cacheNegativeTtlMs });
  const exports = new ExportSlots(config.exportMaxConcurrent);
  registerExportRoute(router, { store, pool, slots: exports, idleTimeoutMs: config.exportIdleTimeoutMs, logger });
  registerIoRoute(router);
  registerHealthRoutes(router, lifecycle);
  const metrics = new RequestMetrics(router.routes);
  const metricsSources = {
    startedAt,
    requests: metrics,
    connections,
    cacheStats: () => cache.stats(),
    eventLoop,
    storeCalls: () => store.calls,
    compression: () => compression.stats(),
    bufferPool: () => pool.stats(),
    logs: () => ({ dropped: logOutput?.dropped ?? 0, queuedBytes: logOutput?.queuedBytes ?? 0 }),
    exports: () => exports.stats(),
  };
  registerMetricsRoute(router, metricsSources, options.cluster);
  const middleware: Middleware[] = [];
  if (config.debugEndpoints === 'on') {
    registerDebugRoutes(router, { drainSignal: lifecycle.drainSignal, connections, eventLoop, startedAt });
    // The routes never go without their guard; with them off, nothing runs per request.
    middleware.push(debugAccess({ token: config.debugToken, ...(options.isLocalClient ? { isLocal: options.isLocalClient } : {}) }));
  }

  const serverOptions: ServerOptionsSince24_12 = {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    // No route reads a request body, and a request without Content-Length or
    // Transfer-Encoding has none: Node then skips that body's stream events, a large part
    // of a small request's cost.
    optimizeEmptyRequests: true,
    // dispatch.ts answers a missing Host with a problem document, not node's bare 400.
    requireHostHeader: false,
  };
  const server = createServer(serverOptions);
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  // A client that half-closes after its request (shutdown(SHUT_WR)) still gets its answer,
  // as from nginx or Go: node:http would otherwise end the socket at the client's FIN and
  // drop responses still being made. The socket is ended once they are written.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  const ids = new RequestIds();
  server.on('clientError', handleClientError(logger, metrics, ids, connections));
  const listener = createRequestListener({
    router,
    middleware,
    metrics,
    accessLog: new AccessLog(logger),
    logger,
    connections,
    ids,
    lifecycle,
    compression,
    server,
  });
  server.on('request', listener);
  answerConnect(server, listener);

  return {
    config,
    server,
    listeners: new Listeners(server),
    router,
    cache,
    store,
    metrics,
    connections,
    lifecycle,
    logger,
    snapshot: () => takeSnapshot(metricsSources),
    compression,
    pool,
    exports,
    stopTimers: () => {
      cache.stop();
      eventLoop.stop();
    },
  };
}
