// A reset mail's temporary password is never written to the database in the clear: queued, the message is
// sealed with a key derived from the server secret (which is not in the database); sent, only its masked
// copy stays. The .eml file the file transport writes is the only copy, 0600 in a 0700 folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { loadPerformer } from '../../src/accounts/performer.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { loadConfig } from '../../src/config.js';
import { parseMessage } from '../../src/mail/inspect.js';
import { MailSeal } from '../../src/mail/seal.js';
import { DeliveryWorker } from '../../src/mail/worker.js';
import { createServices, type Services } from '../../src/services.js';
import { mariadbDatabase, postgresDatabase, skipUnless } from '../helpers/services.js';
import { readMails } from '../helpers/harness.js';

process.umask(0o022);

const ENV = { MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test', MWAUTH_SITENAME: 'TestWiki' };

async function setup(t: { after(fn: () => Promise<void> | void): void }, env: Record<string, string> = {}) {
  const parent = mkdtempSync(join(tmpdir(), 'mwauth-rest-'));
  const dir = join(parent, 'data');
  const config = loadConfig({ MWAUTH_DATA_DIR: dir, ...ENV, ...env });
  const s = await createServices(config, { hasher: createPasswordHasher({ iterations: 1000 }) });
  let closed = false;
  const close = async () => {
    if (!closed) await s.close(0);
    closed = true;
  };
  t.after(async () => {
    await close();
    rmSync(parent, { recursive: true, force: true });
  });
  return { s, dir, config, close };
}

/** Resets for Ann (English) and Rana (Arabic: a base64 body), queued but not sent; their temporary passwords. */
async function queueResets(s: Services, secret: string): Promise<string[]> {
  await s.users.create({ name: 'Ann', email: 'ann@example.org', passwordHash: 'x' });
  const rana = await s.users.create({ name: 'Rana', email: 'rana@example.org', passwordHash: 'x' });
  await s.preferences.set(rana.id, 'language', 'ar');
  const p = await loadPerformer(s, 0, '192.0.2.1');
  await s.recovery.request(p, { user: 'Ann', email: null });
  await s.recovery.request(p, { user: 'Rana', email: null });
  await s.recoveryWorker.kick();
  const rows = await s.db.selectFrom('outbox').select(['ob_raw', 'ob_message_id', 'ob_to', 'ob_status']).orderBy('ob_id').execute();
  assert.deepEqual(rows.map((r) => r.ob_status), ['queued', 'queued']);
  // The test knows the server secret; the database alone does not.
  const seal = new MailSeal(secret);
  return rows.map((r) => {
    const text = parseMessage(seal.open(r.ob_raw, { messageId: r.ob_message_id, to: r.ob_to })).parts[0]!.body;
    return /([0-9a-v]{10})\s*$/m.exec(text.split('\n').find((l) => /[0-9a-v]{10}\s*$/.test(l) && !l.includes('http'))!)![1]!;
  });
}

/** Every message stored in the outbox tables, decoded (so a base64 body is searched too). */
async function storedTexts(s: Services): Promise<string[]> {
  const out: string[] = [];
  for (const r of await s.db.selectFrom('outbox').select('ob_raw').execute()) out.push(r.ob_raw, ...parseMessage(r.ob_raw).parts.map((p) => p.body));
  for (const r of await s.db.selectFrom('outbox_masked').select('om_raw').execute()) out.push(r.om_raw, ...parseMessage(r.om_raw).parts.map((p) => p.body));
  return out;
}

function inSqliteFiles(dir: string, secret: string): string[] {
  const found: string[] = [];
  for (const f of ['mwauth.sqlite', 'mwauth.sqlite-wal']) {
    const file = join(dir, f);
    if (existsSync(file) && readFileSync(file).includes(Buffer.from(secret, 'utf8'))) found.push(f);
  }
  return found;
}

test('SQLite: no temporary password in the database file or its -wal, queued or sent; a queued one does not open without the server secret', async (t) => {
  const { s, dir, config, close } = await setup(t);
  const temps = await queueResets(s, config.secrets[0]!);
  for (const temp of temps) {
    assert.deepEqual(inSqliteFiles(dir, temp), [], 'queued: not in the database files');
    assert.ok(!(await storedTexts(s)).some((x) => x.includes(temp)));
  }
  // A stolen database without the secret: the sealed message does not open with any other key.
  const row = (await s.db.selectFrom('outbox').selectAll().orderBy('ob_id').executeTakeFirstOrThrow());
  assert.throws(() => new MailSeal('another-secret-of-sixteen').open(row.ob_raw, { messageId: row.ob_message_id, to: row.ob_to }), /does not open/);

  await s.delivery.runOnce();
  const mails = await readMails(config.mailDir);
  assert.deepEqual(mails.map((m) => m.tempPassword).sort(), [...temps].sort(), 'the mail carries them');
  const rows = await s.db.selectFrom('outbox').select(['ob_status', 'ob_raw']).execute();
  assert.deepEqual(rows.map((r) => [r.ob_status, r.ob_raw]), [['sent', ''], ['sent', '']], 'sent: only the masked copy stays');
  // `mwauth mail show` still has what to show.
  const view = (await s.outbox.view(1))!;
  assert.match(view.message.parts[0]!.body, /•+/);
  for (const temp of temps) {
    assert.deepEqual(inSqliteFiles(dir, temp), [], 'sent: not in the database files');
    assert.ok(!(await storedTexts(s)).some((x) => x.includes(temp)));
  }
  await close();
  for (const temp of temps) assert.deepEqual(inSqliteFiles(dir, temp), [], 'nor after the last checkpoint');
  // The only copy: a file of the owner's alone, in a folder of the owner's alone.
  assert.equal((statSync(config.mailDir).mode & 0o777).toString(8), '700');
  for (const f of readdirSync(config.mailDir)) assert.equal((statSync(join(config.mailDir, f)).mode & 0o777).toString(8), '600');
});

test('PostgreSQL: no temporary password in any row of any table, queued or sent', async (t) => {
  const skip = await skipUnless('postgres');
  if (skip) return t.skip(skip);
  const url = await postgresDatabase(t, 'mwauth_rest');
  const { s, config, close } = await setup(t, { MWAUTH_DATABASE_URL: url });
  // Closed before the database is dropped (its after-hook runs first).
  try {
    const temps = await queueResets(s, config.secrets[0]!);
    const everyRow = async (): Promise<string> => {
      const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(s.db);
      assert.ok(tables.rows.length >= 10);
      const parts: string[] = [];
      for (const { table_name } of tables.rows) {
        const rows = await sql<{ r: string }>`select t::text as r from ${sql.table(table_name)} t`.execute(s.db);
        parts.push(...rows.rows.map((x) => x.r));
      }
      return parts.join('\n');
    };
    for (const temp of temps) {
      assert.ok(!(await everyRow()).includes(temp), 'queued: in no row');
      assert.ok(!(await storedTexts(s)).some((x) => x.includes(temp)));
    }
    await s.delivery.runOnce();
    assert.equal((await readMails(config.mailDir)).length, 2);
    for (const temp of temps) {
      assert.ok(!(await everyRow()).includes(temp), 'sent: in no row');
      assert.ok(!(await storedTexts(s)).some((x) => x.includes(temp)));
    }
  } finally {
    await close();
  }
});

test('MariaDB: no temporary password in any row of any table, queued or sent', async (t) => {
  const skip = await skipUnless('mariadb');
  if (skip) return t.skip(skip);
  const url = await mariadbDatabase(t, 'mwauth_rest');
  const { s, config, close } = await setup(t, { MWAUTH_DATABASE_URL: url });
  try {
    const temps = await queueResets(s, config.secrets[0]!);
    const everyRow = async (): Promise<string> => {
      const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = database()`.execute(s.db);
      assert.ok(tables.rows.length >= 10);
      const parts: string[] = [];
      for (const { name } of tables.rows) {
        const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(s.db);
        for (const row of rows.rows) parts.push(Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))).join('\t'));
      }
      return parts.join('\n');
    };
    for (const temp of temps) {
      assert.ok(!(await everyRow()).includes(temp), 'queued: in no row');
      assert.ok(!(await storedTexts(s)).some((x) => x.includes(temp)));
    }
    await s.delivery.runOnce();
    assert.equal((await readMails(config.mailDir)).length, 2);
    for (const temp of temps) {
      assert.ok(!(await everyRow()).includes(temp), 'sent: in no row');
      assert.ok(!(await storedTexts(s)).some((x) => x.includes(temp)));
    }
  } finally {
    await close();
  }
});

test('a sealed mail opens only with the key that sealed it, for its own row: another secret or another recipient fails it, naming the cause', async (t) => {
  const { s, config } = await setup(t);
  await queueResets(s, config.secrets[0]!);
  const failures: string[] = [];
  // A node started with another MWAUTH_SECRET.
  const other = new DeliveryWorker({
    db: s.db, clock: s.clock, transport: { send: async () => assert.fail('nothing may be sent'), close: async () => {} },
    seal: new MailSeal('another-secret-of-sixteen'), onOutcome: (o) => failures.push(`${o.status}: ${o.error}`),
  });
  // A recipient changed in the database after the mail was queued.
  await s.db.updateTable('outbox').set({ ob_to: 'attacker@example.net' }).where('ob_to', '=', 'rana@example.org').execute();
  await s.db.updateTable('outbox').set({ ob_status: 'queued' }).execute();
  assert.equal(await other.runOnce(), 2);
  assert.equal(failures.length, 2);
  for (const f of failures) assert.match(f, /^failed: the sealed message does not open with this server secret/);
  // With the right key, Ann's goes out; Rana's, now addressed elsewhere, still does not open.
  assert.equal((await s.outbox.retryFailed()), 2);
  await s.delivery.runOnce();
  const rows = await s.db.selectFrom('outbox').select(['ob_to', 'ob_status']).orderBy('ob_id').execute();
  assert.deepEqual(rows.map((r) => [r.ob_to, r.ob_status]), [['ann@example.org', 'sent'], ['attacker@example.net', 'failed']]);
  const mails = await readMails(config.mailDir);
  assert.deepEqual(mails.map((m) => m.to), ['"Ann" <ann@example.org>']);
});

test('rows an older version queued with the secret in the clear are sealed at start, and emptied when already sent', async (t) => {
  const { s, config } = await setup(t);
  const raw = 'From: wiki@wiki.test\r\nTo: ann@example.org\r\nSubject: reset\r\n\r\nTemporary password: abcdefghij\r\n';
  const masked = raw.replace('abcdefghij', '••••••••');
  const ids: number[] = [];
  for (const status of ['queued', 'sent', 'failed']) {
    const r = await s.db
      .insertInto('outbox')
      .values({
        ob_created: 1, ob_kind: 'password-reset', ob_user: 1, ob_to: 'ann@example.org', ob_subject: 'reset', ob_message_id: `<${status}@wiki.test>`,
        ob_raw: raw, ob_status: status, ob_attempts: 0, ob_next_attempt: Date.now() + 3600_000, ob_lease_until: null, ob_last_error: null, ob_sent: null,
      })
      .returning('ob_id')
      .executeTakeFirstOrThrow();
    ids.push(Number(r.ob_id));
    await s.db.insertInto('outbox_masked').values({ om_outbox: Number(r.ob_id), om_raw: masked }).execute();
  }
  // A mail without secrets (no masked copy) is left as it is.
  await s.outbox.enqueue(s.db, { kind: 'test', userId: 0, to: 'ops@example.org', subject: 'hi', text: 'hello', lang: 'en', dir: 'ltr' });
  s.startWorkers();
  const seal = new MailSeal(config.secrets[0]!);
  for (let i = 0; i < 100; i++) {
    const left = await s.db.selectFrom('outbox').select('ob_id').where('ob_raw', 'like', '%abcdefghij%').execute();
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const rows = await s.db.selectFrom('outbox').select(['ob_id', 'ob_status', 'ob_raw', 'ob_message_id', 'ob_to']).orderBy('ob_id').execute();
  const [queued, sent, failed, plain] = rows;
  assert.equal(sent!.ob_raw, '');
  for (const r of [queued!, failed!]) assert.equal(seal.open(r.ob_raw, { messageId: r.ob_message_id, to: r.ob_to }), raw);
  assert.ok(plain!.ob_raw.includes('hello'));
});
