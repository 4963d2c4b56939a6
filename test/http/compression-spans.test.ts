// The `compress` spans of the responder, over real sockets: a body compressed on the fly,
// a cached variant (a span for the request that makes it, none when it is served again or
// for a request that waits on it), a streamed body, and zlib failing; nothing when the
// body goes out as it is or the trace is not sampled.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import type { Coding } from '../../src/compression/codings.js';
import { Compression } from '../../src/compression/compression.js';
import { traceCompressStream } from '../../src/http/compression-spans.js';
import { RequestContext } from '../../src/http/context.js';
import { encodeJson, encodeStoredJson, type Encoded } from '../../src/http/encoded.js';
import { LifecycleState } from '../../src/http/lifecycle-state.js';
import { Responder } from '../../src/http/responder.js';
import type { FinishedSpan } from '../../src/trace/span.js';
import { eventually, request } from '../helpers/http.js';
import { captureSpans, type CapturedSpans } from '../helpers/spans.js';
import { abortAfterFirstChunk, getDecoded } from '../helpers/stream.js';

const SETTINGS = { minBytes: 1024, gzipLevel: 5, upgrades: 0, upgradeBacklog: 8, requestJobs: 2 } as const;
const ITEMS = Array.from({ length: 400 }, (_, id) => ({ id, name: `product ${id}`, tags: ['a', 'b', 'c'] }));
const LINE = Buffer.from(JSON.stringify({ id: 1, name: 'a streamed line', tags: ['x', 'y'] }) + '\n');
const LINES = 100;

/** zlib failing on every body (it cannot be made to fail on demand). */
class FailingCompression extends Compression {
  override compress(): Promise<Buffer> {
    return Promise.reject(new RangeError('zlib ran out of memory'));
  }

  override compressVariant(): Promise<Buffer> {
    return Promise.reject(new RangeError('zlib ran out of memory'));
  }
}

interface Served {
  readonly port: number;
  readonly captured: CapturedSpans;
  /** Whether the next requests' traces are sampled. */
  sampled: boolean;
  /** The server span of each request, by the request's x-request-id. */
  readonly parents: Map<string, string>;
  close(): Promise<void>;
}

/** A server whose requests each get a server span, answered by `respond`'s paths: /fly
 *  (an uncached body), /stored (one cached body for every request) and /stream. */
async function serve(compression: Compression): Promise<Served> {
  const captured = captureSpans();
  const respond = new Responder(compression, new LifecycleState());
  let stored: Encoded = encodeStoredJson(ITEMS, Date.now());
  const served: Served = { port: 0, captured, sampled: true, parents: new Map(), close: () => Promise.resolve() };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const id = String(req.headers['x-request-id'] ?? '');
    const ctx = new RequestContext(req, res, id, { complete: () => {} });
    const span = captured.server(served.sampled);
    ctx.span = span;
    served.parents.set(id, span.spanId);
    if (ctx.path === '/fly') void respond.encoded(ctx, encodeJson(200, ITEMS));
    else if (ctx.path === '/stored') void respond.encoded(ctx, stored);
    else if (ctx.path === '/fresh') {
      stored = encodeStoredJson(ITEMS, Date.now());
      respond.empty(ctx, 204);
    } else if (ctx.path === '/endless') {
      // A line every few ms until the client leaves.
      const body = respond.openBody(ctx, 200, 'application/x-ndjson', []);
      const timer = setInterval(() => (body === undefined || body.closed ? clearInterval(timer) : body.write(LINE, () => {})), 2);
    } else {
      const body = respond.openBody(ctx, 200, 'application/x-ndjson', []);
      for (let i = 0; i < LINES; i++) body?.write(LINE, () => {});
      body?.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(served, {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

let requests = 0;
function get(t: Served, path: string, coding?: Coding): Promise<{ id: string; status: number; length: number; encoding: unknown }> {
  const id = `r${++requests}`;
  const headers: Record<string, string> = { 'x-request-id': id, ...(coding === undefined ? {} : { 'accept-encoding': coding }) };
  return request(t.port, path, { headers }).then((reply) => ({ id, status: reply.status, length: reply.body.length, encoding: reply.headers['content-encoding'] }));
}

function compressSpans(t: Served): FinishedSpan[] {
  return t.captured.spans.filter((span) => span.name === 'compress');
}

describe('compress spans through the responder', () => {
  let t: Served;
  const compression = new Compression(SETTINGS, ['br', 'gzip'], () => {});
  before(async () => {
    t = await serve(compression);
  });
  after(() => t.close());

  test("a body compressed on the fly: an INTERNAL child of the request's span with the coding, level and sizes", async () => {
    const reply = await get(t, '/fly', 'gzip');
    assert.equal(reply.encoding, 'gzip');
    const [span, ...more] = compressSpans(t);
    assert.equal(more.length, 0);
    assert.equal(span?.kind, 'internal');
    assert.equal(span?.parentSpanId, t.parents.get(reply.id));
    assert.deepEqual(span?.attributes, {
      'turbina.compression.coding': 'gzip',
      'turbina.compression.level': compression.level('gzip', 'fast'),
      'turbina.compression.input.size': Buffer.byteLength(JSON.stringify(ITEMS)),
      'turbina.compression.output.size': reply.length,
    });
    assert.deepEqual(span?.status, { code: 'unset' });
  });

  test('a cached variant: a span for the request that makes it, none for one waiting on it, none when served again', async () => {
    t.captured.spans.length = 0;
    await get(t, '/fresh');
    const [first, waiting] = await Promise.all([get(t, '/stored', 'br'), get(t, '/stored', 'br')]);
    const again = await get(t, '/stored', 'br');
    assert.deepEqual([first.encoding, waiting.encoding, again.encoding], ['br', 'br', 'br']);
    const spans = compressSpans(t);
    assert.equal(spans.length, 1, 'one variant made, one span');
    const [span] = spans;
    assert.ok(span?.parentSpanId === t.parents.get(first.id) || span?.parentSpanId === t.parents.get(waiting.id));
    assert.equal(span?.attributes['turbina.compression.coding'], 'br');
    assert.equal(span?.attributes['turbina.compression.input.size'], Buffer.byteLength(JSON.stringify(ITEMS)));
    assert.equal(span?.attributes['turbina.compression.output.size'], first.length);
  });

  test('a streamed body: the bytes zlib took in and gave out, once the stream has ended', async () => {
    t.captured.spans.length = 0;
    const reply = await getDecoded(t.port, '/stream', { 'accept-encoding': 'gzip', 'x-request-id': 'streamed' });
    assert.equal(reply.headers['content-encoding'], 'gzip');
    assert.equal(reply.body.length, LINE.length * LINES);
    const [span, ...more] = compressSpans(t);
    assert.equal(more.length, 0);
    assert.equal(span?.parentSpanId, t.parents.get('streamed'));
    assert.equal(span?.attributes['turbina.compression.input.size'], LINE.length * LINES);
    const out = span?.attributes['turbina.compression.output.size'];
    assert.ok(typeof out === 'number' && out > 0 && out < LINE.length * LINES, `compressed: ${String(out)} bytes`);
    assert.deepEqual(span?.status, { code: 'unset' });
  });

  test('a streamed body whose client leaves: the span ends with what was compressed, and no error', async () => {
    t.captured.spans.length = 0;
    await abortAfterFirstChunk(t.port, '/endless', { 'accept-encoding': 'gzip', 'x-request-id': 'left' });
    await eventually(() => compressSpans(t).length === 1, 'the compress span to end');
    const [span] = compressSpans(t);
    assert.equal(span?.parentSpanId, t.parents.get('left'));
    assert.deepEqual(span?.status, { code: 'unset' });
    assert.equal(span?.attributes['error.type'], undefined);
    assert.ok(Number(span?.attributes['turbina.compression.input.size']) > 0);
  });

  test('nothing when the body goes out as it is, or the trace is not sampled', async () => {
    t.captured.spans.length = 0;
    await get(t, '/fly');
    await get(t, '/stream');
    t.sampled = false;
    try {
      await get(t, '/fly', 'gzip');
      await get(t, '/fresh');
      await get(t, '/stored', 'gzip');
      await getDecoded(t.port, '/stream', { 'accept-encoding': 'br' });
    } finally {
      t.sampled = true;
    }
    assert.deepEqual(compressSpans(t), []);
  });
});

describe('compress spans when zlib fails', () => {
  let t: Served;
  before(async () => {
    t = await serve(new FailingCompression(SETTINGS, ['gzip'], () => {}));
  });
  after(() => t.close());

  test('on the fly and for a variant: error status and error.type, and the request gets its 500', async () => {
    const fly = await get(t, '/fly', 'gzip');
    const stored = await get(t, '/stored', 'gzip');
    assert.deepEqual([fly.status, stored.status], [500, 500]);
    const spans = compressSpans(t);
    assert.deepEqual(
      spans.map((span) => [span.parentSpanId, span.attributes['error.type'], span.status]),
      [fly, stored].map((reply) => [t.parents.get(reply.id), 'RangeError', { code: 'error', message: 'zlib ran out of memory' }]),
    );
    assert.equal(spans[0]?.attributes['turbina.compression.output.size'], undefined);
  });
});

test("a streaming zlib's own failure fails its span; a stream cut off (its client gone) does not", async () => {
  const { spans, server } = captureSpans();
  const parent = server();
  // A real zlib error: a decompressor fed bytes that are not gzip.
  const broken = zlib.createGunzip();
  traceCompressStream(parent.child('compress'), broken, { bytes: 0 });
  broken.on('error', () => {});
  broken.end(Buffer.from('not gzip at all'));
  const cut = zlib.createGzip();
  traceCompressStream(parent.child('compress'), cut, { bytes: 7 });
  cut.on('error', () => {});
  // Once zlib has taken the line in, pipeline gives up on it as when the client leaves.
  cut.write(LINE, () => cut.destroy(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })));
  await eventually(() => spans.length === 2, 'both streams to close');
  const [failed, ended] = [spans.find((s) => s.status.code === 'error'), spans.find((s) => s.status.code !== 'error')];
  assert.equal(failed?.attributes['error.type'], 'Error');
  assert.match(failed?.status.message ?? '', /header/);
  assert.equal(ended?.attributes['turbina.compression.input.size'], LINE.length);
  assert.equal(ended?.attributes['turbina.compression.output.size'], 7);
});
