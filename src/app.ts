// The composition root: builds the store, cache, responder, routes, middleware and
// server from a Config, in one visible order. createApp starts nothing: start() listens,
// stop() shuts down gracefully; server.ts (the CLI) and library users call the same.
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { RedisCache } from './cache/redis/redis-cache.js';
import { OtlpExporter, parseOtlpHeaders } from './trace/exporter.js';
import { newSpanId, newTraceId } from './trace/ids.js';
import { packageVersion, resourceAttributes } from './trace/resource.js';
import { createSampler } from './trace/sampler.js';
import { Tracer } from './trace/tracer.js';
import { ServerSpans } from './observability/tracing/server-spans.js';
import { TtlCache } from './cache/ttl-cache.js';
import { zlibCodings } from './compression/codings.js';
import { Compression, requestCompressionJobs } from './compression/compression.js';
import { resolveConfig, type Config } from './config.js';
import { handleClientError } from './http/client-error.js';
import { answerConnect } from './http/connect.js';
import { ConnectionTracker } from './http/connections.js';
import { Dispatcher, type Middleware } from './http/dispatch.js';
import { measureEncoded, type Encoded } from './http/encoded.js';
import { LifecycleState } from './http/lifecycle-state.js';
import { RequestIds } from './http/request-id.js';
import { Responder } from './http/responder.js';
import { Router, type Handler } from './http/router.js';
import { boundPort, Listeners, type ListenAt } from './lifecycle/listeners.js';
import { Shutdown } from './lifecycle/shutdown.js';
import type { LogOutputStats } from './log/log-output.js';
import { asError } from './log/json-fields.js';
import type { Logger } from './log/logger.js';
import { stdoutLogger } from './log/stdout-logger.js';
import { takeSnapshot, type MetricsGatherer, type ProcessSnapshot } from './metrics/snapshot.js';
import { debugAccess, debugAllowed } from './middleware/debug-access.js';
import { RateLimiter, workerShare } from './middleware/rate-limit.js';
import { parseTrustProxy } from './ip/trust-proxy.js';
import { RequestDeadline } from './middleware/request-deadline.js';
import { LoadShedder, SHED_SAMPLE_MS } from './middleware/load-shedding.js';
import { AccessLog } from './observability/access-log.js';
import { EventLoopMonitor } from './observability/event-loop.js';
import { RequestMetrics } from './observability/request-metrics.js';
import { allowHalfOpen, type HttpServerOptions } from './platform/node-features.js';
import { createServer } from './platform/node-http.js';
import { RequestRecorder } from './observability/request-recorder.js';
import { BufferPool } from './pool/buffer-pool.js';
import { ResilientStore } from './products/resilient-store.js';
import { HttpStore } from './products/upstream/http-store.js';
import { CircuitBreaker } from './resilience/circuit-breaker.js';
import { RetryBudget } from './resilience/retry-budget.js';
import { ExportSlots } from './products/export-slots.js';
import { registerExportRoute } from './products/export.js';
import { registerProductRoutes } from './products/routes.js';
import { SharedResponses } from './products/shared-responses.js';
import { EmbeddedStore, type ProductStore } from './products/store.js';
import { registerDebugRoutes } from './routes/debug.js';
import { registerDashboardRoute } from './routes/dashboard/route.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerIoRoute } from './routes/io.js';
import { registerMetricsRoute } from './routes/metrics.js';

/** How often node:http checks headersTimeout/requestTimeout (its default is 30 s). */
const TIMEOUT_CHECK_MS = 1000;

export interface AppOptions {
  /** Where log lines go; by default JSON lines on stdout at LOG_LEVEL. */
  readonly logger?: Logger;
  /** Where the logger's lines go, for the dropped-lines counter (none: 0). */
  readonly logOutput?: LogOutputStats;
  /** Another backing store; by default the embedded catalog, or STORE_URL's service. */
  readonly store?: ProductStore;
  /** The monotonic clock of the cache and the rate limiter, for tests that move time. */
  readonly now?: () => number;
  /** Cluster mode: /metrics asks every worker through the primary. */
  readonly cluster?: MetricsGatherer;
  /** Which client addresses count as local for /debug (loopback by default); tests play remote clients with it. */
  readonly isLocalClient?: (address: string | undefined) => boolean;
}

export interface App {
  readonly config: Config;
  readonly server: Server;
  /** The server's listening sockets (start() opens them; stop() closes them). */
  readonly listeners: Listeners;
  readonly router: Router;
  /** What writes responses: handlers answer with it (json, problem, encoded, empty, openBody, stream). */
  readonly respond: Responder;
  readonly cache: TtlCache<Encoded>;
  /** The shared second cache level (REDIS_URL); undefined without one. */
  readonly shared: SharedResponses | undefined;
  /** The product store, every call bounded, retried and behind the circuit breaker. */
  readonly store: ResilientStore;
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
  /** RATE_LIMIT_RPS's limiter; undefined when rate limiting is off. */
  readonly rateLimit: RateLimiter | undefined;
  /** Adds a route: `pattern` segments are literal or `{name}` (the handler reads ctx.params in order). */
  route(method: string, pattern: string, handler: Handler): App;
  /** Adds a middleware; it runs after the built-in ones, in the order added. */
  use(middleware: Middleware): App;
  /** Opens the listening sockets (PORT and HOST by default); resolves with the bound port. */
  start(at?: Partial<ListenAt>): Promise<number>;
  /** Graceful shutdown (see Shutdown); resolves with 0 once drained, 1 if cut at
   *  SHUTDOWN_TIMEOUT_MS. A second call cuts it at once (1), as a second signal does. */
  stop(reason?: string): Promise<number>;
  /** Stops the app's own timers (cache sweep, event-loop sampling, rate-limit sweep, request deadlines). */
  stopTimers(): void;
}

export function createApp(settings: Partial<Config> = {}, options: AppOptions = {}): App {
  const config = resolveConfig(settings);
  const { logger, output: logOutput }: { logger: Logger; output: LogOutputStats | undefined } =
    options.logger === undefined ? stdoutLogger(config) : { logger: options.logger, output: options.logOutput };
  const startedAt = performance.now();
  const backing = options.store ?? backingStore(config);
  const store = createResilientStore(config, backing, logger, backing instanceof HttpStore ? () => backing.waiting : undefined);
  const cache = new TtlCache<Encoded>({
    ttlMs: config.cacheTtlMs,
    maxEntries: config.cacheMaxEntries,
    maxBytes: config.cacheMaxBytes,
    measure: measureEncoded,
    released: (encoded) => encoded.stored?.release(),
    sweepMs: config.cacheSweepMs,
    staleMs: config.staleIfErrorMs,
    ...(options.now ? { now: options.now } : {}),
  });
  const lifecycle = new LifecycleState();
  const connections = new ConnectionTracker();
  const eventLoop = new EventLoopMonitor();
  const compression = new Compression(
    { minBytes: config.compressMinBytes, gzipLevel: config.compressLevel, upgrades: config.compressUpgrades, upgradeBacklog: config.compressUpgradeBacklog, requestJobs: requestCompressionJobs(config.compressUpgrades) },
    zlibCodings,
    (error) => logger.error('compression failed', { err: asError(error) }),
  );
  const pool = new BufferPool(config.bufferPoolBytes, config.bufferPoolMax, config.bufferPool === 'on');
  const respond = new Responder(compression, lifecycle);
  const shared = createSharedResponses(config, cache, compression, logger);
  const tracing = createTracing(config, logger);
  const debugOn = config.debugEndpoints === 'on';
  const mayDebug = debugAllowed({ token: config.debugToken, ...(options.isLocalClient ? { isLocal: options.isLocalClient } : {}) });
  const deadline = new RequestDeadline(config.requestDeadlineMs, respond);

  const router = new Router();
  registerProductRoutes(router, {
    cache,
    store,
    negativeTtlMs: config.cacheNegativeTtlMs,
    staleIfErrorMs: config.staleIfErrorMs,
    respond,
    ...(shared === undefined ? {} : { shared }),
    ...(debugOn ? { mayInvalidate: mayDebug } : {}),
  });
  const exports = new ExportSlots(config.exportMaxConcurrent);
  registerExportRoute(router, { store, pool, slots: exports, idleTimeoutMs: config.exportIdleTimeoutMs, logger, respond });
  registerIoRoute(router, { respond });
  registerHealthRoutes(router, lifecycle, respond, {
    breakerOpenForMs: () => store.breakerOpenForMs(),
    cachedEntries: () => cache.size,
    ...(shared === undefined ? {} : { redisState: () => (shared.redis.usable ? 'ready' : shared.redis.state === 'ready' ? 'circuit breaker open' : shared.redis.state) }),
  });
  const metrics = new RequestMetrics(router.routes);
  const rateLimit = createRateLimiter(config, options);
  const shedder = new LoadShedder({ eventLoopDelayMs: config.shedEventLoopDelayMs, eventLoopUtilization: config.shedElu, maxInFlight: config.maxInFlight, debugRoutes: debugOn }, metrics);
  if (shedder.watchesEventLoop) eventLoop.watch(SHED_SAMPLE_MS, (sample) => shedder.sample(sample));
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
    rateLimit: () => rateLimit?.buckets.stats() ?? NO_RATE_LIMIT,
    deadline: () => deadline.stats(),
    shedding: () => shedder.stats(),
    store: () => store.stats(),
    shared: () => shared?.stats() ?? null,
    tracing: () => tracing?.exporter.stats() ?? null,
  };
  registerMetricsRoute(router, respond, metricsSources, options.cluster);
  // The middleware chain, in the order it sees a request. A feature that is off adds
  // nothing here, so it costs nothing per request.
  const middleware: Middleware[] = [];
  // Refusals first, cheapest first: a refused request costs nothing further. Then the
  // deadline, so that it bounds everything after it.
  if (shedder.enabled) middleware.push(shedder.middleware(respond));
  if (rateLimit !== undefined) middleware.push(rateLimit.middleware(respond));
  if (deadline.ms > 0) middleware.push(deadline.middleware);
  if (debugOn) {
    registerDebugRoutes(router, { drainSignal: lifecycle.drainSignal, connections, eventLoop, startedAt, respond });
    registerDashboardRoute(router, respond);
    // The routes never go without their guard.
    middleware.push(debugAccess(mayDebug));
  }

  const serverOptions: HttpServerOptions = {
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
  allowHalfOpen(server);
  const ids = new RequestIds();
  const observer = new RequestRecorder(metrics, new AccessLog(logger), tracing?.spans);
  server.on('clientError', handleClientError(logger, observer, ids, connections));
  const dispatcher = new Dispatcher({ router, middleware, observer, respond, logger, connections, ids, server });
  server.on('request', dispatcher.listener);
  answerConnect(server, dispatcher.listener);

  const listeners = new Listeners(server);
  let stopped: ((code: number) => void) | undefined;
  const done = new Promise<number>((resolve) => (stopped = resolve));
  const app: App = {
    config,
    server,
    listeners,
    router,
    respond,
    cache,
    shared,
    store,
    metrics,
    connections,
    lifecycle,
    logger,
    snapshot: () => takeSnapshot(metricsSources),
    compression,
    pool,
    exports,
    rateLimit,
    route(method, pattern, handler) {
      router.add(method, pattern, handler);
      return app;
    },
    use(added) {
      dispatcher.use(added);
      return app;
    },
    start: (at = {}) =>
      new Promise((resolve, reject) => {
        // A second listen would fail and close the sockets the first one opened.
        if (server.listening) throw new Error('the app is already started');
        const where = { port: config.port, host: config.host, backlog: config.listenBacklog, sockets: config.listenSockets, ...at };
        listeners.listen(where, () => resolve(boundPort(server, where.port)), reject);
      }),
    stop(reason = 'stop') {
      shutdown.begin(reason);
      return done;
    },
    ...(tracing === undefined
      ? {}
      : {
          // A collector that is down must not hold every shutdown for its whole deadline.
          flushSpans: (withinMs: number) =>
            tracing.exporter.flush(Math.min(withinMs, SPAN_FLUSH_MAX_MS)).then(() => {
              const unsent = tracing.exporter.stats().queued;
              if (unsent > 0) logger.warn('spans not sent at shutdown', { spans: unsent, lastError: tracing.exporter.stats().lastError ?? '' });
              tracing.exporter.close();
            }),
        }),
    stopTimers: () => {
      cache.stop();
      eventLoop.stop();
      rateLimit?.stop();
      deadline.stop();
      if (backing instanceof HttpStore) backing.close();
      void shared?.redis.close();
      tracing?.exporter.close();
    },
  };
  const shutdown = new Shutdown(app, (code) => stopped?.(code));
  return app;
}

/** The largest upstream answer read: a page of 1000 products is about 300 KB. */
const STORE_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** The retry budget's window, and the retries per second it always allows (Finagle's defaults). */
const RETRY_BUDGET_WINDOW_MS = 10_000;
const RETRY_BUDGET_MIN_PER_SECOND = 10;
/** A store call (attempts and backoffs) ends by this share of REQUEST_DEADLINE_MS, so a
 *  stale copy or a clear error goes out before the deadline's 504 would. */
const CALL_SHARE_OF_DEADLINE = 0.9;

/** STORE_URL's service, or the embedded catalog. */
function backingStore(config: Config): ProductStore {
  if (config.storeUrl === '') return new EmbeddedStore(config.catalogSize, config.storeLatencyMs);
  return new HttpStore({ url: config.storeUrl, maxSockets: config.storeMaxSockets, maxBodyBytes: STORE_MAX_BODY_BYTES });
}

/** The longest a shutdown waits for the last spans to reach the collector. */
const SPAN_FLUSH_MAX_MS = 2000;

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT's /v1/traces; '' = tracing off. */
export function tracesUrl(config: Pick<Config, 'otlpEndpoint' | 'otlpTracesEndpoint'>): string {
  if (config.otlpTracesEndpoint !== '') return config.otlpTracesEndpoint;
  if (config.otlpEndpoint === '') return '';
  const url = new URL(config.otlpEndpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.href;
}

/** The tracer and its exporter when a collector is configured. */
function createTracing(config: Config, logger: Logger): { readonly exporter: OtlpExporter; readonly spans: ServerSpans } | undefined {
  const url = tracesUrl(config);
  if (url === '') return undefined;
  const version = packageVersion() ?? '';
  const exporter = new OtlpExporter({
    url,
    // Checked by the config when tracing is on: one of the two.
    protocol: config.otlpProtocol,
    // The traces' own list wins over the general one, name by name (the OTLP exporter spec).
    headers: { ...parseOtlpHeaders(config.otlpHeaders, 'OTEL_EXPORTER_OTLP_HEADERS'), ...parseOtlpHeaders(config.otlpTracesHeaders, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS') },
    resource: resourceAttributes({ serviceName: config.serviceName, raw: config.resourceAttributes, ...(version === '' ? {} : { serviceVersion: version }) }),
    scope: { name: 'turbina', version },
    scheduleMs: config.bspScheduleDelayMs,
    timeoutMs: config.bspExportTimeoutMs,
    maxQueue: config.bspMaxQueueSize,
    maxBatch: config.bspMaxExportBatchSize,
    logger,
  });
  const sampler = createSampler(config.tracesSampler, config.tracesSamplerArg === '' ? undefined : config.tracesSamplerArg);
  const tracer = new Tracer({ traceId: newTraceId, spanId: newSpanId }, sampler, exporter);
  return { exporter, spans: new ServerSpans(tracer) };
}

/** After a reconnect to Redis, every process-cache entry is read again within this long. */
const RESYNC_MS = 1000;

/** REDIS_URL's shared level; each invalidation Redis reports drops the process cache's copy. */
function createSharedResponses(config: Config, cache: TtlCache<Encoded>, compression: Compression, logger: Logger): SharedResponses | undefined {
  if (config.redisUrl === '') return undefined;
  const redis = new RedisCache({
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    timeoutMs: config.redisTimeoutMs,
    // What the process cache would keep at most (an eighth of its budget).
    maxValueBytes: Math.ceil(config.cacheMaxBytes / 8),
    onInvalidate: (key) => (key === null ? cache.clear() : cache.invalidate(key)),
    // Invalidations may have been lost while the connection was down: what L1 holds is read
    // from Redis again within a second, and stays in its stale window meanwhile.
    onReconnect: () => cache.shorten(RESYNC_MS),
    logger,
  });
  return new SharedResponses(redis, compression, config.cacheTtlMs);
}

/** The store's timeouts, retries and breaker from the config; breaker transitions are logged. */
function createResilientStore(config: Config, backing: ProductStore, logger: Logger, waiting: (() => number) | undefined): ResilientStore {
  const breaker = new CircuitBreaker({
    consecutiveFailures: config.breakerFailures,
    failureRatio: config.breakerFailureRatio,
    minCalls: config.breakerMinCalls,
    windowMs: config.breakerWindowMs,
    openMs: config.breakerOpenMs,
    onTransition: (from, to, reason) => {
      const fields = { from, to, reason };
      if (to === 'closed') logger.info('store circuit breaker closed: calls go to the store again', fields);
      else if (to === 'open') logger.warn(`store circuit breaker open: store calls fail at once for ${config.breakerOpenMs} ms`, fields);
      else logger.info('store circuit breaker half-open: one probe call goes to the store', fields);
    },
  });
  const retryBudget = new RetryBudget({ ratio: config.storeRetryBudget, minPerSecond: RETRY_BUDGET_MIN_PER_SECOND, windowMs: RETRY_BUDGET_WINDOW_MS });
  return new ResilientStore(backing, {
    attemptTimeoutMs: config.storeTimeoutMs,
    retries: config.storeRetries,
    retryBaseMs: config.storeRetryBaseMs,
    logger,
    // Without a request deadline, retries still end: within what the attempts alone could take.
    callBudgetMs: config.requestDeadlineMs > 0 ? config.requestDeadlineMs * CALL_SHARE_OF_DEADLINE : config.storeTimeoutMs * (config.storeRetries + 1),
    breaker,
    retryBudget,
    ...(waiting === undefined ? {} : { waiting }),
  });
}

const NO_RATE_LIMIT = Object.freeze({ limited: 0, clients: 0, evictions: 0 });
/** How often the rate limiter drops buckets that have refilled (a bounded batch each time). */
const RATE_LIMIT_SWEEP_MS = 1000;

/** The limiter when RATE_LIMIT_RPS is set; a cluster worker (options.cluster) enforces its share. */
function createRateLimiter(config: Config, options: AppOptions): RateLimiter | undefined {
  if (config.rateLimitRps === 0) return undefined;
  const trust = parseTrustProxy(config.trustProxy);
  if (trust.kind === 'invalid') throw new Error(`TRUST_PROXY: ${trust.reason}`); // resolveConfig refused it already
  const workers = options.cluster === undefined ? 1 : config.workers;
  return new RateLimiter({
    ...workerShare(config.rateLimitRps, config.rateLimitBurst, workers),
    maxClients: config.rateLimitMaxClients,
    sweepMs: RATE_LIMIT_SWEEP_MS,
    trust,
    debugRoutes: config.debugEndpoints === 'on',
    ...(options.now ? { now: options.now } : {}),
  });
}
