// LineBatch alone: what the logger's and the access log's tests do not pin down. A
// flushed chunk stays the sink's; a line too big for a batch goes out alone and in its
// place; lines written in place keep their order with appended ones; beginLine flushes
// for room or refuses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineBatch } from '../../src/log/line-batch.js';

const BATCH_BYTES = 64 * 1024;

/** A batch whose sink keeps every chunk as given, uncopied. */
function fixture(): { batch: LineBatch; chunks: Buffer[]; text(): string[] } {
  const chunks: Buffer[] = [];
  const batch = new LineBatch((chunk) => chunks.push(chunk));
  return { batch, chunks, text: () => chunks.map((chunk) => chunk.toString()) };
}

/** Writes an ASCII line into the batch in place, as the access log does. */
function writeInPlace(batch: LineBatch, line: string): void {
  const start = batch.beginLine(line.length);
  assert.ok(start >= 0);
  batch.endLine(start + batch.lineBuffer.write(line, start, 'latin1'));
}

describe('LineBatch', () => {
  test('a chunk the sink keeps is never overwritten by later lines', () => {
    const { batch, text } = fixture();
    batch.append('first\n');
    batch.flush();
    batch.append('second\n');
    batch.flush();
    assert.deepEqual(text(), ['first\n', 'second\n']);
  });

  test('a line bigger than a batch goes to the sink alone, between the lines around it', () => {
    const { batch, text } = fixture();
    const big = 'x'.repeat(BATCH_BYTES) + '\n';
    batch.append('before\n');
    batch.append(big);
    batch.append('after\n');
    batch.flush();
    assert.deepEqual(text(), ['before\n', big, 'after\n']);
  });

  test('pending lines are written in place before an appended line and on flush', () => {
    const { batch, text } = fixture();
    const waiting: string[] = [];
    batch.setPending(() => {
      for (const line of waiting.splice(0)) writeInPlace(batch, line);
    });
    waiting.push('pending 1\n');
    batch.append('appended\n');
    waiting.push('pending 2\n');
    batch.flush();
    assert.deepEqual(text(), ['pending 1\nappended\npending 2\n']);
  });

  test('beginLine refuses a line no batch can hold, and flushes first when this one lacks room', () => {
    const { batch, chunks } = fixture();
    assert.equal(batch.beginLine(BATCH_BYTES + 1), -1);
    writeInPlace(batch, 'y'.repeat(60 * 1024 - 1) + '\n');
    assert.equal(chunks.length, 0);
    assert.equal(batch.beginLine(8 * 1024), 0);
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]?.length, 60 * 1024);
  });
});
