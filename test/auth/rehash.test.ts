// A login with the main password upgrades an old stored hash (MediaWiki's :A:, :B:, or PBKDF2 with other
// parameters) to the current format. It is the same password, so nothing a password change does happens:
// the user_token, the other sessions, the temporary password and the bot passwords stay, nobody is
// mailed. A failed login leaves the stored hash alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { DEFAULT_PBKDF2_ITERATIONS } from '../../src/auth/passwords.js';
import { Client, addUser, readMails, startTestServer, type TestServer } from '../helpers/harness.js';
import { deliverAll, msg } from '../helpers/api.js';
import { PageClient } from '../web/helpers.js';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');
const PW32 = '0123456789abcdefghijklmnopqrstuv';
/** The current default format: what every rehash must produce. */
const CURRENT = new RegExp(`^:pbkdf2:sha512:${DEFAULT_PBKDF2_ITERATIONS}:64:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/]{86}==$`);

/** MediaWiki's salted MD5 form: ":B:salt:md5(salt-md5(password))". */
const bHash = (pw: string, salt = 'a1b2c3d4') => `:B:${salt}:${md5(`${salt}-${md5(pw)}`)}`;
/** MediaWiki's unsalted MD5 form: ":A:md5(password)". */
const aHash = (pw: string) => `:A:${md5(pw)}`;
/** PBKDF2 with other parameters than the current ones. */
function pbkdf2Hash(pw: string, algo = 'sha512', iterations = 1000, keyLen = 64, saltLen = 16): string {
  const salt = randomBytes(saltLen);
  const key = pbkdf2Sync(Buffer.from(pw, 'utf8'), salt, iterations, keyLen, algo);
  return `:pbkdf2:${algo}:${iterations}:${keyLen}:${salt.toString('base64')}:${key.toString('base64')}`;
}

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(() => srv.close());

const stored = async (id: number) => (await srv.services.users.byId(id))!;
const userinfo = async (c: Client) => (await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo;

async function setStoredHash(id: number, hash: string): Promise<void> {
  await srv.services.db.updateTable('user').set({ user_password: hash }).where('user_id', '=', id).execute();
}

async function assertNoMail(): Promise<void> {
  await deliverAll(srv);
  assert.deepEqual((await readMails(srv.mailDir)).map((m) => `${m.to}: ${m.subject}`), []);
}

/**
 * An account with an address (so a wrong "password changed" notice would be sent), a bot password, a
 * pending temporary password and another logged-in browser; then its stored hash is replaced by `old`.
 */
async function prepare(name: string, password: string, old: string) {
  const s = srv.services;
  const user = await addUser(s, name, password, { email: `${name.toLowerCase()}@example.org` });
  await s.botPasswords.set(user.id, 'app', PW32, ['basic']);
  await s.users.setTemporaryPassword(user.id, await s.tempPasswords.hash('tmp0pending'));
  const elsewhere = new Client(srv.api);
  assert.equal((await elsewhere.login(name, password)).result, 'Success');
  await setStoredHash(user.id, old);
  assert.ok(await s.hasher.verify(password, old), 'the old hash is one of the password');
  assert.equal(s.hasher.needsRehash(old), true);
  return { user, elsewhere, before: await stored(user.id) };
}

/** After a login that should have rehashed: current format, same password, and nothing else changed. */
async function assertRehashed(o: { name: string; password: string; old: string; before: Awaited<ReturnType<typeof stored>>; elsewhere: Client }) {
  const s = srv.services;
  const now = await stored(o.before.id);
  assert.notEqual(now.password, o.old);
  assert.match(now.password, CURRENT);
  assert.equal(s.hasher.needsRehash(now.password), false);
  assert.equal(await s.hasher.verify(o.password, now.password), true);
  assert.equal(now.token, o.before.token, 'user_token unchanged: remembered logins stay');
  assert.equal(now.newPassword, o.before.newPassword, 'the pending temporary password stays');
  assert.equal(now.newPassTime, o.before.newPassTime);
  assert.deepEqual(await userinfo(o.elsewhere), { id: o.before.id, name: o.name }, 'the other login was not ended');
  assert.equal((await new Client(srv.api).login(`${o.name}@app`, PW32)).result, 'Success', 'the bot password still works');
  assert.equal((await new Client(srv.api).login(o.name, o.password)).result, 'Success', 'the password still works');
  assert.equal(await s.tempPasswords.verify('tmp0pending', now.newPassword), true);
  const events = await s.audit.query({ user: o.name });
  assert.deepEqual(events.filter((e) => e.type === 'password.changed' || e.type === 'sessions.revoked'), [], 'not a password change');
  assert.equal(events.filter((e) => e.type === 'login.success' && e.details.rehashed === true).length, 1);
  await assertNoMail();
}

test('action=login with a :B: hash: the login succeeds and the hash becomes current; nothing else changes, no mail', async () => {
  const password = 'Bee-Pass-1';
  const old = bHash(password);
  const { elsewhere, before } = await prepare('Beatrix', password, old);
  const c = new Client(srv.api);
  const r = await c.login('Beatrix', password);
  assert.deepEqual(r, { result: 'Success', lguserid: before.id, lgusername: 'Beatrix' });
  assert.equal((await userinfo(c)).name, 'Beatrix');
  await assertRehashed({ name: 'Beatrix', password, old, before, elsewhere });
});

test('a failed login does not rehash; the next right one does (clientlogin, PBKDF2 with 1000 iterations)', async () => {
  const password = 'Pbk-Pass-1';
  const old = pbkdf2Hash(password);
  const { user, elsewhere, before } = await prepare('Pavel', password, old);
  const begin = async (pw: string) => {
    const c = new Client(srv.api);
    const logintoken = await c.token('login');
    return c.post({ action: 'clientlogin', username: 'Pavel', password: pw, loginreturnurl: 'http://wiki.test/', logintoken, formatversion: '2' });
  };
  const wrong = await begin('Not-The-Pass-1');
  assert.equal(wrong.json.clientlogin.status, 'FAIL');
  assert.equal(wrong.json.clientlogin.messagecode, 'wrongpassword');
  assert.equal((await stored(user.id)).password, old, 'a failed login leaves the stored hash alone');
  // The temporary password logs in too (the forced change follows), but it is not the main password:
  // the main hash is not touched either.
  assert.equal((await begin('tmp0pending')).json.clientlogin.status, 'UI');
  assert.equal((await stored(user.id)).password, old, 'a login with the temporary password does not rehash');
  await assertNoMail();

  const ok = await begin(password);
  assert.deepEqual(ok.json, { clientlogin: { status: 'PASS', username: 'Pavel' } });
  await assertRehashed({ name: 'Pavel', password, old, before, elsewhere });
});

test('a throttled login with the right password does not rehash', async () => {
  const password = 'Thr-Pass-1';
  const old = pbkdf2Hash(password, 'sha256', 2000, 32);
  const { user } = await prepare('Theodor', password, old);
  const c = new Client(srv.api);
  for (let i = 0; i < 5; i++) assert.equal((await c.login('Theodor', `wrong-${i}`)).result, 'Failed');
  assert.deepEqual(await c.login('Theodor', password), { result: 'Failed', reason: msg(srv, 'login-throttled', { key: 'duration-minutes', params: [5] }) });
  assert.equal((await stored(user.id)).password, old);
});

test('Special:UserLogin with an unsalted :A: hash rehashes too', async () => {
  const password = 'Aye-Pass-1';
  const old = aHash(password);
  const { elsewhere, before } = await prepare('Agathe', password, old);
  const page = new PageClient(srv.url);
  const r = await page.submit('/wiki/Special:UserLogin', { wpName: 'Agathe', wpPassword: password });
  assert.equal(r.status, 303, r.html);
  await assertRehashed({ name: 'Agathe', password, old, before, elsewhere });
});

test('every PBKDF2 parameter that differs from the current ones is upgraded: algorithm, iterations (fewer or more), key and salt length', async () => {
  const cases: Array<[string, string]> = [
    ['Param-sha256', pbkdf2Hash('Param-Pass-1', 'sha256', DEFAULT_PBKDF2_ITERATIONS, 64)],
    ['Param-iter-low', pbkdf2Hash('Param-Pass-1', 'sha512', 10)],
    ['Param-iter-high', pbkdf2Hash('Param-Pass-1', 'sha512', DEFAULT_PBKDF2_ITERATIONS + 1)],
    ['Param-key32', pbkdf2Hash('Param-Pass-1', 'sha512', DEFAULT_PBKDF2_ITERATIONS, 32)],
    ['Param-salt8', pbkdf2Hash('Param-Pass-1', 'sha512', DEFAULT_PBKDF2_ITERATIONS, 64, 8)],
  ];
  for (const [name, old] of cases) {
    const user = await addUser(srv.services, name, 'Param-Pass-1');
    await setStoredHash(user.id, old);
    assert.equal((await new Client(srv.api).login(name, 'Param-Pass-1')).result, 'Success', name);
    const now = (await stored(user.id)).password;
    assert.match(now, CURRENT, name);
    assert.equal(await srv.services.hasher.verify('Param-Pass-1', now), true, name);
  }
  // A current hash is left exactly as it is.
  const user = await addUser(srv.services, 'Param-current', 'Param-Pass-1');
  const current = (await stored(user.id)).password;
  assert.equal((await new Client(srv.api).login('Param-current', 'Param-Pass-1')).result, 'Success');
  assert.equal((await stored(user.id)).password, current);
});

test('the upgrade only replaces the hash it verified: a password changed meanwhile stays changed', async () => {
  const s = srv.services;
  const user = await addUser(s, 'Racer', 'Race-Pass-1');
  const old = bHash('Race-Pass-1');
  await setStoredHash(user.id, old);
  // The password changes after a login verified the old hash, before that login writes its upgrade.
  await s.passwordChanges.change((await stored(user.id))!, 'Race-Pass-2', { via: 'cli' });
  const changed = (await stored(user.id)).password;
  assert.equal(await s.users.replacePasswordHash(user.id, old, await s.hasher.hash('Race-Pass-1')), false);
  assert.equal((await stored(user.id)).password, changed);
  assert.equal((await new Client(srv.api).login('Racer', 'Race-Pass-1')).result, 'Failed');
  assert.equal((await new Client(srv.api).login('Racer', 'Race-Pass-2')).result, 'Success');
});
