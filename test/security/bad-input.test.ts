// Bad input that reaches the database: names, bot-password app ids, email addresses. Checked before any
// query, the same on SQLite, PostgreSQL and MariaDB: an existing and an unknown account get the same answer, and
// nothing is logged as an internal error. A voided bot password is answered like one that does not exist.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addUser, Client, startTestServer, type TestServer } from '../helpers/harness.js';
import { msg } from '../helpers/api.js';
import { createMariadbDatabase, createPostgresDatabase, skipUnless } from '../helpers/services.js';
import { runCli } from '../helpers/process.js';
import { PageClient } from '../web/helpers.js';

type Ctx = { after(fn: () => Promise<void> | void): void };
const PW32 = 'b'.repeat(32);
const pgSkip = await skipUnless('postgres');
const mariadbSkip = await skipUnless('mariadb');

/** App ids no bot password can have: a NUL byte, other control characters, U+FFFD, over 32 bytes. */
const BAD_APP_IDS = ['a\0b', '\0', 'tab\there', 'nl\nx', 'del\x7f', 'c1\u0085', 'bad\ufffd', 'x'.repeat(33), 'é'.repeat(17)];
/** Names that can never be an account: NUL and other control characters, U+FFFD. */
const BAD_NAMES = ['Al\0ice', 'Al\x1fice', 'Al\ufffdice', '\ufffd'];
/** Addresses that are not addresses: control characters, U+FFFD, over 255 bytes. */
const BAD_EMAILS = ['a\0b@example.org', 'a\nb@example.org', '\ufffd@example.org', `${'a'.repeat(250)}@example.org`, `${[...Array(40)].map((_, i) => i.toString(36)).join('').repeat(8)}@example.org`];

async function server(t: Ctx, backend: 'SQLite' | 'PostgreSQL' | 'MariaDB'): Promise<{ srv: TestServer; internal: string[] }> {
  const pg = backend === 'PostgreSQL' ? await createPostgresDatabase() : backend === 'MariaDB' ? await createMariadbDatabase() : null;
  const srv = await startTestServer({ env: { ...(pg ? { MWAUTH_DATABASE_URL: pg.url } : {}), MWAUTH_RESET_IP_LIMIT: '100000/3600', MWAUTH_LOGIN_THROTTLE: 'none', MWAUTH_LOGIN_ACCOUNT_THROTTLE: 'none' } });
  // The server first, then its database.
  t.after(async () => {
    await srv.close();
    await pg?.drop();
  });
  const internal: string[] = [];
  (srv.services.logger as { error(o: object, m: string): void }).error = (o, m) => void internal.push(`${m} ${JSON.stringify(o).slice(0, 300)}`);
  const alice = await addUser(srv.services, 'Alice', 'Alice-Pass-123', { email: 'alice@example.org' });
  await srv.services.botPasswords.set(alice.id, 'app', PW32, ['basic']);
  return { srv, internal };
}

/** The answer with the account's name (as typed) taken out, so that two accounts' answers compare. */
const same = (text: string, name: string) => text.split(JSON.stringify(name).slice(1, -1)).join('NAME').split(name).join('NAME');

async function everyDoor(srv: TestServer, internal: string[]): Promise<void> {
  const answers = async (name: string) => {
    const out: string[] = [];
    const c = new Client(srv.api);
    const api = async (params: Record<string, string>) => same((await c.post({ formatversion: '2', ...params })).text, name);
    const lgtoken = await c.token('login');
    const createtoken = await c.token('createaccount');
    for (const app of BAD_APP_IDS) {
      out.push(await api({ action: 'login', lgname: `${name}@${app}`, lgpassword: PW32, lgtoken }));
      out.push(await api({ action: 'login', lgname: name, lgpassword: `${app}@${PW32}`, lgtoken }));
    }
    for (const bad of BAD_NAMES) {
      out.push(await api({ action: 'login', lgname: name + bad, lgpassword: 'x', lgtoken }));
      out.push(await api({ action: 'clientlogin', username: name + bad, password: 'x', loginreturnurl: 'http://wiki.test/', logintoken: lgtoken }));
      out.push(await api({ action: 'createaccount', username: name + bad, password: 'Some-Pass-98765', createreturnurl: 'http://wiki.test/', createtoken }));
      out.push(await api({ action: 'resetpassword', user: name + bad, token: '+\\' }));
      out.push(await api({ action: 'query', meta: 'userinfo', assertuser: name + bad }));
      const p = new PageClient(srv.url);
      out.push(String((await p.submit('/wiki/Special:UserLogin', { wpName: name + bad, wpPassword: 'x' })).status));
      out.push(String((await p.submit('/wiki/Special:PasswordReset', { wpUsername: name + bad })).status));
    }
    for (const email of BAD_EMAILS) {
      out.push(await api({ action: 'resetpassword', user: name, email, token: '+\\' }));
      out.push(await api({ action: 'createaccount', username: `${name} the second`, password: 'Some-Pass-98765', email, createreturnurl: 'http://wiki.test/', createtoken }));
      out.push(String((await new PageClient(srv.url).submit('/wiki/Special:PasswordReset', { wpEmail: email })).status));
    }
    return out;
  };
  const existing = await answers('Alice');
  const unknown = await answers('Nobody');
  assert.deepEqual(existing, unknown);
  // Each was refused for what it is, not by an accident of the database.
  for (const a of existing) assert.doesNotMatch(a, /internal_api_error|"status":"PASS"|"result":"Success"/, a);
  assert.equal(await srv.services.users.count(), 1, 'no account was made');
  assert.deepEqual(internal, []);
  const requests = await srv.services.db.selectFrom('reset_request').select('rr_id').execute();
  assert.equal(requests.length, 0, 'no reset request was recorded');
}

/** A bot password voided by a password change answers like a wrong one, and like one that does not exist. */
async function voidedBot(srv: TestServer, internal: string[]): Promise<void> {
  const s = srv.services;
  const alice = (await s.users.byName('Alice'))!;
  await s.botPasswords.set(alice.id, 'old', PW32, ['basic']);
  await s.passwordChanges.change(alice, 'Newer-Pass-456', { ip: null, via: 'cli' });
  const login = async (name: string, password: string) => (await new Client(srv.api).login(name, password));
  const wrong = { result: 'Failed', reason: msg(srv, 'wrongpassword') };
  assert.deepEqual(await login('Alice@old', PW32), wrong, 'voided, its old password');
  assert.deepEqual(await login('Alice@old', 'w'.repeat(32)), wrong, 'voided, another password');
  assert.deepEqual(await login('Alice@none', PW32), wrong, 'an app the account does not have');
  assert.deepEqual(await login('Nobody@old', PW32), wrong, 'an account that does not exist');
  assert.deepEqual(await login('Alice', `old@${PW32}`), wrong, 'the appid@password form');
  const reasons = (await s.audit.query({ user: 'Alice', type: 'login.failure' })).map((e) => e.details.reason);
  assert.ok(reasons.includes('botpasswords-needs-reset'), 'the audit trail keeps the reason');
  assert.deepEqual(internal, []);
}

for (const [backend, skip] of [['SQLite', false], ['PostgreSQL', pgSkip], ['MariaDB', mariadbSkip]] as const) {
  describe(`bad input on ${backend}`, { skip }, () => {
    test('app ids, names and addresses that cannot be: the same answer for an existing and an unknown account at every door, no internal error', async (t) => {
      const { srv, internal } = await server(t, backend);
      await everyDoor(srv, internal);
    });

    test('a bot password voided by a password change is answered as a wrong password, like one that does not exist', async (t) => {
      const { srv, internal } = await server(t, backend);
      await voidedBot(srv, internal);
    });

    test('the CLI refuses such names, app ids and addresses before touching the database', async (t) => {
      const { srv } = await server(t, backend);
      const env = { MWAUTH_DATA_DIR: srv.dataDir, ...(srv.services.config.databaseUrl ? { MWAUTH_DATABASE_URL: srv.services.config.databaseUrl } : {}) };
      for (const args of [
        ['user', 'add', 'Al\ufffdice', '--password', 'Some-Pass-98765'],
        ['user', 'show', 'Al\x1fice'],
        ['user', 'set-email', 'Alice', 'a\x01@example.org'],
        ['user', 'set-email', 'Alice', `${'a'.repeat(300)}@example.org`],
        ['botpassword', 'add', 'Alice', 'bad\x01app'],
        ['botpassword', 'add', 'Alice', 'x'.repeat(33)],
      ]) {
        const r = await runCli(args, env);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /error:|at .*\.js:\d+|invalid byte sequence/i, r.stderr);
      }
      assert.equal((await srv.services.users.byName('Alice'))!.email, 'alice@example.org');
    });
  });
}
