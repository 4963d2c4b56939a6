// Logger: pino-shaped JSON lines, level threshold, 'silent', batching (nothing reaches the
// sink before flush or the batch timer), escaping of hostile strings, Error fields.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogLevel } from '../../src/log/levels.js';
import { jsonString } from '../../src/log/json-fields.js';
import { Logger } from '../../src/log/logger.js';

const TIME = 1_767_225_600_000;

/** A logger writing into an array, on a fixed clock. */
function fixture(level: LogLevel = 'debug'): { logger: Logger; chunks: string[]; lines(): Record<string, unknown>[] } {
  const chunks: string[] = [];
  const logger = new Logger(level, (chunk) => chunks.push(chunk.toString()), () => TIME);
  return {
    logger,
    chunks,
    lines: () => {
      logger.flush();
      const text = chunks.join('');
      if (text === '') return [];
      assert.ok(text.endsWith('\n'), 'every line ends with a newline');
      return text
        .slice(0, -1)
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}

describe('Logger lines', () => {
  test('a line has exactly the core fields in pino order, then the given fields', () => {
    const { logger, chunks } = fixture('info');
    logger.info('hello', { a: 1, b: 'two', c: true, d: null, e: [1, 'x'], f: { g: 2 } });
    logger.flush();
    assert.deepEqual(chunks, [
      `{"level":30,"time":${TIME},"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"msg":"hello","a":1,"b":"two","c":true,"d":null,"e":[1,"x"],"f":{"g":2}}\n`,
    ]);
  });

  test('each level writes its pino number', () => {
    const { logger, lines } = fixture('debug');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    assert.deepEqual(
      lines().map((l) => [l['level'], l['msg'], l['time'], l['pid'], l['hostname']]),
      [
        [20, 'd', TIME, process.pid, hostname()],
        [30, 'i', TIME, process.pid, hostname()],
        [40, 'w', TIME, process.pid, hostname()],
        [50, 'e', TIME, process.pid, hostname()],
      ],
    );
  });

  test('undefined fields are left out; non-finite numbers become null', () => {
    const { logger, lines } = fixture();
    logger.info('m', { gone: undefined, nan: NaN, inf: Infinity, n: -1.5 });
    const [line] = lines();
    assert.deepEqual(line, { level: 30, time: TIME, pid: process.pid, hostname: hostname(), msg: 'm', nan: null, inf: null, n: -1.5 });
  });

  test('levels below the threshold write nothing', () => {
    const { logger, chunks, lines } = fixture('warn');
    logger.debug('d');
    logger.info('i');
    logger.writeRaw(30, '"raw"', '');
    logger.flush();
    assert.deepEqual(chunks, []);
    logger.warn('w');
    logger.error('e');
    assert.deepEqual(
      lines().map((l) => l['msg']),
      ['w', 'e'],
    );
    assert.equal(logger.enabled(30), false);
    assert.equal(logger.enabled(40), true);
  });

  test("'silent' writes nothing at all, not even errors", () => {
    const { logger, chunks } = fixture('silent');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e', { err: new Error('x') });
    logger.writeRaw(50, '"raw"', '');
    logger.flush();
    assert.deepEqual(chunks, []);
    assert.equal(logger.enabled(50), false);
  });

  test('writeRaw appends pre-encoded fields verbatim', () => {
    const { logger, chunks } = fixture('info');
    logger.writeRaw(30, '"request"', ',"status":200');
    logger.flush();
    assert.equal(chunks[0], `{"level":30,"time":${TIME},"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"msg":"request","status":200}\n`);
  });

  test('an Error field serialises its name, message and stack', () => {
    const { logger, lines } = fixture();
    const err = new TypeError('bad "thing"\nsecond line');
    logger.error('failed', { err });
    const [line] = lines();
    assert.deepEqual(line?.['err'], { name: 'TypeError', message: 'bad "thing"\nsecond line', stack: err.stack });
    assert.ok(typeof err.stack === 'string' && err.stack.length > 0);
  });
});

describe('Logger batching', () => {
  test('nothing reaches the sink before flush(); then all lines arrive in one call', () => {
    const { logger, chunks } = fixture();
    for (let i = 0; i < 100; i++) logger.info('line', { i });
    // join() rather than deepEqual(chunks, []): that would narrow chunks to never[].
    assert.equal(chunks.join(''), '');
    logger.flush();
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]?.split('\n').length, 101);
    // A flush with nothing pending makes no call.
    logger.flush();
    assert.equal(chunks.length, 1);
  });

  test('the batch timer flushes on its own, once for many lines', async () => {
    const { logger, chunks } = fixture();
    logger.info('a');
    logger.info('b');
    logger.info('c');
    assert.equal(chunks.length, 0);
    await sleep(200);
    // Read through a fresh binding: assert.equal narrowed chunks.length to 0 above.
    const after: readonly string[] = chunks;
    assert.equal(after.length, 1);
    assert.equal(after[0]?.split('\n').length, 4);
  });

  test('a batch that would pass 64 KiB is written at once, without waiting for the timer', () => {
    const { logger, chunks } = fixture();
    const big = 'x'.repeat(1024);
    let written = 0;
    while (chunks.length === 0 && written < 100) {
      logger.info(big);
      written++;
    }
    assert.equal(chunks.length, 1);
    // Flushed before the next line could overflow the 64 KiB batch, not after.
    const size = Buffer.byteLength(chunks[0] ?? '');
    assert.ok(size > 56 * 1024 && size <= 64 * 1024, String(size));
    // About 64 lines of ~1.1 KB each, not one write per line.
    assert.ok(written > 50 && written <= 64, String(written));
    logger.flush();
  });
});

describe('jsonString and hostile strings', () => {
  const hostile = [
    'plain',
    'quote " inside',
    'back\\slash',
    'new\nline and \r return',
    'tab\tand\u0000nul\u001funit\u0008bs\u000cff',
    'lone high \ud800 surrogate',
    'lone low \udfff surrogate',
    'reversed pair \udc00\ud800',
    'emoji 😀 pair',
    '"}\n{"level":60,"msg":"forged',
    'line\u2028sep\u2029para',
  ];

  for (const value of hostile) {
    test(`jsonString(${JSON.stringify(value)}) is a valid one-line JSON string that round-trips`, () => {
      const text = jsonString(value);
      assert.ok(!/[\u0000-\u001f]/.test(text), `raw control character in ${text}`);
      assert.ok(!/[\ud800-\udfff]/.test(text.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')), `raw lone surrogate in ${text}`);
      assert.equal(JSON.parse(text), value);
      // Valid UTF-8 both ways: lone surrogates are escaped, not replaced with U+FFFD.
      assert.equal(Buffer.from(text, 'utf8').toString('utf8'), text);
    });
  }

  test('clean strings skip escaping and come out quoted verbatim', () => {
    assert.equal(jsonString('GET /products/1'), '"GET /products/1"');
    assert.equal(jsonString(''), '""');
    assert.equal(jsonString('é€'), '"é€"');
  });

  test('hostile msg, keys and values still give one parseable line per call', () => {
    const { logger, chunks } = fixture();
    for (const value of hostile) logger.warn(value, { [value]: value, nested: { v: value } });
    logger.flush();
    const text = chunks.join('');
    const lines = text.slice(0, -1).split('\n');
    assert.equal(lines.length, hostile.length);
    hostile.forEach((value, i) => {
      const parsed = JSON.parse(lines[i] ?? '') as Record<string, unknown>;
      assert.equal(parsed['msg'], value);
      assert.equal(parsed[value], value);
      assert.deepEqual(parsed['nested'], { v: value });
      assert.equal(parsed['level'], 40);
    });
  });
});
