// Addresses in one spelling, ranges and the keys limits count under, whatever spelling an address comes in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrustedProxies, canonicalAddress, ipLimitKey, networkKey, parseTrustedProxies } from '../../src/util/clientAddress.js';

test('an IPv4-compatible address ("::192.0.2.1") is an IPv6 address, not the IPv4-mapped one', () => {
  assert.equal(canonicalAddress('::192.0.2.1'), '::c000:201');
  assert.equal(canonicalAddress('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(canonicalAddress('64:ff9b::192.0.2.1'), '64:ff9b::c000:201');
  const trusted = new TrustedProxies(parseTrustedProxies('192.0.2.0/24'));
  assert.equal(trusted.has('192.0.2.1'), true);
  assert.equal(trusted.has(canonicalAddress('::192.0.2.1')!), false);
  assert.equal(ipLimitKey('::192.0.2.1'), '0:0:0:0::/64');
  assert.equal(networkKey('::192.0.2.1'), '0:0:0::/48');
});

test('the limit keys read every spelling: upper case, a dotted IPv4 tail, leading zeros', () => {
  assert.equal(ipLimitKey('::FFFF:198.51.100.7'), '198.51.100.7');
  assert.equal(networkKey('::FFFF:198.51.100.7'), '198.51.100.0/24');
  // A dotted tail is two groups: the /64 is taken after counting it so.
  assert.equal(ipLimitKey('2001:db8::5:6:192.0.2.1'), ipLimitKey('2001:db8::5:6:c000:201'));
  assert.equal(ipLimitKey('2001:db8::5:6:192.0.2.1'), '2001:db8:0:0::/64');
  assert.equal(ipLimitKey('2001:db8:1:2:3:4:192.0.2.1'), '2001:db8:1:2::/64');
  assert.equal(networkKey('2001:0db8:0001:0002:0003:0004:192.0.2.1'), '2001:db8:1::/48');
  // Not an address: the text itself.
  assert.equal(ipLimitKey('unknown'), 'unknown');
  assert.equal(networkKey(''), '');
});

test('ranges: host bits dropped, IPv4-mapped ranges as IPv4, matching within one family', () => {
  assert.deepEqual(parseTrustedProxies('10.1.2.3/8, 2001:db8:ffff::1/33, ::ffff:192.0.2.128/121, 192.0.2.9'), ['10.0.0.0/8', '2001:db8:8000::/33', '192.0.2.128/25', '192.0.2.9/32']);
  const t = new TrustedProxies(['10.0.0.0/8', '2001:db8::/32', '192.0.2.9/32']);
  for (const yes of ['10.255.0.1', '::ffff:10.0.0.1', '2001:db8:ffff::1', '2001:DB8::', '192.0.2.9']) assert.equal(t.has(yes), true, yes);
  for (const no of ['11.0.0.1', '2001:db9::1', '192.0.2.10', '::a00:1', 'garbage', '']) assert.equal(t.has(no), false, no);
});
