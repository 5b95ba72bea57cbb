// The MediaWiki source reader on databases MediaWiki 1.39 made itself: SQLite, MariaDB with a table
// prefix, PostgreSQL. The same accounts come out of all three, with every field; batches by user_id give
// the same records; the source is never written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MediaWikiReader } from '../../src/import/mediawiki/reader.js';
import { decodeRecord, encodeRecord, recordFingerprint, type AccountRecord, type AddressBlockRecord } from '../../src/import/record.js';
import { ADMIN, createMediaWikiFixture, fixtureSkip, NO_PASSWORD_USER, NULL_PASSWORD_USER, type FixtureKind, type MediaWikiFixture } from './mediawiki-fixture.js';

async function readAll(source: string, opts: Parameters<typeof MediaWikiReader.open>[1] = {}) {
  const reader = await MediaWikiReader.open(source, opts);
  try {
    const accounts: AccountRecord[] = [];
    const batches: number[] = [];
    for await (const b of reader.accountBatches()) {
      batches.push(b.length);
      accounts.push(...b);
    }
    const blocks: AddressBlockRecord[] = [];
    for await (const b of reader.addressBlocks()) blocks.push(b);
    return { summary: reader.summary, accounts, blocks, batches, count: await reader.countAccounts(), blockCount: await reader.countAddressBlocks() };
  } finally {
    await reader.close();
  }
}

const byName = (list: AccountRecord[]) => new Map(list.map((a) => [a.name, a]));
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
/** What does not depend on when and where the fixture was made: times, hashes and fingerprints out. */
function comparable(r: AccountRecord | AddressBlockRecord): unknown {
  return JSON.parse(
    JSON.stringify(r, (k, v) =>
      ['registration', 'emailAuthenticated', 'timestamp', 'issued', 'fingerprint', 'password', 'hash'].includes(k) && typeof v === 'string' ? k : v,
    ),
  );
}

const seen = new Map<FixtureKind, Awaited<ReturnType<typeof readAll>>>();

for (const kind of ['sqlite', 'mysql', 'postgres'] as const) {
  const skip = await fixtureSkip(kind);
  describe(`a MediaWiki 1.39 database on ${kind}`, { skip }, () => {
    let fixture: MediaWikiFixture;
    let read: Awaited<ReturnType<typeof readAll>>;
    let sqliteBefore = '';
    before(async () => {
      fixture = await createMediaWikiFixture({ kind });
      if (kind === 'sqlite') sqliteBefore = createHash('sha256').update(readFileSync(fixture.source)).digest('hex');
      read = await readAll(fixture.source, { prefix: fixture.prefix });
      seen.set(kind, read);
    });
    after(() => fixture?.close());

    test('is recognised, with its prefix and the 1.39 block table; every account is read', () => {
      assert.deepEqual({ ...read.summary, source: undefined }, {
        source: undefined, dialect: kind, prefix: kind === 'mysql' ? 'mw_' : '', blockSchema: 'ipblocks',
      });
      assert.equal(read.count, read.accounts.length);
      const names = read.accounts.map((a) => a.name);
      for (const a of fixture.accounts) assert.ok(names.includes(a.name), a.name);
      assert.ok(names.includes('MediaWiki default'));
      const ids = read.accounts.map((a) => a.sourceId);
      assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'in user_id order');
    });

    test('names, addresses and their confirmation, real names, registration, edit counts, system accounts', () => {
      const a = byName(read.accounts);
      assert.equal(a.get('Pbkdf2 default')!.email, 'pbkdf2@example.org');
      assert.match(a.get('Pbkdf2 default')!.emailAuthenticated!, ISO, 'resetUserEmail.php confirms');
      assert.equal(a.get('Bcrypt user')!.email, 'Bcrypt@Example.ORG', 'as stored, case kept');
      assert.equal(a.get('Salted B')!.email, 'salted-b@example.org');
      assert.equal(a.get('Salted B')!.emailAuthenticated, null, 'not confirmed');
      assert.equal(a.get('Old A')!.email, null);
      assert.equal(a.get('Argon2id user')!.realName, 'Ärgon Zwei Id');
      assert.equal(a.get('Old A')!.realName, '');
      for (const r of read.accounts) {
        assert.match(r.registration!, ISO, r.name);
        assert.equal(r.tempAccount, false);
        assert.equal(r.fingerprint, recordFingerprint(r));
      }
      assert.equal(a.get('Salted B')!.editCount, 2, 'two edits through edit.php');
      assert.equal(a.get('Old A')!.editCount, 0);
      assert.equal(a.get('MediaWiki default')!.system, true);
      assert.equal(a.get(ADMIN.name)!.system, false);
      assert.equal(a.get(NULL_PASSWORD_USER.name)!.password.startsWith(':null::pbkdf2:'), true);
      assert.equal(a.get(NO_PASSWORD_USER)!.password, '');
    });

    test('groups with and without an expiry', () => {
      const a = byName(read.accounts);
      assert.deepEqual(a.get('Legacy A')!.groups, [
        { group: 'bureaucrat', expiry: '2099-12-31T23:59:59Z' },
        { group: 'sysop', expiry: null },
      ]);
      assert.deepEqual(a.get('Argon2i user')!.groups, [{ group: 'bot', expiry: '2038-01-19T03:14:07Z' }]);
      assert.deepEqual(a.get('Pbkdf2 default')!.groups.map((g) => g.group), ['bot', 'interface-admin']);
      assert.deepEqual(a.get('Old A')!.groups, []);
    });

    test('bot passwords: hash, grants and restrictions', () => {
      const a = byName(read.accounts);
      const [cli] = a.get('Pbkdf2 default')!.botPasswords;
      assert.deepEqual({ ...cli, password: cli!.password.slice(0, 8) }, {
        appId: 'cli', password: ':pbkdf2:', grants: ['basic', 'editmyoptions'], restrictions: { IPAddresses: ['0.0.0.0/0', '::/0'] },
      });
      const [restricted] = a.get('Legacy B')!.botPasswords;
      assert.deepEqual(restricted!.grants, ['basic', 'highvolume']);
      assert.deepEqual(restricted!.restrictions, { IPAddresses: ['192.0.2.0/24', '2001:db8::/32'] });
    });

    test('blocks on accounts: reason, performer, expiry, account-creation, email and sitewide flags', () => {
      const a = byName(read.accounts);
      const strip = (b: AccountRecord['blocks'][number]) => ({ ...b, timestamp: ISO.test(b.timestamp) });
      assert.deepEqual(a.get('Old A')!.blocks.map(strip), [{
        target: 'Old A', reason: 'fixture: blocked by blockUsers.php', performer: 'Admin', timestamp: true, expiry: null,
        createAccount: true, email: true, sitewide: true, anonOnly: false, autoblock: false, allowUserTalk: false, hidden: false,
      }]);
      assert.deepEqual(a.get('Legacy B')!.blocks.map(strip), [{
        target: 'Legacy B', reason: 'fixture: until 2099', performer: 'Admin', timestamp: true, expiry: '2099-12-31T00:00:00Z',
        createAccount: false, email: true, sitewide: true, anonOnly: false, autoblock: false, allowUserTalk: true, hidden: false,
      }]);
      const partial = a.get('Pbkdf2 other')!.blocks;
      assert.equal(partial.length, 1);
      assert.equal(partial[0]!.sitewide, false);
      assert.deepEqual(a.get('Salted B')!.blocks, []);
    });

    test('address and range blocks, IPv4 and IPv6, separately from the accounts', () => {
      assert.equal(read.blockCount, 3);
      assert.deepEqual(read.blocks.map((b) => [b.target, b.reason, b.expiry, b.createAccount, b.anonOnly]), [
        ['203.0.113.7', 'fixture: one address', null, true, true],
        ['198.51.100.0/24', 'fixture: a range', '2099-12-31T00:00:00Z', true, false],
        ['2001:DB8:1:0:0:0:0:0/48', 'fixture: an IPv6 range', null, false, false],
      ]);
      for (const b of read.blocks) assert.equal(b.fingerprint, recordFingerprint(b));
    });

    test('preferences: language, requireemail, disablemail', () => {
      const a = byName(read.accounts);
      assert.deepEqual(a.get('Bcrypt user')!.preferences, { language: 'ar', disablemail: true });
      assert.deepEqual(a.get('Pbkdf2 default')!.preferences, { language: 'fr', requireemail: true });
      assert.deepEqual(a.get('Old A')!.preferences, {});
    });

    test('a pending temporary password with its time; none elsewhere', () => {
      const a = byName(read.accounts);
      const temp = a.get('Legacy A')!.temporaryPassword!;
      assert.match(temp.hash, /^:pbkdf2:/);
      assert.match(temp.issued!, ISO);
      for (const r of read.accounts) if (r.name !== 'Legacy A') assert.equal(r.temporaryPassword, null, r.name);
    });

    test('batches of 3 give the same records; reading again gives the same fingerprints', async () => {
      const again = await readAll(fixture.source, { prefix: fixture.prefix, batchSize: 3 });
      assert.ok(again.batches.every((n) => n <= 3) && again.batches.length >= 5, `${again.batches}`);
      assert.deepEqual(again.accounts, read.accounts);
      assert.deepEqual(again.blocks, read.blocks);
    });

    test('each record survives its JSON line unchanged', () => {
      for (const r of [...read.accounts, ...read.blocks]) assert.deepEqual(decodeRecord(encodeRecord(r)), r);
    });

    if (kind === 'sqlite') {
      test('the SQLite file is not written', () => {
        assert.equal(createHash('sha256').update(readFileSync(fixture.source)).digest('hex'), sqliteBefore);
      });
    }
  });
}

test('the same accounts and blocks come out of SQLite, MariaDB and PostgreSQL', (t) => {
  const kinds = [...seen.keys()];
  if (kinds.length < 2) return t.skip('fewer than two databases were read');
  const [first, ...rest] = kinds;
  for (const k of rest) {
    assert.deepEqual(seen.get(k)!.accounts.map(comparable), seen.get(first!)!.accounts.map(comparable), `${k} vs ${first}`);
    assert.deepEqual(seen.get(k)!.blocks.map(comparable), seen.get(first!)!.blocks.map(comparable), `${k} vs ${first}`);
  }
});
