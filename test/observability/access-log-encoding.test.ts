// The access log's byte encoder and its deferred lines: numbers written exactly as String()
// writes them, the string path for anything that needs escaping, lines kept in order
// with the logger's other lines, nothing lost past the ring's size, and nothing left
// waiting once the logger flushes.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { AccessLog, type AccessLogged } from '../../src/observability/access-log.js';
import { writeNumber, writePlainAscii, writeThousandths } from '../../src/log/ascii-bytes.js';
import { Logger } from '../../src/log/logger.js';
import { Tracer } from '../../src/trace/tracer.js';

function written(write: (buf: Buffer, pos: number) => number): string {
  const buf = Buffer.alloc(64);
  const end = write(buf, 3);
  return buf.toString('latin1', 3, end);
}

describe('ascii-bytes', () => {
  test('writeNumber writes what String() writes', () => {
    const values = [0, 1, 9, 10, 99, 100, 101, 200, 499, 65_535, 1_732_312_345_678, 1e15 - 1, 1e15, 2 ** 53, 1.5, 0.001, -3, -0, NaN, Infinity];
    for (let i = 0; i < 2000; i++) values.push(Math.floor(Math.random() * 10 ** (1 + (i % 15))));
    for (const value of values) {
      // String(-0) is "0", which is also what the integer path writes.
      assert.equal(written((buf, pos) => writeNumber(buf, pos, value)), String(value), `value ${value}`);
    }
  });

  test('writeThousandths writes String(Math.round(v * 1000) / 1000)', () => {
    const values = [0, 0.0004, 0.0005, 0.001, 0.01, 0.05, 0.1, 0.5, 0.9995, 1, 12, 12.3, 12.34, 12.345, 12.3456, 1e6 + 0.007, 1e12 + 0.5, 3e12];
    for (let i = 0; i < 5000; i++) values.push(Math.random() * 10 ** (i % 8));
    for (const value of values) {
      const expected = String(Math.round(value * 1000) / 1000);
      assert.equal(written((buf, pos) => writeThousandths(buf, pos, value)), expected, `value ${value}`);
    }
  });

  test('writePlainAscii writes printable ASCII and refuses anything JSON must escape or UTF-8 must widen', () => {
    assert.equal(written((buf, pos) => writePlainAscii(buf, pos, "/products/1?x=a b&y=~!'")), "/products/1?x=a b&y=~!'");
    for (const bad of ['"', '\\', '\u0000', '\u001f', '\u007f', '\u00e9', '\u2028', '\ud83d\ude00', 'ok"']) {
      assert.equal(writePlainAscii(Buffer.alloc(16), 0, bad), -1, JSON.stringify(bad));
    }
  });
});

interface Capture {
  readonly logger: Logger;
  readonly log: AccessLog;
  /** Every line written so far, flushed first. */
  lines(): string[];
}

function capture(level: 'info' | 'warn' = 'info'): Capture {
  const chunks: Buffer[] = [];
  const logger = new Logger(level, (chunk) => chunks.push(Buffer.from(chunk)));
  const log = new AccessLog(logger);
  return {
    logger,
    log,
    lines() {
      logger.flush();
      return Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
    },
  };
}

function request(overrides: Partial<AccessLogged> = {}): AccessLogged {
  return { id: 'abcDEF12-3kx9', method: 'GET', path: '/products/1', status: 200, bytes: 318, cache: 'HIT', remote: '127.0.0.1', span: undefined, ...overrides };
}

describe('AccessLog lines', () => {
  test('with tracing, a line carries trace_id and span_id (the fast and the escaping path alike)', () => {
    const { log, lines } = capture();
    const tracer = new Tracer({ traceId: () => '4bf92f3577b34da6a3ce929d0e0e4736', spanId: () => '00f067aa0ba902b7' }, { sample: () => true }, { add: () => {} });
    const span = tracer.startServer('GET', undefined);
    log.record(request({ span }), 1.5);
    log.record(request({ span, path: '/caf\u00e9' }), 1.5);
    log.record(request(), 1.5);
    const [fast, slow, none] = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of [fast, slow]) {
      assert.equal(line?.['trace_id'], span.traceId);
      assert.equal(line?.['span_id'], span.spanId);
    }
    assert.equal(slow?.['path'], '/caf\u00e9');
    assert.equal(none?.['trace_id'], undefined);
  });

  test('lines have the exact bytes of the documented format, also when they share a millisecond', () => {
    const { log, lines } = capture();
    const before = Date.now();
    // Lines of one millisecond reuse the previous line's opening bytes; vary the rest.
    for (let i = 0; i < 300; i++) log.record(request({ id: `id-${i}`, status: 200 + (i % 3) }), 0.1234);
    const all = lines();
    assert.equal(all.length, 300);
    all.forEach((line, i) => {
      const time = Number(/"time":(\d+),/.exec(line)?.[1]);
      assert.ok(time >= before - 1 && time <= Date.now(), `time ${time} not within the test's span`);
      const expected =
        `{"level":30,"time":${time},"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"msg":"request",` +
        `"reqId":"id-${i}","method":"GET","path":"/products/1","status":${200 + (i % 3)},"durationMs":0.123,"bytes":318,"cache":"HIT","remote":"127.0.0.1"}`;
      assert.equal(line, expected);
    });
  });

  test('a line written by the string path between lines of one millisecond leaves them intact', () => {
    const { log, lines } = capture();
    for (let i = 0; i < 200; i++) log.record(request({ id: `id-${i}`, path: i % 5 === 2 ? `/caf\u00e9/${i}` : `/p/${i}` }), 1);
    const parsed = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(parsed.length, 200);
    parsed.forEach((p, i) => {
      assert.equal(p['msg'], 'request');
      assert.equal(p['reqId'], `id-${i}`);
      assert.equal(p['path'], i % 5 === 2 ? `/caf\u00e9/${i}` : `/p/${i}`);
      assert.equal(p['pid'], process.pid);
    });
  });

  test('no cache field without a cache status; no remote field without an address', () => {
    const { log, lines } = capture();
    log.record(request({ cache: '', remote: undefined }), 2);
    const parsed = JSON.parse(lines()[0] ?? '') as Record<string, unknown>;
    assert.equal('cache' in parsed, false);
    assert.equal('remote' in parsed, false);
    assert.equal(parsed['durationMs'], 2);
  });

  test('paths that need escaping or are not ASCII come out exactly, between plain lines, in order', () => {
    const { log, lines } = capture();
    const paths = ['/a', '/quote"back\\slash', '/b', '/caf\u00e9/\u2028/\u0001', '/c', '/lone\ud800surrogate', '/d'];
    for (const path of paths) log.record(request({ path }), 1);
    const parsed = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      parsed.map((p) => p['path']),
      // JSON.stringify escapes a lone surrogate, so it parses back to the same string.
      paths,
    );
    for (const p of parsed) assert.equal(p['status'], 200);
  });

  test('more requests than the ring holds: every line, in order, none twice', () => {
    const { log, lines } = capture();
    const count = 5000;
    for (let i = 0; i < count; i++) log.record(request({ id: `id-${i}`, bytes: i }), i / 7);
    const parsed = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(parsed.length, count);
    parsed.forEach((p, i) => {
      assert.equal(p['reqId'], `id-${i}`);
      assert.equal(p['bytes'], i);
      assert.equal(p['durationMs'], Math.round((i / 7) * 1000) / 1000);
    });
  });

  test("another line written meanwhile comes after the requests that finished before it", () => {
    const { logger, log, lines } = capture();
    log.record(request({ id: 'first' }), 1);
    log.record(request({ id: 'second' }), 1);
    logger.warn('something happened');
    log.record(request({ id: 'third' }), 1);
    const order = lines().map((l) => {
      const p = JSON.parse(l) as Record<string, unknown>;
      return String(p['reqId'] ?? p['msg']);
    });
    assert.deepEqual(order, ['first', 'second', 'something happened', 'third']);
  });

  test('a waiting line reaches the sink on its own within the flush interval', async () => {
    const chunks: Buffer[] = [];
    const log = new AccessLog(new Logger('info', (chunk) => chunks.push(chunk)));
    log.record(request(), 1);
    assert.equal(chunks.length, 0, 'lines wait for the batch');
    await sleep(200);
    assert.equal(Buffer.concat(chunks).toString().split('\n').length, 2);
  });

  test('a path longer than a whole batch is still written whole, between its neighbours', () => {
    const { log, lines } = capture();
    const huge = '/' + 'a'.repeat(70 * 1024);
    log.record(request({ id: 'before' }), 1);
    log.record(request({ id: 'huge', path: huge }), 1);
    log.record(request({ id: 'after' }), 1);
    const parsed = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(parsed.map((p) => p['reqId']), ['before', 'huge', 'after']);
    assert.equal(parsed[1]?.['path'], huge);
  });

  test('below info no access line is written', () => {
    const { log, lines } = capture('warn');
    for (let i = 0; i < 1000; i++) log.record(request(), 1);
    assert.deepEqual(lines(), []);
  });
});
