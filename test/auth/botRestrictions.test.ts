// A bot password's MediaWiki restrictions (MWRestrictions), as an import brings them: which addresses may
// log in with it, in every spelling; what cannot be checked refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restrictionsAllow } from '../../src/auth/botpasswords.js';

test('IPAddresses: addresses and ranges of both kinds, in any spelling; none listed lets nobody in', () => {
  const r = { IPAddresses: ['192.0.2.0/24', '2001:db8::/32', '203.0.113.9'] };
  for (const ip of ['192.0.2.1', '192.0.2.255', '::ffff:192.0.2.7', '2001:db8::1', '2001:DB8:0:0:0:0:0:2', '203.0.113.9']) assert.equal(restrictionsAllow(r, ip), true, ip);
  for (const ip of ['192.0.3.1', '127.0.0.1', '2001:db9::1', '::1', '203.0.113.10', 'not an address', '']) assert.equal(restrictionsAllow(r, ip), false, ip);
  assert.equal(restrictionsAllow({ IPAddresses: ['0.0.0.0/0', '::/0'] }, '198.51.100.1'), true, "MediaWiki's default: anywhere");
  assert.equal(restrictionsAllow({ IPAddresses: ['0.0.0.0/0', '::/0'] }, '2001:db8::5'), true);
  assert.equal(restrictionsAllow({ IPAddresses: ['::ffff:192.0.2.0/120'] }, '192.0.2.8'), true, 'an IPv4-mapped range');
  assert.equal(restrictionsAllow({ IPAddresses: [] }, '192.0.2.1'), false);
  assert.equal(restrictionsAllow({ IPAddresses: ['garbage', 42, '192.0.2.0/99'] }, '192.0.2.1'), false);
  assert.equal(restrictionsAllow({ IPAddresses: 'not a list' }, '192.0.2.1'), false);
});

test('none (made here), {} or an empty other kind: no limit; a kind that cannot be checked refuses', () => {
  assert.equal(restrictionsAllow(null, '192.0.2.1'), true);
  assert.equal(restrictionsAllow({}, '192.0.2.1'), true);
  assert.equal(restrictionsAllow({ IPAddresses: ['0.0.0.0/0'], Referers: [] }, '192.0.2.1'), true);
  assert.equal(restrictionsAllow({ IPAddresses: ['0.0.0.0/0'], Referers: ['https://tool.example/'] }, '192.0.2.1'), false);
  assert.equal(restrictionsAllow({ IPAddresses: ['0.0.0.0/0'], Pages: ['Main_Page'] }, '192.0.2.1'), true, 'editing only some pages says nothing about a login');
});
