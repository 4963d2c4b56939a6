// Requests llhttp cannot parse never reach a handler: oversized headers (431), a slow
// client past headersTimeout/requestTimeout (408), malformed syntax (400). Answer with a
// problem document and close, as Node's default does, but in our format, with an
// X-Request-Id like every answer, and logged. Nothing is written on a connection whose
// latest request has been answered (or is being answered) while its body still arrives:
// the error belongs to that request, and a second answer would be unsolicited.
import { STATUS_CODES } from '../platform/node-http.js';
import type { Socket } from 'node:net';
import type { ConnectionTracker } from './connections.js';
import type { Logger } from '../log/logger.js';
import type { RequestObserver } from './request-observer.js';
import type { RequestIds } from './request-id.js';

interface ParserError extends Error {
  readonly code?: string;
}

/** node:http keeps the response being written on the socket; never interleave with it. */
interface HttpSocket extends Socket {
  readonly _httpMessage?: { readonly headersSent?: boolean } | null;
}

/** The client reset the connection, or closed it in the middle of a request. */
const CLIENT_LEFT = new Set(['ECONNRESET', 'HPE_INVALID_EOF_STATE']);

function statusFor(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

export function handleClientError(
  logger: Logger,
  observer: RequestObserver,
  ids: RequestIds,
  connections: ConnectionTracker,
): (error: ParserError, socket: HttpSocket) => void {
  return (error, socket) => {
    const last = connections.stateOf(socket)?.last;
    const bodyStillArriving = last !== undefined && !last.req.complete;
    if (CLIENT_LEFT.has(error.code ?? '') || !socket.writable || bodyStillArriving || socket._httpMessage?.headersSent === true) {
      // A client that went away mid-request, or one whose request already has its answer:
      // no request failed to parse, so nothing is counted as a client error.
      logger.debug('client error: connection closed', { code: error.code ?? 'unknown', err: error.message, remote: socket.remoteAddress, reqId: last?.id });
      socket.destroy();
      return;
    }
    observer.unreadable();
    const status = statusFor(error.code);
    const id = ids.next(undefined);
    logger.debug('client error', { code: error.code ?? 'unknown', err: error.message, remote: socket.remoteAddress, reqId: id, status });
    const title = STATUS_CODES[status] ?? 'Error';
    const body = JSON.stringify({ type: 'about:blank', title, status, detail: 'the request could not be read' });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n` +
        `X-Request-Id: ${id}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };
}
