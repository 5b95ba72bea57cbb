// The importer (src/import/importer.ts) and the JSON-lines export (src/import/jsonl.ts) on SQLite,
// PostgreSQL and MariaDB: what is created, left alone, updated and skipped (and why) on a second run;
// address blocks lifted in the source; a dry run writes nothing; a failure half-way leaves nothing; and an
// export imported into an empty database exports to the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importRecords, WHY, type RecordSource } from '../../src/import/importer.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecords, jsonlSource } from '../../src/import/jsonl.js';
import { decodeRecord, recordFingerprint, type AccountRecord, type AddressBlockRecord } from '../../src/import/record.js';
import type { Stores } from '../../src/storage/stores.js';
import { contract, onDatabases, START } from './backends.js';

const DAY = 86400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function account(i: number, extra: Partial<AccountRecord> = {}): AccountRecord {
  const rec: Omit<AccountRecord, 'fingerprint'> = {
    type: 'account',
    name: `Wiki user ${i}`,
    email: i % 2 ? `user${i}@example.org` : null,
    emailAuthenticated: i % 4 === 1 ? iso(START - 10 * DAY) : null,
    realName: i % 3 ? '' : `Person ${i}`,
    registration: i === 0 ? null : iso(START - 1000 * DAY + i * 1000),
    editCount: i * 3,
    password: `:pbkdf2:sha512:30000:64:c2FsdA${i}==:a2V5${i}==`,
    temporaryPassword: i % 5 === 0 ? { hash: `:pbkdf2:sha512:30000:64:dA${i}==:dA==`, issued: iso(START - DAY) } : null,
    groups: i % 3 === 0 ? [{ group: 'bot', expiry: iso(START + 30 * DAY) }, { group: 'sysop', expiry: null }] : [],
    botPasswords: i % 4 === 0 ? [{ appId: 'backup', password: `:pbkdf2:bot${i}`, grants: ['basic', 'highvolume'], restrictions: { IPAddresses: ['192.0.2.0/24'] } }] : [],
    blocks:
      i % 7 === 3
        ? [{
            target: `Wiki user ${i}`, reason: 'spam', performer: 'Admin', timestamp: iso(START - 2 * DAY), expiry: null, createAccount: true, email: i % 2 === 0,
            sitewide: true, anonOnly: false, autoblock: true, allowUserTalk: false, hidden: false,
          }]
        : [],
    preferences: i % 2 ? { language: 'fr', requireemail: true } : i % 4 === 2 ? { disablemail: false } : {},
    system: i === 1,
    tempAccount: false,
    sourceId: 100 + i,
    ...extra,
  };
  return { ...rec, fingerprint: recordFingerprint(rec) };
}

function addressBlock(target: string, sourceId: number, extra: Partial<AddressBlockRecord> = {}): AddressBlockRecord {
  const rec: Omit<AddressBlockRecord, 'fingerprint'> = {
    type: 'address-block', target, reason: `block ${target}`, performer: 'Admin', timestamp: iso(START - DAY), expiry: iso(START + 100 * DAY),
    createAccount: true, email: false, sitewide: true, anonOnly: true, autoblock: false, allowUserTalk: true, hidden: false, sourceId, ...extra,
  };
  return { ...rec, fingerprint: recordFingerprint(rec) };
}

/** Records in memory as a source, in batches of `batch`. */
function source(accounts: AccountRecord[], blocks: AddressBlockRecord[] = [], o: { complete?: boolean; batch?: number; failAt?: number } = {}): RecordSource {
  const batch = o.batch ?? 50;
  return {
    name: 'MediaWiki test',
    complete: o.complete ?? true,
    count: async () => accounts.length + blocks.length,
    async *accountBatches() {
      for (let i = 0; i < accounts.length; i += batch) {
        if (o.failAt !== undefined && i >= o.failAt) throw new Error('the source went away');
        yield accounts.slice(i, i + batch);
      }
    },
    async *addressBlockBatches() {
      if (blocks.length) yield blocks;
    },
  };
}

async function exportText(stores: Stores, now: number): Promise<string> {
  let out = '';
  await exportRecords(stores, { now, write: (c) => void (out += c) });
  return out;
}

async function emptyAll(stores: Stores): Promise<void> {
  await stores.transaction(async (tx) => {
    for (const t of ['bot_passwords', 'block', 'user_properties', 'user_groups', 'user'] as const) await tx.sql.deleteFrom(t).execute();
  });
}

contract<Stores>('Importer', onDatabases((s) => s), (subject) => {
  test('a first run creates everything; a second one finds everything unchanged and writes nothing', async () => {
    const stores = subject().store;
    const accounts = Array.from({ length: 120 }, (_, i) => account(i));
    const blocks = [addressBlock('203.0.113.7', 1), addressBlock('198.51.100.0/24', 2), addressBlock('2001:DB8:0:0:0:0:0:7', 3)];
    const first = await importRecords(stores, source(accounts, blocks));
    assert.deepEqual(first.accounts, { created: 120, updated: 0, unchanged: 0, skipped: 0 });
    assert.deepEqual(first.addressBlocks, { created: 3, updated: 0, unchanged: 0, skipped: 0, lifted: 0 });
    const u = (await stores.users.byName('Wiki user 3'))!;
    assert.equal(u.editCount, 9);
    assert.deepEqual(u.provenance, { source: 'MediaWiki test', sourceId: 103, imported: START });
    assert.equal((await stores.blocks.find(u.id, '192.0.2.200'))?.reason, 'spam');
    assert.equal((await stores.blocks.find(0, '2001:db8::7'))?.reason, 'block 2001:DB8:0:0:0:0:0:7');
    assert.deepEqual(await stores.users.groups(u.id), ['bot', 'sysop']);
    assert.deepEqual(await stores.preferences.get(u.id), { language: 'fr', requireemail: '1' });

    const tokenBefore = u.token;
    const again = await importRecords(stores, source(accounts, blocks));
    assert.deepEqual(again.accounts, { created: 0, updated: 0, unchanged: 120, skipped: 0 });
    assert.deepEqual(again.addressBlocks, { created: 0, updated: 0, unchanged: 3, skipped: 0, lifted: 0 });
    assert.equal((await stores.users.byName('Wiki user 3'))!.token, tokenBefore, 'an unchanged account is not rewritten (its sessions live on)');
    assert.equal(await stores.users.count(), 120);
  });

  test('changes in the source are taken; what was made or changed here since is skipped with the reason, not merged', async () => {
    const { store: stores, clock } = subject();
    const local = await stores.users.create({ name: 'Wiki user 9', passwordHash: ':pbkdf2:made-here' });
    await stores.blocks.add({ userId: 0, target: '192.0.2.9', by: 'LocalAdmin', reason: 'made here' });
    const accounts = Array.from({ length: 10 }, (_, i) => account(i));
    const blocks = [addressBlock('203.0.113.7', 1), addressBlock('203.0.113.8', 2), addressBlock('192.0.2.9', 3), addressBlock('203.0.113.10', 4)];
    const first = await importRecords(stores, source(accounts, blocks));
    assert.deepEqual(first.accounts, { created: 9, updated: 0, unchanged: 0, skipped: 1 });
    assert.deepEqual(first.skipped.map((s) => [s.kind, s.name, s.why]), [
      ['account', 'Wiki user 9', WHY.madeHere],
      ['address-block', '192.0.2.9', WHY.blockMadeHere],
    ]);
    assert.equal((await stores.users.byId(local.id))!.password, ':pbkdf2:made-here');

    // Meanwhile, here: user 2 gets a new password hash (a login upgraded it), user 4 a new address, and
    // 203.0.113.10 is blocked anew (the block is mwauth's now: the wiki lifting its own leaves it).
    clock.advance(DAY);
    const u2 = (await stores.users.byName('Wiki user 2'))!;
    await stores.users.replacePasswordHash(u2.id, u2.password, ':pbkdf2:upgraded');
    await stores.users.setEmail((await stores.users.byName('Wiki user 4'))!.id, 'new@example.org');
    await stores.blocks.add({ userId: 0, target: '203.0.113.10', by: 'LocalAdmin', reason: 'longer' });

    // And in the wiki: new passwords for 2 and 3, a removed group for 6, a new block of 5, a new address for
    // 4, a new account, 203.0.113.8 lifted, 203.0.113.7 with a new reason, 203.0.113.10 lifted.
    const changed = [
      ...accounts.slice(0, 2),
      account(2, { password: ':pbkdf2:new-in-wiki-2' }),
      account(3, { password: ':pbkdf2:new-in-wiki-3' }),
      account(4, { email: 'other@example.org' }),
      account(5, { blocks: [{ ...account(3).blocks[0]!, target: 'Wiki user 5', reason: 'new block' }] }),
      account(6, { groups: [{ group: 'sysop', expiry: null }] }),
      ...accounts.slice(7),
      account(10),
    ];
    const second = await importRecords(stores, source(changed, [addressBlock('203.0.113.7', 1, { reason: 'new reason' }), addressBlock('192.0.2.9', 3)]));
    assert.deepEqual(second.accounts, { created: 1, updated: 3, unchanged: 4, skipped: 3 });
    assert.deepEqual(second.addressBlocks, { created: 0, updated: 1, unchanged: 0, skipped: 1, lifted: 1 });
    assert.deepEqual(
      second.skipped.map((s) => [s.name, s.why]),
      [
        ['Wiki user 9', WHY.madeHere],
        ['Wiki user 2', WHY.changedBothSides],
        ['Wiki user 4', WHY.changedBothSides],
        ['192.0.2.9', WHY.blockMadeHere],
      ],
    );
    assert.equal((await stores.users.byName('Wiki user 2'))!.password, ':pbkdf2:upgraded', 'changed on both sides: left as it is here');
    assert.equal((await stores.users.byName('Wiki user 3'))!.password, ':pbkdf2:new-in-wiki-3');
    assert.equal((await stores.users.byName('Wiki user 4'))!.email, 'new@example.org');
    const u5 = (await stores.users.byName('Wiki user 5'))!;
    assert.equal((await stores.blocks.find(u5.id, '192.0.2.1'))?.reason, 'new block');
    assert.deepEqual(await stores.users.groups((await stores.users.byName('Wiki user 6'))!.id), ['sysop']);
    assert.ok(await stores.users.byName('Wiki user 10'));
    assert.equal(await stores.blocks.find(0, '203.0.113.8'), null, 'lifted in the wiki, lifted here');
    assert.equal((await stores.blocks.find(0, '203.0.113.7'))?.reason, 'new reason');
    assert.equal((await stores.blocks.find(0, '203.0.113.10'))?.reason, 'longer', 'blocked anew here: not lifted');
    assert.equal((await stores.blocks.find(0, '192.0.2.9'))?.reason, 'made here');

    const third = await importRecords(stores, source(changed, [addressBlock('203.0.113.7', 1, { reason: 'new reason' }), addressBlock('192.0.2.9', 3)]));
    assert.deepEqual(third.accounts, { created: 0, updated: 0, unchanged: 8, skipped: 3 }, 'and then nothing more changes');
  });

  test('a dry run reports the same counts and writes nothing', async () => {
    const stores = subject().store;
    const accounts = Array.from({ length: 30 }, (_, i) => account(i));
    const dry = await importRecords(stores, source(accounts, [addressBlock('203.0.113.7', 1)]), { dryRun: true });
    assert.equal(dry.dryRun, true);
    assert.deepEqual(dry.accounts, { created: 30, updated: 0, unchanged: 0, skipped: 0 });
    assert.deepEqual(dry.addressBlocks, { created: 1, updated: 0, unchanged: 0, skipped: 0, lifted: 0 });
    assert.equal(await stores.users.count(), 0);
    assert.deepEqual(await stores.blocks.list(), []);
    await importRecords(stores, source(accounts));
    const dry2 = await importRecords(stores, source([account(0, { password: 'changed' }), ...accounts.slice(1)], [], { complete: false }), { dryRun: true });
    assert.deepEqual(dry2.accounts, { created: 0, updated: 1, unchanged: 29, skipped: 0 });
    assert.notEqual((await stores.users.byName('Wiki user 0'))!.password, 'changed');
  });

  test('a failure half-way (the source goes away after two batches) leaves the database as it was', async () => {
    const stores = subject().store;
    await stores.users.create({ name: 'Before', passwordHash: 'h' });
    const accounts = Array.from({ length: 100 }, (_, i) => account(i));
    await assert.rejects(importRecords(stores, source(accounts, [], { batch: 20, failAt: 40 })), /source went away/);
    assert.equal(await stores.users.count(), 1);
    for (const t of ['user_groups', 'user_properties', 'bot_passwords', 'block'] as const) {
      assert.equal((await subject().db!.selectFrom(t).selectAll().execute()).length, 0, t);
    }
  });

  test('names no account can have here are skipped with the reason', async () => {
    const stores = subject().store;
    const bad = ['lower case', 'With_underscore', '192.0.2.1', 'Slash/name', 'x'.repeat(300)].map((name, i) => account(i, { name }));
    const r = await importRecords(stores, source([...bad, account(7)]));
    assert.deepEqual(r.accounts, { created: 1, updated: 0, unchanged: 0, skipped: 5 });
    assert.ok(r.skipped.every((s) => s.why === WHY.badName));
  });

  test('export, import into an empty database, export again: the same bytes', async (t) => {
    const { store: stores, clock } = subject();
    const accounts = Array.from({ length: 75 }, (_, i) => account(i));
    await importRecords(stores, source(accounts, [addressBlock('203.0.113.7', 1), addressBlock('2001:DB8:1:0:0:0:0:0/48', 2)]));
    // Accounts made here, with what they may have: a bot password without restrictions, a local block.
    const made = await stores.users.create({ name: 'Made here', email: 'made@example.org', passwordHash: ':pbkdf2:local' });
    await stores.botPasswords.set(made.id, 'tool', ':pbkdf2:tool', ['basic']);
    await stores.blocks.add({ userId: 0, target: '192.0.2.55', by: 'LocalAdmin', reason: 'local', expiry: START + DAY });
    await stores.preferences.set(made.id, 'language', 'ar');
    clock.advance(1500);

    const first = await exportText(stores, clock.now());
    const lines = first.trimEnd().split('\n');
    assert.equal(lines.length, 1 + 76 + 3);
    lines.forEach((l, i) => decodeRecord(l, i + 1)); // every line reads back, fingerprints included
    await emptyAll(stores);
    const dir = mkdtempSync(join(tmpdir(), 'mwauth-jsonl-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'export.jsonl');
    writeFileSync(file, first);
    const r = await importRecords(stores, jsonlSource(file));
    assert.deepEqual(r.accounts, { created: 76, updated: 0, unchanged: 0, skipped: 0 });
    assert.equal(await exportText(stores, clock.now()), first);
    const again = await importRecords(stores, jsonlSource(file));
    assert.deepEqual(again.accounts, { created: 0, updated: 0, unchanged: 76, skipped: 0 }, 'its own export is unchanged');
    assert.deepEqual(again.addressBlocks, { created: 0, updated: 0, unchanged: 3, skipped: 0, lifted: 0 });
  });
});
