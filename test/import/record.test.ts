// The account record and its JSON-lines form: canonical JSON, the change fingerprint, and reading a line
// back with every field checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  builtAccountFingerprint,
  canonicalJson,
  decodeRecord,
  encodeRecord,
  recordFingerprint,
  RecordError,
  type AccountRecord,
  type AddressBlockRecord,
} from '../../src/import/record.js';

function account(over: Partial<AccountRecord> = {}): AccountRecord {
  const rec: Omit<AccountRecord, 'fingerprint'> = {
    type: 'account', name: 'Alice', email: 'alice@example.org', emailAuthenticated: '2024-05-01T12:00:00Z', realName: 'Alice A.',
    registration: '2020-01-02T03:04:05Z', editCount: 12, password: ':B:salt:9842afc7cb949c440c51347ed809362f',
    temporaryPassword: { hash: ':pbkdf2:sha512:1:64:AA==:AA==', issued: '2024-05-02T00:00:00Z' },
    groups: [{ group: 'sysop', expiry: null }, { group: 'bot', expiry: '2099-01-01T00:00:00Z' }],
    botPasswords: [{ appId: 'app', password: ':pbkdf2:x', grants: ['basic'], restrictions: { IPAddresses: ['0.0.0.0/0'] } }],
    blocks: [{
      target: 'Alice', reason: 'spam', performer: 'Admin', timestamp: '2024-01-01T00:00:00Z', expiry: null, createAccount: true,
      email: false, sitewide: true, anonOnly: false, autoblock: true, allowUserTalk: false, hidden: false,
    }],
    preferences: { language: 'ar', requireemail: true }, system: false, tempAccount: false, sourceId: 7, ...over,
  };
  return { ...rec, fingerprint: recordFingerprint(rec) };
}

test('canonical JSON: sorted keys at every level, undefined left out', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: 'x' }, u: undefined }), '{"a":{"c":"x","d":[2,{"y":null,"z":1}]},"b":1}');
});

test('the fingerprint: independent of key order and sourceId, changed by any field that moves', () => {
  const a = account();
  assert.match(a.fingerprint, /^[0-9a-f]{64}$/);
  const reverse = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(reverse) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
  const reordered = reverse(a) as AccountRecord;
  assert.notEqual(JSON.stringify(reordered), JSON.stringify(a));
  assert.equal(recordFingerprint(reordered), a.fingerprint);
  assert.equal(account({ sourceId: 99 }).fingerprint, a.fingerprint, 'another wiki id, the same account');
  for (const over of [
    { email: 'other@example.org' }, { emailAuthenticated: null }, { password: ':A:5f4dcc3b5aa765d61d8327deb882cf99' },
    { temporaryPassword: null }, { groups: [] }, { botPasswords: [] }, { blocks: [] }, { preferences: {} }, { realName: '' },
    { editCount: 13 },
  ] as Array<Partial<AccountRecord>>) {
    assert.notEqual(account(over).fingerprint, a.fingerprint, JSON.stringify(over));
  }
});

test("the reader's quick fingerprint is the fingerprint, for every shape of account it builds", () => {
  for (const over of [
    {}, { email: null }, { temporaryPassword: null }, { temporaryPassword: { hash: 'h', issued: null } }, { groups: [] }, { botPasswords: [] },
    { botPasswords: [{ appId: 'x', password: '', grants: [], restrictions: { b: [1], a: { d: 1, c: 2 } } }] }, { blocks: [] },
    { preferences: {} }, { preferences: { disablemail: false, language: 'fr' } }, { registration: null, editCount: null }, { system: true, tempAccount: true },
    { name: 'Ünïcode "quoted" \\ name', realName: '\u2028' },
  ] as Array<Partial<AccountRecord>>) {
    const { fingerprint, ...rec } = account(over);
    assert.equal(builtAccountFingerprint(rec), fingerprint, JSON.stringify(over));
  }
});

test('a line round-trips; a line without a fingerprint gets one; a wrong fingerprint is refused', () => {
  const a = account();
  assert.deepEqual(decodeRecord(encodeRecord(a)), a);
  const { fingerprint: _, ...bare } = a;
  assert.deepEqual(decodeRecord(JSON.stringify(bare)), a);
  assert.throws(() => decodeRecord(JSON.stringify({ ...a, email: 'changed@example.org' }), 4), /^RecordError: line 4\.fingerprint: does not match/);
  const block: Omit<AddressBlockRecord, 'fingerprint'> = { ...a.blocks[0]!, type: 'address-block', target: '192.0.2.0/24', sourceId: 1 };
  assert.deepEqual(decodeRecord(JSON.stringify(block)), { ...block, fingerprint: recordFingerprint(block) });
  const header = { type: 'header', format: 'mwauth-accounts', version: 1, source: 'mediawiki', created: '2024-05-01T00:00:00Z' };
  assert.deepEqual(decodeRecord(JSON.stringify(header)), header);
});

test('bad lines: a clear error naming the line and the field', () => {
  const a = account();
  const { fingerprint: _, ...bare } = a;
  const cases: Array<[string, RegExp]> = [
    ['not json', /line 1: not JSON/],
    ['[1]', /line 1: expected a JSON object/],
    ['{"type":"user"}', /line 1\.type: expected "header", "account" or "address-block"/],
    [JSON.stringify({ ...bare, name: '' }), /line 1\.name: empty/],
    [JSON.stringify({ ...bare, name: 5 }), /line 1\.name: expected a string/],
    [JSON.stringify({ ...bare, email: 5 }), /line 1\.email: expected a string or null/],
    [JSON.stringify({ ...bare, registration: '2024-05-01' }), /line 1\.registration: expected a UTC time/],
    [JSON.stringify({ ...bare, registration: '2024-13-45T99:00:00Z' }), /line 1\.registration: expected a UTC time/],
    [JSON.stringify({ ...bare, editCount: -1 }), /line 1\.editCount: expected a whole number or null/],
    [JSON.stringify({ ...bare, groups: {} }), /line 1\.groups: expected an array/],
    [JSON.stringify({ ...bare, groups: [{ group: 'x', expiry: 'soon' }] }), /line 1\.groups\[0\]\.expiry/],
    [JSON.stringify({ ...bare, botPasswords: [{ appId: 'a', password: '', grants: [1], restrictions: {} }] }), /line 1\.botPasswords\[0\]\.grants/],
    [JSON.stringify({ ...bare, blocks: [{ ...a.blocks[0], email: 'yes' }] }), /line 1\.blocks\[0\]\.email: expected a boolean/],
    [JSON.stringify({ ...bare, temporaryPassword: 'x' }), /line 1\.temporaryPassword: expected an object or null/],
    [JSON.stringify({ ...bare, preferences: { requireemail: '1' } }), /line 1\.preferences\.requireemail: expected a boolean/],
    [JSON.stringify({ ...bare, system: undefined }), /line 1\.system: expected a boolean/],
    [JSON.stringify({ type: 'header', format: 'other', version: 1 }), /line 1: not an mwauth-accounts file/],
    [JSON.stringify({ type: 'header', format: 'mwauth-accounts', version: 2 }), /line 1: version 2 is not supported/],
  ];
  for (const [line, why] of cases) {
    assert.throws(() => decodeRecord(line), (e: Error) => e instanceof RecordError && why.test(e.message), line.slice(0, 80));
  }
});
