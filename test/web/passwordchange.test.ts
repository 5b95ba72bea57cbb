// After a password change on the pages (Special:ChangePassword, and the forced change on
// Special:UserLogin after a temporary password): the same consequences as through the API — the
// temporary password is void, other sessions and bot passwords end, the account's address gets a
// notice with the time, the IP address and the reset link, and the audit trail has the change.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mailTime } from '../../src/auth/passwordChanges.js';
import { Client, ManualClock, addUser, startTestServer, type ReadMail, type TestServer } from '../helpers/harness.js';
import { ANON, newMails } from '../helpers/api.js';
import { PageClient } from './helpers.js';

const PW32 = 'vutsrqponmlkjihgfedcba9876543210';
const clock = new ManualClock(Date.UTC(2026, 8, 3, 7, 30));
let srv: TestServer;
const seen: ReadMail[] = [];
const t = (key: string, ...p: Array<string | number>) => srv.services.i18n.text('en', key, ...p);

before(async () => {
  srv = await startTestServer({ clock });
});
after(() => srv.close());

async function prepare(name: string) {
  const s = srv.services;
  const user = await addUser(s, name, 'Main-Pass-1', { email: `${name.toLowerCase()}@example.org` });
  await s.botPasswords.set(user.id, 'app', PW32, ['basic']);
  const elsewhere = new PageClient(srv.url);
  assert.equal((await elsewhere.submit('/wiki/Special:UserLogin', { wpName: name, wpPassword: 'Main-Pass-1', wpRemember: '1' })).status, 303);
  const bot = new Client(srv.api);
  assert.equal((await bot.login(`${name}@app`, PW32)).result, 'Success');
  const reset = new PageClient(srv.url);
  assert.ok((await reset.submit('/wiki/Special:PasswordReset', { wpUsername: name })).status < 400);
  await new Client(srv.api).post({ action: 'resetpassword', user: name, token: ANON }); // in the cooldown: nothing more
  const mails = await newMails(srv, seen);
  assert.equal(mails.length, 1);
  return { user, elsewhere, bot, temp: mails[0]!.tempPassword! };
}

async function assertAfterChange(o: { name: string; newPassword: string; temp: string; elsewhere: PageClient; bot: Client; via: string; at: number }) {
  assert.ok((await o.elsewhere.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon')), 'the other browser (remembered) is logged out');
  assert.equal((await o.bot.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0, 'bot session ended');
  assert.equal((await new Client(srv.api).login(`${o.name}@app`, PW32)).result, 'Failed', 'bot password must be reset');
  assert.equal((await new Client(srv.api).login(o.name, o.temp)).result, 'Failed', 'temporary password void');
  assert.equal((await new Client(srv.api).login(o.name, 'Main-Pass-1')).result, 'Failed');
  assert.equal((await new Client(srv.api).login(o.name, o.newPassword)).result, 'Success');
  const mails = await newMails(srv, seen);
  assert.equal(mails.length, 1);
  assert.equal(mails[0]!.subject, t('passwordchanged-emailtitle'));
  assert.equal(mails[0]!.text.trim(), t('passwordchanged-emailtext-ip', o.name, mailTime(o.at, 'en'), '127.0.0.1', '<http://wiki.test/wiki/Special:PasswordReset>'));
  const changed = await srv.services.audit.query({ user: o.name, type: 'password.changed' });
  assert.equal(changed.length, 1);
  assert.equal(changed[0]!.details.via, o.via);
  assert.equal(changed[0]!.ip, '127.0.0.1');
}

test('Special:ChangePassword', async () => {
  const { elsewhere, bot, temp } = await prepare('Wanda');
  const c = new PageClient(srv.url);
  await c.submit('/wiki/Special:UserLogin', { wpName: 'Wanda', wpPassword: 'Main-Pass-1' });
  const at = clock.now();
  const ok = await c.submit('/wiki/Special:ChangePassword', { wpNewPassword: 'Fresh-Pass-44', wpRetype: 'Fresh-Pass-44' });
  assert.ok(ok.html.includes(t('web-changepassword-done')));
  assert.ok((await c.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Wanda')), 'this session stays');
  await assertAfterChange({ name: 'Wanda', newPassword: 'Fresh-Pass-44', temp, elsewhere, bot, via: 'web', at });
  // Logging out is in the trail too.
  assert.ok((await c.submit('/wiki/Special:UserLogout', {})).html.includes(t('web-logout-done')));
  const out = await srv.services.audit.query({ user: 'Wanda', type: 'logout' });
  assert.deepEqual(out.map((e) => [e.ip, e.details]), [['127.0.0.1', { bot: false }]]);
});

test('the forced change on Special:UserLogin; a second browser halfway through it is refused afterwards', async () => {
  const { elsewhere, bot, temp } = await prepare('Xavier');
  const first = new PageClient(srv.url);
  const second = new PageClient(srv.url);
  for (const c of [first, second]) {
    const form = await c.submit('/wiki/Special:UserLogin', { wpName: 'Xavier', wpPassword: temp });
    assert.equal(form.status, 200);
    assert.match(form.html, /name="wpStep" value="change"/);
  }
  const at = clock.now();
  const done = await first.submit('/wiki/Special:UserLogin', { wpStep: 'change', wpNewPassword: 'Fresh-Pass-55', wpRetype: 'Fresh-Pass-55' });
  assert.equal(done.status, 303);
  assert.ok((await first.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Xavier')));
  const late = await second.submit('/wiki/Special:UserLogin', { wpStep: 'change', wpNewPassword: 'Other-Pass-66', wpRetype: 'Other-Pass-66' });
  assert.ok(late.html.includes(t('authmanager-authn-not-in-progress')), 'refused');
  assert.ok((await second.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon')));
  await assertAfterChange({ name: 'Xavier', newPassword: 'Fresh-Pass-55', temp, elsewhere, bot, via: 'forced', at });
});
