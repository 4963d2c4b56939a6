// The client key: IPv4 as itself, IPv4-mapped IPv6 as the IPv4 address, IPv6 by its /64
// whatever its spelling; CIDR blocks across both families; and nothing that is not an
// address parses as one.
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { test } from 'node:test';
import { clientKey, parseIp } from '../../src/ip/address.js';
import { cidrContains, parseCidr } from '../../src/ip/cidr.js';

test('IPv4 is its own key; IPv4-mapped IPv6 (dotted or hex) counts as the IPv4 address', () => {
  assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
  assert.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(clientKey('::FFFF:cb00:7107'), '203.0.113.7');
  assert.equal(clientKey('0:0:0:0:0:ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(clientKey('0.0.0.0'), '0.0.0.0');
  assert.equal(clientKey('255.255.255.255'), '255.255.255.255');
});

test('IPv6 addresses are grouped by /64: every spelling of one prefix gives one key, another /64 another', () => {
  const key = clientKey('2001:db8:0:1::1');
  assert.equal(key, '2001:db8:0:1::/64');
  for (const same of ['2001:DB8:0:1:ffff:ffff:ffff:ffff', '2001:0db8:0000:0001:0:0:0:2', '2001:db8::1:0:0:0:3', 'fe80::1%eth0'.replace('fe80::1', '2001:db8:0:1::9')]) {
    assert.equal(clientKey(same), key, same);
  }
  assert.equal(clientKey('2001:db8:0:2::1'), '2001:db8:0:2::/64');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.equal(clientKey('::'), '0:0:0:0::/64');
  assert.equal(clientKey('1:2:3:4:5:6:7:8'), '1:2:3:4::/64');
  assert.equal(clientKey('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4::/64');
});

test('anything that is not an address is refused, as node:net isIP refuses it', () => {
  const garbage = [
    '', 'unknown', '_hidden', 'localhost', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.04', '1..2.3', '1.2.3.4.',
    ' 1.2.3.4', '1.2.3.4 ', '-1.2.3.4', '1.2.3.4/8', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:',
    '12345::', 'g::1', '[::1]', '::1]', '1:2:3:4:5:6:7:8::', '::ffff:1.2.3', '::1.2.3.4:5', '1.2.3.4:80', 'x'.repeat(100), '1.2.3.4::', '1:2::3.4.5.6::', 'fe80::1%',
  ];
  for (const text of garbage) {
    assert.equal(parseIp(text), undefined, JSON.stringify(text));
    if (!text.includes('%')) assert.equal(isIP(text), 0, `node disagrees on ${JSON.stringify(text)}`);
  }
  for (const text of ['1.2.3.4', '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1::8', '::ffff:1.2.3.4', 'a:b:c:d:e:f:0:1']) {
    assert.notEqual(parseIp(text), undefined, text);
    assert.notEqual(isIP(text), 0, text);
  }
});

test('CIDR blocks match in both families; an IPv4 block matches the IPv4-mapped form; host bits are ignored', () => {
  const contains = (cidr: string, ip: string): boolean => {
    const block = parseCidr(cidr);
    const address = parseIp(ip);
    assert.ok(block !== undefined && address !== undefined, `${cidr} ${ip}`);
    return cidrContains(block, address);
  };
  assert.ok(contains('10.0.0.0/8', '10.255.1.2'));
  assert.ok(contains('10.0.0.0/8', '::ffff:10.1.2.3'));
  assert.ok(!contains('10.0.0.0/8', '11.0.0.1'));
  assert.ok(contains('10.1.2.3/8', '10.9.9.9'));
  assert.ok(contains('192.168.1.7', '192.168.1.7'));
  assert.ok(!contains('192.168.1.7', '192.168.1.8'));
  assert.ok(contains('172.16.0.0/12', '172.31.255.255'));
  assert.ok(!contains('172.16.0.0/12', '172.32.0.0'));
  assert.ok(contains('0.0.0.0/0', '8.8.8.8'));
  assert.ok(!contains('0.0.0.0/0', '2001:db8::1'));
  assert.ok(contains('::1', '::1'));
  assert.ok(!contains('::1', '::2'));
  assert.ok(contains('fd00::/8', 'fdff:1::1'));
  assert.ok(!contains('fd00::/8', 'fe00::1'));
  assert.ok(contains('2001:db8::/33', '2001:db8:7fff::1'));
  assert.ok(!contains('2001:db8::/33', '2001:db8:8000::1'));
  assert.ok(contains('::/0', '1.2.3.4'));
  for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '/8', '10.0.0.0/x', 'fe80::1%eth0', 'fe80::/10%eth0', '', '::ffff:10.0.0.0/8', '::ffff:0.0.0.0/95']) assert.equal(parseCidr(bad), undefined, bad);
  // Written IPv4-mapped with a prefix into the IPv4 part: the same block as 10.0.0.0/8.
  assert.ok(contains('::ffff:10.0.0.0/104', '10.1.2.3'));
  assert.ok(!contains('::ffff:10.0.0.0/104', '11.1.2.3'));
});
