// Rolling upgrades: a node of an older version starts on a database a newer version already migrated
// (an old node restarting mid-upgrade, or a rollback), says so in its log, and serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { openDatabase } from '../../src/storage/db.js';
import { Client, addUser } from '../helpers/harness.js';
import { postgresDatabase, skipUnless } from '../helpers/services.js';

const NEWER = ['0900_a_newer_version_adds_a_table', '0901_and_a_column'];

async function olderNodeStarts(t: { after(fn: () => Promise<void> | void): void }, env: Record<string, string>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-upgrade-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_SECRET: 'upgrade-secret-0123456789', ...env });
  // The database as a newer version leaves it: its migrations recorded, its additions made.
  const h = await openDatabase(config);
  await sql`create table newer_table (id integer primary key)`.execute(h.db);
  await sql`alter table "user" add column user_newer_column text not null default ''`.execute(h.db);
  for (const name of NEWER) await sql`insert into kysely_migration (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(h.db);
  assert.deepEqual(h.newerMigrations, []);
  await h.close();

  const warnings: Array<{ o: Record<string, unknown>; msg: string }> = [];
  const logger = { info() {}, error() {}, warn: (o: object, msg: string) => void warnings.push({ o: o as Record<string, unknown>, msg }) };
  const srv = await startServer(config, { logger });
  t.after(() => srv.close());
  assert.deepEqual(warnings.find((w) => /migrated by a newer mwauth/.test(w.msg))?.o.migrations, NEWER);
  await addUser(srv.services, 'Alice', 'Alice-Pass-1');
  assert.equal((await new Client(`${srv.url}/w/api.php`).login('Alice', 'Alice-Pass-1')).result, 'Success');
  assert.equal((await fetch(`${srv.url}/readyz`)).status, 200);
  // The newer migrations stay recorded; nothing was undone.
  const again = await openDatabase(config);
  assert.deepEqual(again.newerMigrations, NEWER);
  await again.close();
}

test('an older node starts on a SQLite database a newer version migrated', (t) => olderNodeStarts(t, {}));

test('an older node starts on a PostgreSQL database a newer version migrated', { skip: await skipUnless('postgres') }, async (t) => {
  await olderNodeStarts(t, { MWAUTH_DATABASE_URL: await postgresDatabase(t, 'mwauth_upgrade') });
});
