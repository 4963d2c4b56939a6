// loadConfig: defaults, env, flags (flag > env > default), validation with one-line
// ConfigErrors naming the option, --help; then the real server's exit code and output
// for a bad config, run as a child process.
import assert from 'node:assert/strict';
import { availableParallelism, hostname } from 'node:os';
import { describe, test } from 'node:test';
import { ConfigError, OPTIONS, defaultExportMaxConcurrent, loadConfig, resolveConfig, type Config } from '../src/config.js';
import { tracesUrl } from '../src/app.js';
import { runServer, startServer } from './helpers/child.js';
import { request } from './helpers/http.js';

/** The Config for argv and env, failing the test if --help came back instead. */
function config(argv: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Config {
  const result = loadConfig(argv, env);
  assert.equal(result.kind, 'config');
  if (result.kind !== 'config') throw new Error('unreachable');
  return result.config;
}

/** Asserts loadConfig throws a one-line ConfigError whose message contains every needle. */
function rejects(argv: readonly string[], env: NodeJS.ProcessEnv, ...needles: string[]): ConfigError {
  let caught: unknown;
  try {
    loadConfig(argv, env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.name, 'ConfigError');
  assert.ok(!caught.message.includes('\n'), `message is not one line: ${JSON.stringify(caught.message)}`);
  for (const needle of needles) {
    assert.ok(caught.message.includes(needle), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(needle)}`);
  }
  return caught;
}

describe('loadConfig defaults', () => {
  test('no argv and an empty env give every documented default', () => {
    assert.deepEqual({ ...config() }, {
      port: 8080,
      host: '0.0.0.0',
      listenBacklog: 4096,
      listenSockets: 64,
      logLevel: 'info',
      logQueueBytes: 4194304,
      cacheTtlMs: 30000,
      cacheNegativeTtlMs: 5000,
      cacheMaxEntries: 10000,
      cacheMaxBytes: 67108864,
      cacheSweepMs: 1000,
      storeLatencyMs: 20,
      redisUrl: '',
      redisTimeoutMs: 100,
      redisKeyPrefix: 'turbina:',
      storeUrl: '',
      storeTimeoutMs: 1000,
      storeRetries: 2,
      storeRetryBaseMs: 50,
      storeRetryBudget: 0.2,
      storeMaxSockets: 64,
      breakerFailures: 5,
      breakerFailureRatio: 0.5,
      breakerMinCalls: 20,
      breakerWindowMs: 10000,
      breakerOpenMs: 5000,
      staleIfErrorMs: 0,
      requestDeadlineMs: 5000,
      catalogSize: 10000,
      drainDelayMs: 0,
      shutdownTimeoutMs: 10000,
      shutdownIdleMs: 1000,
      keepAliveTimeoutMs: 65000,
      headersTimeoutMs: 66000,
      requestTimeoutMs: 300000,
      workers: 1,
      metricsWorkerTimeoutMs: 250,
      debugEndpoints: 'on',
      debugToken: '',
      compressMinBytes: 1024,
      compressLevel: 5,
      compressUpgrades: 1,
      compressUpgradeBacklog: 64,
      bufferPool: 'on',
      bufferPoolBytes: 65536,
      bufferPoolMax: 64,
      exportMaxConcurrent: Math.max(2, 2 * availableParallelism()),
      exportIdleTimeoutMs: 30000,
      rateLimitRps: 0,
      rateLimitBurst: 0,
      rateLimitMaxClients: 100000,
      trustProxy: '',
      shedEventLoopDelayMs: 0,
      shedElu: 0,
      maxInFlight: 0,
      otlpEndpoint: '',
      otlpTracesEndpoint: '',
      otlpProtocol: 'http/protobuf',
      otlpHeaders: '',
      otlpTracesHeaders: '',
      serviceName: '',
      resourceAttributes: '',
      tracesSampler: 'parentbased_always_on',
      tracesSamplerArg: '',
      bspScheduleDelayMs: 5000,
      bspExportTimeoutMs: 10000,
      bspMaxQueueSize: 2048,
      bspMaxExportBatchSize: 512,
    });
  });

  test('the result is frozen: assignment throws in strict mode', () => {
    const c = config();
    assert.ok(Object.isFrozen(c));
    assert.throws(() => {
      (c as { port: number }).port = 1;
    }, TypeError);
    assert.equal(c.port, 8080);
  });

  test('derived defaults follow the options they depend on', () => {
    // Negative TTL is min(5000, CACHE_TTL_MS); headers = keep-alive + 1000; request = max(300000, headers).
    const c = config([], { CACHE_TTL_MS: '2000', KEEP_ALIVE_TIMEOUT_MS: '400000' });
    assert.equal(c.cacheNegativeTtlMs, 2000);
    assert.equal(c.headersTimeoutMs, 401000);
    assert.equal(c.requestTimeoutMs, 401000);
    // STALE_IF_ERROR_MS keeps expired responses only when there is an upstream to fail.
    assert.equal(config([], { STORE_URL: 'http://inventory:9000' }).staleIfErrorMs, 300000);
  });

  test('OTEL_*: http(s) collector URLs never repeated, http/protobuf or http/json, the six samplers and a ratio 0..1, key=value resource attributes', () => {
    for (const bad of ['ftp://collector', 'collector:4318']) rejects([], { OTEL_EXPORTER_OTLP_ENDPOINT: bad }, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    const secret = rejects([], { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://user:hunter2@collector' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    assert.doesNotMatch(secret.message, /hunter2/);
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    rejects([], { ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc');
    assert.equal(config([], { ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlpProtocol, 'http/json');
    assert.equal(config([], on).otlpProtocol, 'http/protobuf');
    rejects([], { ...on, OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER', 'sometimes');
    for (const bad of ['2', '-0.1', 'half']) rejects([], { ...on, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: bad }, 'OTEL_TRACES_SAMPLER_ARG');
    for (const bad of ['0', '-5', '1e3', 'soon']) rejects([], { ...on, OTEL_BSP_SCHEDULE_DELAY: bad }, 'OTEL_BSP_SCHEDULE_DELAY', bad);
    rejects([], { ...on, OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '101' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'OTEL_BSP_MAX_QUEUE_SIZE');
    assert.equal(config([], { ...on, OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '100' }).bspMaxExportBatchSize, 100);
    // Export headers carry credentials: a bad list is refused naming the header, never its value.
    for (const [bad, says] of [
      ['api-key', 'member 1'],
      ['ok=1,bad name=hunter2', 'not a header name'],
      ['content-type=text/hunter2', "exporter's own header"],
      ['api-key=hunter2%0D%0Ax-evil:1', 'cannot carry'],
      ['api-key=hunter2%zz', 'bad percent escape'],
    ] as const) {
      const error = rejects([], { ...on, OTEL_EXPORTER_OTLP_HEADERS: bad }, 'OTEL_EXPORTER_OTLP_HEADERS', says);
      assert.doesNotMatch(error.message, /hunter2/, bad);
    }
    assert.equal(config([], { ...on, OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'Api-Key=a%2Cb' }).otlpTracesHeaders, 'Api-Key=a%2Cb');
    assert.equal(config([], { OTEL_EXPORTER_OTLP_HEADERS: 'not a list' }).otlpHeaders, 'not a list', 'tracing off: not read');
    // A smaller queue alone brings the batch down with it, as the SDKs do.
    assert.equal(config([], { ...on, OTEL_BSP_MAX_QUEUE_SIZE: '100' }).bspMaxExportBatchSize, 100);
    const resource = rejects([], { ...on, OTEL_RESOURCE_ATTRIBUTES: 'novalue' }, 'OTEL_RESOURCE_ATTRIBUTES');
    assert.equal(resource.message.split('OTEL_RESOURCE_ATTRIBUTES').length, 2, 'the option named once');
    // Tracing off: a platform's OTEL_* for its other services do not stop this one.
    const off = config([], { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_SAMPLER: 'parentbased_jaeger_remote', OTEL_RESOURCE_ATTRIBUTES: 'novalue', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 'lots' });
    assert.equal(off.bspMaxExportBatchSize, 512);
    assert.equal(off.tracesSampler, 'parentbased_jaeger_remote');
    assert.equal(config([], { OTEL_TRACES_SAMPLER: 'always_off' }).tracesSampler, 'always_off');
    assert.equal(tracesUrl(config([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })), 'http://collector:4318/v1/traces');
    assert.equal(tracesUrl(config([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b/traces' })), 'http://b/traces');
    assert.equal(tracesUrl(config()), '');
    // A query stays a query: the path gets /v1/traces.
    assert.equal(tracesUrl(config([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/base?x=1' })), 'http://c:4318/base/v1/traces?x=1');
  });

  test('REDIS_URL: redis:// or rediss:// only, refused by name without repeating a password; REDIS_KEY_PREFIX visible ASCII; CACHE_MAX_ENTRIES may be 0', () => {
    for (const bad of ['http://cache:6379', 'redis://', 'redis://cache:99999', 'redis://cache/x', 'redis://user@cache', 'not a url']) {
      rejects([], { REDIS_URL: bad }, 'REDIS_URL');
    }
    const error = rejects([], { REDIS_URL: 'redis://app:hunter2-secret@cache:6379/abc' }, 'REDIS_URL', 'database number');
    assert.doesNotMatch(error.message, /hunter2/);
    assert.equal(config([], { REDIS_URL: 'redis://:pw@cache:6379/1' }).redisUrl, 'redis://:pw@cache:6379/1');
    for (const bad of ['has space', 'x'.repeat(65), 'tab\tprefix']) rejects([], { REDIS_KEY_PREFIX: bad }, 'REDIS_KEY_PREFIX');
    assert.equal(config([], { CACHE_MAX_ENTRIES: '0' }).cacheMaxEntries, 0);
  });

  test('STORE_URL: http(s) only, no credentials, query or fragment, each refused by name', () => {
    for (const bad of ['inventory:9000', 'ftp://inventory', 'http://user:pw@inventory', 'http://inventory/?x=1', 'http://inventory/#f', 'not a url']) {
      rejects([], { STORE_URL: bad }, 'STORE_URL');
    }
    assert.equal(config([], { STORE_URL: 'http://inventory:9000/' }).storeUrl, 'http://inventory:9000');
  });

  test('EXPORT_MAX_CONCURRENT defaults to about 2 per core for the whole server, at least 2 per process', () => {
    assert.equal(defaultExportMaxConcurrent(2, 1), 4);
    assert.equal(defaultExportMaxConcurrent(8, 1), 16);
    assert.equal(defaultExportMaxConcurrent(8, 8), 2);
    assert.equal(defaultExportMaxConcurrent(8, 3), 6);
    assert.equal(defaultExportMaxConcurrent(1, 4), 2);
    assert.equal(config([], { WORKERS: '256' }).exportMaxConcurrent, defaultExportMaxConcurrent(availableParallelism(), 256));
  });
});

describe('loadConfig env and flags', () => {
  test('env vars set every option', () => {
    const c = config([], {
      PORT: '9000',
      HOST: '127.0.0.1',
      LISTEN_BACKLOG: '1024',
      LISTEN_SOCKETS: '8',
      LOG_LEVEL: 'warn',
      LOG_QUEUE_BYTES: '65536',
      CACHE_TTL_MS: '1000',
      CACHE_NEGATIVE_TTL_MS: '500',
      CACHE_MAX_ENTRIES: '7',
      CACHE_MAX_BYTES: '1048576',
      CACHE_SWEEP_MS: '50',
      STORE_LATENCY_MS: '0',
      REDIS_URL: 'rediss://app:s3cret@cache.internal:6380/2',
      REDIS_TIMEOUT_MS: '25',
      REDIS_KEY_PREFIX: 'shop-eu:',
      STORE_URL: 'https://inventory.internal:9443/v2/',
      STORE_TIMEOUT_MS: '250',
      STORE_RETRIES: '0',
      STORE_RETRY_BASE_MS: '10',
      STORE_RETRY_BUDGET: '0.5',
      STORE_MAX_SOCKETS: '8',
      BREAKER_FAILURES: '0',
      BREAKER_FAILURE_RATIO: '0.25',
      BREAKER_MIN_CALLS: '3',
      BREAKER_WINDOW_MS: '2000',
      BREAKER_OPEN_MS: '700',
      STALE_IF_ERROR_MS: '60000',
      REQUEST_DEADLINE_MS: '0',
      CATALOG_SIZE: '42',
      DRAIN_DELAY_MS: '3',
      SHUTDOWN_TIMEOUT_MS: '4',
      SHUTDOWN_IDLE_MS: '5',
      KEEP_ALIVE_TIMEOUT_MS: '100',
      HEADERS_TIMEOUT_MS: '200',
      REQUEST_TIMEOUT_MS: '0',
      WORKERS: '3',
      METRICS_WORKER_TIMEOUT_MS: '100',
      DEBUG_ENDPOINTS: 'OFF',
      DEBUG_TOKEN: 'abcdefghijklmnop',
      COMPRESS_MIN_BYTES: '0',
      COMPRESS_LEVEL: '9',
      COMPRESS_UPGRADES: '2',
      COMPRESS_UPGRADE_BACKLOG: '0',
      BUFFER_POOL: 'off',
      BUFFER_POOL_BYTES: '4096',
      BUFFER_POOL_MAX: '0',
      EXPORT_MAX_CONCURRENT: '1',
      EXPORT_IDLE_TIMEOUT_MS: '250',
      RATE_LIMIT_RPS: '2.5',
      RATE_LIMIT_BURST: '20',
      RATE_LIMIT_MAX_CLIENTS: '50',
      TRUST_PROXY: '10.0.0.0/8, ::1',
      SHED_EVENT_LOOP_DELAY_MS: '50',
      SHED_ELU: '0.95',
      MAX_IN_FLIGHT: '64',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://user:pw@traces.example/v1/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=k1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=shop',
      OTEL_SERVICE_NAME: 'shop',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=web%20shop',
      OTEL_TRACES_SAMPLER: 'ParentBased_TraceIdRatio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
      OTEL_BSP_SCHEDULE_DELAY: '250',
      OTEL_BSP_EXPORT_TIMEOUT: '3000',
      OTEL_BSP_MAX_QUEUE_SIZE: '8192',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2048',
    });
    assert.deepEqual({ ...c }, {
      port: 9000,
      host: '127.0.0.1',
      listenBacklog: 1024,
      listenSockets: 8,
      logLevel: 'warn',
      logQueueBytes: 65536,
      cacheTtlMs: 1000,
      cacheNegativeTtlMs: 500,
      cacheMaxEntries: 7,
      cacheMaxBytes: 1048576,
      cacheSweepMs: 50,
      storeLatencyMs: 0,
      redisUrl: 'rediss://app:s3cret@cache.internal:6380/2',
      redisTimeoutMs: 25,
      redisKeyPrefix: 'shop-eu:',
      storeUrl: 'https://inventory.internal:9443/v2',
      storeTimeoutMs: 250,
      storeRetries: 0,
      storeRetryBaseMs: 10,
      storeRetryBudget: 0.5,
      storeMaxSockets: 8,
      breakerFailures: 0,
      breakerFailureRatio: 0.25,
      breakerMinCalls: 3,
      breakerWindowMs: 2000,
      breakerOpenMs: 700,
      staleIfErrorMs: 60000,
      requestDeadlineMs: 0,
      catalogSize: 42,
      drainDelayMs: 3,
      shutdownTimeoutMs: 4,
      shutdownIdleMs: 5,
      keepAliveTimeoutMs: 100,
      headersTimeoutMs: 200,
      requestTimeoutMs: 0,
      workers: 3,
      metricsWorkerTimeoutMs: 100,
      debugEndpoints: 'off',
      debugToken: 'abcdefghijklmnop',
      compressMinBytes: 0,
      compressLevel: 9,
      compressUpgrades: 2,
      compressUpgradeBacklog: 0,
      bufferPool: 'off',
      bufferPoolBytes: 4096,
      bufferPoolMax: 0,
      exportMaxConcurrent: 1,
      exportIdleTimeoutMs: 250,
      rateLimitRps: 2.5,
      rateLimitBurst: 20,
      rateLimitMaxClients: 50,
      trustProxy: '10.0.0.0/8, ::1',
      shedEventLoopDelayMs: 50,
      shedElu: 0.95,
      maxInFlight: 64,
      otlpEndpoint: 'http://collector:4318',
      otlpTracesEndpoint: 'https://user:pw@traces.example/v1/traces',
      otlpProtocol: 'http/json',
      otlpHeaders: 'api-key=k1',
      otlpTracesHeaders: 'x-tenant=shop',
      serviceName: 'shop',
      resourceAttributes: 'deployment.environment=prod,team=web%20shop',
      tracesSampler: 'parentbased_traceidratio',
      tracesSamplerArg: '0.01',
      bspScheduleDelayMs: 250,
      bspExportTimeoutMs: 3000,
      bspMaxQueueSize: 8192,
      bspMaxExportBatchSize: 2048,
    });
  });

  test('a flag wins over the env var, in both --flag value and --flag=value forms', () => {
    assert.equal(config(['--port', '9000'], { PORT: '7000' }).port, 9000);
    assert.equal(config(['--port=9001'], { PORT: '7000' }).port, 9001);
    assert.equal(config(['--log-level', 'error'], { LOG_LEVEL: 'debug' }).logLevel, 'error');
    assert.equal(config(['--cache-ttl-ms', '1234'], { CACHE_TTL_MS: '99' }).cacheTtlMs, 1234);
  });

  test('an empty env var counts as unset', () => {
    const c = config([], { PORT: '', LOG_LEVEL: '', CACHE_TTL_MS: '', HOST: '' });
    assert.equal(c.port, 8080);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.cacheTtlMs, 30000);
    assert.equal(c.host, '0.0.0.0');
  });

  test('LOG_LEVEL is case-insensitive and normalised to lower case', () => {
    assert.equal(config([], { LOG_LEVEL: 'WARN' }).logLevel, 'warn');
  });

  test('boundary values are accepted: PORT 0 and 65535, REQUEST_TIMEOUT_MS 0, CACHE_NEGATIVE_TTL_MS = CACHE_TTL_MS', () => {
    assert.equal(config([], { PORT: '0' }).port, 0);
    assert.equal(config([], { PORT: '65535' }).port, 65535);
    assert.equal(config([], { REQUEST_TIMEOUT_MS: '0' }).requestTimeoutMs, 0);
    assert.equal(config([], { REQUEST_TIMEOUT_MS: '66000' }).requestTimeoutMs, 66000);
    assert.equal(config([], { CACHE_TTL_MS: '3000', CACHE_NEGATIVE_TTL_MS: '3000' }).cacheNegativeTtlMs, 3000);
    assert.equal(config([], { CACHE_NEGATIVE_TTL_MS: '0' }).cacheNegativeTtlMs, 0);
  });
});

describe('loadConfig errors', () => {
  for (const bad of ['abc', '70000', '-1', '1e3', ' 80', '80 ', '0x10', '1.5', '65536']) {
    test(`PORT=${JSON.stringify(bad)} is refused, naming PORT and the value`, () => {
      rejects([], { PORT: bad }, 'PORT', `"${bad}"`);
    });
  }

  test('a bad flag value names the flag, not the env var', () => {
    const error = rejects(['--port', 'abc'], { PORT: '80' }, '--port');
    assert.ok(!error.message.includes('PORT "'), error.message);
  });

  test('CACHE_TTL_MS must be at least 1', () => {
    rejects([], { CACHE_TTL_MS: '-5' }, 'CACHE_TTL_MS', '"-5"');
    rejects([], { CACHE_TTL_MS: '0' }, 'CACHE_TTL_MS', '"0"');
  });

  test('CACHE_MAX_BYTES is from 64 KiB to 1 TiB', () => {
    rejects([], { CACHE_MAX_BYTES: '65535' }, 'CACHE_MAX_BYTES', '"65535"');
    rejects([], { CACHE_MAX_BYTES: '1099511627777' }, 'CACHE_MAX_BYTES', '"1099511627777"');
    assert.equal(config([], { CACHE_MAX_BYTES: '65536' }).cacheMaxBytes, 65536);
    assert.equal(config(['--cache-max-bytes', '8388608'], {}).cacheMaxBytes, 8388608);
  });

  test('COMPRESS_UPGRADES is 0 to 64, COMPRESS_UPGRADE_BACKLOG 0 to 100000', () => {
    rejects([], { COMPRESS_UPGRADES: '65' }, 'COMPRESS_UPGRADES', '"65"');
    rejects([], { COMPRESS_UPGRADE_BACKLOG: '100001' }, 'COMPRESS_UPGRADE_BACKLOG', '"100001"');
    assert.equal(config([], { COMPRESS_UPGRADES: '0' }).compressUpgrades, 0);
    assert.equal(config(['--compress-upgrade-backlog', '5'], {}).compressUpgradeBacklog, 5);
  });

  test('LOG_LEVEL must be a known level, and the message lists them', () => {
    rejects([], { LOG_LEVEL: 'loud' }, 'LOG_LEVEL', '"loud"', 'debug, info, warn, error, silent');
  });

  test('an unknown flag is refused by name', () => {
    rejects(['--bogus'], {}, '--bogus');
    rejects(['--bogus=1'], {}, '--bogus');
  });

  test('a flag without its value is refused by name', () => {
    rejects(['--port'], {}, '--port');
    // "--port --host x": the value would be another flag.
    rejects(['--port', '--host', 'x'], {}, '--port');
  });

  test('a positional argument is refused by value', () => {
    rejects(['serve'], {}, 'serve');
  });

  test('HEADERS_TIMEOUT_MS must exceed KEEP_ALIVE_TIMEOUT_MS', () => {
    rejects([], { HEADERS_TIMEOUT_MS: '65000' }, 'HEADERS_TIMEOUT_MS', 'KEEP_ALIVE_TIMEOUT_MS');
    rejects([], { KEEP_ALIVE_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '4000' }, 'HEADERS_TIMEOUT_MS', '5000');
    assert.equal(config([], { KEEP_ALIVE_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '5001' }).headersTimeoutMs, 5001);
  });

  test('REQUEST_TIMEOUT_MS below the headers timeout is refused, but 0 (off) is allowed', () => {
    rejects([], { REQUEST_TIMEOUT_MS: '65999' }, 'REQUEST_TIMEOUT_MS', 'HEADERS_TIMEOUT_MS');
    rejects([], { REQUEST_TIMEOUT_MS: '1' }, 'REQUEST_TIMEOUT_MS');
    assert.equal(config([], { REQUEST_TIMEOUT_MS: '0' }).requestTimeoutMs, 0);
  });

  test('WORKERS is auto or a whole number from 1 to 256', () => {
    for (const bad of ['0', '-1', 'abc', '1.5', '257', ' 2', 'auto2']) rejects([], { WORKERS: bad }, 'WORKERS', `"${bad}"`);
    rejects(['--workers', '0'], {}, '--workers');
    assert.equal(config([], { WORKERS: '2' }).workers, 2);
    assert.equal(config(['--workers', '256']).workers, 256);
    const auto = config([], { WORKERS: 'auto' }).workers;
    assert.ok(Number.isInteger(auto) && auto >= 1 && auto <= 256, String(auto));
    assert.equal(config([], { WORKERS: 'AUTO' }).workers, auto);
  });

  test('EXPORT_MAX_CONCURRENT is at least 1; EXPORT_IDLE_TIMEOUT_MS at least 1 ms', () => {
    for (const bad of ['0', '-1', '100001', 'many']) rejects([], { EXPORT_MAX_CONCURRENT: bad }, 'EXPORT_MAX_CONCURRENT', `"${bad}"`);
    for (const bad of ['0', '2147483648', '1s']) rejects([], { EXPORT_IDLE_TIMEOUT_MS: bad }, 'EXPORT_IDLE_TIMEOUT_MS', `"${bad}"`);
    assert.equal(config(['--export-max-concurrent', '100000']).exportMaxConcurrent, 100000);
    assert.equal(config(['--export-idle-timeout-ms', '1']).exportIdleTimeoutMs, 1);
  });

  test('REQUEST_DEADLINE_MS is 0 (off) to 2^31 - 1 ms, a whole number', () => {
    for (const bad of ['-1', '2147483648', '1.5', '5s', 'off']) rejects([], { REQUEST_DEADLINE_MS: bad }, 'REQUEST_DEADLINE_MS', `"${bad}"`);
    rejects(['--request-deadline-ms', 'x'], { REQUEST_DEADLINE_MS: '100' }, '--request-deadline-ms', '"x"');
    assert.equal(config(['--request-deadline-ms', '0']).requestDeadlineMs, 0);
    assert.equal(config([], { REQUEST_DEADLINE_MS: '2147483647' }).requestDeadlineMs, 2147483647);
  });

  test('SHED_EVENT_LOOP_DELAY_MS is 0 (off) to 60000; SHED_ELU a fraction from 0 (off) to 1; MAX_IN_FLIGHT 0 (no bound) to 1000000', () => {
    for (const bad of ['-1', '60001', '1.5', '50ms']) rejects([], { SHED_EVENT_LOOP_DELAY_MS: bad }, 'SHED_EVENT_LOOP_DELAY_MS', `"${bad}"`);
    for (const bad of ['1.5', '2', '-0.5', '90%', '0.', '1e-1', 'high', '0.1234567']) rejects([], { SHED_ELU: bad }, 'SHED_ELU', `"${bad}"`, 'from 0 to 1');
    for (const bad of ['-1', '1000001', 'lots']) rejects([], { MAX_IN_FLIGHT: bad }, 'MAX_IN_FLIGHT', `"${bad}"`);
    rejects(['--shed-elu', '1.01'], {}, '--shed-elu');
    assert.deepEqual(['0', '1', '.9', '0.95', '1.0'].map((raw) => config([], { SHED_ELU: raw }).shedElu), [0, 1, 0.9, 0.95, 1]);
    assert.equal(config(['--shed-event-loop-delay-ms', '60000']).shedEventLoopDelayMs, 60000);
    assert.equal(config(['--max-in-flight', '1000000']).maxInFlight, 1000000);
    // The off values go through resolveConfig again (createApp re-checks a Config).
    assert.deepEqual([resolveConfig(config()).shedElu, resolveConfig({ shedElu: 0.5 }).shedElu], [0, 0.5]);
  });

  test('LISTEN_SOCKETS is 1 to 256', () => {
    for (const bad of ['0', '257', '-1', 'many']) rejects([], { LISTEN_SOCKETS: bad }, 'LISTEN_SOCKETS', `"${bad}"`);
    assert.equal(config(['--listen-sockets', '1']).listenSockets, 1);
    assert.equal(config(['--listen-sockets', '256']).listenSockets, 256);
  });

  test('LOG_QUEUE_BYTES is 64 KiB (one log batch) to 1 GiB', () => {
    for (const bad of ['0', '65535', '1073741825', '4M', '-1']) rejects([], { LOG_QUEUE_BYTES: bad }, 'LOG_QUEUE_BYTES', `"${bad}"`);
    rejects(['--log-queue-bytes', '1024'], {}, '--log-queue-bytes');
    assert.equal(config(['--log-queue-bytes', '1073741824']).logQueueBytes, 1073741824);
  });

  test('COMPRESS_LEVEL is a gzip level, 1 to 9', () => {
    rejects([], { COMPRESS_LEVEL: '0' }, 'COMPRESS_LEVEL', '"0"');
    rejects([], { COMPRESS_LEVEL: '10' }, 'COMPRESS_LEVEL', '"10"');
  });

  test('BUFFER_POOL is a switch: on/off and their env-file spellings, nothing else', () => {
    for (const on of ['on', 'ON', 'true', '1', 'yes']) assert.equal(config([], { BUFFER_POOL: on }).bufferPool, 'on');
    for (const off of ['off', 'Off', 'false', '0', 'no']) assert.equal(config([], { BUFFER_POOL: off }).bufferPool, 'off');
    rejects([], { BUFFER_POOL: 'maybe' }, 'BUFFER_POOL', '"maybe"', 'on or off');
    rejects([], { BUFFER_POOL_BYTES: '512' }, 'BUFFER_POOL_BYTES', '"512"');
  });

  test('DEBUG_ENDPOINTS is on or off; DEBUG_TOKEN needs 16+ visible characters and is never echoed', () => {
    rejects([], { DEBUG_ENDPOINTS: 'express:*' }, 'DEBUG_ENDPOINTS', 'on or off');
    rejects(['--debug-endpoints', 'maybe'], {}, '--debug-endpoints');
    assert.equal(config(['--debug-endpoints', 'off']).debugEndpoints, 'off');
    for (const token of ['short-token', 'sixteen chars ok', 'x'.repeat(513)]) {
      const error = rejects([], { DEBUG_TOKEN: token }, 'DEBUG_TOKEN', '16');
      assert.ok(!error.message.includes(token), error.message);
    }
    assert.equal(config(['--debug-token', 'ABCDEFGHIJKLMNOP'], {}).debugToken, 'ABCDEFGHIJKLMNOP');
  });

  test('RATE_LIMIT_RPS is a plain decimal; RATE_LIMIT_BURST defaults to it rounded up and needs it', () => {
    assert.equal(config([], { RATE_LIMIT_RPS: '0.5' }).rateLimitBurst, 1);
    assert.equal(config([], { RATE_LIMIT_RPS: '7.2' }).rateLimitBurst, 8);
    assert.equal(config([], { RATE_LIMIT_RPS: '0' }).rateLimitRps, 0);
    for (const bad of ['-1', '1e3', 'fast', '1.', '.5', '1.2.3']) rejects([], { RATE_LIMIT_RPS: bad }, 'RATE_LIMIT_RPS', `"${bad}"`, 'requests per second');
    rejects([], { RATE_LIMIT_BURST: '10' }, 'RATE_LIMIT_BURST', 'RATE_LIMIT_RPS', 'not set');
    rejects([], { RATE_LIMIT_RPS: '5', RATE_LIMIT_BURST: '0' }, 'RATE_LIMIT_BURST', 'from 1');
    rejects(['--rate-limit-max-clients', '0'], {}, '--rate-limit-max-clients', 'from 1');
  });

  test('TRUST_PROXY is a hop count or a list of IPs/CIDRs, each checked', () => {
    assert.equal(config([], { TRUST_PROXY: '2' }).trustProxy, '2');
    assert.equal(config([], { TRUST_PROXY: ' 10.0.0.0/8,192.168.1.1, fd00::/8 ,::ffff:10.1.0.0/112' }).trustProxy, '10.0.0.0/8,192.168.1.1, fd00::/8 ,::ffff:10.1.0.0/112');
    rejects([], { TRUST_PROXY: '65' }, 'TRUST_PROXY', 'at most 64');
    for (const bad of ['10.0.0.0/33', '::1/129', '10.0.0.0/8,,::1', 'true', 'loopback', '10.0.0.256', '10.0.0.0/-1', '10.0.0.0/8/8', 'fe80::1%eth0']) {
      rejects([], { TRUST_PROXY: bad }, 'TRUST_PROXY', 'not an IP address or CIDR');
    }
  });

  test('CACHE_NEGATIVE_TTL_MS above CACHE_TTL_MS is refused', () => {
    rejects([], { CACHE_TTL_MS: '1000', CACHE_NEGATIVE_TTL_MS: '1001' }, 'CACHE_NEGATIVE_TTL_MS', '"1001"');
    rejects([], { CACHE_NEGATIVE_TTL_MS: '30001' }, 'CACHE_NEGATIVE_TTL_MS');
  });
});

/** What --help prints (as loadConfig returns it with a clean env). */
function helpText(): string {
  const result = loadConfig(['--help'], {});
  if (result.kind !== 'help') assert.fail('--help did not return the help text');
  return result.text;
}

describe('--help', () => {
  test('--help and -h return the help text, whatever else is wrong in env', () => {
    const result = loadConfig(['--help'], { PORT: 'abc' });
    assert.equal(result.kind, 'help');
    if (result.kind !== 'help') return;
    assert.equal(result.text, helpText());
    const short = loadConfig(['-h'], {});
    assert.equal(short.kind, 'help');
    if (short.kind === 'help') assert.equal(short.text, result.text);
  });

  test('the help text names every env var and every flag', () => {
    const text = helpText();
    assert.equal(OPTIONS.length, 68);
    for (const option of OPTIONS) {
      assert.ok(text.includes(option.env), `help lacks ${option.env}`);
      assert.ok(text.includes(`--${option.flag}`), `help lacks --${option.flag}`);
    }
    assert.ok(text.includes('--help'));
    assert.ok(text.endsWith('\n'));
  });
});

/** Variables that shells, Node, npm packages and CI set or read for their own purposes:
 *  an option named like one would be switched by an environment meant for something else. */
const COMMON_VARIABLES = [
  'DEBUG', 'NODE_ENV', 'NODE_OPTIONS', 'NODE_PATH', 'NODE_DEBUG', 'NODE_EXTRA_CA_CERTS', 'UV_THREADPOOL_SIZE',
  'HOME', 'PATH', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'LANGUAGE', 'LC_ALL', 'TZ', 'PWD', 'OLDPWD',
  'HOSTNAME', 'CI', 'TMPDIR', 'TEMP', 'TMP', 'EDITOR', 'PAGER', 'DISPLAY', 'COLUMNS', 'LINES', 'SHLVL',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'NO_COLOR', 'FORCE_COLOR', 'VERBOSE', 'ENV', 'LD_PRELOAD',
];

describe('variables other tools set', () => {
  test('no option shares its env name with a commonly set variable', () => {
    for (const option of OPTIONS) assert.ok(!COMMON_VARIABLES.includes(option.env), `${option.env} is commonly set by other tools`);
  });

  test('DEBUG is not ours: DEBUG=express:* and DEBUG=off change nothing', () => {
    for (const value of ['express:*', 'off', '*']) assert.deepEqual({ ...config([], { DEBUG: value }) }, { ...config() }, value);
    rejects(['--debug', 'off'], {}, '--debug');
  });

  test('PORT and HOST stay: platforms set PORT for the server, and HOST as tcsh exports it (the machine name) is a valid address', () => {
    // Heroku, Cloud Run and Render hand the server its port in PORT; that is the point of the name.
    assert.equal(config([], { PORT: '5000' }).port, 5000);
    assert.equal(config([], { HOST: hostname() }).host, hostname());
  });

  test('the server starts with DEBUG=express:* or DEBUG=off, /debug/pprof still there', async () => {
    for (const value of ['express:*', 'off']) {
      const { child, port } = await startServer([], { DEBUG: value });
      try {
        assert.equal((await request(port, '/debug/pprof/goroutine')).status, 200, value);
      } finally {
        child.kill('SIGKILL');
      }
      await child.exited;
    }
  });
});

describe('the startup log', () => {
  test('shows DEBUG_TOKEN as (set), never its value', async () => {
    const token = 'secret-token-0123456789';
    const { child } = await startServer([], { DEBUG_TOKEN: token });
    try {
      const line = await child.waitForLine((l) => l['msg'] === 'listening');
      assert.equal((line['config'] as Record<string, unknown>)['debugToken'], '(set)');
      assert.ok(!child.stdout().includes(token));
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('the server process with a bad config', () => {
  test('PORT=abc exits 2 with one "turbina: " line on stderr naming PORT and nothing on stdout', async () => {
    const child = runServer([], { PORT: 'abc' });
    const { code, signal } = await child.exited;
    assert.equal(signal, null);
    assert.equal(code, 2);
    const err = child.stderr();
    assert.ok(err.startsWith('turbina: '), err);
    assert.ok(err.endsWith('\n'), err);
    assert.equal(err.split('\n').length, 2, `expected exactly one line: ${JSON.stringify(err)}`);
    assert.ok(err.includes('PORT'), err);
    assert.ok(!/^\s*at /m.test(err), `stack trace on stderr: ${err}`);
    assert.equal(child.stdout(), '');
  });

  for (const bad of ['0', '-1', 'abc']) {
    test(`WORKERS=${bad} exits 2 naming WORKERS, before forking anything`, async () => {
      const child = runServer([], { WORKERS: bad });
      const { code } = await child.exited;
      assert.equal(code, 2);
      assert.match(child.stderr(), /^turbina: invalid WORKERS "[^"]*": expected auto or a whole number from 1 to 256\n$/);
      assert.equal(child.stdout(), '');
    });
  }

  test('--bogus exits 2 naming --bogus', async () => {
    const child = runServer(['--bogus']);
    const { code } = await child.exited;
    assert.equal(code, 2);
    const err = child.stderr();
    assert.ok(err.startsWith('turbina: '), err);
    assert.equal(err.split('\n').length, 2, err);
    assert.ok(err.includes('--bogus'), err);
    assert.equal(child.stdout(), '');
  });

  test('--help exits 0 with exactly the help text on stdout', async () => {
    const child = runServer(['--help']);
    const { code } = await child.exited;
    assert.equal(code, 0);
    assert.equal(child.stdout(), helpText());
    assert.equal(child.stderr(), '');
  });
});
