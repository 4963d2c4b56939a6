// The Prometheus text exposition format (version 0.0.4), what Prometheus scrapes and
// `promtool check metrics` lints: a HELP and a TYPE line per family, counters ending in
// _total, base units (seconds, bytes), label values escaped, histograms cumulative with
// le="+Inf" equal to _count. Route labels are route patterns, never raw paths, so the
// number of series stays bounded. Server-wide families are summed over workers; the
// process_* and nodejs_* families carry a `worker` label in cluster mode, because
// summing gauges such as event-loop lag would be meaningless.
import { round } from '../observability/round.js';
import type { Aggregate } from './aggregate.js';
import type { ClusterView, ProcessSnapshot } from './snapshot.js';
import { LATENCY_BOUNDS_MS } from '../observability/histogram.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Readonly<Record<string, string | number>>;
type Sample = readonly [labels: Labels | undefined, value: number];

/** Label values escape backslash, double quote and line feed. */
function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const parts = Object.keys(labels).map((key) => `${key}="${escapeLabelValue(String(labels[key]))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

const BOUNDS_SECONDS = LATENCY_BOUNDS_MS.map((ms) => Number((ms / 1000).toPrecision(12)));

class Exposition {
  private text = '';

  family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]): void {
    this.header(name, type, help);
    for (const [labels, value] of samples) this.sample(name, labels, value);
  }

  /** A histogram from per-bucket (not cumulative) counts; the last is the overflow. */
  histogram(name: string, help: string, bounds: readonly number[], counts: ArrayLike<number>, count: number, sum: number): void {
    this.header(name, 'histogram', help);
    let cumulative = 0;
    for (const [i, bound] of bounds.entries()) {
      cumulative += counts[i] ?? 0;
      this.sample(`${name}_bucket`, { le: formatValue(bound) }, cumulative);
    }
    this.sample(`${name}_bucket`, { le: '+Inf' }, count);
    this.sample(`${name}_sum`, undefined, sum);
    this.sample(`${name}_count`, undefined, count);
  }

  toString(): string {
    return this.text;
  }

  private header(name: string, type: string, help: string): void {
    this.text += `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
  }

  private sample(name: string, labels: Labels | undefined, value: number): void {
    this.text += `${name}${formatLabels(labels)} ${formatValue(value)}\n`;
  }
}

/** Renders the aggregate; `view` (cluster mode) adds the cluster families and worker labels. */
export function renderPrometheus(agg: Aggregate, view?: ClusterView): string {
  const out = new Exposition();
  const one = (value: number): Sample[] => [[undefined, value]];
  const { requests, cache } = agg;

  out.family(
    'turbina_http_requests_total',
    'counter',
    'HTTP requests answered, by request method, route pattern (unmatched for none) and status (499: client closed first).',
    [...requests.counts]
      .sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method) || a.status - b.status)
      .map((c) => [{ method: c.method, route: c.route, status: c.status }, c.count]),
  );
  const latency = agg.latencyMs;
  out.histogram(
    'turbina_http_request_duration_seconds',
    'Time from request arrival to response written.',
    BOUNDS_SECONDS,
    latency.counts,
    latency.count,
    latency.sum / 1000,
  );
  out.family('turbina_http_requests_in_flight', 'gauge', 'Requests being handled now.', one(requests.inFlight));
  out.family('turbina_http_requests_aborted_total', 'counter', 'Requests whose client closed the connection before the response was complete.', one(requests.aborted));
  out.family('turbina_http_client_errors_total', 'counter', 'Requests node:http could not parse (answered 400, 408 or 431).', one(requests.clientErrors));
  out.family('turbina_http_connections_active', 'gauge', 'Open client connections.', one(agg.connections.active));
  out.family('turbina_http_connections_total', 'counter', 'Client connections accepted.', one(agg.connections.total));

  const scope = view === undefined ? '' : ' Each worker has its own cache; summed over workers.';
  out.family('turbina_cache_hits_total', 'counter', `Response cache hits.${scope}`, one(cache.hits));
  out.family('turbina_cache_misses_total', 'counter', `Response cache misses.${scope}`, one(cache.misses));
  out.family('turbina_cache_evictions_total', 'counter', `Entries evicted at the entry or byte cap.${scope}`, one(cache.evictions));
  out.family('turbina_cache_too_large_total', 'counter', `Responses not cached (or dropped as their variants grew) for holding more than an eighth of the byte budget.${scope}`, one(cache.tooLarge));
  out.family('turbina_cache_expirations_total', 'counter', `Entries removed after their TTL.${scope}`, one(cache.expirations));
  out.family('turbina_cache_invalidations_total', 'counter', `Entries dropped, and loads not kept, because their key was invalidated (DELETE /products/{id}/cache, or another instance through Redis).${scope}`, one(cache.invalidations));
  out.family('turbina_cache_stale_served_total', 'counter', `Expired entries served (X-Cache: STALE) because their reload failed, within STALE_IF_ERROR_MS.${scope}`, one(cache.staleServed));
  out.family('turbina_cache_entries', 'gauge', `Entries in the response cache.${scope}`, one(cache.entries));
  out.family('turbina_cache_bytes', 'gauge', `Bytes of the cached responses, compressed variants included.${scope}`, one(cache.bytes));
  out.family('turbina_cache_max_bytes', 'gauge', `The cache's byte budget (CACHE_MAX_BYTES).${scope}`, one(cache.maxBytes));
  out.family('turbina_cache_loads_total', 'counter', `Cache loads (one per key however many concurrent misses).${scope}`, one(cache.loads));
  out.family('turbina_cache_load_errors_total', 'counter', `Cache loads that failed (not cached).${scope}`, one(cache.loadErrors));
  out.family('turbina_store_calls_total', 'counter', 'Attempts on the backing store (what the cache saves), retries included.', one(cache.storeCalls));
  const { compression, bufferPool } = agg;
  out.family('turbina_compression_on_the_fly_total', 'counter', 'Buffered bodies compressed per request (not cached).', one(compression.onTheFly));
  out.family('turbina_compression_streams_opened_total', 'counter', 'Compressing streams opened.', one(compression.streamsOpened));
  out.family('turbina_compression_streams_open', 'gauge', 'Compressing streams not yet finished or destroyed.', one(compression.streamsOpen));
  out.family('turbina_compression_failures_total', 'counter', 'Bodies zlib failed to compress (answered 500).', one(compression.failures));
  out.family('turbina_compression_variants_total', 'counter', 'Compressed variants of cached responses made at the fast level while a request waited.', one(compression.variants));
  out.family('turbina_compression_upgrades_total', 'counter', 'Cached variants replaced by their best-level version, made in the background.', one(compression.upgrades));
  out.family('turbina_compression_upgrades_dropped_total', 'counter', 'Upgrades not queued because the backlog was full (the fast variant stays).', one(compression.upgradesDropped));
  out.family('turbina_compression_upgrades_cancelled_total', 'counter', 'Upgrades given up because their entry left the cache first.', one(compression.upgradesCancelled));
  out.family('turbina_compression_upgrades_failed_total', 'counter', 'Upgrades zlib failed (the fast variant stays).', one(compression.upgradesFailed));
  out.family('turbina_compression_upgrades_queued', 'gauge', 'Upgrades waiting for their turn.', one(compression.upgradesQueued));
  out.family('turbina_compression_request_jobs', 'gauge', 'Whole-body compressions for requests allowed at once (summed over workers).', one(compression.requestJobs));
  out.family('turbina_compression_request_jobs_running', 'gauge', 'Whole-body compressions for requests running now.', one(compression.requestJobsRunning));
  out.family('turbina_compression_request_jobs_waiting', 'gauge', 'Whole-body compressions for requests waiting for a turn now.', one(compression.requestJobsWaiting));
  out.family('turbina_compression_request_jobs_waited_total', 'counter', 'Whole-body compressions for requests that had to wait for a turn.', one(compression.requestJobsWaited));
  out.family('turbina_compression_upgrades_running', 'gauge', 'Upgrades running now.', one(compression.upgradesRunning));
  out.family('turbina_buffer_pool_in_use', 'gauge', 'Pooled Buffers handed out and not yet returned.', one(bufferPool.inUse));
  out.family('turbina_buffer_pool_free', 'gauge', 'Pooled Buffers ready for reuse.', one(bufferPool.free));
  out.family('turbina_buffer_pool_hits_total', 'counter', 'Buffers taken from the pool.', one(bufferPool.hits));
  out.family('turbina_buffer_pool_misses_total', 'counter', 'Buffers allocated because the pool was empty (or off).', one(bufferPool.misses));
  out.family('turbina_buffer_pool_abandoned_total', 'counter', 'Buffers given up on when their stream was destroyed mid-write.', one(bufferPool.abandoned));
  out.family(
    'turbina_log_lines_dropped_total',
    'counter',
    `Log lines dropped whole because stdout was not taking them (its queue held LOG_QUEUE_BYTES).${view === undefined ? '' : ' Summed over workers and the primary.'}`,
    one(agg.logs.dropped + (view?.primaryLogsDropped ?? 0)),
  );
  out.family('turbina_log_queue_bytes', 'gauge', `Log bytes written to stdout and not yet taken by its reader (at most about LOG_QUEUE_BYTES).${view === undefined ? '' : ' Summed over workers.'}`, one(agg.logs.queuedBytes));
  const { exports } = agg;
  out.family('turbina_exports_active', 'gauge', '/products/export streams running now.', one(exports.active));
  out.family('turbina_exports_max_concurrent', 'gauge', 'Exports allowed at once (EXPORT_MAX_CONCURRENT, summed over workers).', one(exports.maxConcurrent));
  out.family('turbina_exports_rejected_total', 'counter', 'Exports refused with 503 because every slot was taken.', one(exports.rejected));
  out.family('turbina_exports_idle_timeouts_total', 'counter', 'Exports cut because the client took nothing for EXPORT_IDLE_TIMEOUT_MS.', one(exports.idleTimeouts));
  out.family('turbina_http_deadline_exceeded_total', 'counter', 'Requests answered by REQUEST_DEADLINE_MS before their handler did: 504 while waiting on the store, 503 otherwise.', [
    [{ status: 503 }, agg.deadline.answered503],
    [{ status: 504 }, agg.deadline.answered504],
  ]);

  const { rateLimit } = agg;
  out.family('turbina_rate_limited_total', 'counter', 'Requests refused with 429 because their client had no token left (RATE_LIMIT_RPS).', one(rateLimit.limited));
  out.family('turbina_rate_limit_clients', 'gauge', 'Clients with a rate-limit bucket now.', one(rateLimit.clients));
  out.family('turbina_rate_limit_evictions_total', 'counter', 'Rate-limit buckets dropped to make room at RATE_LIMIT_MAX_CLIENTS.', one(rateLimit.evictions));
  const { shedding } = agg;
  out.family('turbina_load_shedding_active', 'gauge', 'Processes refusing new requests now because their event loop is over SHED_EVENT_LOOP_DELAY_MS or SHED_ELU.', one(shedding.active));
  out.family('turbina_max_in_flight', 'gauge', 'Requests allowed in flight at once (MAX_IN_FLIGHT, summed over workers; 0 = no bound).', one(shedding.maxInFlight));
  out.family('turbina_load_shed_total', 'counter', 'Requests refused with 503 by load shedding, by reason.', [
    [{ reason: 'event_loop_delay' }, shedding.shed.eventLoopDelay],
    [{ reason: 'event_loop_utilization' }, shedding.shed.eventLoopUtilization],
    [{ reason: 'in_flight' }, shedding.shed.inFlight],
  ]);

  const { store } = agg;
  out.family('turbina_store_retries_total', 'counter', 'Store attempts that were retries of a failed one.', one(store.retries));
  out.family('turbina_store_attempt_failures_total', 'counter', 'Failed store attempts, by cause.', (Object.keys(store.failures) as (keyof typeof store.failures)[]).map((cause) => [{ cause: cause.replace('-', '_') }, store.failures[cause]]));
  out.family('turbina_store_retries_skipped_total', 'counter', 'Failures worth retrying that were not: the retry budget was spent, or the wait would end past the request deadline.', [
    [{ reason: 'budget' }, store.retriesRefused],
    [{ reason: 'deadline' }, store.retriesPastDeadline],
  ]);
  out.family('turbina_store_calls_waiting', 'gauge', 'Store calls waiting now for a connection to STORE_URL (all STORE_MAX_SOCKETS busy).', one(store.waiting));
  out.family('turbina_store_short_circuited_total', 'counter', 'Store calls failed at once because the circuit breaker was open.', one(store.shortCircuited));
  out.family('turbina_store_breaker_state', 'gauge', `The circuit breaker's state (1 for the current one${view === undefined ? '' : '; summed: the workers in each state'}).`, (['closed', 'open', 'half-open'] as const).map((state) => [{ state: state.replace('-', '_') }, agg.processes.filter((p) => p.store.breaker.state === state).length]));
  out.family('turbina_store_breaker_transitions_total', 'counter', 'Circuit breaker state changes, by the state entered.', [
    [{ to: 'open' }, store.breaker.opened],
    [{ to: 'half_open' }, store.breaker.halfOpened],
    [{ to: 'closed' }, store.breaker.closed],
  ]);

  if (agg.redis !== null) renderRedisFamilies(out, agg, view !== undefined);
  const tracing = agg.tracing;
  if (tracing !== null) {
    out.family('turbina_tracing_spans_exported_total', 'counter', 'Spans the collector accepted.', one(tracing.exported));
    out.family('turbina_tracing_spans_dropped_total', 'counter', 'Spans lost: the queue was full, the collector refused them, or they could not be delivered.', [
      [{ reason: 'queue_full' }, tracing.dropped.queueFull],
      [{ reason: 'rejected' }, tracing.dropped.rejected],
      [{ reason: 'failed' }, tracing.dropped.failed],
    ]);
    out.family('turbina_tracing_spans_queued', 'gauge', 'Spans waiting to be sent.', one(tracing.queued));
    out.family('turbina_tracing_export_retries_total', 'counter', 'Span batches sent again after a retryable failure (429, 502, 503, 504, no answer).', one(tracing.retries));
  }

  if (view !== undefined) {
    out.family('turbina_workers', 'gauge', 'Worker processes configured (WORKERS).', one(view.workers));
    out.family('turbina_worker_restarts_total', 'counter', 'Workers restarted after an unexpected exit.', one(view.restarts));
    out.family('turbina_metrics_scrape_missing_workers', 'gauge', 'Workers that did not answer this scrape in time; their numbers are absent.', one(view.missing.length));
    out.family('turbina_metrics_scrape_missing_workers_total', 'counter', 'Missing worker answers over all scrapes.', one(view.missingTotal));
    out.family('turbina_worker_info', 'gauge', 'The pid serving each worker slot (value 1).', agg.processes.map((p) => [{ worker: p.worker, pid: p.pid }, 1]));
  }
  renderProcessFamilies(out, agg.processes, view !== undefined);
  return out.toString();
}

/** REDIS_URL's shared cache: only when it is configured. */
function renderRedisFamilies(out: Exposition, agg: Aggregate, cluster: boolean): void {
  const redis = agg.redis;
  if (redis === null) return;
  const one = (value: number): Sample[] => [[undefined, value]];
  const summed = cluster ? ' Summed over workers (each has its own connection).' : '';
  out.family('turbina_redis_up', 'gauge', `1 when the connection to Redis is ready${cluster ? ' (summed: the workers connected)' : ''}.`, one(agg.processes.filter((p) => p.redis?.state === 'ready').length));
  out.family('turbina_redis_tracking', 'gauge', `1 when invalidations from other instances arrive (CLIENT TRACKING on)${cluster ? ' in every worker' : ''}.`, one(redis.tracking ? 1 : 0));
  out.family('turbina_cache_l2_hits_total', 'counter', `Process-cache misses answered by Redis (X-Cache: HIT-L2).${summed}`, one(redis.hits));
  out.family('turbina_cache_l2_misses_total', 'counter', `Redis reads that found nothing (the store was asked).${summed}`, one(redis.misses));
  out.family('turbina_redis_writes_total', 'counter', `Entries and compressed variants written to Redis.${summed}`, one(redis.writes));
  out.family('turbina_redis_errors_total', 'counter', `Redis reads and writes that failed: timeout, connection lost, queue full or an error reply (the request went on without Redis).${summed}`, one(redis.errors));
  out.family('turbina_redis_skipped_total', 'counter', `Redis reads and writes not tried: Redis down, its breaker open, or a value over an eighth of CACHE_MAX_BYTES.${summed}`, one(redis.skipped));
  out.family('turbina_redis_timeouts_total', 'counter', `Redis commands without a reply within REDIS_TIMEOUT_MS.${summed}`, one(redis.timeouts));
  out.family('turbina_redis_reconnects_total', 'counter', `Connections to Redis made again after a drop.${summed}`, one(redis.reconnects));
  out.family('turbina_redis_invalidations_total', 'counter', `Keys other instances changed or deleted, as Redis reported them (each drops the process cache's copy).${summed}`, one(redis.invalidations));
  out.family('turbina_redis_invalid_values_total', 'counter', `Values under our prefix that were not a response of ours (read as misses).${summed}`, one(redis.invalid));
  out.family('turbina_redis_commands_pending', 'gauge', `Redis commands waiting or in flight.${summed}`, one(redis.pending));
  out.family('turbina_redis_breaker_state', 'gauge', `The Redis circuit breaker's state (1 for the current one${cluster ? '; summed: the workers in each state' : ''}).`, (['closed', 'open', 'half-open'] as const).map((state) => [{ state: state.replace('-', '_') }, agg.processes.filter((p) => p.redis?.breaker.state === state).length]));
}

function renderProcessFamilies(out: Exposition, processes: readonly ProcessSnapshot[], labelled: boolean): void {
  const each = (value: (p: ProcessSnapshot) => number): Sample[] =>
    processes.map((p) => [labelled ? { worker: p.worker } : undefined, value(p)]);
  out.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', each((p) => p.memory.rssBytes));
  out.family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', each((p) => p.cpuSeconds));
  out.family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', each((p) => p.startTimeSeconds));
  out.family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap used in bytes.', each((p) => p.memory.heapUsedBytes));
  out.family('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap size in bytes.', each((p) => p.memory.heapTotalBytes));
  out.family('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JavaScript objects, in bytes.', each((p) => p.memory.externalBytes));
  out.family('nodejs_eventloop_lag_seconds', 'gauge', 'Event-loop delay, p99 over the last complete window.', each((p) => round(p.eventLoop.delayMs.p99 / 1000, 6)));
  out.family('nodejs_eventloop_lag_max_seconds', 'gauge', 'Event-loop delay, maximum over the last complete window.', each((p) => round(p.eventLoop.delayMs.max / 1000, 6)));
  out.family('nodejs_eventloop_utilization_ratio', 'gauge', 'Fraction of the last window the event loop was busy.', each((p) => p.eventLoop.utilization));
}
