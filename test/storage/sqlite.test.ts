// The SQLite file is shared by the server and CLI commands: a transaction that reads and then writes
// must not fail because another process wrote in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { openDatabase } from '../../src/storage/db.js';

test('a read-then-write transaction keeps the write lock from its start; another writer waits, not it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const handle = await openDatabase({ databaseUrl: null, dataDir: dir });
  t.after(() => handle.close());
  // A second connection, as another process would have, that does not wait for locks at all.
  const other = new SQLite(join(dir, 'mwauth.sqlite'));
  other.pragma('busy_timeout = 0');
  t.after(() => other.close());

  let otherWrite: string = 'not tried';
  await handle.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('counter').select('c_key').execute();
    assert.equal(before.length, 0);
    try {
      other.prepare('INSERT INTO counter (c_key, c_count, c_expires) VALUES (?, 1, 0)').run('other');
      otherWrite = 'written';
    } catch (err) {
      otherWrite = (err as Error).message;
    }
    await trx.insertInto('counter').values({ c_key: 'mine', c_count: 1, c_expires: 0 }).execute();
  });
  // The other writer found the file locked (it would have waited, with a busy timeout) and ours committed.
  assert.equal(otherWrite, 'database is locked');
  other.prepare('INSERT INTO counter (c_key, c_count, c_expires) VALUES (?, 1, 0)').run('other');
  const keys = await handle.db.selectFrom('counter').select('c_key').orderBy('c_key').execute();
  assert.deepEqual(keys.map((r) => r.c_key), ['mine', 'other']);
});
