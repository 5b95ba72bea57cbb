// `mwauth serve` on MariaDB (MWAUTH_DATABASE_URL=mysql://…, no Redis), as `npm start` runs it: the whole
// reset flow — the request, the mail, a login with the temporary password, the forced change — with
// every row in MariaDB; and a database that cannot be used stops start-up naming the setting, without
// its password. Skips when MariaDB does not answer, and fails under MWAUTH_REQUIRE_SERVICES=1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, readMails } from '../helpers/harness.js';
import { freePort, runCli, startServe, type ServeProcess } from '../helpers/process.js';
import { MARIADB_ADMIN_URL, createMariadbDatabase, skipUnless } from '../helpers/services.js';

const skip = await skipUnless('mariadb');

describe('mwauth serve on MariaDB', { skip }, () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  let serve: ServeProcess;
  let api: string;
  let mailDir: string;
  let vars: Record<string, string>;
  let rows: (q: string) => Promise<Array<Record<string, unknown>>>;

  before(async () => {
    const database = await createMariadbDatabase('mwauth_serve');
    cleanups.push(() => database.drop());
    const dir = mkdtempSync(join(tmpdir(), 'mwauth-mariadb-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mailDir = join(dir, 'mail');
    const port = await freePort();
    vars = {
      MWAUTH_DATABASE_URL: database.url,
      MWAUTH_DATA_DIR: dir,
      MWAUTH_MAIL_DIR: mailDir,
      MWAUTH_PORT: String(port),
      MWAUTH_SERVER: 'http://wiki.test',
      MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
      MWAUTH_LOG_LEVEL: 'warn',
    };
    serve = await startServe(vars);
    cleanups.push(async () => void (await serve.stop()));
    api = `http://127.0.0.1:${port}/w/api.php`;
    const mysql = (await import('mysql2/promise')).default;
    const c = await mysql.createConnection({ uri: database.url });
    cleanups.push(() => c.end());
    rows = async (q) => (await c.query(q))[0] as Array<Record<string, unknown>>;
    const added = await runCli(['user', 'add', 'Zoë', '--email', 'zoe@example.org', '--password', 'First-Pass-1'], vars);
    assert.equal(added.code, 0, added.stderr);
  });

  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('reset request → mail → login with the temporary password → forced change → the new password works', async () => {
    const asked = await new Client(api).post({ action: 'resetpassword', user: 'Zoë', token: '+\\' });
    assert.deepEqual(asked.json, { resetpassword: { status: 'success' } });
    const end = Date.now() + 30_000;
    let mail = (await readMails(mailDir)).find((m) => m.to.includes('zoe@example.org'));
    while (!mail) {
      assert.ok(Date.now() < end, 'no reset mail within 30 s');
      await new Promise((r) => setTimeout(r, 100));
      mail = (await readMails(mailDir)).find((m) => m.to.includes('zoe@example.org'));
    }
    const temp = mail.tempPassword;
    assert.ok(temp, 'the mail holds a temporary password');
    assert.match(mail.text, /http:\/\/wiki\.test\//, 'links come from MWAUTH_SERVER');

    const c = new Client(api);
    const logintoken = await c.token('login');
    const ui = await c.post({ action: 'clientlogin', username: 'Zoë', password: temp, loginreturnurl: 'http://wiki.test/', logintoken, formatversion: '2' });
    assert.equal(ui.json.clientlogin.status, 'UI', ui.text);
    assert.equal(ui.json.clientlogin.messagecode, 'resetpass-temp-emailed');
    const pass = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'Second-Pass-2', retype: 'Second-Pass-2', logintoken, formatversion: '2' });
    assert.deepEqual(pass.json, { clientlogin: { status: 'PASS', username: 'Zoë' } });
    const me = await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' });
    assert.equal(me.json.query.userinfo.name, 'Zoë');

    assert.equal((await new Client(api).login('Zoë', 'Second-Pass-2')).result, 'Success');
    assert.equal((await new Client(api).login('Zoë', 'First-Pass-1')).result, 'Failed', 'the old password is gone');
    assert.equal((await new Client(api).login('Zoë', temp)).result, 'Failed', 'so is the temporary one');

    // Everything is in MariaDB: the account, the request, the mails, the audit trail.
    const [user] = await rows("select user_newpassword, user_newpass_time from `user` where user_name = 'Zoë'");
    assert.deepEqual(user, { user_newpassword: '', user_newpass_time: null });
    assert.deepEqual((await rows('select rr_status from reset_request')).map((r) => r.rr_status), ['queued']);
    assert.deepEqual((await rows('select ob_kind from outbox order by ob_id')).map((r) => r.ob_kind), ['password-reset', 'password-changed']);
    const types = (await rows('select ae_type from audit_event order by ae_id')).map((r) => r.ae_type);
    for (const t of ['reset.requested', 'reset.outcome', 'mail.queued', 'login.temporary-password', 'password.changed']) assert.ok(types.includes(t), `${t} in ${types.join(', ')}`);
  });

  test('a name that differs in case (after the first letter) or by an accent is another account', async () => {
    for (const [name, pw] of [['ZoË', 'Upper-Pass-1'], ['Zoe', 'Plain-Pass-1']]) {
      const added = await runCli(['user', 'add', name!, '--password', pw!], vars);
      assert.equal(added.code, 0, added.stderr);
    }
    assert.equal((await new Client(api).login('ZoË', 'Upper-Pass-1')).result, 'Success');
    assert.equal((await new Client(api).login('Zoe', 'Plain-Pass-1')).result, 'Success');
    assert.equal((await new Client(api).login('Zoë', 'Upper-Pass-1')).result, 'Failed');
    const again = await runCli(['user', 'add', 'zoë', '--password', 'Third-Pass-3'], vars);
    assert.notEqual(again.code, 0, '"zoë" is "Zoë", whose name is taken');
    assert.match(again.stderr, /already exists/);
  });
});

test('a MariaDB that refuses the login stops start-up naming MWAUTH_DATABASE_URL, its password masked', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-mariadb-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = new URL(MARIADB_ADMIN_URL);
  url.username = 'mwauth_no_such_user';
  url.password = 'S3cret-Pa55word';
  url.pathname = '/mwauth';
  const r = await runCli(['serve'], { MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_DATABASE_URL: url.toString() }, { timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /MWAUTH_DATABASE_URL \(mysql:\/\/mwauth_no_such_user:\*\*\*@/);
  assert.match(r.stderr, /Access denied/);
  assert.ok(!r.stderr.includes('S3cret-Pa55word') && !r.stdout.includes('S3cret-Pa55word'), r.stderr);
});

test('a mysql:// URL without a database is refused with a message that says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-mariadb-nodb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await runCli(['serve'], { MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_DATABASE_URL: 'mysql://u:Pw-123456@127.0.0.1:1/' }, { timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /MWAUTH_DATABASE_URL \(mysql:\/\/u:\*\*\*@127\.0\.0\.1:1\/\): the URL names no database/);
  assert.ok(!r.stderr.includes('Pw-123456'));
});

test('MariaDB ending idle connections (a restart, KILL) does not end the process; the next request works', { skip }, async (t) => {
  const { startTestServer, addUser } = await import('../helpers/harness.js');
  const database = await createMariadbDatabase('mwauth_kill');
  const srv = await startTestServer({ env: { MWAUTH_DATABASE_URL: database.url } });
  t.after(async () => {
    await srv.close();
    await database.drop();
  });
  await addUser(srv.services, 'Alice', 'Alice-Pass-123');
  // Several requests at once leave several idle connections in the pool.
  await Promise.all(Array.from({ length: 5 }, () => new Client(srv.api).login('Alice', 'Alice-Pass-123')));
  const uncaught: Error[] = [];
  const onUncaught = (err: Error) => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  t.after(() => void process.off('uncaughtException', onUncaught));
  const mysql = (await import('mysql2/promise')).default;
  const admin = await mysql.createConnection({ uri: MARIADB_ADMIN_URL });
  try {
    const [list] = (await admin.query('select id from information_schema.processlist where db = ? and id <> connection_id()', [database.name])) as [Array<{ id: number }>, unknown];
    assert.ok(list.length > 0, 'there were connections to end');
    for (const { id } of list) await admin.query(`kill ${Number(id)}`);
  } finally {
    await admin.end();
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(uncaught.map((e) => e.message), []);
  assert.equal((await new Client(srv.api).login('Alice', 'Alice-Pass-123')).result, 'Success', 'new connections serve the next requests');
  assert.equal((await new Client(srv.api).login('Alice', 'Alice-Pass-123')).result, 'Success');
});

test('MariaDB sessions: strict mode whatever the server says (too long is an error, never cut short), no LOAD DATA LOCAL', { skip }, async (t) => {
  const { openDatabase } = await import('../../src/storage/db.js');
  const { sql } = await import('kysely');
  const database = await createMariadbDatabase('mwauth_session');
  const handle = await openDatabase({ databaseUrl: database.url, dataDir: tmpdir() });
  t.after(async () => {
    await handle.close();
    await database.drop();
  });
  // Every connection of the pool, not only the first: several queries at once.
  const modes = await Promise.all(Array.from({ length: 5 }, () => sql<{ m: string }>`select @@session.sql_mode as m`.execute(handle.db)));
  for (const r of modes) assert.deepEqual(r.rows[0]!.m.split(',').sort(), ['ERROR_FOR_DIVISION_BY_ZERO', 'NO_ENGINE_SUBSTITUTION', 'STRICT_ALL_TABLES']);
  await assert.rejects(
    handle.db.insertInto('user').values({ user_name: 'x'.repeat(256), user_name_skeleton: '', user_email: '', user_email_lc: '', user_password: '', user_newpassword: '', user_real_name: '', user_token: 'x'.repeat(32), user_registration: 0 }).execute(),
    /too long/i,
  );
  assert.equal((await handle.db.selectFrom('user').selectAll().execute()).length, 0, 'nothing was stored, cut short or not');
  await assert.rejects(sql`load data local infile '/etc/hostname' into table site_settings`.execute(handle.db));
  assert.equal((await handle.db.selectFrom('site_settings').selectAll().execute()).length, 0);
});
