// The shared cache's value format: a stored response (body, validators, compressed
// variants made by a real Compression) survives encodeBlob/decodeBlob with the same
// ETags; a 404 problem has no tag; expiry is by the wall clock; every malformed header,
// length or coding reads as 'invalid'; a coding this Node cannot serve is left out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { zlibCodings, type Coding } from '../../src/compression/codings.js';
import { Compression } from '../../src/compression/compression.js';
import { blobIdentity, decodeBlob, encodeBlob, type DecodedBlob } from '../../src/http/encoded-blob.js';
import { encodeProblem, encodeStoredJson, type Encoded } from '../../src/http/encoded.js';
import type { Variant } from '../../src/http/stored-representation.js';

const NOW = 1_700_000_000_000;
const EXPIRES = NOW + 60_000;
const LAST_MODIFIED = 1_600_000_000_000;
/** 22 base64url characters, the form of a representation's hash. */
const TAG = 'AbCdEfGhIjKlMnOpQrSt-_';

function compression(codings: readonly Coding[] = zlibCodings, upgrades = 1): Compression {
  return new Compression({ minBytes: 0, gzipLevel: 5, upgrades, upgradeBacklog: 8, requestJobs: 2 }, codings, () => assert.fail('no compression error expected'));
}

function decoded(result: ReturnType<typeof decodeBlob>): DecodedBlob {
  assert.equal(typeof result, 'object', `decoded as ${String(result)}`);
  return result as DecodedBlob;
}

function bytes(wire: string | Buffer): Buffer {
  return typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
}

/** A product response as the cache stores it, with its fast variants made for `codings`. */
async function storedJson(policy: Compression, codings: readonly Coding[]): Promise<Encoded> {
  const products = Array.from({ length: 40 }, (_, id) => ({ id, name: `product ${id}`, price: id * 1.5 }));
  const encoded = encodeStoredJson({ items: products }, LAST_MODIFIED);
  for (const coding of codings) await encoded.stored?.makeVariant(coding, policy);
  return encoded;
}

/** A blob from raw header fields and parts, for the malformed cases. */
function rawBlob(fields: readonly string[], ...parts: (string | Buffer)[]): Buffer {
  return Buffer.concat([Buffer.from(fields.join('\t') + '\n', 'latin1'), ...parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part))]);
}

/** The fields of a valid blob: a 5-byte body and one 3-byte gzip variant. */
const VALID = ['T1', TAG, '200', String(LAST_MODIFIED), new Date(LAST_MODIFIED).toUTCString(), String(EXPIRES), 'application/json', '5', 'gzip:5:3'] as const;

function withField(index: number, value: string): string[] {
  const fields: string[] = [...VALID];
  fields[index] = value;
  return fields;
}

describe('encodeBlob / decodeBlob round trip', () => {
  test('a stored JSON response with its variants comes back with the same body, validators and variant ETags', async () => {
    const policy = compression();
    const encoded = await storedJson(policy, zlibCodings);
    const stored = encoded.stored;
    assert.ok(stored !== null);
    const blob = encodeBlob(encoded, EXPIRES);
    assert.ok(blob.toString('latin1').startsWith(blobIdentity(encoded, EXPIRES) ?? 'no identity'));
    // Another expiry is another write: its identity differs.
    assert.notEqual(blobIdentity(encoded, EXPIRES + 1), blobIdentity(encoded, EXPIRES));

    const back = decoded(decodeBlob(blob, NOW, policy));
    assert.equal(back.ttlMs, 60_000);
    assert.equal(back.expiresAtMs, EXPIRES);
    const value = back.value;
    assert.equal(value.status, 200);
    assert.equal(value.contentType, 'application/json');
    assert.deepEqual(value.body, encoded.body);
    assert.equal(value.contentLength, encoded.contentLength);
    assert.equal(value.wire, encoded.wire);
    assert.equal(value.compressible, true);
    const readBack = value.stored;
    assert.ok(readBack !== null);
    assert.equal(readBack.etag, stored.etag);
    assert.equal(readBack.lastModified, stored.lastModified);
    assert.equal(readBack.lastModifiedMs, stored.lastModifiedMs);
    assert.equal(blobIdentity(value, back.expiresAtMs), blobIdentity(encoded, EXPIRES));
    for (const coding of zlibCodings) {
      const made: Variant | undefined = stored.variant(coding);
      const read: Variant | undefined = readBack.variant(coding);
      assert.ok(made !== undefined && read !== undefined, coding);
      assert.equal(read.etag, made.etag, coding);
      assert.equal(read.level, made.level, coding);
      assert.equal(read.contentLength, made.contentLength, coding);
      assert.deepEqual(bytes(read.wire), bytes(made.wire), coding);
    }
    // Encoding what was read gives the same bytes: another instance writes back what it got.
    assert.deepEqual(encodeBlob(value, EXPIRES), blob);
  });

  test('a fast variant of an upgradable coding may still be upgraded; a best-level or non-upgradable one is final', async () => {
    const policy = compression(['br', 'gzip']);
    const encoded = await storedJson(policy, ['br']);
    encoded.stored?.adopt('gzip', policy.level('gzip', 'best'), Buffer.from('gz'), true);
    const value = decoded(decodeBlob(encodeBlob(encoded, EXPIRES), NOW, policy)).value;
    assert.equal(value.stored?.variant('br')?.upgradeAsked, false);
    assert.equal(value.stored?.variant('gzip')?.upgradeAsked, true);
    // Without upgrades nothing is offered for an upgrade.
    const noUpgrades = decoded(decodeBlob(encodeBlob(encoded, EXPIRES), NOW, compression(['br', 'gzip'], 0))).value;
    assert.equal(noUpgrades.stored?.variant('br')?.upgradeAsked, true);
  });

  test('a 404 problem has no tag and no validators', () => {
    const problem = encodeProblem(404, 'no such product');
    assert.equal(blobIdentity(problem, EXPIRES), undefined);
    const blob = encodeBlob(problem, EXPIRES);
    assert.equal(blob.toString('latin1').split('\t')[1], '-');
    const value = decoded(decodeBlob(blob, NOW, compression())).value;
    assert.equal(value.status, 404);
    assert.equal(value.contentType, 'application/problem+json');
    assert.deepEqual(value.body, problem.body);
    assert.equal(value.stored, null);
  });

  test('expiry is by the wall clock: live until expiresAtMs, expired at it', async () => {
    const policy = compression();
    const blob = encodeBlob(await storedJson(policy, []), EXPIRES);
    assert.equal(decoded(decodeBlob(blob, EXPIRES - 1, policy)).ttlMs, 1);
    assert.equal(decodeBlob(blob, EXPIRES, policy), 'expired');
    assert.equal(decodeBlob(blob, EXPIRES + 3_600_000, policy), 'expired');
  });

  test('a zstd variant is left out by a Compression without zstd, and the variants after it still line up', () => {
    const policy = compression(['br', 'gzip']);
    const fields = [...VALID.slice(0, 8), 'zstd:3:4', 'gzip:5:3'];
    const blob = rawBlob(fields, 'hello', 'ZSTD', 'GZ!');
    const value = decoded(decodeBlob(blob, NOW, policy)).value;
    assert.equal(value.stored?.variant('zstd'), undefined);
    assert.deepEqual(bytes(value.stored?.variant('gzip')?.wire ?? ''), Buffer.from('GZ!'));
    assert.equal(value.stored?.variant('gzip')?.etag, `"${TAG}-gz5"`);
    // A Compression with zstd takes it.
    const withZstd = decoded(decodeBlob(blob, NOW, compression(['br', 'zstd', 'gzip']))).value;
    assert.deepEqual(bytes(withZstd.stored?.variant('zstd')?.wire ?? ''), Buffer.from('ZSTD'));
  });
});

describe('decodeBlob refuses what is not ours', () => {
  const policy = compression(['br', 'zstd', 'gzip']);

  test('the hand-made valid blob the cases below break is valid', () => {
    const value = decoded(decodeBlob(rawBlob(VALID, 'hello', 'GZ!'), NOW, policy)).value;
    assert.deepEqual(value.body, Buffer.from('hello'));
  });

  const cases: [string, Buffer][] = [
    ['wrong magic', rawBlob(withField(0, 'T2'), 'hello', 'GZ!')],
    ['lower-case magic', rawBlob(withField(0, 't1'), 'hello', 'GZ!')],
    ['a tag one character short', rawBlob(withField(1, TAG.slice(1)), 'hello', 'GZ!')],
    ['a tag one character long', rawBlob(withField(1, TAG + 'A'), 'hello', 'GZ!')],
    ['a tag with base64 (not base64url) characters', rawBlob(withField(1, 'AbCdEfGhIjKlMnOpQrSt+/'), 'hello', 'GZ!')],
    ['an empty tag', rawBlob(withField(1, ''), 'hello', 'GZ!')],
    ['a non-digit status', rawBlob(withField(2, 'OK'), 'hello', 'GZ!')],
    ['a status with a sign', rawBlob(withField(2, '+200'), 'hello', 'GZ!')],
    ['a status below 200', rawBlob(withField(2, '199'), 'hello', 'GZ!')],
    ['a status above 599', rawBlob(withField(2, '600'), 'hello', 'GZ!')],
    ['an empty status', rawBlob(withField(2, ''), 'hello', 'GZ!')],
    ['a negative last-modified', rawBlob(withField(3, '-1'), 'hello', 'GZ!')],
    ['a fractional last-modified', rawBlob(withField(3, '1.5'), 'hello', 'GZ!')],
    ['an empty HTTP-date', rawBlob(withField(4, ''), 'hello', 'GZ!')],
    ['a control character in the HTTP-date', rawBlob(withField(4, 'Fri, 21 Nov\x00'), 'hello', 'GZ!')],
    ['a negative expiry', rawBlob(withField(5, '-60000'), 'hello', 'GZ!')],
    ['an expiry of 16 digits (past a safe integer)', rawBlob(withField(5, '9'.repeat(16)), 'hello', 'GZ!')],
    ['an expiry in exponent notation', rawBlob(withField(5, '2e12'), 'hello', 'GZ!')],
    ['a control character in the content type', rawBlob(withField(6, 'application/json\x01'), 'hello', 'GZ!')],
    ['a carriage return in the content type', rawBlob(withField(6, 'text/plain\r'), 'hello', 'GZ!')],
    ['DEL in the content type', rawBlob(withField(6, 'text/plain\x7f'), 'hello', 'GZ!')],
    ['a non-ASCII content type', rawBlob(withField(6, 'text/pl\xe4in'), 'hello', 'GZ!')],
    ['an empty content type', rawBlob(withField(6, ''), 'hello', 'GZ!')],
    ['a content type over 200 characters', rawBlob(withField(6, 'text/' + 'x'.repeat(200)), 'hello', 'GZ!')],
    ['a negative body length', rawBlob(withField(7, '-5'), 'hello', 'GZ!')],
    ['no body length', rawBlob(VALID.slice(0, 7), 'hello')],
    ['an unknown coding', rawBlob(withField(8, 'deflate:5:3'), 'hello', 'GZ!')],
    ['identity as a coding', rawBlob(withField(8, 'identity:0:3'), 'hello', 'GZ!')],
    ['a variant without its length', rawBlob(withField(8, 'gzip:5'), 'hello', 'GZ!')],
    ['a variant with a non-digit level', rawBlob(withField(8, 'gzip:x:3'), 'hello', 'GZ!')],
    ['a variant with a negative length', rawBlob(withField(8, 'gzip:5:-3'), 'hello', 'GZ!')],
    ['an empty variant field', rawBlob([...VALID, ''], 'hello', 'GZ!')],
    ['one byte short', rawBlob(VALID, 'hello', 'GZ')],
    ['one byte long', rawBlob(VALID, 'hello', 'GZ!!')],
    ['a body length past the end', rawBlob(withField(7, '9'), 'hello', 'GZ!')],
    ['a variant length short of the end', rawBlob(withField(8, 'gzip:5:1'), 'hello', 'GZ!')],
    ['no newline at all', Buffer.from(VALID.join('\t'), 'latin1')],
    ['an empty value', Buffer.alloc(0)],
    ['a header line over 512 bytes', rawBlob([...VALID.slice(0, 8), ...Array.from({ length: 60 }, () => 'gzip:5:0'), 'gzip:5:3'], 'hello', 'GZ!')],
    ['a newline only after 512 bytes of text', Buffer.concat([Buffer.from('x'.repeat(600)), Buffer.from('\n')])],
  ];
  for (const [name, blob] of cases) {
    test(`${name} is invalid`, () => {
      assert.equal(decodeBlob(blob, NOW, policy), 'invalid');
    });
  }

  test('an expired value that is also malformed is invalid, not expired', () => {
    assert.equal(decodeBlob(rawBlob(VALID, 'hello', 'GZ'), EXPIRES + 1, policy), 'invalid');
  });
});
