// The bounded log output on a fake stream whose queue the test controls: batches pass
// while the queue is under LOG_QUEUE_BYTES, are dropped whole (their lines counted) once
// it holds that much, and the output takes batches again, after one warning line, when
// the queue is down to half the bound or has drained.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { BoundedLogOutput } from '../../src/log/log-output.js';
import { Logger } from '../../src/log/logger.js';

const LIMIT = 1000;

/** A stream that takes every write into its queue until the test drains it. */
class StuckStream extends EventEmitter {
  writableLength = 0;
  readonly written: string[] = [];

  write(chunk: Buffer): boolean {
    this.written.push(chunk.toString());
    this.writableLength += chunk.length;
    return false;
  }

  /** The reader took `bytes` (all of it by default); 'drain' once the queue is empty. */
  take(bytes = this.writableLength): void {
    this.writableLength = Math.max(0, this.writableLength - bytes);
    if (this.writableLength === 0) this.emit('drain');
  }
}

function lines(n: number, width = 10): Buffer {
  return Buffer.from(`${'x'.repeat(width - 1)}\n`.repeat(n));
}

function fixture(): { stream: StuckStream; output: BoundedLogOutput } {
  const stream = new StuckStream();
  const output = new BoundedLogOutput(stream, LIMIT);
  output.warnWith((dropped) => `dropped ${dropped}\n`);
  return { stream, output };
}

describe('BoundedLogOutput', () => {
  test('batches pass while the queue is under the bound, even the one that takes it past', () => {
    const { stream, output } = fixture();
    output.sink(lines(50));
    output.sink(lines(49));
    output.sink(lines(20));
    assert.equal(stream.writableLength, 1190);
    assert.equal(stream.written.length, 3);
    assert.equal(output.dropped, 0);
  });

  test('once the queue holds the bound, batches are dropped whole and their lines counted', () => {
    const { stream, output } = fixture();
    output.sink(lines(100));
    output.sink(lines(7));
    output.sink(lines(3, 40));
    assert.equal(stream.written.length, 1);
    assert.equal(stream.writableLength, LIMIT);
    assert.equal(output.dropped, 10);
  });

  test('dropping goes on until the queue is down to half the bound; then one warning, then the batch', () => {
    const { stream, output } = fixture();
    output.sink(lines(100));
    output.sink(lines(4));
    stream.take(400); // 600 queued: still over half
    output.sink(lines(5));
    assert.equal(output.dropped, 9);
    assert.equal(stream.written.length, 1);
    stream.take(100); // 500 queued: half
    output.sink(lines(2));
    assert.deepEqual(stream.written.slice(1), ['dropped 9\n', lines(2).toString()]);
    // Taking batches again: no second warning, and the total stays.
    output.sink(lines(1));
    assert.equal(stream.written.length, 4);
    assert.equal(output.dropped, 9);
  });

  test("a 'drain' after drops writes the warning at once; a drain without drops writes nothing", () => {
    const { stream, output } = fixture();
    output.sink(lines(100));
    stream.take();
    assert.equal(stream.written.length, 1);
    output.sink(lines(100));
    output.sink(lines(6));
    stream.take();
    assert.deepEqual(stream.written.slice(2), ['dropped 6\n']);
    stream.take();
    assert.equal(stream.written.length, 3);
    // The next episode reports only its own lines.
    output.sink(lines(100));
    output.sink(lines(2));
    stream.take();
    assert.equal(stream.written.at(-1), 'dropped 2\n');
    assert.equal(output.dropped, 8);
  });

  test('a batch larger than the bound still goes to an empty queue', () => {
    const { stream, output } = fixture();
    output.sink(lines(300));
    assert.equal(stream.written.length, 1);
    assert.equal(output.dropped, 0);
  });

  test("no warning when the formatter returns '' (the warn level is off); the batch still goes", () => {
    const stream = new StuckStream();
    const output = new BoundedLogOutput(stream, LIMIT);
    output.sink(lines(100));
    output.sink(lines(3));
    stream.take();
    output.sink(lines(1));
    assert.deepEqual(stream.written.slice(1), [lines(1).toString()]);
    assert.equal(output.dropped, 3);
  });

  test("the server's warning is one JSON line from the logger, at warn level", () => {
    const stream = new StuckStream();
    const output = new BoundedLogOutput(stream, LIMIT);
    const logger = new Logger('info', output.sink, () => 1_767_225_600_000);
    output.warnWith((dropped) => logger.line(40, 'log output was blocked: lines dropped', { dropped }));
    for (let i = 0; i < 20; i++) logger.info('filler', { i });
    logger.flush();
    logger.info('lost');
    logger.flush();
    stream.take();
    const warning = stream.written.at(-1) ?? '';
    assert.ok(warning.endsWith('}\n'));
    assert.deepEqual(JSON.parse(warning), {
      level: 40, time: 1_767_225_600_000, pid: process.pid, hostname: hostname(),
      msg: 'log output was blocked: lines dropped', dropped: 1,
    });
    assert.equal(new Logger('error', output.sink).line(40, 'x'), '');
  });
});
