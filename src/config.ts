// Configuration: every option has an env var, a CLI flag, a default and a validator.
// Precedence: flag > env > default. A bad value is a ConfigError naming the option;
// server.ts prints its message on one line and exits with code 2.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseRedisUrl } from './cache/redis/redis-url.js';
import { parseResourceAttributes } from './trace/resource.js';
import { createSampler } from './trace/sampler.js';
import { parseOtlpHeaders, type OtlpProtocol } from './trace/exporter.js';
import { parseTrustProxy } from './ip/trust-proxy.js';
import { LOG_LEVELS, type LogLevel } from './log/levels.js';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly listenBacklog: number;
  /** Listening sockets sharing the port (SO_REUSEPORT), where supported. */
  readonly listenSockets: number;
  readonly logLevel: LogLevel;
  /** Log output that may wait for a slow stdout before batches of lines are dropped. */
  readonly logQueueBytes: number;
  readonly cacheTtlMs: number;
  readonly cacheNegativeTtlMs: number;
  /** 0: no process cache (with REDIS_URL, every request asks Redis). */
  readonly cacheMaxEntries: number;
  /** Budget for the cached responses' bytes, compressed variants included. */
  readonly cacheMaxBytes: number;
  readonly cacheSweepMs: number;
  readonly storeLatencyMs: number;
  /** The shared (L2) cache's Redis; '' = none. May hold a password. */
  readonly redisUrl: string;
  /** A Redis command without a reply this long fails, and its connection is redialled. */
  readonly redisTimeoutMs: number;
  /** Prepended to every key turbina writes (then the format version). */
  readonly redisKeyPrefix: string;
  /** The upstream product service's base URL; '' = the embedded catalog. */
  readonly storeUrl: string;
  /** Each store attempt is aborted after this long. */
  readonly storeTimeoutMs: number;
  /** Attempts after the first, for failures worth retrying. */
  readonly storeRetries: number;
  /** Backoff before retry n: a random wait up to STORE_RETRY_BASE_MS x 2^n (full jitter). */
  readonly storeRetryBaseMs: number;
  /** Retries may be at most this fraction of store calls (plus 10 per second). */
  readonly storeRetryBudget: number;
  /** Connections to the upstream at most (a keep-alive pool). */
  readonly storeMaxSockets: number;
  /** The breaker opens after this many failed attempts in a row (0 = not by count). */
  readonly breakerFailures: number;
  /** The breaker opens when this fraction of attempts in its window failed (0 = not by ratio). */
  readonly breakerFailureRatio: number;
  /** Attempts the window must hold before its ratio counts. */
  readonly breakerMinCalls: number;
  readonly breakerWindowMs: number;
  /** How long the breaker stays open before one probe is let through. */
  readonly breakerOpenMs: number;
  /** How long past its TTL a cached response may be served when the store fails. */
  readonly staleIfErrorMs: number;
  /** A request not answered by then gets 503 (504 while it waits on the store); 0 = off. */
  readonly requestDeadlineMs: number;
  readonly catalogSize: number;
  readonly drainDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly shutdownIdleMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Processes serving requests: 1 = no cluster primary. */
  readonly workers: number;
  /** How long /metrics waits for each worker's snapshot in cluster mode. */
  readonly metricsWorkerTimeoutMs: number;
  readonly compressMinBytes: number;
  readonly compressLevel: number;
  /** Best-level recompressions of cached variants running at once (0 = keep the fast ones). */
  readonly compressUpgrades: number;
  readonly compressUpgradeBacklog: number;
  readonly bufferPool: OnOff;
  readonly bufferPoolBytes: number;
  readonly bufferPoolMax: number;
  /** Exports streaming at once in each process; more are answered 503. */
  readonly exportMaxConcurrent: number;
  /** An export whose client takes nothing for this long is cut. */
  readonly exportIdleTimeoutMs: number;
  /** Whether the /debug/pprof routes exist. */
  readonly debugEndpoints: OnOff;
  /** Lets non-loopback clients into /debug with `Authorization: Bearer <token>`; '' = none. */
  readonly debugToken: string;
  /** Requests per second each client may make on average; 0 = no rate limiting. */
  readonly rateLimitRps: number;
  /** Requests a client may make at once (its bucket's size); 0 while rate limiting is off. */
  readonly rateLimitBurst: number;
  /** Clients with a bucket at most, per process. */
  readonly rateLimitMaxClients: number;
  /** Which peers may name the client in X-Forwarded-For/Forwarded: '' none, a hop count, or IPs/CIDRs. */
  readonly trustProxy: string;
  /** New requests get 503 while the event loop's delay is above this (0 = off). */
  readonly shedEventLoopDelayMs: number;
  /** New requests get 503 while the event loop's utilization is above this fraction (0 = off). */
  readonly shedElu: number;
  /** Requests in flight at once in each process; more get 503 (0 = no bound). */
  readonly maxInFlight: number;
  /** OTLP/HTTP base URL (traces to <url>/v1/traces); '' = none. */
  readonly otlpEndpoint: string;
  /** OTLP/HTTP traces URL, used as is (wins over otlpEndpoint); '' = none. */
  readonly otlpTracesEndpoint: string;
  readonly otlpProtocol: OtlpProtocol;
  /** OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS as given (checked; secret). */
  readonly otlpHeaders: string;
  readonly otlpTracesHeaders: string;
  readonly serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES as given (checked). */
  readonly resourceAttributes: string;
  readonly tracesSampler: string;
  readonly tracesSamplerArg: string;
  readonly bspScheduleDelayMs: number;
  readonly bspExportTimeoutMs: number;
  readonly bspMaxQueueSize: number;
  readonly bspMaxExportBatchSize: number;
}

export type OnOff = 'on' | 'off';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Raw = string | undefined;
type Resolved = Partial<Record<keyof Config, number | string>>;

interface OptionSpec {
  readonly key: keyof Config;
  readonly env: string;
  readonly flag: string;
  readonly help: string;
  /** Shown in --help; names other options where the default depends on them. */
  readonly defaultText: string;
  /** Parses the raw text (undefined = not given) given the options resolved before it. */
  readonly parse: (raw: Raw, name: string, earlier: Resolved) => number | string;
  /** Never logged: loggableConfig shows it as '(set)'. */
  readonly secret?: true;
}

const MAX_MS = 2_147_483_647; // setTimeout's ceiling (2^31 - 1)
const MAX_WORKERS = 256;
/** Concurrent exports the whole server allows per core by default (split over the workers). */
const EXPORTS_PER_CORE = 2;

function integer(raw: string, name: string, min: number, max: number): number {
  // Digits only: "1e3", " 8080", "0x10" and "-5" are all refused, not coerced.
  if (!/^[0-9]{1,16}$/.test(raw)) {
    throw new ConfigError(`invalid ${name} "${raw}": expected a whole number from ${min} to ${max}`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(`invalid ${name} "${raw}": expected a whole number from ${min} to ${max}`);
  }
  return value;
}

function intOption(
  key: keyof Config,
  env: string,
  help: string,
  fallback: number,
  min: number,
  max: number,
): OptionSpec {
  return {
    key,
    env,
    flag: env.toLowerCase().replaceAll('_', '-'),
    help,
    defaultText: String(fallback),
    parse: (raw, name) => (raw === undefined ? fallback : integer(raw, name, min, max)),
  };
}

/** A switch: on or off (also true/false, 1/0, yes/no, as env files write them). */
function onOffOption(key: keyof Config, env: string, help: string, fallback: OnOff): OptionSpec {
  return {
    key,
    env,
    flag: env.toLowerCase().replaceAll('_', '-'),
    help,
    defaultText: fallback,
    parse: (raw, name) => {
      if (raw === undefined) return fallback;
      const value = raw.toLowerCase();
      if (['on', 'true', '1', 'yes'].includes(value)) return 'on';
      if (['off', 'false', '0', 'no'].includes(value)) return 'off';
      throw new ConfigError(`invalid ${name} "${raw}": expected on or off`);
    },
  };
}

/** A number option resolved earlier (OPTIONS lists it first). */
function num(resolved: Resolved, key: keyof Config): number {
  const value = resolved[key];
  if (typeof value !== 'number') throw new Error(`option ${key} is read before it is resolved`);
  return value;
}

/** The option table: the single source for parsing, validation and --help. Order matters:
 *  an option may depend on those listed before it. */
export const OPTIONS: readonly OptionSpec[] = [
  intOption('port', 'PORT', 'TCP port to listen on (0 picks a free one)', 8080, 0, 65535),
  {
    key: 'host',
    env: 'HOST',
    flag: 'host',
    help: 'interface address to bind',
    defaultText: '0.0.0.0',
    parse: (raw, name) => {
      if (raw === undefined) return '0.0.0.0';
      if (!/^[A-Za-z0-9.:%_-]{1,253}$/.test(raw)) {
        throw new ConfigError(`invalid ${name} "${raw}": expected an IP address or host name`);
      }
      return raw;
    },
  },
  intOption('listenBacklog', 'LISTEN_BACKLOG', 'queue of connections waiting to be accepted (the kernel caps it at net.core.somaxconn)', 4096, 1, 65535),
  intOption('listenSockets', 'LISTEN_SOCKETS', 'listening sockets per process sharing the port (SO_REUSEPORT: Linux, Node >= 22.12; one elsewhere): the event loop accepts one connection per socket per turn', 64, 1, 256),
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: 'log-level',
    help: `lowest level written: ${LOG_LEVELS.join(', ')}`,
    defaultText: 'info',
    parse: (raw, name) => {
      if (raw === undefined) return 'info';
      const level = raw.toLowerCase();
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        throw new ConfigError(`invalid ${name} "${raw}": expected one of ${LOG_LEVELS.join(', ')}`);
      }
      return level;
    },
  },
  intOption('logQueueBytes', 'LOG_QUEUE_BYTES', 'log output queued for a stdout that is not reading (a stuck pipe); beyond it whole batches of lines are dropped and counted', 4_194_304, 65_536, 1_073_741_824),
  intOption('cacheTtlMs', 'CACHE_TTL_MS', 'how long an encoded response stays cached', 30_000, 1, MAX_MS),
  {
    key: 'cacheNegativeTtlMs',
    env: 'CACHE_NEGATIVE_TTL_MS',
    flag: 'cache-negative-ttl-ms',
    help: 'how long a 404 stays cached (at most CACHE_TTL_MS)',
    defaultText: 'min(5000, CACHE_TTL_MS)',
    parse: (raw, name, earlier) => {
      const ttl = num(earlier, 'cacheTtlMs');
      return raw === undefined ? Math.min(5000, ttl) : integer(raw, name, 0, ttl);
    },
  },
  intOption('cacheMaxEntries', 'CACHE_MAX_ENTRIES', 'cache size cap; least recently used evicted; 0 = no process cache (with REDIS_URL every request asks Redis)', 10_000, 0, 10_000_000),
  intOption('cacheMaxBytes', 'CACHE_MAX_BYTES', 'budget for cached bytes (bodies, their string copies, compressed variants); evicts like CACHE_MAX_ENTRIES; a response above an eighth of it is served but not cached', 64 * 1024 * 1024, 65_536, 1_099_511_627_776),
  intOption('cacheSweepMs', 'CACHE_SWEEP_MS', 'interval of the expired-entry sweep', 1_000, 10, MAX_MS),
  intOption('storeLatencyMs', 'STORE_LATENCY_MS', 'simulated backing-store latency per lookup', 20, 0, 60_000),
  {
    key: 'redisUrl',
    env: 'REDIS_URL',
    flag: 'redis-url',
    help: 'Redis as the shared cache behind the process cache: redis://[user:password@]host:port/db (rediss:// for TLS); shared by every instance, invalidated through it',
    defaultText: 'none: the process cache only',
    secret: true,
    parse: (raw, name) => {
      if (raw === undefined || raw === '') return '';
      try {
        parseRedisUrl(raw);
      } catch (error) {
        // parseRedisUrl never repeats the URL: it may hold a password.
        throw new ConfigError(`invalid ${name}: ${(error as Error).message}`);
      }
      return raw;
    },
  },
  intOption('redisTimeoutMs', 'REDIS_TIMEOUT_MS', 'a Redis command without a reply this long fails (the request goes on to the store) and its connection is redialled', 100, 1, 60_000),
  {
    key: 'redisKeyPrefix',
    env: 'REDIS_KEY_PREFIX',
    flag: 'redis-key-prefix',
    help: 'prepended to every Redis key turbina writes, before the format version (turbina:1:<key>): separates deployments sharing one Redis',
    defaultText: 'turbina:',
    parse: (raw, name) => {
      if (raw === undefined) return 'turbina:';
      if (!/^[\x21-\x7e]{1,64}$/.test(raw)) throw new ConfigError(`invalid ${name} "${raw.slice(0, 80)}": expected 1 to 64 visible ASCII characters, no spaces`);
      return raw;
    },
  },
  {
    key: 'storeUrl',
    env: 'STORE_URL',
    flag: 'store-url',
    help: 'the upstream product service (http:// or https://, e.g. http://inventory:9000): GET {url}/products/{id} and {url}/products?offset=&limit=',
    defaultText: 'none: the embedded catalog',
    parse: (raw, name) => (raw === undefined ? '' : parseStoreUrl(raw, name)),
  },
  intOption('storeTimeoutMs', 'STORE_TIMEOUT_MS', 'each store attempt slower than this is aborted (and retried); the last one fails with 504, uncached', 1_000, 1, MAX_MS),
  intOption('storeRetries', 'STORE_RETRIES', 'retries of a failed store call: connection errors, timeouts, 502/503/504 only; never past the request deadline', 2, 0, 10),
  intOption('storeRetryBaseMs', 'STORE_RETRY_BASE_MS', 'backoff before retry n: a random wait up to this x 2^n (full jitter), or longer if the upstream sent Retry-After', 50, 1, 60_000),
  {
    key: 'storeRetryBudget',
    env: 'STORE_RETRY_BUDGET',
    flag: 'store-retry-budget',
    help: 'retries may be at most this fraction of store calls over 10 s, plus 10 per second (0..1); beyond it a failure is not retried',
    defaultText: '0.2',
    parse: (raw, name) => (raw === undefined ? 0.2 : fraction(raw, name)),
  },
  intOption('storeMaxSockets', 'STORE_MAX_SOCKETS', 'keep-alive connections to STORE_URL at most per process; more calls queue for one', 64, 1, 100_000),
  intOption('breakerFailures', 'BREAKER_FAILURES', 'the circuit breaker opens after this many store calls in a row failed, each after its retries (0 = not by count)', 5, 0, 1_000_000),
  {
    key: 'breakerFailureRatio',
    env: 'BREAKER_FAILURE_RATIO',
    flag: 'breaker-failure-ratio',
    help: 'the breaker also opens when this fraction of the attempts in its window failed (0..1; 0 = not by ratio)',
    defaultText: '0.5',
    parse: (raw, name) => (raw === undefined ? 0.5 : fraction(raw, name)),
  },
  intOption('breakerMinCalls', 'BREAKER_MIN_CALLS', 'attempts the window must hold before BREAKER_FAILURE_RATIO counts', 20, 1, 1_000_000),
  intOption('breakerWindowMs', 'BREAKER_WINDOW_MS', 'the rolling window of BREAKER_FAILURE_RATIO', 10_000, 100, MAX_MS),
  intOption('breakerOpenMs', 'BREAKER_OPEN_MS', 'how long the open breaker fails store calls at once (503 with Retry-After, or a stale copy) before it lets one probe through', 5_000, 1, MAX_MS),
  {
    key: 'staleIfErrorMs',
    env: 'STALE_IF_ERROR_MS',
    flag: 'stale-if-error-ms',
    help: 'how long past its TTL a cached response is kept, and served (X-Cache: STALE) when the store fails or the breaker is open (0 = never)',
    defaultText: '300000 with STORE_URL, else 0',
    parse: (raw, name, earlier) => {
      if (raw !== undefined) return integer(raw, name, 0, MAX_MS);
      return earlier['storeUrl'] === '' ? 0 : 300_000;
    },
  },
  intOption('requestDeadlineMs', 'REQUEST_DEADLINE_MS', 'a request whose response has not started by then gets 503 (504 while it waits on the store) and its store call is cancelled; 0 = off', 5_000, 0, MAX_MS),
  intOption('catalogSize', 'CATALOG_SIZE', 'products in the embedded catalog (ids 1..N)', 10_000, 1, 1_000_000_000),
  intOption('drainDelayMs', 'DRAIN_DELAY_MS', 'after a signal, keep serving this long with /readyz 503', 0, 0, MAX_MS),
  intOption('shutdownTimeoutMs', 'SHUTDOWN_TIMEOUT_MS', 'after a signal, force-close sockets after this long (exit 1)', 10_000, 1, MAX_MS),
  intOption('shutdownIdleMs', 'SHUTDOWN_IDLE_MS', 'while draining, close a keep-alive socket idle this long', 1_000, 0, MAX_MS),
  intOption('keepAliveTimeoutMs', 'KEEP_ALIVE_TIMEOUT_MS', 'idle keep-alive socket timeout (keep above the LB idle timeout)', 65_000, 1, MAX_MS),
  {
    key: 'headersTimeoutMs',
    env: 'HEADERS_TIMEOUT_MS',
    flag: 'headers-timeout-ms',
    help: 'time allowed to receive request headers (> KEEP_ALIVE_TIMEOUT_MS)',
    defaultText: 'KEEP_ALIVE_TIMEOUT_MS + 1000',
    parse: (raw, name, earlier) => {
      const keepAlive = num(earlier, 'keepAliveTimeoutMs');
      if (raw === undefined) return keepAlive + 1000;
      const value = integer(raw, name, 1, MAX_MS);
      if (value <= keepAlive) {
        throw new ConfigError(`invalid ${name} "${raw}": must be greater than KEEP_ALIVE_TIMEOUT_MS (${keepAlive})`);
      }
      return value;
    },
  },
  {
    key: 'requestTimeoutMs',
    env: 'REQUEST_TIMEOUT_MS',
    flag: 'request-timeout-ms',
    help: 'time allowed to receive a whole request (0 = off; >= HEADERS_TIMEOUT_MS)',
    defaultText: 'max(300000, HEADERS_TIMEOUT_MS)',
    parse: (raw, name, earlier) => {
      const headers = num(earlier, 'headersTimeoutMs');
      if (raw === undefined) return Math.max(300_000, headers);
      const value = integer(raw, name, 0, MAX_MS);
      if (value !== 0 && value < headers) {
        throw new ConfigError(`invalid ${name} "${raw}": must be 0 or at least HEADERS_TIMEOUT_MS (${headers})`);
      }
      return value;
    },
  },
  {
    key: 'workers',
    env: 'WORKERS',
    flag: 'workers',
    help: `processes serving requests: 1 (no cluster), 2..${MAX_WORKERS}, or auto (one per core)`,
    defaultText: '1',
    parse: (raw, name) => {
      if (raw === undefined) return 1;
      if (raw.toLowerCase() === 'auto') return Math.min(availableParallelism(), MAX_WORKERS);
      if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_WORKERS) {
        throw new ConfigError(`invalid ${name} "${raw}": expected auto or a whole number from 1 to ${MAX_WORKERS}`);
      }
      return Number(raw);
    },
  },
  intOption('metricsWorkerTimeoutMs', 'METRICS_WORKER_TIMEOUT_MS', 'cluster mode: /metrics waits this long for each worker, then reports it missing', 250, 1, 60_000),
  intOption('compressMinBytes', 'COMPRESS_MIN_BYTES', 'smallest body worth compressing', 1024, 0, 1_000_000_000),
  intOption('compressLevel', 'COMPRESS_LEVEL', 'gzip level for bodies a request waits for (cached ones are upgraded to 9 later)', 5, 1, 9),
  intOption('compressUpgrades', 'COMPRESS_UPGRADES', 'cached variants recompressed at the best level (brotli 11, zstd 19, gzip 9) at once, in the background; 0 keeps the fast ones', 1, 0, 64),
  intOption('compressUpgradeBacklog', 'COMPRESS_UPGRADE_BACKLOG', 'upgrades waiting at most; more are dropped (the fast variant stays)', 64, 0, 100_000),
  onOffOption('bufferPool', 'BUFFER_POOL', 'reuse Buffers for streamed bodies (off: allocate each)', 'on'),
  intOption('bufferPoolBytes', 'BUFFER_POOL_BYTES', 'size of each pooled Buffer (a streamed chunk)', 65_536, 1024, 16_777_216),
  intOption('bufferPoolMax', 'BUFFER_POOL_MAX', 'free Buffers kept for reuse; more are left to the GC', 64, 0, 100_000),
  {
    key: 'exportMaxConcurrent',
    env: 'EXPORT_MAX_CONCURRENT',
    flag: 'export-max-concurrent',
    help: '/products/export streams running at once in each process; more get 503 with Retry-After',
    defaultText: `max(2, ceil(${EXPORTS_PER_CORE} x cores / WORKERS))`,
    parse: (raw, name, earlier) => {
      if (raw !== undefined) return integer(raw, name, 1, 100_000);
      return defaultExportMaxConcurrent(availableParallelism(), num(earlier, 'workers'));
    },
  },
  intOption('exportIdleTimeoutMs', 'EXPORT_IDLE_TIMEOUT_MS', 'an export whose client takes nothing for this long is cut (its connection closed)', 30_000, 1, MAX_MS),
  // Not DEBUG: the debug npm package reads that one, and DEBUG=express:* must not stop the server.
  onOffOption('debugEndpoints', 'DEBUG_ENDPOINTS', '/debug/pprof profiling endpoints', 'on'),
  {
    key: 'debugToken',
    env: 'DEBUG_TOKEN',
    flag: 'debug-token',
    help: 'lets remote clients into /debug with "Authorization: Bearer <token>" (at least 16 characters)',
    defaultText: 'none: loopback clients only',
    secret: true,
    parse: (raw, name) => {
      if (raw === undefined) return '';
      // A short token can be guessed; a space or control character cannot be sent in a header.
      if (!/^[\x21-\x7e]{16,512}$/.test(raw)) {
        throw new ConfigError(`invalid ${name}: expected 16 to 512 visible ASCII characters, no spaces`);
      }
      return raw;
    },
  },
  {
    key: 'rateLimitRps',
    env: 'RATE_LIMIT_RPS',
    flag: 'rate-limit-rps',
    help: 'requests per second each client may make on average (a token bucket per client; 429 beyond it); a decimal such as 0.5 is allowed',
    defaultText: 'none: no rate limiting',
    parse: (raw, name) => {
      if (raw === undefined) return 0;
      if (!/^[0-9]{1,9}(\.[0-9]{1,6})?$/.test(raw)) {
        throw new ConfigError(`invalid ${name} "${raw}": expected requests per second, a number such as 100 or 0.5 (0 or unset: no limit)`);
      }
      return Number(raw);
    },
  },
  {
    key: 'rateLimitBurst',
    env: 'RATE_LIMIT_BURST',
    flag: 'rate-limit-burst',
    help: 'requests a client may make at once before RATE_LIMIT_RPS paces it (its bucket size)',
    defaultText: 'RATE_LIMIT_RPS rounded up, at least 1',
    parse: (raw, name, earlier) => {
      const rps = num(earlier, 'rateLimitRps');
      if (rps === 0) {
        if (raw === undefined || raw === '0') return 0;
        throw new ConfigError(`invalid ${name} "${raw}": it sizes the RATE_LIMIT_RPS bucket, which is not set`);
      }
      return raw === undefined ? Math.max(1, Math.ceil(rps)) : integer(raw, name, 1, 1_000_000_000);
    },
  },
  intOption('rateLimitMaxClients', 'RATE_LIMIT_MAX_CLIENTS', 'clients whose buckets each process keeps at most; beyond it the oldest or a full bucket is dropped (counted as evictions)', 100_000, 1, 10_000_000),
  {
    key: 'trustProxy',
    env: 'TRUST_PROXY',
    flag: 'trust-proxy',
    help: 'peers trusted to name the client in X-Forwarded-For/Forwarded: a hop count (1: the nearest proxy\'s entry) or a list of IPs/CIDRs such as 10.0.0.0/8,::1',
    defaultText: 'none: the socket\'s peer is the client',
    parse: (raw, name) => {
      if (raw === undefined) return '';
      const parsed = parseTrustProxy(raw);
      if (parsed.kind === 'invalid') throw new ConfigError(`invalid ${name} "${raw}": ${parsed.reason}`);
      return raw.trim();
    },
  },
  intOption('shedEventLoopDelayMs', 'SHED_EVENT_LOOP_DELAY_MS', 'new requests get 503 with Retry-After while the event loop lags more than this: a timer due now would fire this late, or the loop has spent this long in the turn that read the request (0 = off)', 0, 0, 60_000),
  {
    key: 'shedElu',
    env: 'SHED_ELU',
    flag: 'shed-elu',
    help: 'new requests get 503 with Retry-After while the event loop was busy more than this fraction of the last 25 ms, its timer also 10 ms late (0..1; 0 = off)',
    defaultText: '0',
    parse: (raw, name) => (raw === undefined ? 0 : fraction(raw, name)),
  },
  intOption('maxInFlight', 'MAX_IN_FLIGHT', 'requests in flight at once in each process; more get 503 with Retry-After at once (0 = no bound)', 0, 0, 1_000_000),
  // Tracing: the OpenTelemetry names, so that a deployment's OTEL_* settings apply as to any service.
  otlpUrlOption('otlpEndpoint', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'turns tracing on: the OTLP/HTTP collector\'s base URL (http:// or https://); spans go to <url>/v1/traces'),
  otlpUrlOption('otlpTracesEndpoint', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'turns tracing on: the OTLP/HTTP traces URL, used as is (wins over OTEL_EXPORTER_OTLP_ENDPOINT)'),
  {
    key: 'otlpProtocol',
    env: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    flag: 'otel-exporter-otlp-protocol',
    help: 'how spans are encoded on /v1/traces: http/protobuf (binary, the smaller and cheaper) or http/json; grpc is not supported',
    defaultText: 'http/protobuf',
    parse: (raw, name, earlier): OtlpProtocol => {
      const value = raw?.trim().toLowerCase() || 'http/protobuf';
      if (value === 'http/json' || value === 'http/protobuf') return value;
      // Unread with tracing off: a platform's setting for its other services is no error.
      if (!tracingOn(earlier)) return 'http/protobuf';
      throw new ConfigError(`invalid ${name} "${value.slice(0, 40)}": only http/json and http/protobuf are supported`);
    },
  },
  otlpHeadersOption('otlpHeaders', 'OTEL_EXPORTER_OTLP_HEADERS', 'headers sent with every export, e.g. an API key: name=value,name=value (values percent-encoded); logged as (set)'),
  otlpHeadersOption('otlpTracesHeaders', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'headers sent with every span export, over OTEL_EXPORTER_OTLP_HEADERS (a name in both: this one wins)'),
  {
    key: 'serviceName',
    env: 'OTEL_SERVICE_NAME',
    flag: 'otel-service-name',
    help: 'service.name of the spans (else the one in OTEL_RESOURCE_ATTRIBUTES, else turbina)',
    defaultText: 'turbina',
    parse: (raw) => raw?.trim() ?? '',
  },
  {
    key: 'resourceAttributes',
    env: 'OTEL_RESOURCE_ATTRIBUTES',
    flag: 'otel-resource-attributes',
    help: 'more resource attributes of the spans: key=value,key=value (values percent-encoded)',
    defaultText: 'none',
    parse: (raw, name, earlier) => {
      if (raw === undefined) return '';
      if (tracingOn(earlier)) tracingCheck(name, () => parseResourceAttributes(raw));
      return raw;
    },
  },
  {
    key: 'tracesSampler',
    env: 'OTEL_TRACES_SAMPLER',
    flag: 'otel-traces-sampler',
    help: 'which requests are traced: always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio',
    defaultText: 'parentbased_always_on',
    parse: (raw, name, earlier) => {
      const value = raw?.trim().toLowerCase() || 'parentbased_always_on';
      if (tracingOn(earlier)) tracingCheck(name, () => createSampler(value, undefined));
      return value;
    },
  },
  {
    key: 'tracesSamplerArg',
    env: 'OTEL_TRACES_SAMPLER_ARG',
    flag: 'otel-traces-sampler-arg',
    help: 'the ratio of the *traceidratio samplers, 0 to 1 (0.01: one trace in a hundred)',
    defaultText: '1',
    parse: (raw, name, earlier) => {
      if (raw === undefined) return '';
      if (tracingOn(earlier)) tracingCheck(name, () => createSampler(String(earlier['tracesSampler'] ?? ''), raw));
      return raw;
    },
  },
  // The batch span processor's settings, as the SDKs name them (their defaults but the
  // timeout: an export is one POST, and a hung one holds up every batch behind it).
  otelIntOption('bspScheduleDelayMs', 'OTEL_BSP_SCHEDULE_DELAY', 'how long a span may wait for its batch to fill before the batch is sent anyway (ms)', 5000, 1, 3_600_000),
  otelIntOption('bspExportTimeoutMs', 'OTEL_BSP_EXPORT_TIMEOUT', 'one export (a POST to the collector, its answer included) fails after this long and is retried (ms)', 10_000, 1, 600_000),
  otelIntOption('bspMaxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE', 'spans waiting to be sent, at most; more are dropped and counted (queueFull)', 2048, 1, 1_048_576),
  {
    ...otelIntOption('bspMaxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'spans in one export, at most; a full batch is sent at once; at most OTEL_BSP_MAX_QUEUE_SIZE (its default: 512, or the queue size if smaller)', 512, 1, 1_048_576),
    parse: (raw, name, earlier) => {
      const queue = num(earlier, 'bspMaxQueueSize');
      // Unset under a smaller queue: the queue's size, as the SDKs do (a batch that can never
      // fill would go only on the schedule, and the queue would drop the rest).
      if (raw === undefined || !tracingOn(earlier)) return Math.min(512, queue);
      const size = integer(raw, name, 1, 1_048_576);
      if (size > queue) throw new ConfigError(`invalid ${name} "${raw}": at most OTEL_BSP_MAX_QUEUE_SIZE (${queue})`);
      return size;
    },
  },
];

/** An option that may hold credentials: never logged (loggableConfig shows '(set)'). */
function secretOption(key: keyof Config, env: string, help: string, defaultText: string, parse: OptionSpec['parse']): OptionSpec {
  return { key, env, flag: env.toLowerCase().replaceAll('_', '-'), help, defaultText, secret: true, parse };
}

/** A list of export headers: it may hold credentials, so it is never repeated either. */
function otlpHeadersOption(key: keyof Config, env: string, help: string): OptionSpec {
  return secretOption(key, env, help, 'none', (raw, name, earlier) => {
    if (raw === undefined) return '';
    if (tracingOn(earlier)) tracingCheck(name, () => parseOtlpHeaders(raw, env));
    return raw;
  });
}

/** An OTEL_* integer: checked only with tracing on (tracingOn says why), else its default. */
function otelIntOption(key: keyof Config, env: string, help: string, fallback: number, min: number, max: number): OptionSpec {
  return {
    ...intOption(key, env, help, fallback, min, max),
    parse: (raw, name, earlier) => (raw === undefined || !tracingOn(earlier) ? fallback : integer(raw, name, min, max)),
  };
}

/** An OTLP/HTTP URL: http or https; it may hold credentials (sent as Basic auth), so it is
 *  never repeated in errors or logs. */
function otlpUrlOption(key: keyof Config, env: string, help: string): OptionSpec {
  return secretOption(key, env, help, 'none: tracing off', (raw, name) => {
    if (raw === undefined) return '';
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`invalid ${name}: not a URL (expected http:// or https://, such as http://collector:4318)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`invalid ${name}: must be http:// or https://, not ${url.protocol}//`);
    return raw;
  });
}

/** Whether an OTLP endpoint was given: the other OTEL_* settings are checked only then, so
 *  that a platform's settings for its other services (another protocol, a sampler of
 *  another SDK) do not stop a server that does not trace. */
function tracingOn(earlier: Resolved): boolean {
  return (earlier['otlpEndpoint'] ?? '') !== '' || (earlier['otlpTracesEndpoint'] ?? '') !== '';
}

/** The tracing module's own check, its message turned into a ConfigError naming the option. */
function tracingCheck(name: string, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    // Its message begins with the env var's name; the option is named once, as given.
    throw new ConfigError(`invalid ${name}: ${(error as Error).message.replace(/^OTEL_[A-Z_]+:? /, '')}`);
  }
}

/** A number from 0 to 1 written in decimal ("0.9", "1", ".95"). */
function fraction(raw: string, name: string): number {
  const value = Number(raw);
  if (!/^(?:[01]|[01]?\.[0-9]{1,6})$/.test(raw) || value > 1) {
    throw new ConfigError(`invalid ${name} "${raw}": expected a fraction from 0 to 1, such as 0.9`);
  }
  return value;
}

/** What is wrong with an upstream base URL (http or https; no credentials, query or
 *  fragment), or undefined when nothing is. Never repeats a password. */
export function storeUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL: expected an http:// or https:// URL such as http://inventory:9000';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `is not http: or https: but ${url.protocol}`;
  if (url.username !== '' || url.password !== '') return 'has credentials, which are not supported';
  if (url.search !== '' || url.hash !== '') return 'has a query or fragment: give scheme, host, port and path only';
  return undefined;
}

/** STORE_URL, checked; a trailing '/' is dropped. */
function parseStoreUrl(raw: string, name: string): string {
  const problem = storeUrlProblem(raw);
  // The value is not repeated when it may hold a password.
  if (problem !== undefined) throw new ConfigError(`invalid ${name}${raw.includes('@') ? '' : ` "${raw}"`}: ${problem}`);
  return new URL(raw).href.replace(/\/+$/, '');
}

/** About EXPORTS_PER_CORE per core for the whole server, and at least 2 per process. */
export function defaultExportMaxConcurrent(cores: number, workers: number): number {
  return Math.max(2, Math.ceil((EXPORTS_PER_CORE * cores) / workers));
}

/** The config as logs show it: secret options (the debug token) only say whether they are set. */
export function loggableConfig(config: Config): Record<string, string | number> {
  const shown: Record<string, string | number> = { ...config };
  for (const option of OPTIONS) if (option.secret === true && shown[option.key] !== '') shown[option.key] = '(set)';
  return shown;
}

export type ConfigResult = { readonly kind: 'config'; readonly config: Config } | { readonly kind: 'help'; readonly text: string };

/** Reads argv (without node and script) and env into a frozen Config, or the --help text. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ConfigResult {
  const flagSpecs: Record<string, { type: 'string' } | { type: 'boolean'; short: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const option of OPTIONS) flagSpecs[option.flag] = { type: 'string' };

  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: flagSpecs, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new ConfigError(`${describeArgError(error)} (see --help)`);
  }
  if (values['help'] === true) return { kind: 'help', text: helpText() };

  return {
    kind: 'config',
    config: resolveOptions((option) => {
      const fromFlag = values[option.flag];
      const fromEnv = env[option.env];
      // An empty env var counts as unset, as shells and compose files often leave them.
      if (typeof fromFlag === 'string') return [fromFlag, `--${option.flag}`];
      return [fromEnv === '' ? undefined : fromEnv, option.env];
    }),
  };
}

/**
 * A Config from settings given in code (the library's createApp): each value is checked
 * as its option's text would be, and the rest take their defaults. Neither argv nor the
 * environment is read: a program that wants them passes loadConfig's result.
 */
export function resolveConfig(settings: Partial<Config> = {}): Config {
  for (const key of Object.keys(settings)) {
    if (!OPTIONS.some((option) => option.key === key)) throw new ConfigError(`unknown option "${key}"`);
  }
  return resolveOptions((option) => {
    const value = settings[option.key];
    // '' is unset, as for an env var (a Config's empty DEBUG_TOKEN says "none").
    return [value === undefined || value === '' ? undefined : String(value), option.key];
  });
}

/** Every option in table order, from its raw text and the name an error should use. */
function resolveOptions(source: (option: OptionSpec) => readonly [Raw, string]): Config {
  const resolved: Resolved = {};
  for (const option of OPTIONS) {
    const [raw, name] = source(option);
    resolved[option.key] = option.parse(raw, name, resolved);
  }
  return Object.freeze(resolved as unknown as Config);
}

function describeArgError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // parseArgs messages are multi-line and mention internals; keep the first sentence.
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /Option '([^']+)' argument missing/.exec(message);
  if (missing) return `option ${missing[1]?.split(' ')[0]} needs a value`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument "${positional[1]}"`;
  return message.split('\n')[0] ?? message;
}

function helpText(): string {
  const lines = [
    'turbina: a zero-dependency HTTP server for Node.js',
    '',
    'usage: node dist/server.js [--option value ...]',
    '',
    'Each option can also be set by its environment variable; a flag wins over the env var.',
    '',
  ];
  const width = Math.max(...OPTIONS.map((o) => o.flag.length + o.env.length));
  for (const option of OPTIONS) {
    const names = `--${option.flag}, ${option.env}`;
    lines.push(`  ${names.padEnd(width + 6)} ${option.help} (default: ${option.defaultText})`);
  }
  lines.push(`  ${'--help, -h'.padEnd(width + 6)} print this text and exit`);
  return lines.join('\n') + '\n';
}
