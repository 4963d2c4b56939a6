// Test helper: a real OTLP/HTTP collector on a free loopback port. It records every POST
// (headers, the body as bytes and in the OTLP/JSON shape, when it came) and answers as told: 200 by default, or a
// planned sequence of answers (a status with Retry-After, a hang, a slow 200); down()
// closes it so connections are refused.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { decodeTraceRequest } from './otlp-decode.js';
import type { OtlpResourceSpans, OtlpSpan, OtlpTraceRequest } from './otlp.js';

/** How the collector answers one POST. */
export type CollectorAnswer =
  | { readonly status: number; readonly retryAfter?: string; readonly body?: string | Buffer; readonly contentType?: string }
  /** Reads the request and never answers. */
  | { readonly hang: true }
  /** Answers 200 after this long. */
  | { readonly delayMs: number };

export interface ReceivedPost {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as sent. */
  readonly bytes: Buffer;
  /** The body as UTF-8 text. */
  readonly raw: string;
  /** The body in the OTLP/JSON shape: parsed as JSON, or decoded from protobuf
   *  (undefined if it is neither). */
  readonly json: OtlpTraceRequest | undefined;
  /** performance.now() when the whole body had arrived. */
  readonly at: number;
}

export class Collector {
  readonly received: ReceivedPost[] = [];
  private readonly plan: CollectorAnswer[] = [];
  private fallback: CollectorAnswer = { status: 200, body: '{}' };
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<Collector> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const collector = new Collector(server, (server.address() as AddressInfo).port);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => collector.answer(req.url ?? '', req.headers, Buffer.concat(chunks), res));
    });
    return collector;
  }

  /** The traces endpoint's URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`;
  }

  /** The next POSTs get these answers, in order; later ones the default. */
  answerNext(...answers: CollectorAnswer[]): void {
    this.plan.push(...answers);
  }

  /** What every POST beyond the plan gets. */
  answerAlways(answer: CollectorAnswer): void {
    this.fallback = answer;
  }

  /** The resourceSpans of every POST received so far, in order: spans with the resource that sent them. */
  resourceSpans(): OtlpResourceSpans[] {
    return this.received.flatMap((post) => post.json?.resourceSpans ?? []);
  }

  /** The spans of every POST received so far, in order. */
  spans(): OtlpSpan[] {
    return this.resourceSpans().flatMap((resourceSpans) => resourceSpans.scopeSpans.flatMap((scopeSpans) => scopeSpans.spans));
  }

  /** Stops listening and cuts every connection: from now on, connections are refused. */
  async down(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  close(): Promise<void> {
    return this.server.listening ? this.down() : Promise.resolve();
  }

  private answer(path: string, headers: IncomingHttpHeaders, bytes: Buffer, res: ServerResponse): void {
    const raw = bytes.toString('utf8');
    let json: OtlpTraceRequest | undefined;
    try {
      // Either encoding, read into the OTLP/JSON shape, so that a test reads spans one way.
      json = (headers['content-type'] === 'application/x-protobuf' ? decodeTraceRequest(bytes) : JSON.parse(raw)) as OtlpTraceRequest;
    } catch {
      json = undefined;
    }
    this.received.push({ path, headers, bytes, raw, json, at: performance.now() });
    const answer = this.plan.shift() ?? this.fallback;
    if ('hang' in answer) {
      this.hanging.add(res);
      return;
    }
    if ('delayMs' in answer) {
      setTimeout(() => reply(res, 200, undefined, '{}', 'application/json'), answer.delayMs);
      return;
    }
    reply(res, answer.status, answer.retryAfter, answer.body ?? '{}', answer.contentType ?? 'application/json');
  }
}

function reply(res: ServerResponse, status: number, retryAfter: string | undefined, body: string | Buffer, contentType: string): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) };
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
  res.writeHead(status, headers).end(body);
}
