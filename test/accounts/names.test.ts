// User names the way MediaWiki canonicalizes and validates them, and its HTML5 email rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalUserName, isCreatableName, isIPAddress, isValidEmail } from '../../src/accounts/names.js';

test('canonical form: first letter upper case, "_" as space, spaces collapsed and trimmed', () => {
  const cases: Array<[string, string]> = [
    ['alice', 'Alice'],
    ['Alice', 'Alice'],
    ['alice_smith', 'Alice smith'],
    ['alice__smith', 'Alice smith'],
    ['  alice   smith  ', 'Alice smith'],
    ['_alice_', 'Alice'],
    ['aLICE', 'ALICE'],
    ['émile', 'Émile'],
    ['ßtraße', 'ßtraße'], // "ß".toUpperCase() is two letters: left as it is, like MediaWiki
    ['ǆemal', 'Ǆemal'], // upper case, not title case, as PHP's mb_strtoupper
    ['e\u0301mile', 'Émile'], // NFC first
    ['123abc', '123abc'],
    ['Foo:bar', 'Foo:bar'], // not a namespace: a valid (though not creatable) name
  ];
  for (const [input, expected] of cases) assert.equal(canonicalUserName(input), expected, input);
});

test('a "User:" prefix goes, in any case and spacing; other namespaces are refused', () => {
  assert.equal(canonicalUserName('User:alice'), 'Alice');
  assert.equal(canonicalUserName('user:alice'), 'Alice');
  assert.equal(canonicalUserName('USER : alice_smith'), 'Alice smith');
  assert.equal(canonicalUserName('User:'), null);
  assert.equal(canonicalUserName('User:User:alice'), null, 'the rest would still parse as a user page');
  for (const n of ['Talk:Alice', 'User talk:Alice', 'user_talk:Alice', 'Special:Alice', 'MediaWiki:Alice', 'Template:X', ':Alice']) {
    assert.equal(canonicalUserName(n), null, n);
  }
});

test('IP addresses, and names that look like them, are not user names', () => {
  for (const n of ['127.0.0.1', '192.0.2.255', '::1', '2001:db8::1', '2001:DB8:0:0:0:0:0:1', 'User:10.0.0.1', '10.0.0.0/8', '2001:db8::/32']) {
    assert.equal(canonicalUserName(n), null, n);
  }
  // MediaWiki's isIP(): any \d{1,3}.\d{1,3}.\d{1,3}.(xxx|\d{1,3}) counts, valid or not.
  for (const n of ['300.300.300.300', '999.1.1.1', '1.2.3.xxx', '01.002.3.4']) assert.equal(canonicalUserName(n), null, n);
  for (const n of ['1.2.3', '1.2.3.4.5', '1.2.3.XXX', '1.2.3.4a', 'Node 1.2.3.4']) assert.notEqual(canonicalUserName(n), null, n);
});

test('characters titles cannot hold are refused', () => {
  for (const n of ['Al#ice', 'Al|ice', 'Al/ice', 'Al<ice', 'Al>ice', 'Al[ice', 'Al]ice', 'Al{ice', 'Al}ice', 'Al\nice', 'Al\u0000ice', 'Al\u007fice', 'Al~~~ice', 'Al\u200bice', 'Al\ufeffice', 'Al\ue000ice', '', '   ', '_']) {
    assert.equal(canonicalUserName(n), null, JSON.stringify(n));
  }
});

test('at most 255 bytes of UTF-8', () => {
  assert.equal(canonicalUserName('A' + 'a'.repeat(254)), 'A' + 'a'.repeat(254));
  assert.equal(canonicalUserName('A' + 'a'.repeat(255)), null);
  assert.equal(canonicalUserName('É'.repeat(127)), 'É'.repeat(127), '254 bytes');
  assert.equal(canonicalUserName('É'.repeat(128)), null, '256 bytes in 128 characters');
  assert.equal(canonicalUserName('€'.repeat(85)), '€'.repeat(85), '255 bytes');
  assert.equal(canonicalUserName('€'.repeat(86)), null);
});

test('names accounts may be created with: no "@", ":" or ">"', () => {
  assert.ok(isCreatableName('Alice smith'));
  for (const n of ['Alice@wiki', 'Foo:bar']) assert.equal(isCreatableName(n), false, n);
});

test('isIPAddress', () => {
  for (const ip of ['0.0.0.0', '255.255.255.255', '10.0.0.0/8', '::', '::1', 'fe80::1', '2001:db8:1:2:3:4:5:6', '::ffff:192.0.2.1']) assert.ok(isIPAddress(ip), ip);
  for (const ip of ['256.1.1.1', '1.2.3', 'abc', '12345::', 'g::1', 'Alice']) assert.equal(isIPAddress(ip), false, ip);
});

test('isValidEmail: the HTML5 rule', () => {
  const valid = [
    'a@b',
    'alice@example.org',
    'ALICE@EXAMPLE.ORG',
    'first.last+tag@mail.example.co.uk',
    "o'brien@example.org",
    "!#$%&'*+/=?^_`{|}~-@example.org",
    'x@a-b.example',
    `x@${'a'.repeat(63)}.org`,
    'x@1.2.3.4',
  ];
  for (const e of valid) assert.ok(isValidEmail(e), e);
  const invalid = [
    '',
    'alice',
    'alice@',
    '@example.org',
    'al ice@example.org',
    'alice@exa mple.org',
    'alice@@example.org',
    'alice@example..org',
    'alice@.example.org',
    'alice@example.org.',
    'alice@-example.org',
    'alice@example-.org',
    `x@${'a'.repeat(64)}.org`,
    'älice@example.org',
    'alice@exämple.org',
    '<alice@example.org>',
    'Alice <alice@example.org>',
    'alice@example.org\n',
    'alice@example.org,bob@example.org',
    '"alice"@example.org',
  ];
  for (const e of invalid) assert.equal(isValidEmail(e), false, JSON.stringify(e));
});
