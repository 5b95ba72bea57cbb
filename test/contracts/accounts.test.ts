// Accounts in bulk (src/accounts/bulk.ts) on SQLite, PostgreSQL and MariaDB: many accounts with their
// groups, preferences, bot passwords and blocks in one unit of work, in a few multi-row statements per
// batch; all or nothing; a second import replaces what the first wrote; and what is read back in keyset
// batches is what single-account reads give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KyselyPlugin } from 'kysely';
import { readAccounts, writeAccounts, type AccountRead, type AccountWrite } from '../../src/accounts/bulk.js';
import { sqlStores } from '../../src/storage/sql/stores.js';
import type { Stores } from '../../src/storage/stores.js';
import { cryptoRandom } from '../../src/util/clock.js';
import { contract, onDatabases, SECRET, START, type Subject } from './backends.js';
import { Keyring } from '../../src/secrets/keyring.js';

const DAY = 86400_000;

function account(i: number, extra: Partial<AccountWrite> = {}): AccountWrite {
  return {
    name: `Imported ${i}`,
    email: `imported${i}@example.org`,
    emailAuthenticated: i % 2 ? START - DAY : null,
    realName: i % 3 ? `Person ${i}` : '',
    registration: START - 1000 * DAY + i,
    passwordHash: `:pbkdf2:sha512:30000:64:salt${i}:key${i}`,
    temporaryPassword: i % 10 === 0 ? { hash: `:pbkdf2:temp${i}`, issued: START - DAY } : null,
    fingerprint: String(i).padStart(64, 'f'),
    groups: i % 5 === 0 ? [{ group: 'sysop', expiry: null }, { group: 'bot', expiry: START + DAY }] : [],
    preferences: i % 4 === 0 ? { language: 'fr', requireemail: '1' } : {},
    botPasswords: i % 7 === 0 ? [{ appId: 'backup', hash: `:pbkdf2:bot${i}`, grants: ['basic'], restrictions: { IPAddresses: ['192.0.2.0/24'] }, created: START - DAY }] : [],
    blocks: i % 11 === 0 ? [{ by: 'Admin', reason: `block ${i}`, timestamp: START - DAY, expiry: null, createAccount: true, hidden: i % 2 === 0 }] : [],
    ...extra,
  };
}

/** The stores on the subject's database, counting the statements they send. */
function counted(s: Subject<Stores>): { stores: Stores; statements: () => number } {
  let n = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (a) => (n++, a.node),
    transformResult: async (a) => a.result,
  };
  return { stores: sqlStores(s.db!.withPlugin(plugin), { clock: s.clock, random: cryptoRandom, keys: new Keyring([SECRET]) }), statements: () => n };
}

contract<Stores>('Accounts in bulk', onDatabases((s) => s), (subject) => {
  test('1,000 accounts with their parts in one transaction take a handful of statements, not one per account', async () => {
    const s = subject();
    const { stores, statements } = counted(s);
    const batch = Array.from({ length: 1000 }, (_, i) => account(i));
    const ids = await stores.transaction((tx) => writeAccounts(tx, batch));
    assert.equal(ids.size, 1000);
    assert.ok(statements() <= 15, `${statements()} statements`);
    assert.equal(await s.store.users.count(), 1000);
  });

  test('what is written reads back the same, in bulk and one by one', async () => {
    const s = subject();
    const stores = s.store;
    const batch = Array.from({ length: 60 }, (_, i) => account(i));
    const ids = await stores.transaction((tx) => writeAccounts(tx, batch));
    const read: AccountRead[] = [];
    for await (const page of readAccounts(stores, 25)) read.push(...page);
    assert.deepEqual(read.map((r) => r.user.name), batch.map((a) => a.name), 'every account once, by id');
    for (const [i, a] of batch.entries()) {
      const r = read[i]!;
      const id = ids.get(a.name)!;
      assert.equal(r.user.id, id);
      assert.deepEqual(r.user, await stores.users.byId(id));
      assert.deepEqual(
        [r.user.email, r.user.emailAuthenticated, r.user.realName, r.user.registration, r.user.password, r.user.newPassword, r.user.newPassTime],
        [a.email, a.emailAuthenticated, a.realName, a.registration, a.passwordHash, a.temporaryPassword?.hash ?? '', a.temporaryPassword?.issued ?? null],
      );
      assert.deepEqual(r.groups, [...a.groups].sort((x, y) => x.group.localeCompare(y.group)));
      assert.deepEqual(r.groups.map((g) => g.group), await stores.users.groups(id));
      assert.deepEqual(r.preferences, a.preferences);
      assert.deepEqual(r.preferences, await stores.preferences.get(id));
      assert.deepEqual(r.botPasswords.map((b) => [b.appId, b.hash, b.grants, b.restrictions, b.created]), a.botPasswords.map((b) => [b.appId, b.hash, b.grants, b.restrictions, b.created]));
      for (const b of r.botPasswords) assert.deepEqual(b, await stores.botPasswords.get(id, b.appId));
      assert.deepEqual(r.blocks.map((b) => [b.target, b.reason, b.timestamp, b.hidden]), a.blocks.map((b) => [a.name, b.reason, b.timestamp, b.hidden ?? false]));
    }
    const found = await stores.users.byNames(batch.map((a) => a.name));
    assert.deepEqual([...found.values()].map((f) => f.fingerprint).sort(), batch.map((a) => a.fingerprint).sort());
  });

  test('all or nothing: a failure in the batch leaves no account, group, preference, bot password or block', async () => {
    const s = subject();
    const stores = s.store;
    const batch = Array.from({ length: 50 }, (_, i) => account(i));
    await assert.rejects(
      stores.transaction(async (tx) => {
        await writeAccounts(tx, batch);
        throw new Error('the source went away');
      }),
      /source went away/,
    );
    assert.equal(await stores.users.count(), 0);
    for (const t of ['user_groups', 'user_properties', 'bot_passwords', 'block'] as const) {
      assert.equal((await s.db!.selectFrom(t).selectAll().execute()).length, 0, t);
    }
  });

  test('importing again replaces each account\'s parts, keeps its id, ends its sessions, and leaves the others', async () => {
    const s = subject();
    const stores = s.store;
    const own = await stores.users.create({ name: 'Local', passwordHash: 'h' });
    await stores.preferences.set(own.id, 'language', 'ar');
    const first = await stores.transaction((tx) => writeAccounts(tx, [account(0), account(5), account(7), account(11)]));
    const before = (await stores.users.byName('Imported 0'))!;
    const again = await stores.transaction((tx) =>
      writeAccounts(tx, [
        account(0, { groups: [], preferences: { language: 'de' }, botPasswords: [], blocks: [], passwordHash: 'changed' }),
        account(5),
      ]),
    );
    assert.equal(again.get('Imported 0'), first.get('Imported 0'));
    const after = (await stores.users.byName('Imported 0'))!;
    assert.equal(after.password, 'changed');
    assert.notEqual(after.token, before.token);
    assert.deepEqual(await stores.users.groups(after.id), []);
    assert.deepEqual(await stores.preferences.get(after.id), { language: 'de' });
    assert.deepEqual(await stores.botPasswords.list(after.id), []);
    assert.equal((await stores.blocks.ofUsers([after.id])).size, 0);
    assert.equal((await stores.botPasswords.list(first.get('Imported 7')!)).length, 1, 'an account not in the second batch keeps its parts');
    assert.equal((await stores.blocks.ofUsers([first.get('Imported 11')!])).size, 1);
    assert.deepEqual(await stores.preferences.get(own.id), { language: 'ar' });
    assert.equal(await stores.users.count(), 5);
  });

  test('address blocks in bulk go with the accounts in the same transaction', async () => {
    const stores = subject().store;
    await stores.transaction(async (tx) => {
      await writeAccounts(tx, [account(1)]);
      await tx.blocks.upsertMany([
        { userId: 0, target: '198.51.100.7', by: 'Admin', reason: 'proxy', timestamp: START - DAY },
        { userId: 0, target: '2001:DB8::7', by: 'Admin', reason: 'proxy', timestamp: START - DAY },
      ]);
    });
    assert.equal((await stores.blocks.find(0, '2001:db8::7'))?.reason, 'proxy');
    assert.equal((await stores.blocks.list()).length, 2);
  });
});
