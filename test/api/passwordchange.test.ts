// After a password change through the API (the forced change after a temporary password, and
// action=changeauthenticationdata): the temporary password is void — also for a second browser halfway
// through its own forced change — every other session and remembered login ends, bot passwords stop
// working, the audit trail has the change, and the account's address gets a notice in its language
// with the time, the IP address and the link to Special:PasswordReset.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mailTime } from '../../src/auth/passwordChanges.js';
import { Client, ManualClock, addUser, startTestServer, type ReadMail, type TestServer } from '../helpers/harness.js';
import { ANON, msg, newMails, rawRequest } from '../helpers/api.js';

const PW32 = '0123456789abcdefghijklmnopqrstuv';
const PW_REQ = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';
const clock = new ManualClock(Date.UTC(2026, 5, 14, 16, 5));
let srv: TestServer;
const seen: ReadMail[] = [];

before(async () => {
  // No reset cooldown: a newer reset can replace a temporary password while a forced change waits.
  srv = await startTestServer({ clock, env: { MWAUTH_RESET_COOLDOWN_HOURS: '0' } });
});
after(() => srv.close());

const userinfo = async (c: Client) => (await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo;

/** An account with a language, a bot password, a second logged-in browser, a bot session and a mailed temporary password. */
async function prepare(name: string, lang: string) {
  const s = srv.services;
  const user = await addUser(s, name, 'Main-Pass-1', { email: `${name.toLowerCase()}@example.org` });
  await s.preferences.set(user.id, 'language', lang);
  await s.botPasswords.set(user.id, 'app', PW32, ['basic']);
  const elsewhere = new Client(srv.api);
  assert.equal((await elsewhere.login(name, 'Main-Pass-1')).result, 'Success'); // action=login remembers the login
  const bot = new Client(srv.api);
  assert.equal((await bot.login(`${name}@app`, PW32)).result, 'Success');
  assert.equal((await new Client(srv.api).post({ action: 'resetpassword', user: name, token: ANON })).json.resetpassword.status, 'success');
  const mails = await newMails(srv, seen);
  assert.equal(mails.length, 1);
  const temp = mails[0]!.tempPassword!;
  assert.match(temp, /^[0-9a-v]{10}$/);
  return { user, elsewhere, bot, temp };
}

/** Logs in with the temporary password through clientlogin and stops at the forced change. */
async function startForcedChange(name: string, temp: string): Promise<{ c: Client; logintoken: string }> {
  const c = new Client(srv.api);
  const logintoken = await c.token('login');
  const ui = await c.post({ action: 'clientlogin', username: name, password: temp, loginreturnurl: 'http://wiki.test/', logintoken, formatversion: '2' });
  assert.equal(ui.json.clientlogin.status, 'UI');
  return { c, logintoken };
}

async function assertAfterChange(o: { name: string; lang: string; newPassword: string; temp: string; elsewhere: Client; bot: Client; via: string; changedAt: number }) {
  const s = srv.services;
  assert.equal((await userinfo(o.elsewhere)).id, 0, 'the other browser is logged out');
  assert.equal((await userinfo(o.bot)).id, 0, 'the bot-password session ended');
  const again = await new Client(srv.api).login(`${o.name}@app`, PW32);
  // Void; answered as a wrong password, so that nobody learns the account has a bot of that name.
  assert.deepEqual(again, { result: 'Failed', reason: msg(srv, 'wrongpassword') });
  assert.equal((await srv.services.botPasswords.get((await srv.services.users.byName(o.name))!.id, 'app'))!.valid, false);
  assert.deepEqual(await new Client(srv.api).login(o.name, o.temp), { result: 'Failed', reason: msg(srv, 'wrongpassword') }, 'temporary password void');
  assert.equal((await new Client(srv.api).login(o.name, 'Main-Pass-1')).result, 'Failed', 'old password');
  assert.equal((await new Client(srv.api).login(o.name, o.newPassword)).result, 'Success');

  // The notice: one mail, to the account's address, in its language, with time, IP and what to do.
  const mails = await newMails(srv, seen);
  assert.equal(mails.length, 1, mails.map((m) => m.subject).join(' | '));
  const m = mails[0]!;
  const url = 'http://wiki.test/wiki/Special:PasswordReset';
  assert.match(m.to, new RegExp(`${o.name.toLowerCase()}@example\\.org`));
  assert.equal(m.subject, s.i18n.text(o.lang, 'passwordchanged-emailtitle'));
  assert.equal(m.headers.get('content-language'), o.lang);
  assert.equal(m.text.trim(), s.i18n.text(o.lang, 'passwordchanged-emailtext-ip', o.name, mailTime(o.changedAt, o.lang), '127.0.0.1', `<${url}>`));
  assert.ok(m.text.includes('127.0.0.1') && m.text.includes(url) && m.text.includes('2026'));
  assert.equal(m.tempPassword, null);
  for (const secret of [o.newPassword, o.temp, 'Main-Pass-1', PW32]) assert.ok(!m.text.includes(secret) && !m.html.includes(secret));

  // The audit trail.
  const events = await s.audit.query({ user: o.name, since: o.changedAt });
  const changed = events.find((e) => e.type === 'password.changed')!;
  assert.ok(changed, events.map((e) => e.type).join(','));
  assert.equal(changed.ip, '127.0.0.1');
  assert.deepEqual(changed.details, { via: o.via, temporaryCleared: true, botsInvalidated: 1 });
  const revoked = events.find((e) => e.type === 'sessions.revoked')!;
  assert.ok(Number(revoked.details.ended) >= 2, JSON.stringify(revoked.details));
  assert.equal(revoked.details.keptCurrent, true);
  assert.ok(events.some((e) => e.type === 'mail.queued' && e.details.kind === 'password-changed'));
}

test('the forced change (clientlogin): everything else ends, a second half-done forced change is refused, a notice in French', async () => {
  const { elsewhere, bot, temp } = await prepare('Fabienne', 'fr');
  const first = await startForcedChange('Fabienne', temp);
  const second = await startForcedChange('Fabienne', temp); // someone else who has the mail too
  const changedAt = clock.now();
  const pass = await first.c.post({ action: 'clientlogin', logincontinue: '1', password: 'Nouveau-Pass-42', retype: 'Nouveau-Pass-42', logintoken: first.logintoken, formatversion: '2' });
  assert.deepEqual(pass.json, { clientlogin: { status: 'PASS', username: 'Fabienne' } });
  assert.equal((await userinfo(first.c)).name, 'Fabienne', 'the browser that made the change stays logged in');

  const late = await second.c.post({ action: 'clientlogin', logincontinue: '1', password: 'Attacker-Pass-77', retype: 'Attacker-Pass-77', logintoken: second.logintoken, formatversion: '2' });
  assert.equal(late.json.clientlogin.status, 'FAIL', 'the temporary password is void for a login begun with it');
  assert.equal(late.json.clientlogin.messagecode, 'authmanager-authn-not-in-progress');
  assert.equal((await new Client(srv.api).login('Fabienne', 'Attacker-Pass-77')).result, 'Failed');

  await assertAfterChange({ name: 'Fabienne', lang: 'fr', newPassword: 'Nouveau-Pass-42', temp, elsewhere, bot, via: 'forced', changedAt });
  const types = (await srv.services.audit.query({ user: 'Fabienne' })).map((e) => e.type);
  assert.ok(types.includes('login.temporary-password'));
  assert.ok(types.indexOf('login.temporary-password') < types.indexOf('password.changed'));
});

test('a newer reset also voids a half-done forced change begun with the older temporary password', async () => {
  const s = srv.services;
  const u = await addUser(s, 'Gaspard', 'Main-Pass-1', { email: 'gaspard@example.org' });
  await new Client(srv.api).post({ action: 'resetpassword', user: 'Gaspard', token: ANON });
  const [old] = await newMails(srv, seen);
  const half = await startForcedChange('Gaspard', old!.tempPassword!);
  clock.advance(60_000);
  await new Client(srv.api).post({ action: 'resetpassword', user: 'Gaspard', token: ANON });
  assert.equal((await newMails(srv, seen)).length, 1);
  clock.advance(60_000);
  const late = await half.c.post({ action: 'clientlogin', logincontinue: '1', password: 'Some-New-Pass-5', retype: 'Some-New-Pass-5', logintoken: half.logintoken, formatversion: '2' });
  assert.equal(late.json.clientlogin.status, 'FAIL');
  assert.ok((await s.users.byId(u.id))!.newPassword !== '', 'nothing changed');
});

test('changeauthenticationdata: everything else ends, the session that changed it stays, a notice in Arabic', async () => {
  const { elsewhere, bot, temp } = await prepare('Omar', 'ar');
  const c = new Client(srv.api);
  assert.equal((await c.login('Omar', 'Main-Pass-1')).result, 'Success');
  const token = await c.token();
  const changedAt = clock.now();
  const r = await c.post({ action: 'changeauthenticationdata', changeauthrequest: PW_REQ, password: 'Jadida-Pass-42', retype: 'Jadida-Pass-42', changeauthtoken: token });
  assert.equal(r.text, '{"changeauthenticationdata":{"status":"success"}}');
  assert.equal((await userinfo(c)).name, 'Omar');
  await assertAfterChange({ name: 'Omar', lang: 'ar', newPassword: 'Jadida-Pass-42', temp, elsewhere, bot, via: 'api', changedAt });
});

test('a refused change (policy, retype) changes nothing and tells nobody', async () => {
  const s = srv.services;
  await addUser(s, 'Rita', 'Main-Pass-1', { email: 'rita@example.org' });
  const c = new Client(srv.api);
  assert.equal((await c.login('Rita', 'Main-Pass-1')).result, 'Success');
  const token = await c.token();
  const r = await c.post({ action: 'changeauthenticationdata', changeauthrequest: PW_REQ, password: 'Other-Pass-42', retype: 'Other-Pass-43', changeauthtoken: token });
  assert.equal(r.headers.get('mediawiki-api-error'), 'badretype');
  assert.equal((await newMails(srv, seen)).length, 0);
  assert.equal((await s.audit.query({ user: 'Rita', type: 'password.changed' })).length, 0);
  assert.equal((await new Client(srv.api).login('Rita', 'Main-Pass-1')).result, 'Success');
});

test('an account without an address: the change goes through, no mail', async () => {
  const s = srv.services;
  await addUser(s, 'Nomail', 'Main-Pass-1');
  const c = new Client(srv.api);
  assert.equal((await c.login('Nomail', 'Main-Pass-1')).result, 'Success');
  const r = await c.post({ action: 'changeauthenticationdata', changeauthrequest: PW_REQ, password: 'Other-Pass-42', retype: 'Other-Pass-42', changeauthtoken: await c.token() });
  assert.equal(r.text, '{"changeauthenticationdata":{"status":"success"}}');
  assert.equal((await newMails(srv, seen)).length, 0);
  assert.equal((await s.audit.query({ user: 'Nomail', type: 'password.changed' })).length, 1);
  assert.equal((await s.audit.query({ user: 'Nomail', type: 'mail.queued' })).length, 0);
});

/** Headers a client (or a proxy in front of the server) could set to another site. */
const HOSTILE = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-server': 'evil.example' };

/** A POST to api.php with the hostile headers and the client's cookies (kept up to date); returns the parsed answer. */
async function hostilePost(c: Client, params: Record<string, string>): Promise<any> {
  const r = await rawRequest(srv.api, {
    method: 'POST',
    headers: {
      ...HOSTILE,
      cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ format: 'json', formatversion: '2', ...params }).toString(),
  });
  // Like any client, it keeps the cookies it is given (a login step gives the session a new id).
  c.jar.keep([r.headers['set-cookie'] ?? []].flat());
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text);
}

/** The one new notice: every link in it (text, HTML, and the raw message) is on MWAUTH_SERVER; the Host header is nowhere. */
async function assertNoticeOnlyFromServer(name: string): Promise<void> {
  const server = srv.services.config.server;
  const mails = await newMails(srv, seen);
  assert.equal(mails.length, 1, mails.map((m) => m.subject).join(' | '));
  const m = mails[0]!;
  assert.match(m.to, new RegExp(`${name.toLowerCase()}@example\\.org`));
  assert.equal(m.subject, srv.services.i18n.text('en', 'passwordchanged-emailtitle'));
  const raw = readFileSync(join(srv.mailDir, m.file), 'utf8');
  for (const [part, content] of [['text', m.text], ['html', m.html], ['raw message', raw]] as const) {
    assert.ok(!/evil/i.test(content), `"evil.example" in the ${part}`);
  }
  const links = [...m.text.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s<>"]+|(?<![:/])\/\/[^\s<>"]+/gi)].map((x) => x[0]);
  const hrefs = [...m.html.matchAll(/\b(?:href|src)\s*=\s*["']?([^"'\s>]+)/gi)].map((x) => x[1]!);
  const htmlLinks = [...m.html.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s<>"&]+/gi)].map((x) => x[0]);
  assert.ok(links.length >= 1, `the notice has a link: ${m.text}`);
  for (const link of [...links, ...hrefs, ...htmlLinks]) assert.ok(link.startsWith(`${server}/`), `${link} is not on ${server}`);
  assert.ok(links.includes(`${server}/wiki/Special:PasswordReset`), links.join(' '));
}

test('changeauthenticationdata sent with Host and X-Forwarded-Host evil.example: the notice links only to MWAUTH_SERVER', async () => {
  await addUser(srv.services, 'Hester', 'Main-Pass-1', { email: 'hester@example.org' });
  const c = new Client(srv.api);
  assert.equal((await c.login('Hester', 'Main-Pass-1')).result, 'Success');
  const token = await c.token();
  const r = await hostilePost(c, { action: 'changeauthenticationdata', changeauthrequest: PW_REQ, password: 'Hostile-Host-42', retype: 'Hostile-Host-42', changeauthtoken: token });
  assert.deepEqual(r, { changeauthenticationdata: { status: 'success' } });
  assert.equal((await new Client(srv.api).login('Hester', 'Hostile-Host-42')).result, 'Success', 'the change went through');
  await assertNoticeOnlyFromServer('Hester');
});

test('the forced change (clientlogin) sent with Host and X-Forwarded-Host evil.example: the notice links only to MWAUTH_SERVER', async () => {
  const s = srv.services;
  const u = await addUser(s, 'Horace', 'Main-Pass-1', { email: 'horace@example.org' });
  await s.users.setTemporaryPassword(u.id, await s.tempPasswords.hash('tmp0hostile'));
  const c = new Client(srv.api);
  const logintoken = await c.token('login');
  const ui = await hostilePost(c, { action: 'clientlogin', username: 'Horace', password: 'tmp0hostile', loginreturnurl: 'http://wiki.test/', logintoken });
  assert.equal(ui.clientlogin.status, 'UI', JSON.stringify(ui));
  const pass = await hostilePost(c, { action: 'clientlogin', logincontinue: '1', password: 'Hostile-Host-43', retype: 'Hostile-Host-43', logintoken });
  assert.deepEqual(pass, { clientlogin: { status: 'PASS', username: 'Horace' } });
  await assertNoticeOnlyFromServer('Horace');
});
