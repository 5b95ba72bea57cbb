// The unit of work (stores.transaction) on SQLite, PostgreSQL and MariaDB: what the transaction's stores
// write is all committed when the callback returns and none of it when it throws; a savepoint undoes
// only its own part; transactions running at once neither lose nor mix their writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AuditLog } from '../../src/audit/log.js';
import { withSavepoint } from '../../src/storage/sql/dialect.js';
import type { Stores } from '../../src/storage/stores.js';
import { contract, onDatabases, START } from './backends.js';

const keyOf = (name: string) => createHash('sha256').update(name).digest('hex');

/** Writes one account and something in every store of the unit of work; returns the account's id. */
async function writeEverything(stores: Stores, name: string, fail = false): Promise<number> {
  const audit = new AuditLog({ store: stores.audit, users: stores.users, clock: { now: () => START } });
  return stores.transaction(async (tx) => {
    const u = await tx.users.create({ name, email: `${name}@example.org`, passwordHash: 'h' });
    await tx.users.addGroup(u.id, 'sysop');
    await tx.preferences.set(u.id, 'language', 'fr');
    await tx.botPasswords.set(u.id, 'app', 'bh', ['basic']);
    await tx.blocks.add({ userId: u.id, target: name, by: 'Admin', reason: 'r' });
    await tx.rememberTokens.add({ key: keyOf(name), userId: u.id, generation: 'g', created: START, expires: START + 1000 }, 20);
    await tx.siteSettings.put(`s-${name}`, 'v', START);
    await audit.record({ type: 'account.created', userId: u.id, userName: name }, tx);
    await tx.sql.insertInto('reset_request').values({ rr_created: START, rr_performer_id: u.id, rr_performer_name: name, rr_performer_ip: '192.0.2.1', rr_username: name, rr_email: null, rr_status: 'pending', rr_processed: null }).execute();
    // Inside, the transaction sees its own writes.
    assert.equal((await tx.users.byName(name))?.id, u.id);
    assert.deepEqual(await tx.users.groups(u.id), ['sysop']);
    if (fail) throw new Error('changed my mind');
    return u.id;
  });
}

async function traces(stores: Stores, name: string) {
  const u = await stores.users.byName(name);
  const audit = await stores.audit.query({ user: { name }, limit: 10 });
  const requests = await stores.sql.selectFrom('reset_request').select('rr_id').where('rr_username', '=', name).execute();
  return {
    user: u !== null,
    groups: u ? await stores.users.groups(u.id) : [],
    prefs: u ? await stores.preferences.get(u.id) : {},
    bots: u ? (await stores.botPasswords.list(u.id)).length : 0,
    blocks: (await stores.blocks.list()).filter((b) => b.target === name).length,
    remembered: (await stores.rememberTokens.find(keyOf(name))) !== null,
    setting: (await stores.siteSettings.get(`s-${name}`)) !== null,
    audit: audit.length,
    requests: requests.length,
  };
}

contract<Stores>('Stores.transaction', onDatabases((s) => s), (subject) => {
  test('committed whole when the callback returns', async () => {
    const stores = subject().store;
    const id = await writeEverything(stores, 'Committed');
    assert.ok(id > 0);
    assert.deepEqual(await traces(stores, 'Committed'), {
      user: true, groups: ['sysop'], prefs: { language: 'fr' }, bots: 1, blocks: 1, remembered: true, setting: true, audit: 1, requests: 1,
    });
  });

  test('none of it when the callback throws; the error comes out as it was', async () => {
    const stores = subject().store;
    await assert.rejects(writeEverything(stores, 'Undone', true), /changed my mind/);
    assert.deepEqual(await traces(stores, 'Undone'), {
      user: false, groups: [], prefs: {}, bots: 0, blocks: 0, remembered: false, setting: false, audit: 0, requests: 0,
    });
    // The name is free again.
    assert.ok((await writeEverything(stores, 'Undone')) > 0);
  });

  test('a database error inside rolls back what came before it', async () => {
    const stores = subject().store;
    await stores.users.create({ name: 'Taken', passwordHash: 'h' });
    await assert.rejects(
      stores.transaction(async (tx) => {
        await tx.preferences.set(999, 'language', 'de');
        await tx.users.create({ name: 'Taken', passwordHash: 'again' });
      }),
    );
    assert.deepEqual(await stores.preferences.get(999), {});
  });

  test('a savepoint undone leaves the rest of the transaction', async () => {
    const stores = subject().store;
    await stores.transaction(async (tx) => {
      await tx.preferences.set(1, 'kept', 'yes');
      await withSavepoint(tx.sql, 'trial', async () => {
        await tx.preferences.set(1, 'undone', 'yes');
        await tx.users.create({ name: 'Trial', passwordHash: 'h' });
      }, { undo: true });
      await assert.rejects(withSavepoint(tx.sql, 'failing', async () => {
        await tx.preferences.set(1, 'failed', 'yes');
        throw new Error('inner');
      }), /inner/);
      await tx.preferences.set(1, 'after', 'yes');
    });
    assert.deepEqual(await stores.preferences.get(1), { after: 'yes', kept: 'yes' });
    assert.equal(await stores.users.byName('Trial'), null);
  });

  test('20 transactions at once, each writing its account and events, all commit whole', async () => {
    const stores = subject().store;
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => writeEverything(stores, `Parallel ${i}`)));
    assert.equal(new Set(ids).size, 20);
    for (let i = 0; i < 20; i++) {
      const t = await traces(stores, `Parallel ${i}`);
      assert.deepEqual([t.user, t.bots, t.blocks, t.audit, t.requests], [true, 1, 1, 1, 1], `Parallel ${i}`);
    }
  });

  test('20 transactions at once changing one account: each change is whole, none lost', async () => {
    const stores = subject().store;
    const u = await stores.users.create({ name: 'Shared', passwordHash: 'h' });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        stores.transaction(async (tx) => {
          const cur = (await tx.users.byId(u.id))!;
          await tx.users.setPassword(u.id, `h${i}`);
          await tx.botPasswords.set(u.id, `app${i}`, 'b', []);
          await tx.preferences.set(u.id, 'last', String(i));
          assert.ok(cur);
        }),
      ),
    );
    const after = (await stores.users.byId(u.id))!;
    const last = (await stores.preferences.get(u.id)).last!;
    assert.match(after.password, /^h\d+$/);
    assert.equal((await stores.botPasswords.list(u.id)).length, 20, 'every transaction\'s bot password is there');
    assert.match(last, /^\d+$/);
  });
});

// SQLite takes its write lock at the start of a transaction (and has one connection): no deadlock to break.
contract<Stores>('Stores.transaction with several connections', { postgres: (env) => env.stores!, mariadb: (env) => env.stores! }, (subject) => {
  test('two transactions that lock two rows in opposite orders: the one the database ends runs again, both commit', async () => {
    const stores = subject().store;
    await stores.preferences.set(1, 'p', 'start');
    await stores.preferences.set(2, 'p', 'start');
    let bothHoldOne!: () => void;
    const gate = new Promise<void>((resolve) => {
      let waiting = 0;
      bothHoldOne = () => void (++waiting === 2 && resolve());
    });
    const runs = { a: 0, b: 0 };
    const crossing = (name: 'a' | 'b', first: number, second: number) =>
      stores.transaction(async (tx) => {
        runs[name]++;
        await tx.preferences.set(first, 'p', name);
        // Only the first run waits for the other: a run again goes straight through.
        if (runs[name] === 1) {
          bothHoldOne();
          await gate;
        }
        await tx.preferences.set(second, 'p', name);
      });
    await Promise.all([crossing('a', 1, 2), crossing('b', 2, 1)]);
    assert.equal(runs.a + runs.b, 3, `one of them ran again (${JSON.stringify(runs)})`);
    const last = runs.a === 2 ? 'a' : 'b';
    assert.deepEqual([(await stores.preferences.get(1)).p, (await stores.preferences.get(2)).p], [last, last], 'the one run again wrote last, whole');
  });
});
