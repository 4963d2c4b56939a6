// X-Forwarded-For and Forwarded (RFC 7239) as read behind trusted proxies: the hop count
// as Express counts it, trusted blocks walked from the socket leftwards, spoofed entries
// on the left never read, garbage never used as a client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientKeyOf, parseIp } from '../../src/ip/address.js';
import { forwardedClient } from '../../src/ip/forwarded-client.js';
import { forwardedFor, forwardedForFromRight, xffFromRight } from '../../src/ip/forwarded.js';
import { parseTrustProxy } from '../../src/ip/trust-proxy.js';

function client(trust: string, socket: string, xff?: string, forwarded?: string): string {
  const parsed = parseTrustProxy(trust);
  const ip = parseIp(socket);
  assert.ok(parsed.kind !== 'invalid' && ip !== undefined);
  return clientKeyOf(forwardedClient(parsed, ip, xff, forwarded));
}

test('X-Forwarded-For entries are read right to left, trimmed, with ports and brackets removed', () => {
  assert.deepEqual(xffFromRight('1.1.1.1, 2.2.2.2,3.3.3.3', 10), ['3.3.3.3', '2.2.2.2', '1.1.1.1']);
  assert.deepEqual(xffFromRight('1.1.1.1, 2.2.2.2, 3.3.3.3', 2), ['3.3.3.3', '2.2.2.2']);
  assert.deepEqual(xffFromRight('[2001:db8::1]:443, 1.2.3.4:80, 2001:db8::2', 10), ['2001:db8::2', '1.2.3.4', '2001:db8::1']);
  assert.deepEqual(xffFromRight('', 10), ['']);
});

test('Forwarded: for= per element, case-insensitive names, quotes, escapes, brackets and ports; the rest ignored', () => {
  assert.deepEqual(forwardedFor('for=192.0.2.60;proto=http;by=203.0.113.43'), ['192.0.2.60']);
  assert.deepEqual(forwardedFor('For="[2001:db8:cafe::17]:4711", for=192.0.2.43:80'), ['2001:db8:cafe::17', '192.0.2.43']);
  assert.deepEqual(forwardedFor('proto=https;for="198.51.100.17";host="a,b;c", for="\\1\\.2.3.4"'), ['198.51.100.17', '1.2.3.4']);
  assert.deepEqual(forwardedFor('for=unknown, for="_gazonk", by=1.2.3.4'), ['unknown', '_gazonk', '']);
  assert.deepEqual(forwardedFor('for=1.1.1.1;, , for=2.2.2.2 ;proto=http'), ['1.1.1.1', '2.2.2.2']);
  // Syntax errors: what is left is one element naming no address.
  assert.deepEqual(forwardedFor('for=1.1.1.1, for="2.2.2.2'), ['1.1.1.1', '']);
  assert.deepEqual(forwardedFor('for=1.1.1.1, garbage here'), ['1.1.1.1', '']);
  assert.deepEqual(forwardedFor('for=1.1.1.1, =x'), ['1.1.1.1', '']);
});

test('without TRUST_PROXY the headers change nothing', () => {
  assert.equal(client('', '10.0.0.1', '6.6.6.6'), '10.0.0.1');
  assert.equal(client('', '10.0.0.1', undefined, 'for=6.6.6.6'), '10.0.0.1');
});

test('a hop count N picks the address N hops from the socket (Express\'s trust proxy number), or the leftmost', () => {
  const xff = '6.6.6.6, 1.1.1.1, 2.2.2.2';
  assert.equal(client('1', '10.0.0.1', xff), '2.2.2.2');
  assert.equal(client('2', '10.0.0.1', xff), '1.1.1.1');
  assert.equal(client('3', '10.0.0.1', xff), '6.6.6.6');
  assert.equal(client('9', '10.0.0.1', xff), '6.6.6.6');
  assert.equal(client('1', '10.0.0.1'), '10.0.0.1');
  assert.equal(client('1', '10.0.0.1', undefined, 'for=1.1.1.1, for="[2001:db8::1]:80"'), '2001:db8:0:0::/64');
  // X-Forwarded-For wins when both are present.
  assert.equal(client('1', '10.0.0.1', '3.3.3.3', 'for=4.4.4.4'), '3.3.3.3');
});

test('trusted blocks: the first untrusted address walking from the socket is the client; spoofed entries to its left are ignored', () => {
  const trust = '10.0.0.0/8, ::1';
  assert.equal(client(trust, '10.0.0.1', '6.6.6.6, 1.2.3.4, 10.0.0.2'), '1.2.3.4');
  assert.equal(client(trust, '::1', '6.6.6.6, 1.2.3.4'), '1.2.3.4');
  assert.equal(client(trust, '::ffff:10.0.0.1', '1.2.3.4'), '1.2.3.4');
  // Every hop trusted: the leftmost.
  assert.equal(client(trust, '10.0.0.1', '10.1.1.1, 10.0.0.2'), '10.1.1.1');
  // The socket's peer is not a trusted proxy: its headers are not read.
  assert.equal(client(trust, '192.0.2.1', '1.2.3.4'), '192.0.2.1');
  assert.equal(client(trust, '10.0.0.1', undefined, 'for=6.6.6.6, for=1.2.3.4;by=10.0.0.1, for=10.0.0.3'), '1.2.3.4');
});

test('garbage entries are never the client: the walk stops at the last trusted hop before them', () => {
  assert.equal(client('10.0.0.0/8', '10.0.0.1', 'not-an-ip'), '10.0.0.1');
  assert.equal(client('10.0.0.0/8', '10.0.0.1', '1.2.3.4, garbage, 10.0.0.5'), '10.0.0.5');
  assert.equal(client('10.0.0.0/8', '10.0.0.1', ''), '10.0.0.1');
  assert.equal(client('10.0.0.0/8', '10.0.0.1', ' , ,'), '10.0.0.1');
  assert.equal(client('2', '10.0.0.1', '1.2.3.4, 999.1.1.1, 5.6.7.8'), '5.6.7.8');
  assert.equal(client('1', '10.0.0.1', '1.2.3.4, <script>'), '10.0.0.1');
  assert.equal(client('1', '10.0.0.1', undefined, 'for=unknown'), '10.0.0.1');
  assert.equal(client('1', '10.0.0.1', undefined, 'for="_hidden"'), '10.0.0.1');
  assert.equal(client('1', '10.0.0.1', undefined, 'for="[::1'), '10.0.0.1');
  assert.equal(client('1', '10.0.0.1', undefined, '"'), '10.0.0.1');
  assert.equal(client('1', '10.0.0.1', ','.repeat(10_000)), '10.0.0.1');
});

test('Forwarded is split from the right: junk a client put on the left cannot swallow the elements proxies added', () => {
  // An unclosed quote on the left would otherwise run to the end of the header.
  assert.equal(client('10.0.0.0/8', '10.0.0.1', undefined, 'for="x, for=1.2.3.4'), '1.2.3.4');
  assert.equal(client('1', '10.0.0.1', undefined, 'garbage=, for=1.2.3.4'), '1.2.3.4');
  assert.deepEqual(forwardedForFromRight('for="a,b", for=1.1.1.1;proto=http, , for="[::1]:80"', 10), ['::1', '1.1.1.1', 'a,b']);
  // An escaped quote does not close: the element is malformed, the walk would stop there.
  assert.deepEqual(forwardedForFromRight('for="\\", for=2.2.2.2', 10), ['2.2.2.2', '']);
  assert.deepEqual(forwardedForFromRight('for=1.1.1.1, for=2.2.2.2, for=3.3.3.3', 2), ['3.3.3.3', '2.2.2.2']);
});
