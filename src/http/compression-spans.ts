// INTERNAL `compress` spans for the compression a request waits on or streams through: the
// coding, its level, and the bytes in and out. Made only where zlib runs for a request (a
// body compressed on the fly, a cached variant made for the first time, a streamed body);
// a variant made once and served again costs no span.
import type { Transform } from 'node:stream';
import type { Coding } from '../compression/codings.js';
import type { Span } from '../trace/tracer.js';
import type { RequestContext } from './context.js';

const CODING = 'turbina.compression.coding';
const LEVEL = 'turbina.compression.level';
const INPUT_SIZE = 'turbina.compression.input.size';
const OUTPUT_SIZE = 'turbina.compression.output.size';

/** A span for compressing `inputBytes` (undefined: a stream, counted at its end) under the
 *  request's span; undefined when the trace is not sampled (nothing would be recorded). */
export function startCompressSpan(parent: Span, coding: Coding, level: number, inputBytes: number | undefined): Span | undefined {
  if (!parent.sampled) return undefined;
  const span = parent.child('compress', 'internal').set(CODING, coding).set(LEVEL, level);
  return inputBytes === undefined ? span : span.set(INPUT_SIZE, inputBytes);
}

export function endCompressSpan(span: Span, outputBytes: number): void {
  span.set(OUTPUT_SIZE, outputBytes).end();
}

/** zlib failed: an error status, the error's name as error.type. */
export function failCompressSpan(span: Span, error: unknown): void {
  span.set('error.type', error instanceof Error ? error.name : '_OTHER');
  span.fail(error instanceof Error ? error.message : String(error)).end();
}

/** Ends `span` when the streaming compressor closes (ended, failed, or cut off with its
 *  client): the bytes zlib took in, and those it gave out (`out.bytes`: the request's
 *  ctx, which counts them). A client that left is no failure of compression (the server
 *  span says 499). */
export function traceCompressStream(span: Span, compressor: Transform, out: Pick<RequestContext, 'bytes'>): void {
  compressor.once('close', () => {
    // zlib's own count of the bytes written to it (each of its compressors keeps one).
    const written: unknown = Reflect.get(compressor, 'bytesWritten');
    if (typeof written === 'number') span.set(INPUT_SIZE, written);
    const error = compressor.errored;
    if (error !== null && isZlibError(error)) failCompressSpan(span, error);
    else endCompressSpan(span, out.bytes);
  });
}

/** zlib's own errors carry its error number; pipeline's premature close (the client left
 *  mid-body) does not. */
function isZlibError(error: Error): boolean {
  return typeof Reflect.get(error, 'errno') === 'number';
}
