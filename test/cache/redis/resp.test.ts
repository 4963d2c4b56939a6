// The RESP parser and encoder on bytes alone (the client's tests speak to a real
// redis-server). Every reply type of RESP2 and RESP3 is fed whole, byte by byte, split in two
// at every byte boundary, and several to a chunk; hostile input must fail as a protocol error
// without buffering more than the limits allow.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeCommand,
  RedisError,
  RespParser,
  RespProtocolError,
  RespPush,
  type RespParserOptions,
  type RespValue,
} from '../../../src/cache/redis/resp.js';

const LIMITS: RespParserOptions = { maxBulkBytes: 1024 };

function parserFor(options: RespParserOptions = LIMITS): { parser: RespParser; values: RespValue[] } {
  const values: RespValue[] = [];
  return { parser: new RespParser(options, (value) => values.push(value)), values };
}

function parseChunks(chunks: readonly Buffer[], options: RespParserOptions = LIMITS): RespValue[] {
  const { parser, values } = parserFor(options);
  for (const chunk of chunks) parser.feed(chunk);
  assert.equal(parser.pendingBytes, 0, 'bytes left over after the last complete value');
  return values;
}

function bytesOf(wire: string | Buffer): Buffer {
  return typeof wire === 'string' ? Buffer.from(wire, 'utf8') : wire;
}

function oneByOne(bytes: Buffer): Buffer[] {
  return [...bytes].map((byte) => Buffer.from([byte]));
}

/** Parses `wire` whole, byte by byte and split in two at every boundary; each must give `expected`. */
function assertParses(wire: string | Buffer, expected: readonly RespValue[], options?: RespParserOptions): void {
  const bytes = bytesOf(wire);
  assert.deepStrictEqual(parseChunks([bytes], options), expected, 'whole');
  assert.deepStrictEqual(parseChunks(oneByOne(bytes), options), expected, 'byte by byte');
  for (let at = 1; at < bytes.length; at++) {
    assert.deepStrictEqual(parseChunks([bytes.subarray(0, at), bytes.subarray(at)], options), expected, `split at ${at}`);
  }
}

/** Every way of feeding `wire` (whole, byte by byte, split anywhere) throws a RespProtocolError. */
function assertRejects(wire: string | Buffer, options: RespParserOptions = LIMITS): void {
  const bytes = bytesOf(wire);
  const feeds = [[bytes], oneByOne(bytes)];
  for (let at = 1; at < bytes.length; at++) feeds.push([bytes.subarray(0, at), bytes.subarray(at)]);
  for (const chunks of feeds) {
    const { parser } = parserFor(options);
    assert.throws(() => { for (const chunk of chunks) parser.feed(chunk); }, RespProtocolError, `${JSON.stringify(bytes.toString('latin1'))} in ${chunks.length} chunks`);
  }
}

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');
const error = (message: string): RedisError => new RedisError(message);

/** Wire bytes and the values they decode to. */
const CASES: readonly (readonly [string, string | Buffer, readonly RespValue[]])[] = [
  ['simple string', '+OK\r\n', ['OK']],
  ['empty simple string', '+\r\n', ['']],
  ['utf8 simple string', '+héllo\r\n', ['héllo']],
  ['simple error', '-ERR unknown command\r\n', [error('ERR unknown command')]],
  ['integers', ':0\r\n:-42\r\n:+7\r\n:1000\r\n', [0, -42, 7, 1000]],
  ['integers at and beyond the safe range', ':9007199254740991\r\n:-9007199254740991\r\n:9007199254740992\r\n:-9223372036854775808\r\n',
    [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 9007199254740992n, -9223372036854775808n]],
  ['a long integer still in the safe range', ':0000000000000000012\r\n', [12]],
  ['bulk string', '$5\r\nhello\r\n', [buf('hello')]],
  ['empty bulk string', '$0\r\n\r\n', [Buffer.alloc(0)]],
  ['null bulk string', '$-1\r\n', [null]],
  ['binary bulk string with CRLF inside', Buffer.concat([buf('$6\r\n'), Buffer.from([0, 13, 10, 255, 13, 10]), buf('\r\n')]), [Buffer.from([0, 13, 10, 255, 13, 10])]],
  ['utf8 bulk string (length in bytes)', '$6\r\nhéllo\r\n', [buf('héllo')]],
  ['null array', '*-1\r\n', [null]],
  ['empty array', '*0\r\n', [[]]],
  ['array of mixed types with an error inside', '*4\r\n:1\r\n$3\r\nfoo\r\n-WRONGTYPE Operation against a key\r\n+bar\r\n',
    [[1, buf('foo'), error('WRONGTYPE Operation against a key'), 'bar']]],
  ['nested arrays, empty and null inside', '*3\r\n*0\r\n*2\r\n$-1\r\n*-1\r\n*1\r\n*1\r\n:5\r\n', [[[], [null, null], [[5]]]]],
  ['null', '_\r\n', [null]],
  ['booleans', '#t\r\n#f\r\n', [true, false]],
  ['doubles', ',1.5\r\n,-0.25\r\n,10\r\n,1e10\r\n,1.5E-3\r\n,-2.5e+2\r\n', [1.5, -0.25, 10, 1e10, 1.5e-3, -250]],
  ['infinite and not-a-number doubles', ',inf\r\n,-inf\r\n,nan\r\n', [Infinity, -Infinity, NaN]],
  ['big numbers', '(3492890328409238509324850943850943825024385\r\n(-1\r\n(0\r\n', [3492890328409238509324850943850943825024385n, -1n, 0n]],
  ['verbatim strings', '=15\r\ntxt:Some string\r\n=4\r\nmkd:\r\n=8\r\ntxt:é\r\n\r\n', ['Some string', '', 'é\r\n']],
  ['blob error', '!21\r\nSYNTAX invalid syntax\r\n', [error('SYNTAX invalid syntax')]],
  ['map', '%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#t\r\n', [new Map<string, RespValue>([['first', 1], ['second', true]])]],
  ['map with number keys and aggregate values', '%2\r\n:1\r\n*1\r\n+a\r\n(2\r\n%0\r\n',
    [new Map<string, RespValue>([['1', ['a']], ['2', new Map()]])]],
  ['empty map', '%0\r\n', [new Map()]],
  ['set', '~3\r\n+a\r\n:2\r\n$1\r\nc\r\n', [['a', 2, buf('c')]]],
  ['empty set', '~0\r\n', [[]]],
  ['push', '>2\r\n$10\r\ninvalidate\r\n*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n', [new RespPush([buf('invalidate'), [buf('foo'), buf('bar')]])]],
  ['push with a null (flush all)', '>2\r\n$10\r\ninvalidate\r\n_\r\n', [new RespPush([buf('invalidate'), null])]],
  ['attribute before a top-level value is dropped',
    '|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n', [[2039123, 9543892]]],
  ['attribute before an element is dropped', '*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n', [[1, 2]]],
  ['empty attribute', '|0\r\n:5\r\n', [5]],
];

describe('RespParser: every type, fed whole, byte by byte and split at every boundary', () => {
  for (const [name, wire, expected] of CASES) it(name, () => assertParses(wire, expected));

  it('all of them back to back in one stream, in order', () => {
    assertParses(Buffer.concat(CASES.map(([, wire]) => bytesOf(wire))), CASES.flatMap(([, , expected]) => expected));
  });

  it('a RedisError carries its code, the first word of the message', () => {
    const [simple, blob, bare] = parseChunks([buf('-NOAUTH Authentication required.\r\n!11\r\nLOADING now\r\n-OOPS\r\n')]);
    assert.ok(simple instanceof RedisError && blob instanceof RedisError && bare instanceof RedisError);
    assert.deepEqual([simple.code, blob.code, bare.code], ['NOAUTH', 'LOADING', 'OOPS']);
    assert.equal(simple.message, 'NOAUTH Authentication required.');
  });

  it('nesting exactly maxDepth deep is accepted', () => {
    assertParses('*1\r\n'.repeat(4) + ':1\r\n', [[[[[1]]]]], { ...LIMITS, maxDepth: 4 });
  });

  it('a bulk string is a copy: reusing the fed chunk does not change it', () => {
    for (const text of ['hello', 'a value that fills most of its chunk']) {
      const chunk = buf(`$${text.length}\r\n${text}\r\n`);
      const [value] = parseChunks([chunk]);
      chunk.fill(0);
      assert.deepEqual(value, buf(text));
    }
  });

  it('a large bulk string in many chunks arrives whole, and stays whole as more values follow', () => {
    const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const wire = Buffer.concat([buf('$1000\r\n'), body, buf('\r\n+after\r\n')]);
    const { parser, values } = parserFor();
    for (let at = 0; at < wire.length; at += 97) parser.feed(wire.subarray(at, at + 97));
    parser.feed(buf('$2\r\nzz\r\n'));
    assert.deepEqual(values, [body, 'after', buf('zz')]);
  });

  it('holds only the incomplete value: pendingBytes counts its bytes and is 0 once it completes', () => {
    const { parser, values } = parserFor();
    parser.feed(buf('*2\r\n:1\r\n$10\r\nhello'));
    assert.equal(parser.pendingBytes, '$10\r\nhello'.length, 'the complete header and element are not held');
    parser.feed(buf('worl'));
    assert.equal(parser.pendingBytes, '$10\r\nhelloworl'.length);
    assert.deepEqual(values, []);
    parser.feed(buf('d\r\n+next\r\n:'));
    assert.deepEqual(values, [[1, buf('helloworld')], 'next']);
    assert.equal(parser.pendingBytes, 1);
  });
});

describe('RespParser: hostile input is a RespProtocolError', () => {
  const rejected: readonly (readonly [string, string])[] = [
    ['an unknown type byte', '?what\r\n'],
    ['an unknown type byte inside an array', '*2\r\n:1\r\nX\r\n'],
    ['a non-numeric bulk length', '$abc\r\n'],
    ['a negative bulk length other than -1', '$-2\r\n'],
    ['an empty bulk length', '$\r\n'],
    ['a signed bulk length', '$+3\r\nabc\r\n'],
    ['a huge array length', '*99999999999\r\n'],
    ['an array length over maxAggregateLength', '*1048577\r\n'],
    ['a null map (only $ and * have a null)', '%-1\r\n'],
    ['a null blob error', '!-1\r\n'],
    ['a bulk string without its CRLF', '$3\r\nfooXY'],
    ['a bulk string with a CR but no LF after it', '$3\r\nfoo\rX'],
    ['a CR without LF ending a line', '+OK\rX\r\n'],
    ['an integer with a letter', ':12a\r\n'],
    ['an integer with a fraction', ':1.5\r\n'],
    ['an integer without digits', ':-\r\n'],
    ['an empty integer', ':\r\n'],
    ['a double that is not one', ',abc\r\n'],
    ['an empty double', ',\r\n'],
    ['a hex double', ',0x10\r\n'],
    ['a big number that is not one', '(12a\r\n'],
    ['a boolean that is not #t or #f', '#x\r\n'],
    ['a null with content', '_x\r\n'],
    ['a verbatim string without its format', '=2\r\nab\r\n'],
    ['a push inside an array', '*1\r\n>1\r\n:1\r\n'],
    ['a map key that is an array', '%1\r\n*0\r\n:1\r\n'],
  ];
  for (const [name, wire] of rejected) it(name, () => assertRejects(wire));

  it('nesting deeper than maxDepth', () => {
    assertRejects('*1\r\n'.repeat(5) + ':1\r\n', { ...LIMITS, maxDepth: 4 });
    assertRejects('*1\r\n'.repeat(33) + ':1\r\n');
  });

  it('a bulk over maxBulkBytes is rejected on its header, before its bytes arrive', () => {
    for (const type of ['$', '!', '=']) {
      const { parser } = parserFor();
      parser.feed(buf(`${type}10`));
      assert.throws(() => parser.feed(buf('25\r\n')), RespProtocolError);
    }
    assertRejects('$1025\r\n');
    // At the limit it is accepted, and held as it arrives.
    const { parser, values } = parserFor();
    parser.feed(buf('$1024\r\n'));
    parser.feed(Buffer.alloc(512, 97));
    assert.equal(parser.pendingBytes, 7 + 512);
    parser.feed(Buffer.concat([Buffer.alloc(512, 97), buf('\r\n')]));
    assert.deepEqual(values, [Buffer.alloc(1024, 97)]);
  });

  it('a line over maxLineBytes without its CRLF, before more than about the limit is held', () => {
    const options = { ...LIMITS, maxLineBytes: 100 };
    const { parser } = parserFor(options);
    let held = 0;
    assert.throws(() => {
      for (let i = 0; i < 1000; i++) {
        parser.feed(buf(i === 0 ? '+' : 'aaaaaaaaaa'));
        held = parser.pendingBytes;
      }
    }, RespProtocolError);
    assert.ok(held > 90 && held <= 102, `held ${held} bytes`);
    assertRejects(`+${'a'.repeat(101)}`, options);
    assertRejects(`+${'a'.repeat(101)}\r\n`, options);
    assertRejects(`$${'1'.repeat(101)}`, options);
    assertParses(`+${'a'.repeat(100)}\r\n`, ['a'.repeat(100)], options);
  });

  it('a reply of many small elements over maxReplyBytes fails however it is split; under it parses, and the count starts over per reply', () => {
    const options = { ...LIMITS, maxReplyBytes: 1000 };
    // 120 elements of 9 bytes ($3\r\nabc\r\n) and a 6-byte header: 1086 bytes.
    const big = `*120\r\n${'$3\r\nabc\r\n'.repeat(120)}`;
    assertRejects(big, options);
    const { parser } = parserFor(options);
    assert.throws(() => {
      for (const chunk of oneByOne(buf(big))) parser.feed(chunk);
    }, /over 1000 bytes/);
    // 90 elements: 815 bytes, twice in one chunk: each reply is counted on its own.
    const fits = `*90\r\n${'$3\r\nabc\r\n'.repeat(90)}`;
    const abc = Array.from({ length: 90 }, () => buf('abc'));
    assert.deepEqual(parseChunks([buf(fits + fits)], options), [abc, abc]);
    // A held bulk counts with the elements before it.
    assertRejects(`*2\r\n$600\r\n${'a'.repeat(600)}\r\n$600\r\n${'a'.repeat(100)}`, options);
  });

  it('after a protocol error the parser is unusable', () => {
    const { parser } = parserFor();
    assert.throws(() => parser.feed(buf('?\r\n')), RespProtocolError);
    assert.throws(() => parser.feed(buf('+OK\r\n')), RespProtocolError);
    assert.equal(parser.pendingBytes, 0);
  });
});

describe('encodeCommand', () => {
  const wire = (args: readonly (string | Buffer | number)[]): string => encodeCommand(args).toString('latin1');

  it('strings, with their lengths in utf8 bytes', () => {
    assert.equal(wire(['GET', 'foo']), '*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n');
    assert.deepEqual(encodeCommand(['SET', 'k', 'héllo€']), Buffer.concat([buf('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$9\r\n'), buf('héllo€'), buf('\r\n')]));
    assert.equal(wire(['ECHO', '']), '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n');
    assert.equal(wire([]), '*0\r\n');
  });

  it('Buffers, binary safe', () => {
    const binary = Buffer.from([0, 13, 10, 255, 128]);
    assert.deepEqual(encodeCommand(['SET', binary, binary]), Buffer.concat([buf('*3\r\n$3\r\nSET\r\n$5\r\n'), binary, buf('\r\n$5\r\n'), binary, buf('\r\n')]));
  });

  it('numbers as their decimal text; infinities as Redis spells them; NaN refused', () => {
    assert.equal(wire(['EXPIRE', 'k', 60]), '*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n60\r\n');
    assert.equal(wire([-5, 1.5, 0]), '*3\r\n$2\r\n-5\r\n$3\r\n1.5\r\n$1\r\n0\r\n');
    assert.equal(wire(['ZADD', 'z', Infinity, 'a', -Infinity, 'b']), '*6\r\n$4\r\nZADD\r\n$1\r\nz\r\n$4\r\n+inf\r\n$1\r\na\r\n$4\r\n-inf\r\n$1\r\nb\r\n');
    assert.throws(() => encodeCommand(['ZADD', 'z', NaN, 'a']), RangeError);
  });

  it('a command the parser reads back as its arguments (ten and more: a two-digit count)', () => {
    const args = ['MSET', ...Array.from({ length: 12 }, (_, i) => `k${i}é`), buf('v'), 42];
    const [value] = parseChunks([encodeCommand(args)]);
    assert.deepEqual(value, args.map((arg) => (Buffer.isBuffer(arg) ? arg : buf(String(arg)))));
  });
});
