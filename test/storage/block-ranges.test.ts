// Migration 0021: address blocks made before ranges were matched keep working — each gets its first and
// last address — and a range a version before stored as text ("192.0.2.0/24") starts blocking the
// addresses inside it; account blocks are left as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { sqlStores } from '../../src/storage/sql/stores.js';
import { migrate } from '../../src/storage/db.js';
import { migrationProvider } from '../../src/storage/migrations.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { cryptoRandom } from '../../src/util/clock.js';
import { ManualClock } from '../helpers/clock.js';

test('address and range blocks of the version before are found for every address they hold', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-ranges-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { default: SQLite } = await import('better-sqlite3');
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'db.sqlite')) }) });
  t.after(() => db.destroy());
  const { error } = await new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true }).migrateTo('0020_job_queue_columns');
  assert.equal(error, undefined);
  const row = (user: number, target: string) => ({ bl_user: user, bl_target: target, bl_by: 'Admin', bl_reason: target, bl_timestamp: 1, bl_expiry: null, bl_create_account: 1 });
  await db.insertInto('block').values([row(0, '192.0.2.7'), row(0, '198.51.100.0/24'), row(0, '2001:db8::/48'), row(3, 'Vandal')]).execute();

  await migrate(db);
  const stores = sqlStores(db, { clock: new ManualClock(), random: cryptoRandom, keys: new Keyring(['s'.repeat(32)]) });
  assert.equal((await stores.blocks.find(0, '192.0.2.7'))?.reason, '192.0.2.7');
  assert.equal(await stores.blocks.find(0, '192.0.2.8'), null);
  assert.equal((await stores.blocks.find(0, '198.51.100.200'))?.reason, '198.51.100.0/24');
  assert.equal((await stores.blocks.find(0, '2001:db8:0:ffff::1'))?.reason, '2001:db8::/48');
  assert.equal(await stores.blocks.find(0, '2001:db8:1::1'), null);
  assert.equal((await stores.blocks.find(3, '203.0.113.1'))?.reason, 'Vandal');
  const ranges = await db.selectFrom('block').select(['bl_target', 'bl_range_start', 'bl_range_end']).where('bl_user', '=', 3).execute();
  assert.deepEqual(ranges, [{ bl_target: 'Vandal', bl_range_start: null, bl_range_end: null }]);
});
