// --startup's arithmetic and table: the median and range of the starts, and a table that
// shows both for time and memory, in the order measured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spread, startupSummary, startupTable, type StartSample } from '../../scripts/bench/startup.js';

const MB = 1024 * 1024;
const sample = (firstAnswerMs: number, rssMb: number, processes = 1): StartSample => ({ firstAnswerMs, idleRssBytes: rssMb * MB, processes });

test('the median of an odd count is the middle start, of an even count the mean of the middle two', () => {
  assert.deepEqual(spread([190, 160, 210]), { median: 190, min: 160, max: 210 });
  assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 });
  assert.deepEqual(spread([]), { median: 0, min: 0, max: 0 });
});

test('a summary keeps every start in order and summarises time and memory apart', () => {
  const starts = [sample(200, 50), sample(180, 60), sample(190, 55)];
  const s = startupSummary('turbina', starts);
  assert.deepEqual(s.starts, starts);
  assert.deepEqual(s.firstAnswerMs, { median: 190, min: 180, max: 200 });
  assert.deepEqual(s.idleRssBytes, { median: 55 * MB, min: 50 * MB, max: 60 * MB });
});

test('the table: median and range of the first answer and of the idle RSS, processes and starts', () => {
  const table = startupTable(
    [startupSummary('turbina-cluster', [sample(170.25, 150, 3), sample(160, 152, 3), sample(210.5, 151, 3)]), startupSummary('go', [sample(11, 6)])],
    { 'turbina-cluster': 'turbina cluster (2 workers)' },
  );
  assert.match(table, /^Startup: from spawn\(\) to the first 200 on \/healthz/);
  assert.ok(table.includes('| target | first 200 | range | idle RSS | range | processes | starts |'), table);
  assert.ok(table.includes('| turbina cluster (2 workers) | 170.3 ms | 160.0-210.5 ms | 151.0 MB | 150.0-152.0 MB | 3 | 3 |'), table);
  // Without a label, the target's name.
  assert.ok(table.includes('| go | 11.0 ms | 11.0-11.0 ms | 6.0 MB | 6.0-6.0 MB | 1 | 1 |'), table);
  assert.equal(startupTable([], {}), '');
});
