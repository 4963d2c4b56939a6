// The request listener: context, middleware chain, router, error handling, and the
// completion that feeds connection state and the request observer (metrics, access log).
// Everything here is built once; per request it allocates the context and little else
// (no listeners).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { asError } from '../log/json-fields.js';
import type { Logger } from '../log/logger.js';
import type { ConnectionTracker } from './connections.js';
import { CLIENT_CLOSED, CLIENT_GONE, RequestContext, type RequestCompletion } from './context.js';
import { HttpError, notFound } from './http-error.js';
import type { RequestIds } from './request-id.js';
import type { RequestObserver } from './request-observer.js';
import type { Responder } from './responder.js';
import type { Handler, Router } from './router.js';

/** Go-style middleware: wraps the next handler once, at startup (or when added). */
export type Middleware = (next: Handler) => Handler;

export interface DispatchDeps {
  readonly router: Router;
  /** In the order they run: the first sees the request first. */
  readonly middleware: readonly Middleware[];
  readonly observer: RequestObserver;
  readonly respond: Responder;
  readonly logger: Logger;
  readonly connections: ConnectionTracker;
  readonly ids: RequestIds;
  /** Connections are tracked from here, so aborted requests can be completed. */
  readonly server: Server;
}

export class Dispatcher {
  private readonly chain: Middleware[];
  /** The middleware chain around the router, composed when the chain changes. */
  private handler: Handler;
  private readonly completion: RequestCompletion;

  /** node:http's 'request' listener. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;

  constructor(private readonly deps: DispatchDeps) {
    const { connections, observer, ids } = deps;
    this.chain = [...deps.middleware];
    this.handler = this.compose();
    this.completion = {
      complete(ctx) {
        const now = performance.now();
        const durationMs = now - ctx.start;
        connections.ended(ctx, now);
        observer.finished(ctx, durationMs, now);
      },
    };
    // The client closed its connection before the response was complete.
    connections.attach(deps.server, (ctx) => {
      ctx.status = CLIENT_CLOSED;
      ctx.bytes = 0;
      ctx.finish();
      ctx.cancel(CLIENT_GONE);
    });
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      const ctx = new RequestContext(req, res, ids.next(req.headers['x-request-id']), this.completion);
      connections.started(ctx);
      observer.started(ctx);
      try {
        const refused = protocolError(req);
        if (refused !== undefined) throw refused;
        const pending = this.handler(ctx);
        if (pending !== undefined) pending.then(undefined, (error: unknown) => this.fail(ctx, error));
      } catch (error) {
        this.fail(ctx, error);
      }
    };
    this.listener = onRequest;
  }

  /** Adds a middleware after those given at construction (it runs after them). */
  use(middleware: Middleware): void {
    this.chain.push(middleware);
    this.handler = this.compose();
  }

  private compose(): Handler {
    return this.chain.reduceRight<Handler>((next, wrap) => wrap(next), this.route);
  }

  private readonly route: Handler = (ctx) => {
    const { router, respond } = this.deps;
    const match = router.find(ctx.method, ctx.path);
    if (match.kind === 'found') {
      ctx.route = match.route;
      ctx.params = match.params;
      return match.route.handler(ctx);
    }
    if (match.kind === 'wrong-method') {
      if (ctx.method === 'OPTIONS') return respond.empty(ctx, 204, ['allow', match.allow]);
      throw new HttpError(405, `${ctx.method} is not allowed here; allowed: ${match.allow}`, ['allow', match.allow]);
    }
    // `OPTIONS *` asks about the server as a whole (RFC 9110 9.3.7).
    if (ctx.path === '*' && ctx.method === 'OPTIONS') return respond.empty(ctx, 204, ['allow', router.allow]);
    if (ctx.method === 'CONNECT') throw new HttpError(501, 'CONNECT is not supported: this server is not a proxy', CLOSE);
    throw notFound();
  };

  // Every way a handler can fail ends here: a problem document while nothing has been
  // sent; once the head is out, the socket is cut (a half body must not look complete)
  // and the request is completed now, with the status it really ended with.
  private fail(ctx: RequestContext, error: unknown): void {
    const res = ctx.res;
    const { logger, respond } = this.deps;
    if (ctx.done) {
      // Already answered (the deadline) or its client gone. Failing because its work was
      // cancelled is expected; any other failure is a bug that must not go unseen.
      if (!isCancellation(error)) logger.error('handler failed after its request was complete', { reqId: ctx.id, method: ctx.method, path: ctx.path, err: asError(error) });
      return;
    }
    if (!res.headersSent) {
      if (res.destroyed) return; // the client left: its connection's close completes it
      if (error instanceof HttpError) {
        respond.error(ctx, error);
      } else {
        logger.error('handler failed', { reqId: ctx.id, method: ctx.method, path: ctx.path, err: asError(error) });
        respond.problem(ctx, 500, 'the server could not complete the request');
      }
      return;
    }
    const status = error instanceof HttpError ? error.status : 500;
    logger.error('response failed after its head was sent: connection cut', {
      reqId: ctx.id, method: ctx.method, path: ctx.path, status, err: asError(error),
    });
    ctx.status = status;
    ctx.finish();
    res.destroy();
  }
}

const CLOSE: readonly string[] = Object.freeze(['connection', 'close']);

/** What llhttp lets through and this server refuses before any routing: another HTTP
 *  major version, an HTTP/1.1 request without Host (RFC 9112 3.2), a Transfer-Encoding
 *  other than chunked (its body's length cannot be known: RFC 9112 6.3). The connection
 *  is closed after the answer, since what follows on it cannot be framed. */
function protocolError(req: IncomingMessage): HttpError | undefined {
  if (req.httpVersionMajor !== 1) return new HttpError(505, 'only HTTP/1.0 and HTTP/1.1 are served here', CLOSE);
  const headers = req.headers;
  if (headers.host === undefined && req.httpVersionMinor === 1) return new HttpError(400, 'an HTTP/1.1 request must carry a Host header', CLOSE);
  const te = headers['transfer-encoding'];
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') {
    return new HttpError(400, 'the only Transfer-Encoding accepted is chunked', CLOSE);
  }
  return undefined;
}

/** What a handler fails with when its work was cancelled: the abort (or deadline) reason,
 *  or the problem a cancelled store call answers with. */
function isCancellation(error: unknown): boolean {
  return error instanceof HttpError || (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'));
}

