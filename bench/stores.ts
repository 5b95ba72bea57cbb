// npm run bench:stores [-- --accounts 20000 --batch 1000 --single 500 --only sqlite,postgres,mariadb]
//
// How fast each database takes accounts in bulk, as an import writes them (src/accounts/bulk.ts): a fresh
// database of each kind (SQLite in a temporary folder; PostgreSQL and MariaDB as new databases on the
// test servers, MWAUTH_TEST_POSTGRES_URL / MWAUTH_TEST_MYSQL_URL, dropped afterwards), then
//   1. `--accounts` accounts with their parts (2 % in groups, 25 % with preferences, 1 % with a bot
//      password, 0.5 % blocked), `--batch` per transaction, through writeAccounts: accounts per second and
//      statements per batch;
//   2. the same accounts again (an incremental re-import replacing them);
//   3. reading them all back in keyset batches (readAccounts);
//   4. for comparison, `--single` accounts made one at a time (UserStore.create, a transaction each).
// A database that does not answer is left out with the reason.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import type { KyselyPlugin } from 'kysely';
import { readAccounts, writeAccounts, type AccountWrite } from '../src/accounts/bulk.js';
import { openDatabase, type DbHandle } from '../src/storage/db.js';
import { sqlStores } from '../src/storage/sql/stores.js';
import { cryptoRandom, systemClock } from '../src/util/clock.js';
import { createMariadbDatabase, createPostgresDatabase } from '../test/helpers/services.js';
import { Keyring } from '../src/secrets/keyring.js';

const { values: args } = parseArgs({
  options: {
    accounts: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1000' },
    single: { type: 'string', default: '500' },
    only: { type: 'string', default: 'sqlite,postgres,mariadb' },
  },
});
const ACCOUNTS = Number(args.accounts);
const BATCH = Number(args.batch);
const SINGLE = Number(args.single);
const DAY = 86400_000;
const NOW = Date.now();

function account(i: number, round: number): AccountWrite {
  return {
    name: `Bench user ${i}`,
    email: `bench${i}@example.org`,
    emailAuthenticated: i % 3 ? NOW - 400 * DAY : null,
    realName: i % 4 ? '' : `Person ${i}`,
    registration: NOW - 1000 * DAY + i,
    passwordHash: `:pbkdf2:sha512:30000:64:c2FsdHNhbHQ${i % 97}:${round}a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5`,
    temporaryPassword: i % 100 === 0 ? { hash: ':pbkdf2:temp', issued: NOW - DAY } : null,
    fingerprint: `${round}`.padStart(64, '0'),
    groups: i % 50 === 0 ? [{ group: 'sysop', expiry: null }, { group: 'bot', expiry: NOW + 30 * DAY }] : [],
    preferences: i % 4 === 0 ? { language: 'fr', requireemail: '1' } : {},
    botPasswords: i % 100 === 7 ? [{ appId: 'backup', hash: ':pbkdf2:bot', grants: ['basic', 'highvolume'], restrictions: { IPAddresses: ['192.0.2.0/24'] } }] : [],
    blocks: i % 200 === 11 ? [{ by: 'Admin', reason: 'spam', timestamp: NOW - DAY, expiry: null }] : [],
  };
}

interface Opened {
  handle: DbHandle;
  close(): Promise<void>;
}

async function open(kind: string): Promise<Opened> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mwauth-bench-stores-'));
    const handle = await openDatabase({ databaseUrl: null, dataDir: dir });
    return { handle, close: async () => (await handle.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const database = kind === 'postgres' ? await createPostgresDatabase('mwauth_bench') : await createMariadbDatabase('mwauth_bench');
  const handle = await openDatabase({ databaseUrl: database.url, dataDir: tmpdir() }).catch(async (err) => {
    await database.drop();
    throw err;
  });
  return { handle, close: async () => (await handle.close(), await database.drop()) };
}

const rate = (n: number, ms: number) => `${Math.round((n * 1000) / ms).toLocaleString('en')}/s`;

console.log(`${ACCOUNTS} accounts in batches of ${BATCH}; ${SINGLE} made one by one; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('database    write (new)        statements/batch  write (replace)    read back          one by one');
for (const kind of args.only!.split(',')) {
  let opened: Opened;
  try {
    opened = await open(kind);
  } catch (err) {
    console.log(`${kind.padEnd(11)} left out: ${(err as Error).message}`);
    continue;
  }
  try {
    let statements = 0;
    const plugin: KyselyPlugin = { transformQuery: (a) => (statements++, a.node), transformResult: async (a) => a.result };
    const stores = sqlStores(opened.handle.db.withPlugin(plugin), { clock: systemClock, random: cryptoRandom, keys: new Keyring(['bench-secret-0123456789']) });
    const write = async (round: number) => {
      const t0 = performance.now();
      for (let from = 0; from < ACCOUNTS; from += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, ACCOUNTS - from) }, (_, k) => account(from + k, round));
        await stores.transaction((tx) => writeAccounts(tx, batch));
      }
      return performance.now() - t0;
    };
    const first = await write(1);
    const perBatch = statements / Math.ceil(ACCOUNTS / BATCH);
    const again = await write(2);
    const r0 = performance.now();
    let read = 0;
    for await (const page of readAccounts(stores, BATCH)) read += page.length;
    const readMs = performance.now() - r0;
    if (read !== ACCOUNTS || (await stores.users.count()) !== ACCOUNTS) throw new Error(`read ${read} accounts, expected ${ACCOUNTS}`);
    const s0 = performance.now();
    for (let i = 0; i < SINGLE; i++) {
      await stores.transaction((tx) => tx.users.create({ name: `Single ${i}`, email: `single${i}@example.org`, passwordHash: ':pbkdf2:x' }));
    }
    const singleMs = performance.now() - s0;
    console.log(
      `${kind.padEnd(11)} ${`${(first / 1000).toFixed(2)} s, ${rate(ACCOUNTS, first)}`.padEnd(18)} ${perBatch.toFixed(1).padEnd(17)} ${`${(again / 1000).toFixed(2)} s, ${rate(ACCOUNTS, again)}`.padEnd(18)} ${`${(readMs / 1000).toFixed(2)} s, ${rate(read, readMs)}`.padEnd(18)} ${rate(SINGLE, singleMs)}`,
    );
  } finally {
    await opened.close();
  }
}
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end (other work on this machine shows here)`);
