// Requests llhttp cannot parse never reach a handler: oversized headers (431), a slow
// client past headersTimeout/requestTimeout (408), malformed syntax (400). Answer with a
// problem document and close, as Node's default does, but in our format and logged.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../observability/logger.js';
import type { RequestMetrics } from '../observability/request-metrics.js';

interface ParserError extends Error {
  readonly code?: string;
}

/** node:http keeps the response being written on the socket; never interleave with it. */
interface HttpSocket extends Socket {
  readonly _httpMessage?: { readonly headersSent?: boolean } | null;
}

function statusFor(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

export function handleClientError(logger: Logger, metrics: RequestMetrics): (error: ParserError, socket: HttpSocket) => void {
  return (error, socket) => {
    metrics.clientErrors++;
    logger.debug('client error', { code: error.code ?? 'unknown', err: error.message, remote: socket.remoteAddress });
    if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent === true) {
      socket.destroy();
      return;
    }
    const status = statusFor(error.code);
    const title = STATUS_CODES[status] ?? 'Error';
    const body = JSON.stringify({ type: 'about:blank', title, status, detail: 'the request could not be read' });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };
}
