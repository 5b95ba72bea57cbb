// The life of a temporary password on a hand-moved clock: 7 days of validity, the 24-hour resend
// cooldown, the main password meanwhile, and what the forced change invalidates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ManualClock, addUser, startTestServer, type ReadMail, type TestServer } from '../helpers/harness.js';
import { ANON, SUCCESS, msg, newMails } from '../helpers/api.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const PW32 = '0123456789abcdefghijklmnopqrstuv';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
let srv: TestServer;
let aliceId: number;
const seen: ReadMail[] = [];

before(async () => {
  srv = await startTestServer({ clock });
  aliceId = (await addUser(srv.services, 'Alice', 'Main-Pass-1', { email: 'alice@example.org' })).id;
  await srv.services.botPasswords.set(aliceId, 'app', PW32, ['basic']);
});
after(() => srv.close());

/** action=login result for a fresh client (its own session, its own login token). */
async function login(name: string, password: string): Promise<{ result: string; reason?: string }> {
  return new Client(srv.api).login(name, password);
}

async function requestReset(): Promise<string | null> {
  const r = await new Client(srv.api).post({ action: 'resetpassword', user: 'Alice', token: ANON });
  assert.equal(r.text, SUCCESS);
  // Reset mails only: a password change sends its own notice (checked where it happens).
  const mails = (await newMails(srv, seen)).filter((m) => m.subject === msg(srv, 'passwordreset-emailtitle'));
  assert.ok(mails.length <= 1);
  return mails[0]?.tempPassword ?? null;
}

const alice = async () => (await srv.services.users.byId(aliceId))!;
const wrongPassword = () => msg(srv, 'wrongpassword');
const aborted = () => msg(srv, 'api-login-fail-aborted');

let temp1: string;
let temp2: string;
let t2Sent: number;

test('a new temporary password: mailed, stored with its time, valid for login; the main password keeps working', async () => {
  const t0 = clock.now();
  temp1 = (await requestReset())!;
  assert.match(temp1, /^[0-9a-v]{10}$/);
  const a = await alice();
  assert.equal(a.newPassTime, t0, 'user_newpass_time is the time of the send');
  assert.ok(await srv.services.tempPasswords.verify(temp1, a.newPassword));
  assert.deepEqual(await login('Alice', temp1), { result: 'Aborted', reason: aborted() });
  assert.equal((await login('Alice', 'Main-Pass-1')).result, 'Success');
  assert.equal((await login('Alice@app', PW32)).result, 'Success', 'a reset request leaves bot passwords alone');
});

test('within 24 hours a new request sends nothing and keeps the first password', async () => {
  clock.advance(HOUR);
  assert.equal(await requestReset(), null);
  clock.advance(22 * HOUR + 58 * MIN); // 23 h 58 min after the send
  assert.equal(await requestReset(), null);
  assert.equal((await alice()).newPassTime, clock.now() - (23 * HOUR + 58 * MIN));
  assert.equal((await login('Alice', temp1)).result, 'Aborted', 'the first temporary password still works');
});

test('after 24 hours a new request mails a new password that replaces the old one', async () => {
  clock.advance(2 * MIN + 1); // just past 24 h
  temp2 = (await requestReset())!;
  assert.ok(temp2, 'a second mail');
  assert.notEqual(temp2, temp1);
  t2Sent = clock.now();
  assert.equal((await alice()).newPassTime, t2Sent);
  assert.deepEqual(await login('Alice', temp1), { result: 'Failed', reason: wrongPassword() }, 'the old one is gone');
  assert.equal((await login('Alice', temp2)).result, 'Aborted');
  assert.equal((await login('Alice', 'Main-Pass-1')).result, 'Success');
});

test('a temporary password expires after 7 days; the main password is unaffected', async () => {
  clock.set(t2Sent + 7 * DAY - MIN);
  assert.equal((await login('Alice', temp2)).result, 'Aborted', 'a minute before the end of day 7');
  const c = new Client(srv.api);
  const logintoken = await c.token('login');
  const ui = await c.post({ action: 'clientlogin', username: 'Alice', password: temp2, loginreturnurl: 'http://wiki.test/', logintoken, formatversion: '2' });
  assert.equal(ui.json.clientlogin.status, 'UI');
  clock.set(t2Sent + 7 * DAY + MIN);
  assert.deepEqual(await login('Alice', temp2), { result: 'Failed', reason: wrongPassword() }, 'a minute after');
  const c2 = new Client(srv.api);
  const fail = await c2.post({
    action: 'clientlogin', username: 'Alice', password: temp2, loginreturnurl: 'http://wiki.test/', logintoken: await c2.token('login'), formatversion: '2',
  });
  assert.equal(fail.json.clientlogin.status, 'FAIL');
  assert.equal(fail.json.clientlogin.messagecode, 'wrongpassword');
  assert.equal((await login('Alice', 'Main-Pass-1')).result, 'Success');
  // Expiry is checked at login; the row itself is left as it was.
  assert.equal((await alice()).newPassTime, t2Sent);
});

test('the forced change after a temporary password: new password in, old and temporary out, bot passwords reset', async () => {
  const temp3 = (await requestReset())!; // the cooldown is long over
  assert.ok(temp3);
  const c = new Client(srv.api);
  const logintoken = await c.token('login');
  const ui = await c.post({ action: 'clientlogin', username: 'Alice', password: temp3, loginreturnurl: 'http://wiki.test/', logintoken, formatversion: '2' });
  assert.equal(ui.json.clientlogin.status, 'UI');
  assert.equal(ui.json.clientlogin.messagecode, 'resetpass-temp-emailed');
  assert.equal((await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0, 'not logged in yet');
  // Still valid until the change is made.
  assert.equal((await login('Alice', 'Main-Pass-1')).result, 'Success');
  const pass = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'Brand-New-Pass-9', retype: 'Brand-New-Pass-9', logintoken, formatversion: '2' });
  assert.deepEqual(pass.json, { clientlogin: { status: 'PASS', username: 'Alice' } });
  assert.equal((await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.name, 'Alice');

  const a = await alice();
  assert.equal(a.newPassTime, null, 'user_newpass_time cleared');
  assert.equal(a.newPassword, '', 'user_newpassword cleared');
  assert.ok(await srv.services.hasher.verify('Brand-New-Pass-9', a.password));

  assert.deepEqual(await login('Alice', 'Main-Pass-1'), { result: 'Failed', reason: wrongPassword() }, 'old main password');
  assert.deepEqual(await login('Alice', temp3), { result: 'Failed', reason: wrongPassword() }, 'temporary password');
  assert.equal((await login('Alice', 'Brand-New-Pass-9')).result, 'Success');
  assert.deepEqual(
    await login('Alice@app', PW32),
    { result: 'Failed', reason: wrongPassword() },
    'bot passwords are void after the change (answered as a wrong password, as for a bot that does not exist)',
  );
  const bp = await srv.services.botPasswords.get(aliceId, 'app');
  assert.equal(bp!.valid, false);

  // The cleared time also lifts the cooldown: a new request right away is served.
  assert.ok(await requestReset());
});
