// Accept-Encoding negotiation (RFC 9110 12.5.3): q-values, case, `*`, q=0 refusals,
// identity's implicit rank, unknown codings, malformed q, worthIt=false. Each check asks a
// fresh AcceptEncoding; one that remembers its last header is tested at the end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { zlibCodings, type Coding } from '../../src/compression/codings.js';
import { AcceptEncoding, type Selection } from '../../src/compression/accept-encoding.js';

const HAS_ZSTD = zlibCodings.includes('zstd');
const ALL: readonly Coding[] = ['br', 'zstd', 'gzip'];

type Row = readonly [string | undefined, Selection];

function selectEncoding(header: string | undefined, worthIt: boolean, supported: readonly Coding[] = zlibCodings): Selection {
  return new AcceptEncoding().select(header, worthIt, supported);
}

/** One test per [header, expected] row; `supported` defaults to the running Node's codings. */
function table(rows: readonly Row[], worthIt: boolean, supported?: readonly Coding[]): void {
  for (const [header, expected] of rows) {
    test(`${JSON.stringify(header)} -> ${expected}`, () => assert.equal(selectEncoding(header, worthIt, supported), expected));
  }
}

/** [header, expected] for a body worth compressing, with the running Node's codings. */
const CASES: readonly Row[] = [
  [undefined, 'identity'],
  ['', 'identity'],
  ['   ', 'identity'],
  [',,', 'identity'],
  ['gzip', 'gzip'],
  ['GZIP', 'gzip'],
  ['Gzip;Q=1', 'gzip'],
  ['gZiP ; q=1.0', 'gzip'],
  ['br', 'br'],
  ['BR;Q=0.9', 'br'],
  ['gzip;q=0', 'identity'],
  ['gzip;q=0.000', 'identity'],
  ['gzip;q=0.5, br;q=0.8', 'br'],
  ['br;q=0.5, gzip;q=0.8', 'gzip'],
  ['gzip;q=0.001', 'gzip'],
  ['gzip, br', 'br'],
  ['br, gzip', 'br'],
  ['gzip;q=0.7, br;q=0.7', 'br'],
  ['*', 'br'],
  ['*;q=0.3', 'br'],
  ['*;q=0, gzip', 'gzip'],
  ['*;q=0, GZIP;q=0.2', 'gzip'],
  ['gzip;q=0, *', 'br'],
  ['br;q=0, *', HAS_ZSTD ? 'zstd' : 'gzip'],
  ['identity;q=0, *;q=0', 'none'],
  ['*;q=0', 'none'],
  ['identity;q=0', 'none'],
  ['IDENTITY;Q=0, *;q=0, gzip;q=0', 'none'],
  ['identity;q=1, *;q=0', 'identity'],
  ['identity, *;q=0', 'identity'],
  ['deflate, compress', 'identity'],
  ['deflate, compress, identity;q=0', 'none'],
  ['sdch, deflate, gzip;q=0.2', 'gzip'],
  ['x-gzip', 'gzip'],
  ['X-GZIP;q=0.5', 'gzip'],
  // A malformed q makes its element meaningless; the rest of the header still counts.
  ['gzip;q=abc', 'identity'],
  ['gzip;q=1.5', 'identity'],
  ['gzip;q=-1', 'identity'],
  ['gzip;q=0.1234', 'identity'],
  ['gzip;q=', 'identity'],
  ['gzip;q=abc, br;q=0.1', 'br'],
  ['br;q=2, gzip;q=0.1', 'gzip'],
  ['identity;q=abc, *;q=0', 'none'],
  // Parameters other than q are ignored.
  ['gzip;level=9', 'gzip'],
  ['gzip;foo;q=0', 'identity'],
  // Whitespace around names, separators and parameters, tabs included.
  ['  gzip  ', 'gzip'],
  ['gzip ;q=0.5 ,\tbr ; q = 0.8', 'br'],
  ['gzip;\tq=0', 'identity'],
  [' , gzip;q=0.4 ,, br;q=0.2 , ', 'gzip'],
  // identity unnamed ranks below any accepted coding; named, it competes on q.
  ['gzip;q=0.5', 'gzip'],
  ['gzip;q=0.5, identity;q=1', 'identity'],
  ['gzip;q=1, identity;q=1', 'gzip'],
  ['gzip;q=0.5, identity;q=0.4', 'gzip'],
  ['identity', 'identity'],
  ['identity;q=0.5, gzip;q=0.6', 'gzip'],
];

describe('selectEncoding with the running Node\'s codings', () => {
  table(CASES, true);

  test('zstd is offered exactly when node:zlib has it', () => {
    const zstd = typeof (zlib as unknown as Record<string, unknown>)['zstdCompress'] === 'function';
    assert.equal(HAS_ZSTD, zstd);
    assert.deepEqual(zlibCodings, zstd ? ['br', 'zstd', 'gzip'] : ['br', 'gzip']);
    assert.equal(selectEncoding('zstd', true), zstd ? 'zstd' : 'identity');
    assert.equal(selectEncoding('zstd, gzip', true), zstd ? 'zstd' : 'gzip');
    assert.equal(selectEncoding('gzip, zstd, br', true), 'br');
  });
});

describe('selectEncoding: server preference br > zstd > gzip on equal q', () => {
  table(
    [
      ['gzip, zstd, br', 'br'],
      ['gzip, zstd', 'zstd'],
      ['zstd;q=0.5, gzip;q=0.5', 'zstd'],
      ['gzip;q=0.9, zstd;q=0.5', 'gzip'],
      ['*', 'br'],
      ['br;q=0, *', 'zstd'],
      ['br;q=0, zstd;q=0, *', 'gzip'],
    ],
    true,
    ALL,
  );

  test('a coding the server lacks is never chosen', () => {
    assert.equal(selectEncoding('zstd', true, ['br', 'gzip']), 'identity');
    assert.equal(selectEncoding('zstd, identity;q=0', true, ['br', 'gzip']), 'none');
    assert.equal(selectEncoding('br, gzip;q=0.1', true, ['gzip']), 'gzip');
  });
});

describe('selectEncoding when the body is not worth compressing', () => {
  table(
    [
      [undefined, 'identity'],
      ['gzip', 'identity'],
      ['*', 'identity'],
      ['gzip;q=1, identity;q=0.1', 'identity'],
      // Identity refused: the coding anyway, or nothing.
      ['gzip, identity;q=0', 'gzip'],
      ['*;q=0, br', 'br'],
      ['identity;q=0, *;q=0', 'none'],
      ['deflate, identity;q=0', 'none'],
    ],
    false,
  );
});

test('alternating headers never reuse another header\'s parse', () => {
  // AcceptEncoding remembers the last header parsed; switching back and forth must not leak.
  const accept = new AcceptEncoding();
  const headers: readonly Row[] = [
    ['gzip', 'gzip'],
    ['identity;q=0, *;q=0', 'none'],
    ['br;q=0.1, gzip;q=0.9', 'gzip'],
    ['gzip;q=0', 'identity'],
  ];
  for (let round = 0; round < 3; round++) {
    for (const [header, expected] of headers) assert.equal(accept.select(header, true, zlibCodings), expected, String(header));
  }
});
