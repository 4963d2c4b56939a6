// The only place that writes response bodies. Responses are encoded once into bytes plus
// their Content-Type/Content-Length (so a cache can keep them) and written with one
// writeHead(flat header list) and one end(body). Once shutdown stops accepting
// connections every head says Connection: close, decided when the head is written, so a
// request already in flight at that moment releases its keep-alive client too.
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RequestContext } from './context.js';
import type { HttpError } from './http-error.js';

export const JSON_TYPE = 'application/json';
export const PROBLEM_TYPE = 'application/problem+json';

/** A response ready to write: what the cache stores. */
export interface Encoded {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  readonly contentLength: string;
}

const NO_HEADERS: readonly string[] = Object.freeze([]);
/** For answers about this instant (health, metrics) that no cache should keep. */
export const NO_STORE: readonly string[] = Object.freeze(['cache-control', 'no-store']);

export function encodeBytes(status: number, contentType: string, body: Buffer): Encoded {
  return { status, contentType, body, contentLength: String(body.length) };
}

export function encodeJson(status: number, value: unknown): Encoded {
  return encodeBytes(status, JSON_TYPE, Buffer.from(JSON.stringify(value)));
}

/** An RFC 9457 problem document. `detail` is ours, never an exception's message. */
export function encodeProblem(status: number, detail: string): Encoded {
  const title = STATUS_CODES[status] ?? 'Error';
  return encodeBytes(status, PROBLEM_TYPE, Buffer.from(JSON.stringify({ type: 'about:blank', title, status, detail })));
}

/** Writes an encoded response. `extra` is a flat [name, value, ...] header list. */
export function sendEncoded(ctx: RequestContext, encoded: Encoded, extra: readonly string[] = NO_HEADERS): void {
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return;
  const headers = [
    'content-type',
    encoded.contentType,
    'content-length',
    encoded.contentLength,
    'x-request-id',
    ctx.id,
  ];
  for (let i = 0; i < extra.length; i++) headers.push(extra[i] as string);
  if (ctx.lifecycle.closing) headers.push('connection', 'close');
  ctx.status = encoded.status;
  res.writeHead(encoded.status, headers);
  if (ctx.method === 'HEAD') {
    res.end();
  } else {
    ctx.bytes = encoded.body.length;
    res.end(encoded.body);
  }
  ctx.finish();
}

export function sendJson(ctx: RequestContext, status: number, value: unknown, extra?: readonly string[]): void {
  sendEncoded(ctx, encodeJson(status, value), extra);
}

export function sendProblem(ctx: RequestContext, status: number, detail: string, extra?: readonly string[]): void {
  sendEncoded(ctx, encodeProblem(status, detail), extra);
}

export function sendHttpError(ctx: RequestContext, error: HttpError): void {
  sendProblem(ctx, error.status, error.detail, error.headers);
}

/** A 204 (OPTIONS) or other bodiless answer. */
export function sendEmpty(ctx: RequestContext, status: number, extra: readonly string[] = NO_HEADERS): void {
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return;
  ctx.status = status;
  const headers = ['x-request-id', ctx.id, ...extra];
  if (ctx.lifecycle.closing) headers.push('connection', 'close');
  res.writeHead(status, headers);
  res.end();
  ctx.finish();
}

/**
 * Streams a body (a heap snapshot) with backpressure: pipeline pauses the source while
 * the socket's buffer is full, and destroys it if the client leaves (the connection
 * tracker then completes the request as aborted).
 */
export async function sendStream(ctx: RequestContext, status: number, contentType: string, body: Readable, extra: readonly string[] = NO_HEADERS): Promise<void> {
  const res = ctx.res;
  if (res.headersSent || res.destroyed) {
    body.destroy();
    return;
  }
  const headers = ['content-type', contentType, 'x-request-id', ctx.id, ...extra];
  if (ctx.lifecycle.closing) headers.push('connection', 'close');
  ctx.status = status;
  res.writeHead(status, headers);
  body.on('data', (chunk: Buffer) => (ctx.bytes += chunk.length));
  try {
    await pipeline(body, res);
  } catch (error) {
    if (ctx.done || res.destroyed) return; // the client left; already counted as aborted
    throw error;
  }
  ctx.finish();
}
