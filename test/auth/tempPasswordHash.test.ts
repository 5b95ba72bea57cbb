// Temporary passwords are stored as an HMAC keyed with the server secret: issued that way by the reset
// worker, checked at login with one HMAC, useless without the secret; ones stored earlier as a slow hash
// keep working until they expire; and whatever the account's state a login checks one slow hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { createPasswordHasher, type PasswordHasher } from '../../src/auth/passwords.js';
import { createTemporaryPasswordHasher, looksTemporary } from '../../src/auth/tempPasswordHash.js';
import { generateTemporaryPassword } from '../../src/auth/tempPassword.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { cryptoRandom } from '../../src/util/clock.js';
import { ManualClock } from '../helpers/clock.js';
import { readMails } from '../helpers/harness.js';

const DAY = 86_400_000;
const KEYED = /^:hmac:sha256:[0-9a-f]{16}:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/]{43}=$/;
type After = { after(fn: () => Promise<void> | void): void };

/** A hasher that counts its slow checks. */
function counting(base: PasswordHasher) {
  const c = { verifies: 0 };
  const hasher: PasswordHasher = { ...base, verify: async (pw, stored) => (c.verifies++, base.verify(pw, stored)) };
  return { hasher, c };
}

function envFor(dir: string, secret: string): Record<string, string> {
  return { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test', MWAUTH_SECRET: secret };
}

async function open(t: After, dir: string, secret: string, clock: ManualClock, hasher?: PasswordHasher): Promise<Services> {
  const s = await createServices(loadConfig(envFor(dir, secret)), { clock, hasher: hasher ?? createPasswordHasher({ iterations: 1000 }) });
  let closed = false;
  t.after(async () => {
    if (!closed) await s.close(0);
  });
  const close = s.close.bind(s);
  s.close = async (grace?: number) => {
    closed = true;
    await close(grace);
  };
  return s;
}

/** A reset through the worker and the mail, as in production; returns the mailed temporary password. */
async function issue(s: Services, clock: ManualClock, name: string): Promise<string> {
  await s.db
    .insertInto('reset_request')
    .values({
      rr_created: clock.now(), rr_performer_id: 0, rr_performer_name: '192.0.2.1', rr_performer_ip: '192.0.2.1',
      rr_username: name, rr_email: null, rr_status: 'pending', rr_processed: null,
    })
    .execute();
  assert.equal(await s.recoveryWorker.runOnce(), 1);
  while ((await s.delivery.runOnce()) > 0);
  const mails = (await readMails(s.config.mailDir)).filter((m) => m.to.includes(name.toLowerCase()));
  const temp = mails.at(-1)?.tempPassword;
  assert.ok(temp, `a reset mail for ${name}`);
  return temp;
}

async function user(s: Services, name: string) {
  return (await s.users.byName(name))!;
}

function tempDir(t: After): string {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-temphmac-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a temporary password issued by a reset is stored as an HMAC, not a slow hash, and logs in; a wrong one does not', async (t) => {
  const clock = new ManualClock();
  const s = await open(t, tempDir(t), 'secret-one-0123456789', clock);
  await s.users.create({ name: 'Ann', email: 'ann@example.org', passwordHash: await s.hasher.hash('Ann-main-1') });
  const temp = await issue(s, clock, 'Ann');
  const stored = (await user(s, 'Ann')).newPassword;
  assert.match(stored, KEYED);
  assert.equal(s.hasher.needsRehash(stored), true, 'not a slow hash the password hasher knows');
  assert.equal((await s.auth.login('Ann', temp, '192.0.2.10')).status, 'UI');
  assert.equal((await s.auth.login('Ann', 'Ann-main-1', '192.0.2.11')).status, 'PASS', 'the main password still works');
  const wrong = temp.slice(0, -1) + (temp.endsWith('0') ? '1' : '0');
  assert.equal((await s.auth.login('Ann', wrong, '192.0.2.12')).status, 'FAIL');
  assert.equal((await s.auth.login('Ann', temp.toUpperCase(), '192.0.2.13')).status, 'FAIL');
  // Two issues of the same password differ (a salt each), and both check.
  const again = await s.tempPasswords.hash(temp);
  assert.notEqual(again, stored);
  assert.equal(await s.tempPasswords.verify(temp, again), true);
});

test('a temporary password stored as a slow hash (issued before, or imported) still logs in until it expires', async (t) => {
  const clock = new ManualClock();
  const s = await open(t, tempDir(t), 'secret-one-0123456789', clock);
  const u = await s.users.create({ name: 'Bea', email: 'bea@example.org', passwordHash: await s.hasher.hash('Bea-main-1') });
  const temp = generateTemporaryPassword(10, cryptoRandom);
  await s.users.setTemporaryPassword(u.id, await s.hasher.hash(temp));
  assert.match((await user(s, 'Bea')).newPassword, /^:pbkdf2:/);
  assert.equal((await s.auth.login('Bea', temp, '192.0.2.20')).status, 'UI');
  assert.equal(await s.tempPasswords.verify(temp, (await user(s, 'Bea')).newPassword), true, 'the dual check takes either format');
  assert.equal((await s.auth.login('Bea', 'Bea-main-1', '192.0.2.21')).status, 'PASS');
  assert.equal((await s.auth.login('Bea', generateTemporaryPassword(10, cryptoRandom), '192.0.2.22')).status, 'FAIL');
  clock.advance(7 * DAY + 1);
  assert.equal((await s.auth.login('Bea', temp, '192.0.2.23')).status, 'FAIL', 'expired');
  assert.equal((await s.auth.login('Bea', 'Bea-main-1', '192.0.2.24')).status, 'PASS');
});

test('expiry: a keyed temporary password logs in up to 7 days after it was issued, not after', async (t) => {
  const clock = new ManualClock();
  const s = await open(t, tempDir(t), 'secret-one-0123456789', clock);
  await s.users.create({ name: 'Cy', email: 'cy@example.org', passwordHash: await s.hasher.hash('Cy-main-1') });
  const temp = await issue(s, clock, 'Cy');
  clock.advance(7 * DAY - 1);
  assert.equal((await s.auth.login('Cy', temp, '192.0.2.30')).status, 'UI');
  clock.advance(2);
  assert.equal((await s.auth.login('Cy', temp, '192.0.2.31')).status, 'FAIL');
  assert.equal((await s.auth.login('Cy', 'Cy-main-1', '192.0.2.32')).status, 'PASS');
});

test('secret rotation: with "NEW,OLD" a pending temporary password made with OLD logs in and new ones are NEW\'s; with "NEW" alone it does not', async (t) => {
  const clock = new ManualClock();
  const dir = tempDir(t);
  const a = await open(t, dir, 'OLD-secret-0123456789', clock);
  await a.users.create({ name: 'Dee', email: 'dee@example.org', passwordHash: await a.hasher.hash('Dee-main-1') });
  await a.users.create({ name: 'Eli', email: 'eli@example.org', passwordHash: await a.hasher.hash('Eli-main-1') });
  const oldTemp = await issue(a, clock, 'Dee');
  const oldStored = (await user(a, 'Dee')).newPassword;
  await a.close(0);

  const b = await open(t, dir, 'NEW-secret-0123456789,OLD-secret-0123456789', clock);
  assert.equal((await b.auth.login('Dee', oldTemp, '192.0.2.40')).status, 'UI', 'made with OLD, checked with the rotated keyring');
  const newTemp = await issue(b, clock, 'Eli');
  const newStored = (await user(b, 'Eli')).newPassword;
  assert.notEqual(newStored.split(':')[3], oldStored.split(':')[3], 'another key id: NEW signs');
  assert.equal((await b.auth.login('Eli', newTemp, '192.0.2.41')).status, 'UI');
  await b.close(0);

  const c = await open(t, dir, 'NEW-secret-0123456789', clock);
  assert.equal((await c.auth.login('Dee', oldTemp, '192.0.2.42')).status, 'FAIL', 'OLD is gone: its temporary passwords end');
  assert.equal((await c.auth.login('Dee', 'Dee-main-1', '192.0.2.43')).status, 'PASS');
  assert.equal((await c.auth.login('Eli', newTemp, '192.0.2.44')).status, 'UI');
});

test('a copy of the database without the secret cannot check a temporary password: the stored value alone is useless', async (t) => {
  const clock = new ManualClock();
  const dir = tempDir(t);
  const secret = 'the-server-secret-0123456789';
  const s = await open(t, dir, secret, clock);
  await s.users.create({ name: 'Fay', email: 'fay@example.org', passwordHash: await s.hasher.hash('Fay-main-1') });
  const temp = await issue(s, clock, 'Fay');
  await s.close(0);
  const copy = join(tempDir(t), 'stolen.sqlite');
  copyFileSync(join(dir, 'mwauth.sqlite'), copy);
  const db = new SQLite(copy, { readonly: true });
  const stored = (db.prepare("select user_newpassword p from user where user_name = 'Fay'").get() as { p: string }).p;
  const dump = (db.prepare('select group_concat(user_newpassword) a, group_concat(user_password) b from user').get() as { a: string; b: string });
  db.close();

  const slow = createPasswordHasher({ iterations: 1000 });
  t.after(() => slow.close());
  // The right password against the stored value, with everything but the secret: every other key,
  // the key id or the salt as a key, and the slow hasher, all say no.
  const [, , , keyId, salt, mac] = stored.split(':');
  for (const guess of ['', 'x', keyId!, salt!, 'mwauth temporary password v1', secret.slice(0, -1), secret + ' ']) {
    const other = createTemporaryPasswordHasher({ keys: new Keyring([guess || 'empty']), slow });
    assert.equal(await other.verify(temp, stored), false, `key ${JSON.stringify(guess)}`);
  }
  assert.equal(await slow.verify(temp, stored), false);
  // No unkeyed digest of the password, with or without the salt, is in the value.
  const saltBytes = Buffer.from(salt!, 'base64');
  for (const algo of ['md5', 'sha1', 'sha256', 'sha512']) {
    for (const input of [Buffer.from(temp), Buffer.concat([saltBytes, Buffer.from(temp)])]) {
      const d = createHash(algo).update(input).digest();
      assert.ok(!stored.includes(d.toString('base64').slice(0, 20)) && !stored.includes(d.toString('hex').slice(0, 20)));
      assert.notEqual(createHmac('sha256', saltBytes).update(temp).digest('base64'), mac);
    }
  }
  assert.ok(!dump.a.includes(temp) && !dump.b.includes(temp), 'the password itself is nowhere');
  // With the secret it checks: what is missing is the key, nothing else.
  assert.equal(await createTemporaryPasswordHasher({ keys: new Keyring(secret), slow }).verify(temp, stored), true);
});

test('tampering with a stored value fails it: every character changed, cut, lengthened, another type; never a throw', async (t) => {
  const slow = createPasswordHasher({ iterations: 1000 });
  t.after(() => slow.close());
  const h = createTemporaryPasswordHasher({ keys: new Keyring(['k-new-0123456789', 'k-old-0123456789']), slow });
  const temp = 'abcdefghij';
  const stored = await h.hash(temp);
  assert.equal(h.verifyKeyed(temp, stored), true);
  const alphabet = 'ABab01+/=:9f';
  let tried = 0;
  for (let i = 0; i < stored.length; i++) {
    for (const ch of alphabet) {
      if (ch === stored[i]) continue;
      const bad = stored.slice(0, i) + ch + stored.slice(i + 1);
      assert.equal(h.verifyKeyed(temp, bad), false, `position ${i} → ${ch}`);
      tried++;
    }
  }
  assert.ok(tried > 500);
  for (const bad of [stored.slice(0, -1), stored + 'A', stored.replace(':sha256:', ':sha512:'), stored.toUpperCase(), stored.replace(':hmac:', ':pbkdf2:'), '', ':hmac:', ':hmac:sha256::::']) {
    assert.equal(h.verifyKeyed(temp, bad), false, bad);
    assert.equal(await h.verify(temp, bad), false, bad);
  }
  // Hostile inputs on the password side too.
  for (const pw of ['', 'x'.repeat(5000), temp + '\0', temp.slice(0, -1)]) assert.equal(h.verifyKeyed(pw, stored), false);
  assert.equal(h.verifyKeyed(undefined as unknown as string, stored), false);
  assert.equal(h.verifyKeyed(temp, null as unknown as string), false);
  await assert.rejects(h.hash(''), TypeError);
});

test('a login checks exactly one slow hash, whatever the account: none, no temporary password, keyed or slow one, expired, bot passwords', async (t) => {
  const clock = new ManualClock();
  const { hasher, c } = counting(createPasswordHasher({ iterations: 1000 }));
  const s = await open(t, tempDir(t), 'secret-one-0123456789', clock, hasher);
  const main = await s.hasher.hash('Main-pass-1');
  const plain = await s.users.create({ name: 'Plain', email: 'plain@example.org', passwordHash: main });
  const keyed = await s.users.create({ name: 'Keyed', email: 'keyed@example.org', passwordHash: main });
  const slowTemp = await s.users.create({ name: 'Slow', email: 'slow@example.org', passwordHash: main });
  const keyedTemp = await issue(s, clock, 'Keyed');
  const legacyTemp = generateTemporaryPassword(10, cryptoRandom);
  await s.users.setTemporaryPassword(slowTemp.id, await s.hasher.hash(legacyTemp));
  const bot = generateTemporaryPassword(32, cryptoRandom);
  await s.botPasswords.set(plain.id, 'tool', bot, ['basic']);
  void keyed;

  let ip = 0;
  const attempt = async (name: string, pw: string) => {
    c.verifies = 0;
    const r = await s.auth.login(name, pw, `198.51.100.${++ip}`);
    return { status: r.status, verifies: c.verifies };
  };
  const botAttempt = async (name: string, app: string, pw: string) => {
    c.verifies = 0;
    const r = await s.auth.loginBot(name, app, pw, `198.51.100.${++ip}`);
    return { status: r.status, verifies: c.verifies };
  };
  const other = generateTemporaryPassword(10, cryptoRandom);
  const cases: Array<[string, () => Promise<{ status: string; verifies: number }>, string]> = [
    ['unknown name', () => attempt('Nobody here', 'Main-pass-1'), 'FAIL'],
    ['unknown name, temporary-looking password', () => attempt('Nobody here', other), 'FAIL'],
    ['no temporary password, right', () => attempt('Plain', 'Main-pass-1'), 'PASS'],
    ['no temporary password, wrong', () => attempt('Plain', 'Wrong-pass-1'), 'FAIL'],
    ['no temporary password, temporary-looking', () => attempt('Plain', other), 'FAIL'],
    ['keyed temporary password, right', () => attempt('Keyed', keyedTemp), 'UI'],
    ['keyed temporary password, main password', () => attempt('Keyed', 'Main-pass-1'), 'PASS'],
    ['keyed temporary password, wrong', () => attempt('Keyed', other), 'FAIL'],
    ['slow temporary password, right', () => attempt('Slow', legacyTemp), 'UI'],
    ['slow temporary password, main password', () => attempt('Slow', 'Main-pass-1'), 'PASS'],
    ['slow temporary password, wrong temporary-looking', () => attempt('Slow', other), 'FAIL'],
    ['slow temporary password, wrong', () => attempt('Slow', 'Wrong-pass-1'), 'FAIL'],
    ['bot password, right', () => botAttempt('Plain', 'tool', bot), 'PASS'],
    ['bot password, wrong', () => botAttempt('Plain', 'tool', other), 'FAIL'],
    ['bot password, unknown app', () => botAttempt('Plain', 'nope', bot), 'FAIL'],
    ['bot password, unknown user', () => botAttempt('Nobody here', 'tool', bot), 'FAIL'],
  ];
  // One at a time: the counter is shared.
  for (const [label, run, status] of cases) {
    const r = await run();
    assert.deepEqual(r, { status, verifies: 1 }, label);
  }
  clock.advance(7 * DAY + 1);
  assert.deepEqual(await attempt('Keyed', keyedTemp), { status: 'FAIL', verifies: 1 }, 'expired keyed');
  assert.deepEqual(await attempt('Slow', legacyTemp), { status: 'FAIL', verifies: 1 }, 'expired slow');
});

test('looksTemporary: generated temporary passwords of every length do, typed passwords mostly do not', () => {
  for (let len = 10; len <= 64; len++) assert.ok(looksTemporary(generateTemporaryPassword(len, cryptoRandom)), String(len));
  for (const pw of ['Main-pass-1', 'short1', 'ABCDEFGHIJ', 'abcdefghijw', 'x'.repeat(10), 'a'.repeat(65), '', 'abcdefghi\n']) assert.equal(looksTemporary(pw), false, pw);
});
