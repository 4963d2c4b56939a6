// The product store as an upstream HTTP service speaking turbina's own product API (so one
// turbina can be another's upstream). One HTTP attempt per call over a bounded keep-alive
// pool; timeouts, retries and circuit breaking are the caller's. A call's signal aborts
// the attempt and destroys its socket; so does every failure, so the pool only ever gets
// back a socket whose answer was read to the end. A traced call (a parent span given) is
// a CLIENT span whose traceparent goes upstream with the request.
import type { Agent, ClientRequest, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import { originClient, STATUS_CODES } from '../../platform/node-http.js';
import { socketHost } from '../../platform/url-host.js';
import type { Product } from '../catalog.js';
import type { ProductPage, ProductStore } from '../store.js';
import { storeUrlProblem } from '../../config.js';
import type { Span } from '../../trace/tracer.js';
import { attemptAnswered, attemptFailed, startAttempt, withTraceContext, type SpanTarget } from './client-span.js';
import { readPage, readProduct, ShapeError } from './product-shape.js';
import { UpstreamError } from './upstream-error.js';

export interface HttpStoreOptions {
  /** The upstream's base URL, http: or https:, possibly with a path prefix (http://10.0.0.5:9000/catalog). */
  readonly url: string;
  /** Sockets open to the upstream at most; calls beyond wait for one to be free. */
  readonly maxSockets: number;
  /** The largest body read; a bigger one fails the call (too-large). */
  readonly maxBodyBytes: number;
}

/** An answer read to its end: the body is kept for a 200 only. */
interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: Buffer | undefined;
  /** The answer says it is JSON (application/json, application/problem+json, any +json). */
  readonly json: boolean;
}

/** A media type of JSON: what the service's own answers, a 404 included, are. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** What every request says: a body in the wire format, and no content-encoding. */
const REQUEST_HEADERS: OutgoingHttpHeaders = { accept: 'application/json' };

/** Idle pooled sockets are closed after this long. Setting it also makes Node honour the
 *  upstream's `Keep-Alive: timeout=N` hint (it only ever lowers a set timeout), so we close
 *  an idle socket before the upstream does instead of racing its close with a request. */
const IDLE_SOCKET_MS = 30_000;

/** Failures before a connection exists: the upstream is down, unreachable or unknown. */
const CONNECT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);
/** Failures of a connection that existed (a reused one the upstream had just closed, too). */
const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export class HttpStore implements ProductStore {
  private readonly agent: Agent;
  private readonly send: (options: RequestOptions) => ClientRequest;
  private readonly target: RequestOptions;
  /** The path prefix without a trailing slash ('' for none). */
  private readonly prefix: string;
  /** The upstream as messages name it (no path, no credentials). */
  private readonly origin: string;
  private readonly maxBodyBytes: number;
  private readonly spanTarget: SpanTarget;
  /** How to fail each call under way, queued for a socket or not: close() ends them all
   *  (the agent, destroyed, would still send the queued ones on new sockets). */
  private readonly pending = new Set<(error: unknown) => void>();
  private closed = false;

  constructor(options: HttpStoreOptions) {
    const url = parseBaseUrl(options.url);
    if (!Number.isSafeInteger(options.maxSockets) || options.maxSockets < 1) throw new RangeError(`maxSockets must be an integer >= 1, not ${options.maxSockets}`);
    if (!Number.isSafeInteger(options.maxBodyBytes) || options.maxBodyBytes < 1) throw new RangeError(`maxBodyBytes must be an integer >= 1, not ${options.maxBodyBytes}`);
    // lifo hands out the most recently used free socket: the one least likely to have hit
    // the upstream's idle timeout, and under light load the rest idle out and close.
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets, scheduling: 'lifo', timeout: IDLE_SOCKET_MS } as const;
    ({ agent: this.agent, send: this.send } = originClient(url.protocol, agentOptions));
    const hostname = socketHost(url);
    this.target = {
      protocol: url.protocol,
      hostname,
      port: url.port === '' ? undefined : Number(url.port),
      method: 'GET',
      headers: REQUEST_HEADERS,
      agent: this.agent,
    };
    // A request destroyed while queued still gets a socket once one is freed (Node 24 and
    // later open a new one for it), which goes back to the pool as free: after close() no
    // socket may stay.
    this.agent.on('free', (socket: Socket) => {
      if (this.closed) socket.destroy();
    });
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.origin = url.origin;
    this.maxBodyBytes = options.maxBodyBytes;
    this.spanTarget = {
      origin: url.origin,
      address: hostname,
      port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    };
  }

  async get(id: number, signal?: AbortSignal, parent?: Span): Promise<Product | undefined> {
    // The wire format's ids are integers >= 1: no other id can name a product.
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    const path = `${this.prefix}/products/${id}`;
    if (parent === undefined) return this.product(await this.exchange(path, signal, undefined), path, id);
    return this.traced(path, signal, parent, (answer) => this.product(answer, path, id));
  }

  async list(offset: number, limit: number, signal?: AbortSignal, parent?: Span): Promise<ProductPage> {
    const from = Math.max(0, Math.trunc(offset));
    const count = Math.max(0, Math.trunc(limit));
    const path = `${this.prefix}/products?offset=${from}&limit=${count}`;
    if (parent === undefined) return this.page(await this.exchange(path, signal, undefined), path, from, count);
    return this.traced(path, signal, parent, (answer) => this.page(answer, path, from, count));
  }

  private product(answer: Answer, path: string, id: number): Product | undefined {
    // The service's own 404 (JSON) says no such product; a proxy's or a web server's page
    // (a wrong path prefix, a deploy under way) must not be cached as one.
    if (answer.status === 404 && answer.json) return undefined;
    return this.read(answer, path, (body) => readProduct(body, id));
  }

  private page(answer: Answer, path: string, from: number, count: number): ProductPage {
    return this.read(answer, path, (body) => readPage(body, from, count));
  }

  /** One attempt as a client span under `parent`, ended when its answer is read (or not). */
  private async traced<T>(path: string, signal: AbortSignal | undefined, parent: Span, read: (answer: Answer) => T): Promise<T> {
    const span = startAttempt(parent, this.spanTarget, path);
    try {
      const answer = await this.exchange(path, signal, span);
      attemptAnswered(span, answer.status);
      return read(answer);
    } catch (error) {
      attemptFailed(span, error, signal?.aborted === true);
      throw error;
    } finally {
      span.end();
    }
  }

  /** Calls waiting for one of the maxSockets connections (the pool's bound biting). */
  get waiting(): number {
    let waiting = 0;
    for (const queue of Object.values(this.agent.requests)) waiting += queue?.length ?? 0;
    return waiting;
  }

  /** Fails every call under way and closes every socket; later calls fail at once. */
  close(): void {
    this.closed = true;
    for (const fail of this.pending) fail(this.closedError());
    this.agent.destroy();
  }

  private closedError(): UpstreamError {
    return new UpstreamError('connect', `the product store at ${this.origin} is closed (shutting down)`, { retryable: false });
  }

  /** A 200's body as JSON of the expected shape; anything else is an UpstreamError. */
  private read<T>(answer: Answer, path: string, shape: (body: unknown) => T): T {
    if (answer.status !== 200 || answer.body === undefined) {
      const name = STATUS_CODES[answer.status] ?? 'an unknown status';
      return this.fail('status', `answered GET ${path} with ${answer.status} ${name}`, {
        status: answer.status,
        ...(answer.retryAfter === undefined ? {} : { retryAfter: answer.retryAfter }),
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(answer.body.toString('utf8'));
    } catch {
      return this.fail('invalid', `answered GET ${path} with a body that is not JSON`, { status: 200 });
    }
    try {
      return shape(body);
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      return this.fail('invalid', `answered GET ${path} with a body that is ${error.message}`, { status: 200 });
    }
  }

  private fail(kind: 'status' | 'invalid', what: string, details: { status: number; retryAfter?: string }): never {
    throw new UpstreamError(kind, `the product store at ${this.origin} ${what}`, details);
  }

  /** One request, its answer read to the end (a 200's body kept, up to the cap). */
  private exchange(path: string, signal: AbortSignal | undefined, span: Span | undefined): Promise<Answer> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.closed) return Promise.reject(this.closedError());
    return new Promise<Answer>((resolve, reject) => {
      const req = this.send(span === undefined ? { ...this.target, path } : { ...this.target, path, headers: withTraceContext(REQUEST_HEADERS, span) });
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(fail);
        return true;
      };
      /** Fails the call and destroys the socket: it never goes back to the pool half read. */
      const fail = (error: unknown): void => {
        if (!settle()) return;
        cut(req);
        reject(error);
      };
      const onAbort = (): void => fail(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(fail);

      req.on('error', (error) => fail(this.networkError(error, path)));
      req.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const json = JSON_MEDIA_TYPE.test(res.headers['content-type'] ?? '');
        const retryAfter = res.headers['retry-after'];
        const keep = status === 200;
        const tooLarge = (size: string): void => {
          if (keep) {
            fail(new UpstreamError('too-large', `the product store at ${this.origin} answered GET ${path} with a body over ${this.maxBodyBytes} bytes (${size})`, { status }));
          } else if (settle()) {
            // The status says it all; the body is not worth reading.
            cut(req);
            resolve({ status, retryAfter, body: undefined, json });
          }
        };
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > this.maxBodyBytes) return tooLarge(`content-length ${declared}`);
        if (keep && res.headers['content-encoding'] !== undefined && res.headers['content-encoding'] !== 'identity') {
          // We asked for none (no accept-encoding): an encoded body is not the wire format.
          return fail(new UpstreamError('invalid', `the product store at ${this.origin} answered GET ${path} with a ${res.headers['content-encoding']}-encoded body`, { status, retryable: false }));
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > this.maxBodyBytes) tooLarge(`${bytes} bytes so far`);
          else if (keep) chunks.push(chunk);
        });
        res.on('error', (error) => fail(this.networkError(error, path)));
        res.on('end', () => {
          if (settle()) resolve({ status, retryAfter, body: keep ? Buffer.concat(chunks, bytes) : undefined, json });
        });
        // However the cut is reported (an error above, or none), an incomplete answer is a broken one.
        res.on('close', () => {
          if (!res.complete) fail(new UpstreamError('reset', `the product store at ${this.origin} closed the connection in the middle of the answer to GET ${path}`));
        });
      });
      req.end();
    });
  }

  private networkError(error: Error & { code?: string }, path: string): UpstreamError {
    const code = error.code ?? 'no code';
    const where = `the product store at ${this.origin}`;
    if (CONNECT_CODES.has(code)) {
      return new UpstreamError('connect', `could not connect to ${where} for GET ${path} (${code}: ${error.message})`, { cause: error });
    }
    if (RESET_CODES.has(code)) {
      return new UpstreamError('reset', `${where} closed the connection during GET ${path} (${code}: ${error.message})`, { cause: error });
    }
    if (code.startsWith('HPE_')) {
      return new UpstreamError('invalid', `${where} answered GET ${path} with something that is not HTTP (${code}: ${error.message})`, { cause: error });
    }
    // TLS failures and anything unforeseen: another attempt would fail the same way.
    return new UpstreamError('connect', `the request to ${where} for GET ${path} failed (${code}: ${error.message})`, { cause: error, retryable: false });
  }
}

/** Ends a request and its connection: Node 26 may keep the socket of a request destroyed
 *  while its response is read, and give it to the pool with that response unread. */
function cut(req: ClientRequest): void {
  req.destroy();
  req.socket?.destroy();
}

function parseBaseUrl(text: string): URL {
  const problem = storeUrlProblem(text);
  if (problem !== undefined) throw new TypeError(`the product store URL ${problem}`);
  return new URL(text);
}
