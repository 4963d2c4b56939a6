// W3C Trace Context: traceparent parsed strictly (malformed -> undefined, never a throw),
// written as version 00, and tracestate passed along within its limits.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatTraceparent, parseTraceparent, sanitizeTracestate } from '../../src/trace/trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const VALID = `00-${TRACE}-${PARENT}-01`;

describe('parseTraceparent', () => {
  test('reads a valid version 00 header: ids, sampled flag and the flags byte', () => {
    assert.deepEqual(parseTraceparent(VALID), { traceId: TRACE, parentId: PARENT, sampled: true, flags: 1 });
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-00`), { traceId: TRACE, parentId: PARENT, sampled: false, flags: 0 });
    // Level 2's random-trace-id flag (bit 1) and unknown bits are kept in flags; sampled is bit 0.
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-03`), { traceId: TRACE, parentId: PARENT, sampled: true, flags: 3 });
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-fe`), { traceId: TRACE, parentId: PARENT, sampled: false, flags: 0xfe });
  });

  test('a single header given as a one-element array is read', () => {
    assert.equal(parseTraceparent([VALID])?.traceId, TRACE);
  });

  const malformed: readonly (readonly [string, string | readonly string[] | undefined])[] = [
    ['absent', undefined],
    ['empty', ''],
    ['one character short', VALID.slice(0, -1)],
    ['one character long (version 00)', `${VALID}0`],
    ['extra field on version 00', `${VALID}-00`],
    ['leading space', ` ${VALID.slice(1)}`],
    ['trailing space (version 00 is exactly 55)', `${VALID} `],
    ['uppercase trace id', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['uppercase parent id', `00-${TRACE}-00F067AA0BA902B7-01`],
    ['uppercase flags', `00-${TRACE}-${PARENT}-0A`],
    ['uppercase version', `0A-${TRACE}-${PARENT}-01`],
    ['non-hex in trace id', `00-${TRACE.slice(0, 31)}g-${PARENT}-01`],
    ['non-hex in parent id', `00-${TRACE}-${PARENT.slice(0, 15)}x-01`],
    ['non-hex flags', `00-${TRACE}-${PARENT}-0z`],
    ['non-hex version', `0g-${TRACE}-${PARENT}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['underscores for dashes', VALID.replaceAll('-', '_')],
    ['first dash missing', `00x${TRACE}-${PARENT}-01`],
    ['second dash missing', `00-${TRACE}x${PARENT}-01`],
    ['third dash missing', `00-${TRACE}-${PARENT}x01`],
    ['trace id one short, parent id one long', `00-${TRACE.slice(1)}-${PARENT}0-01`],
    ['several headers', [VALID, VALID]],
    ['no headers in an array', []],
    ['two headers joined by Node', `${VALID}, ${VALID}`],
    ['a future version shorter than 55', `01-${TRACE}-${PARENT}-0`],
    ['a future version with more, not after a dash', `01-${TRACE}-${PARENT}-01x-what-not`],
    ['a future version with bad hex', `01-${TRACE}-${PARENT.toUpperCase()}-01-more`],
    ['non-ASCII', `00-${TRACE.slice(0, 31)}é-${PARENT}-01`],
  ];
  for (const [name, header] of malformed) {
    test(`malformed: ${name} -> undefined`, () => {
      assert.equal(parseTraceparent(header), undefined);
    });
  }

  test('a future version (01..fe) is read by its first four fields, at 55 or when "-" follows', () => {
    const expected = { traceId: TRACE, parentId: PARENT, sampled: true, flags: 1 };
    assert.deepEqual(parseTraceparent(`01-${TRACE}-${PARENT}-01`), expected);
    assert.deepEqual(parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-the-future-will-be-like`), expected);
    assert.deepEqual(parseTraceparent(`fe-${TRACE}-${PARENT}-01-`), expected);
  });
});

describe('formatTraceparent', () => {
  test('writes version 00 with flags 01 or 00, and parses back', () => {
    assert.equal(formatTraceparent(TRACE, PARENT, true), VALID);
    assert.equal(formatTraceparent(TRACE, PARENT, false), `00-${TRACE}-${PARENT}-00`);
    assert.deepEqual(parseTraceparent(formatTraceparent(TRACE, PARENT, false)), { traceId: TRACE, parentId: PARENT, sampled: false, flags: 0 });
  });
});

describe('sanitizeTracestate', () => {
  test('thousands of members (a header near node\'s 16 KiB limit): the first 32 kept, a late duplicate still voids it', () => {
    const many = Array.from({ length: 1500 }, (_, i) => `k${i}=v`);
    const kept = sanitizeTracestate(many.join(','));
    assert.equal(kept.split(',').length, 32);
    assert.ok(kept.startsWith('k0=v,k1=v'));
    assert.equal(sanitizeTracestate([...many, 'k3=again'].join(',')), '');
  });

  test('absent or empty -> ""', () => {
    assert.equal(sanitizeTracestate(undefined), '');
    assert.equal(sanitizeTracestate(''), '');
    assert.equal(sanitizeTracestate([]), '');
    assert.equal(sanitizeTracestate(' , ,\t'), '');
  });

  test('valid members pass unchanged, in order; whitespace around commas and empty members go', () => {
    assert.equal(sanitizeTracestate('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    assert.equal(sanitizeTracestate(' rojo=1 ,\tcongo=2\t,, '), 'rojo=1,congo=2');
  });

  test('keys: simple and multi-tenant forms, with the spec\'s characters and lengths', () => {
    const ok = ['a=1', 'a0_-*/=1', `a${'b'.repeat(255)}=1`, 'tenant@system=1', '0tenant@sys=1', `${'t'.repeat(241)}@${'s'.repeat(14)}=1`, 's@a0_-*/=1'];
    for (const member of ok) assert.equal(sanitizeTracestate(member), member, member);
  });

  test('malformed members are dropped, the others kept', () => {
    const bad = [
      'novalue',
      '=1',
      'Upper=1',
      '0digitfirst=1',
      '_x=1',
      'a.b=1',
      'a b=1',
      `a${'b'.repeat(256)}=1`,
      'a@=1',
      '@a=1',
      'a@0=1',
      'a@b@c=1',
      `${'t'.repeat(242)}@s=1`,
      `t@${'s'.repeat(15)}=1`,
      'a=',
      'a=b=c',
      'a=tab\there',
      'a=\u00e9',
      `a=${'v'.repeat(257)}`,
    ];
    for (const member of bad) {
      assert.equal(sanitizeTracestate(`first=1,${member},last=2`), 'first=1,last=2', JSON.stringify(member));
    }
    // A space before ',' or the end is whitespace around the list's comma, not the value's.
    assert.equal(sanitizeTracestate('a=x ,b=y '), 'a=x,b=y');
    // A value may hold spaces inside and start with one, and any printable ASCII but ',' and '='.
    assert.equal(sanitizeTracestate('a= x y'), 'a= x y');
    assert.equal(sanitizeTracestate(`a=${'v'.repeat(256)}`), `a=${'v'.repeat(256)}`);
    assert.equal(sanitizeTracestate('a=!"#$%&\'()*+-./:;<>?@[\\]^_`{|}~'), 'a=!"#$%&\'()*+-./:;<>?@[\\]^_`{|}~');
  });

  test('a duplicate key voids the whole header', () => {
    assert.equal(sanitizeTracestate('a=1,b=2,a=3'), '');
    assert.equal(sanitizeTracestate(['a=1', 'b=2,a=3']), '');
    assert.equal(sanitizeTracestate('t@s=1,t@s=2'), '');
    // The same tenant in another system is another key.
    assert.equal(sanitizeTracestate('t@s=1,t@r=2'), 't@s=1,t@r=2');
  });

  test('several headers are one list, joined in order', () => {
    assert.equal(sanitizeTracestate(['a=1,b=2', 'c=3']), 'a=1,b=2,c=3');
    assert.equal(sanitizeTracestate(['a=1', '', 'c=3']), 'a=1,c=3');
  });

  test('at most 32 members: those after the 32nd are dropped', () => {
    const members = Array.from({ length: 40 }, (_, i) => `k${i}=${i}`);
    assert.equal(sanitizeTracestate(members.join(',')), members.slice(0, 32).join(','));
    assert.equal(sanitizeTracestate(members.slice(0, 32).join(',')), members.slice(0, 32).join(','));
  });

  test('at most 512 characters, cut at whole members: long ones (over 128) first, then any, from the end', () => {
    // 8 members of 63 characters: 8 * 63 + 7 commas = 511, kept whole.
    const short = Array.from({ length: 8 }, (_, i) => `k${i}=${'v'.repeat(60)}`);
    assert.equal(short.join(',').length, 511);
    assert.equal(sanitizeTracestate(short.join(',')), short.join(','));
    // One more short member: 575 characters; the last goes.
    const nine = [...short, 'k8=x'];
    assert.equal(sanitizeTracestate(nine.join(',')), short.join(','));
    // A long member in the middle goes before any short one at the end.
    const long = `long=${'v'.repeat(130)}`;
    const withLong = [short[0], long, ...short.slice(1)].join(',');
    assert.equal(sanitizeTracestate(withLong), short.join(','));
    // A long member that fits is kept.
    assert.equal(sanitizeTracestate(`a=1,${long}`), `a=1,${long}`);
    // Several long members: from the end, only as many as needed.
    const longs = Array.from({ length: 4 }, (_, i) => `l${i}=${'v'.repeat(140)}`);
    assert.equal(sanitizeTracestate(['a=1', ...longs].join(',')), 'a=1,l0=' + 'v'.repeat(140) + ',l1=' + 'v'.repeat(140) + ',l2=' + 'v'.repeat(140));
  });
});
