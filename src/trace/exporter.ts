// Sends finished spans to an OpenTelemetry collector over OTLP/HTTP (JSON or protobuf), in batches,
// off the request path. add() encodes the span into the batch being filled (span-batch.ts
// says why then), within a bound on the spans queued: a slow or dead collector costs
// callers nothing but the spans the full queue turns away (counted). One POST at a
// time over one keep-alive socket; what to retry follows the OTLP spec (429, 502, 503,
// 504 and lost connections, with backoff and Retry-After); everything else is dropped
// and counted. Nothing here keeps the process alive except a flush the caller awaits.
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { performance } from 'node:perf_hooks';
import { originClient, STATUS_CODES, validateHeaderName, validateHeaderValue } from '../platform/node-http.js';
import { socketHost } from '../platform/url-host.js';
import { asError } from '../log/json-fields.js';
import type { Logger } from '../log/logger.js';
import { fullJitter } from '../resilience/backoff.js';
import { parseRetryAfter } from '../resilience/retry-after.js';
import type { Scope } from './otlp-json.js';
import { encodeSource, protobufRejections, type EncodedSource } from './otlp-protobuf.js';
import { parseKeyValueList } from './key-value-list.js';
import { JsonBatch, ProtobufBatch, type SpanBatch } from './span-batch.js';
import type { Attributes, FinishedSpan } from './span.js';

/** Headers the exporter writes itself: a list may not set them. */
const OWN_HEADERS: ReadonlySet<string> = new Set(['content-type', 'content-length', 'host', 'connection', 'transfer-encoding', 'keep-alive']);

/**
 * OTEL_EXPORTER_OTLP_HEADERS / OTEL_EXPORTER_OTLP_TRACES_HEADERS (`api-key=abc,x-tenant=t1`,
 * values percent-decoded) as headers for every export. They carry credentials: an error
 * names the variable and the header, never a value.
 */
export function parseOtlpHeaders(raw: string | undefined, variable: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const pairs = parseKeyValueList(raw, variable, true);
  for (const [name, value] of Object.entries(pairs)) {
    const lower = name.toLowerCase();
    try {
      validateHeaderName(lower);
    } catch {
      throw new Error(`${variable}: ${JSON.stringify(name.slice(0, 40))} is not a header name`);
    }
    if (OWN_HEADERS.has(lower)) throw new Error(`${variable}: ${lower} is the exporter's own header`);
    try {
      validateHeaderValue(lower, value);
    } catch {
      throw new Error(`${variable}: the value of ${lower} has a character a header cannot carry`);
    }
    headers[lower] = value;
  }
  return headers;
}

/** OTEL_EXPORTER_OTLP_PROTOCOL's values that OTLP/HTTP has. */
export type OtlpProtocol = 'http/json' | 'http/protobuf';

export interface OtlpExporterOptions {
  /** Where batches are POSTed, used as is (e.g. http://collector:4318/v1/traces). */
  readonly url: string;
  /** How batches are encoded; http/protobuf (the OTLP default) unless told. */
  readonly protocol?: OtlpProtocol;
  /** Sent with every POST (an API key, say); never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The resource every span comes from (service.name and OTEL_RESOURCE_ATTRIBUTES). */
  readonly resource: Attributes;
  readonly scope: Scope;
  /** Spans waiting at most; more are dropped (queueFull). */
  readonly maxQueue?: number;
  /** Spans per POST at most; a full batch is sent without waiting for scheduleMs. */
  readonly maxBatch?: number;
  /** How long a span may wait for its batch to fill. */
  readonly scheduleMs?: number;
  /** One POST, connecting to the end of the answer. */
  readonly timeoutMs?: number;
  /** Retries of one batch before it is dropped (failed). */
  readonly maxRetries?: number;
  /** The first retry's backoff ceiling (it doubles per retry, full jitter). */
  readonly retryBaseMs?: number;
  /** No backoff, and no Retry-After wait, is longer than this. */
  readonly retryCapMs?: number;
  readonly logger: Logger;
}

export interface ExporterStats {
  /** Spans waiting, the batch being sent included. */
  readonly queued: number;
  /** Spans the collector accepted. */
  readonly exported: number;
  readonly dropped: {
    /** Turned away by add(): the queue was full (or the exporter closed). */
    readonly queueFull: number;
    /** Refused by the collector (a 4xx, or rejected within a partial success). */
    readonly rejected: number;
    /** Not delivered: retries used up, another 5xx, or closed before they were sent. */
    readonly failed: number;
  };
  /** Batches sent (a retry of one is not another). */
  readonly batches: number;
  /** POSTs repeated after a retryable failure. */
  readonly retries: number;
  /** The latest failure, e.g. "503 Service Unavailable" or "ECONNREFUSED". */
  readonly lastError?: string;
}

/** How one POST ended. */
type Outcome =
  /** `written`: the whole request body had left (so its buffers may be reused). */
  | { readonly status: number; readonly retryAfter: string | undefined; readonly contentType: string; readonly body: Buffer; readonly written: boolean }
  | { readonly error: string };

/** What the OTLP spec says to retry (OTLP/HTTP, "Retryable Response Codes"). */
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/** An answer's body is read this far (a partial success is small); past it, the socket is cut. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** A kind of failure is logged at most once per this long, with how many were not. */
const LOG_PERIOD_MS = 60_000;
/** Emptied batches kept for reuse: one filling while one is sent is the steady state. */
const MAX_SPARE_BATCHES = 2;
/** Idle keep-alive sockets close after this long (and Node then honours a shorter Keep-Alive: timeout). */
const IDLE_SOCKET_MS = 30_000;

export class OtlpExporter {
  private readonly maxQueue: number;
  /** Full batches waiting their turn, oldest first. */
  private readonly full: SpanBatch[] = [];
  /** The batch spans are added to. */
  private filling: SpanBatch | undefined;
  /** Batches sent and answered, emptied for reuse (their buffers kept). */
  private readonly spare: SpanBatch[] = [];
  /** protobuf: the resource and scope, encoded once; undefined for JSON. */
  private readonly source: EncodedSource | undefined;
  /** Spans in `full` and `filling`: the queue maxQueue bounds. */
  private count = 0;
  private readonly maxBatch: number;
  private readonly scheduleMs: number;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly retryCapMs: number;
  private readonly resource: Attributes;
  private readonly scope: Scope;
  private readonly protobuf: boolean;
  private readonly logger: Logger;

  private readonly agent: Agent;
  private readonly send: (options: RequestOptions) => ClientRequest;
  private readonly target: RequestOptions;
  private readonly headers: Readonly<Record<string, string>>;
  /** The collector as messages name it: no credentials, no query. */
  private readonly where: string;

  /** The batch being sent or waiting to be retried: one at a time. */
  private batch: SpanBatch | undefined;
  private body: readonly Buffer[] | undefined;
  private attempt = 0;
  private request: ClientRequest | undefined;
  private scheduleTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private kicked = false;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private readonly sendNextBound = (): void => this.sendNext();
  private readonly retryBound = (): void => {
    this.retryTimer = undefined;
    this.post();
  };

  private exported = 0;
  private queueFull = 0;
  private rejected = 0;
  private failed = 0;
  private batches = 0;
  private retries = 0;
  private lastError: string | undefined;
  private readonly loggedAt = { rejected: Number.NEGATIVE_INFINITY, failed: Number.NEGATIVE_INFINITY };
  private readonly unlogged = { rejected: 0, failed: 0 };

  constructor(options: OtlpExporterOptions) {
    const url = parseCollectorUrl(options.url);
    this.maxQueue = positiveInteger('maxQueue', options.maxQueue ?? 2048);
    // A batch larger than the queue could never fill.
    this.maxBatch = Math.min(positiveInteger('maxBatch', options.maxBatch ?? 512), this.maxQueue);
    this.scheduleMs = positiveInteger('scheduleMs', options.scheduleMs ?? 5000);
    this.timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 10_000);
    this.maxRetries = nonNegativeInteger('maxRetries', options.maxRetries ?? 5);
    this.retryBaseMs = nonNegativeInteger('retryBaseMs', options.retryBaseMs ?? 1000);
    this.retryCapMs = nonNegativeInteger('retryCapMs', options.retryCapMs ?? 30_000);
    this.resource = options.resource;
    this.scope = options.scope;
    this.logger = options.logger;
    const protocol = options.protocol ?? 'http/protobuf';
    if (protocol !== 'http/json' && protocol !== 'http/protobuf') throw new RangeError(`protocol must be http/json or http/protobuf, not ${String(protocol)}`);
    this.protobuf = protocol === 'http/protobuf';
    this.source = this.protobuf ? encodeSource(this.resource, this.scope) : undefined;
    this.headers = { ...options.headers, 'content-type': this.protobuf ? 'application/x-protobuf' : 'application/json' };

    // One socket: one POST in flight, and the next reuses its connection.
    const agentOptions = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1, timeout: IDLE_SOCKET_MS } as const;
    ({ agent: this.agent, send: this.send } = originClient(url.protocol, agentOptions));
    const auth = url.username === '' && url.password === '' ? undefined : `${decodeOrRaw(url.username)}:${decodeOrRaw(url.password)}`;
    this.target = {
      protocol: url.protocol,
      hostname: socketHost(url),
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname + url.search,
      method: 'POST',
      agent: this.agent,
      ...(auth === undefined ? {} : { auth }),
    };
    this.where = url.origin + url.pathname;
  }

  /** Queues a finished span, encoded; never blocks, never grows the queue past maxQueue. */
  add(span: FinishedSpan): void {
    if (this.count >= this.maxQueue || this.closed) {
      this.queueFull++;
      return;
    }
    const filling = (this.filling ??= this.newBatch());
    try {
      filling.add(span);
    } catch (error) {
      // An attribute no encoding has (a bigint from plain JavaScript, say): this span is
      // lost, counted and told, and the request that ended it goes on.
      this.failed++;
      this.report('failed', `a span could not be encoded (${asError(error).message}): dropped`, 1);
      return;
    }
    this.count++;
    if (filling.spans >= this.maxBatch) {
      this.full.push(filling);
      this.filling = undefined;
    }
    if (this.batch !== undefined) return; // the batch's end decides what comes next
    if (this.full.length > 0) this.kick();
    else if (this.scheduleTimer === undefined) this.scheduleTimer = setTimeout(this.sendNextBound, this.scheduleMs).unref();
  }

  /**
   * Sends everything queued now, batch after batch, and resolves when it is delivered (or
   * dropped), or after `withinMs` whatever is still under way: never later. Its timer is
   * the one that keeps the process alive, as the caller (a shutdown) is waiting on it.
   */
  flush(withinMs: number): Promise<void> {
    if (this.idle() || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, withinMs));
      this.waiters.add(done);
      if (this.batch === undefined) this.kick();
      else if (this.retryTimer !== undefined) {
        // A batch waiting out its backoff is tried now: a flush has only its deadline.
        clearTimeout(this.retryTimer);
        this.retryBound();
      }
    });
  }

  /** Stops: the POST under way is cut, what is queued is dropped (failed), flushes resolve. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failed += this.count + (this.batch?.spans ?? 0);
    this.full.length = 0;
    this.filling = undefined;
    this.count = 0;
    this.batch = undefined;
    this.body = undefined;
    clearTimeout(this.scheduleTimer);
    clearTimeout(this.retryTimer);
    this.request?.destroy();
    this.agent.destroy();
    this.settleWaiters();
  }

  stats(): ExporterStats {
    const stats = {
      queued: this.count + (this.batch?.spans ?? 0),
      exported: this.exported,
      dropped: { queueFull: this.queueFull, rejected: this.rejected, failed: this.failed },
      batches: this.batches,
      retries: this.retries,
    };
    return this.lastError === undefined ? stats : { ...stats, lastError: this.lastError };
  }

  private idle(): boolean {
    return this.count === 0 && this.batch === undefined;
  }

  /** Sends the next batch soon, outside the caller's stack (add() runs on a request's). */
  private kick(): void {
    if (this.kicked) return;
    this.kicked = true;
    setImmediate(this.sendNextBound).unref();
  }

  private sendNext(): void {
    this.kicked = false;
    clearTimeout(this.scheduleTimer);
    this.scheduleTimer = undefined;
    if (this.batch !== undefined || this.closed) return;
    if (this.count === 0) return this.settleWaiters();
    let batch = this.full.shift();
    if (batch === undefined) {
      batch = this.filling as SpanBatch;
      this.filling = undefined;
    }
    this.count -= batch.spans;
    this.batch = batch;
    this.body = batch.body();
    this.attempt = 0;
    this.batches++;
    this.post();
  }

  /** One POST of the current batch; its outcome goes to settle(), exactly once. */
  private post(): void {
    const body = this.body;
    if (body === undefined || this.closed) return;
    let length = 0;
    for (const chunk of body) length += chunk.length;
    const req = this.send({ ...this.target, headers: { ...this.headers, 'content-length': String(length) } });
    this.request = req;
    let finished = false;
    const finish = (outcome: Outcome): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timeout);
      this.request = undefined;
      if (!this.closed) this.settle(outcome);
    };
    const timeout = setTimeout(() => {
      finish({ error: `no answer within ${this.timeoutMs} ms` });
      req.destroy();
    }, this.timeoutMs).unref();
    req.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const retryAfter = res.headers['retry-after'];
      const contentType = res.headers['content-type'] ?? '';
      const chunks: Buffer[] = [];
      let size = 0;
      const answered = (): void => finish({ status, retryAfter, contentType, body: Buffer.concat(chunks), written: req.writableFinished });
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) {
          chunks.push(chunk);
          return;
        }
        // The status says what matters; a socket is not worth an endless body.
        answered();
        req.destroy();
      });
      res.on('end', answered);
      // Cut mid-body (by us or the collector): the status still stands.
      res.on('error', answered);
      res.on('close', answered);
    });
    for (const chunk of body) req.write(chunk);
    req.end();
  }

  private settle(outcome: Outcome): void {
    const batch = this.batch;
    if (batch === undefined) return;
    const spans = batch.spans;
    if ('status' in outcome && outcome.status >= 200 && outcome.status < 300) {
      const refused = Math.min(spans, this.rejectionsIn(outcome.contentType, outcome.body));
      this.exported += spans - refused;
      if (refused > 0) {
        this.rejected += refused;
        this.report('rejected', `the OTLP collector at ${this.where} rejected ${refused} of ${spans} spans (partial success)`, refused);
      }
      if (outcome.written) this.recycle(batch);
      return this.endBatch();
    }
    const problem = 'status' in outcome ? `${outcome.status} ${STATUS_CODES[outcome.status] ?? ''}`.trim() : outcome.error;
    this.lastError = problem;
    const retryable = 'error' in outcome || RETRYABLE_STATUS.has(outcome.status);
    if (retryable && this.attempt < this.maxRetries) {
      const asked = 'status' in outcome ? parseRetryAfter(outcome.retryAfter, Date.now()) : undefined;
      const waitMs = asked === undefined ? fullJitter(this.attempt, this.retryBaseMs, this.retryCapMs) : Math.min(asked, this.retryCapMs);
      this.attempt++;
      this.retries++;
      this.retryTimer = setTimeout(this.retryBound, waitMs).unref();
      return;
    }
    if ('status' in outcome && outcome.status >= 400 && outcome.status < 500) {
      this.rejected += spans;
      this.report('rejected', `the OTLP collector at ${this.where} answered ${problem}: ${spans} spans dropped`, spans);
    } else {
      this.failed += spans;
      const why = retryable ? `after ${this.attempt + 1} attempts (the last: ${problem})` : `(${problem})`;
      this.report('failed', `spans could not be sent to the OTLP collector at ${this.where} ${why}: ${spans} dropped`, spans);
    }
    this.endBatch();
  }

  private newBatch(): SpanBatch {
    const spare = this.spare.pop();
    if (spare !== undefined) return spare;
    return this.source === undefined ? new JsonBatch(this.resource, this.scope) : new ProtobufBatch(this.source, this.maxBatch);
  }

  /** Keeps a delivered batch's buffers for a later one (a few: a burst's are let go). */
  private recycle(batch: SpanBatch): void {
    if (this.spare.length >= MAX_SPARE_BATCHES) return;
    batch.reset();
    this.spare.push(batch);
  }

  private endBatch(): void {
    this.batch = undefined;
    this.body = undefined;
    if (this.count === 0) return this.settleWaiters();
    if (this.full.length > 0 || this.waiters.size > 0) this.kick();
    else if (this.scheduleTimer === undefined) this.scheduleTimer = setTimeout(this.sendNextBound, this.scheduleMs).unref();
  }

  /** A partial success comes encoded as the request was (OTLP/HTTP); the answer's content-type says so when it can. */
  private rejectionsIn(contentType: string, body: Buffer): number {
    if (body.length === 0) return 0;
    const protobuf = contentType.includes('protobuf') || (this.protobuf && !contentType.includes('json'));
    return protobuf ? protobufRejections(body) : partialRejections(body.toString('utf8'));
  }

  private settleWaiters(): void {
    for (const done of this.waiters) done();
  }

  /** A warning, at most one per kind per LOG_PERIOD_MS (a dead collector fails every batch). */
  private report(kind: 'rejected' | 'failed', message: string, spans: number): void {
    const now = performance.now();
    if (now - this.loggedAt[kind] < LOG_PERIOD_MS) {
      this.unlogged[kind]++;
      return;
    }
    this.loggedAt[kind] = now;
    const notLogged = this.unlogged[kind];
    this.unlogged[kind] = 0;
    this.logger.warn(message, { spans, ...(notLogged > 0 ? { batchesNotLogged: notLogged } : {}) });
  }
}

/** rejectedSpans of a 200's partial success (OTLP/HTTP, "Partial Success"), 0 when none. */
function partialRejections(body: string): number {
  if (body === '' || !body.includes('rejectedSpans')) return 0;
  try {
    const answer: unknown = JSON.parse(body);
    if (typeof answer !== 'object' || answer === null) return 0;
    const partial: unknown = (answer as { partialSuccess?: unknown }).partialSuccess;
    if (typeof partial !== 'object' || partial === null) return 0;
    // An int64: a string in proto3 JSON, though a number is accepted too.
    const rejected = Number((partial as { rejectedSpans?: unknown }).rejectedSpans);
    return Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0;
  } catch {
    return 0;
  }
}

/** The collector URL, http: or https:; a message about it never repeats it (it may hold credentials). */
function parseCollectorUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('the OTLP traces endpoint is not a valid URL (expected http(s)://host:port/v1/traces)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`the OTLP traces endpoint must be http: or https:, not ${url.protocol}`);
  return url;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1, not ${value}`);
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be an integer >= 0, not ${value}`);
  return value;
}

/** A URL's user or password, percent-decoded; as written when it is not valid percent-encoding. */
function decodeOrRaw(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
