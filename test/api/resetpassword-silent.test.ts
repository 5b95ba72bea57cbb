// action=resetpassword when it succeeds: every "nothing to send" case looks exactly like a real send
// (body and headers), and the mail that does go out says the right things to the right people.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, ManualClock, readMails, startTestServer, type ApiReply, type ReadMail, type TestServer } from '../helpers/harness.js';
import { ANON, SUCCESS, deliverAll, headerSet, msg, newMails, normalizeNewlines, rawRequest, resetMailText } from '../helpers/api.js';

const AR_FILE = fileURLToPath(new URL('../../src/i18n/messages/ar.json', import.meta.url));
const TEMP_RE = /^[0-9a-v]{10}$/;
const PASSWORD = 'Pass-word-123';

let srv: TestServer;
const seen: ReadMail[] = [];
const ids: Record<string, number> = {};

before(async () => {
  srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '1000/3600' } });
  const people: Array<[string, string]> = [
    ['Alice', 'alice@example.org'], ['Dave', ''], ['Eve', 'eve@example.org'], ['Frank', 'frank@example.org'],
    ['Gina', 'gina@example.org'], ['Hank', 'Hank@Example.org'], ['Bob', 'shared@example.org'], ['Carol', 'shared@example.org'],
    ['Ivan', 'ivan@example.org'], ['Judy', 'judy@example.org'], ['Kim', 'kim@example.org'], ['Liam', 'liam@example.org'],
  ];
  // One password hash for everyone: PBKDF2 is slow on purpose, and these accounts differ only in name and address.
  const passwordHash = await srv.services.hasher.hash(PASSWORD);
  for (const [name, email] of people) ids[name] = (await srv.services.users.create({ name, email, passwordHash })).id;
  await srv.services.blocks.add({ userId: ids.Eve!, target: 'Eve', by: 'Admin', reason: 'blocked target', createAccount: true });
});
after(() => srv.close());

const reset = (c: Client, params: Record<string, string>) => c.post({ action: 'resetpassword', token: ANON, ...params });
const user = (name: string) => srv.services.users.byName(name);

function assertSilent(r: ApiReply, baseline: ApiReply, label: string): void {
  assert.equal(r.status, 200, label);
  assert.equal(r.text, SUCCESS, label);
  assert.deepEqual(headerSet(r), headerSet(baseline), `${label}: same headers as a real send`);
}

test('unknown user, user without email, unknown email, cooldown and blocked target all answer like a real send', async () => {
  const c = new Client(srv.api);
  const baseline = await reset(c, { user: 'Alice' });
  assert.equal(baseline.text, SUCCESS);
  assert.equal(baseline.headers.get('mediawiki-api-error'), null);
  assert.equal(baseline.headers.getSetCookie().length, 0, 'an anonymous reset does not start a session');
  const first = await newMails(srv, seen);
  assert.equal(first.length, 1);
  const aliceTime = (await user('Alice'))!.newPassTime;
  assert.ok(aliceTime !== null, 'user_newpass_time set by the send');

  assertSilent(await reset(c, { user: 'Nobody' }), baseline, 'unknown user');
  assertSilent(await reset(c, { user: 'Dave' }), baseline, 'user without email');
  assertSilent(await reset(c, { email: 'nobody@example.org' }), baseline, 'unknown email');
  assertSilent(await reset(c, { user: 'Alice' }), baseline, 'second request within 24 h');
  assertSilent(await reset(c, { email: 'alice@example.org' }), baseline, 'second request by email within 24 h');
  assertSilent(await reset(c, { user: 'Eve' }), baseline, 'blocked target');
  // formatversion changes nothing here.
  assert.equal((await reset(c, { user: 'Nobody', formatversion: '2' })).text, SUCCESS);

  const mails = await newMails(srv, seen);
  assert.deepEqual(mails.map((m) => m.to), ['"Eve" <eve@example.org>'], 'only the blocked target got mail');
  assert.match(mails[0]!.tempPassword ?? '', TEMP_RE);
  assert.equal((await user('Alice'))!.newPassTime, aliceTime, 'the cooldown did not move user_newpass_time');
  assert.equal((await user('Dave'))!.newPassTime, null);
  assert.equal((await user('Dave'))!.newPassword, '');
});

test('user=<an email address> is treated as the email route; email matching ignores case', async () => {
  const c = new Client(srv.api);
  assert.equal((await reset(c, { user: 'gina@example.org' })).text, SUCCESS);
  assert.equal((await reset(c, { email: 'HANK@EXAMPLE.ORG' })).text, SUCCESS);
  const mails = await newMails(srv, seen);
  // The stored spelling is used; only the domain's case may change on the way (it carries no meaning).
  assert.deepEqual(mails.map((m) => m.to.toLowerCase()).sort(), ['"gina" <gina@example.org>', '"hank" <hank@example.org>']);
  assert.ok(mails.some((m) => m.to.startsWith('"Hank" <Hank@')));
  assert.ok((await user('Gina'))!.newPassTime !== null);
  assert.ok((await user('Hank'))!.newPassTime !== null);
});

test('an address shared by two accounts: one mail per account, each naming only its own account', async () => {
  const c = new Client(srv.api);
  assert.equal((await reset(c, { email: 'shared@example.org' })).text, SUCCESS);
  const mails = await newMails(srv, seen);
  assert.equal(mails.length, 2);
  const byName = new Map(mails.map((m) => [m.to.includes('"Bob"') ? 'Bob' : 'Carol', m]));
  assert.deepEqual([...byName.keys()].sort(), ['Bob', 'Carol']);
  for (const [name, other] of [['Bob', 'Carol'], ['Carol', 'Bob']] as const) {
    const m = byName.get(name)!;
    assert.equal(m.to, `"${name}" <shared@example.org>`);
    assert.ok(m.text.includes(name));
    assert.ok(!m.text.includes(other), `${name}'s mail does not mention ${other}`);
    assert.match(m.tempPassword ?? '', TEMP_RE);
    assert.equal(normalizeNewlines(m.text), resetMailText(srv, { requester: '127.0.0.1', ip: true, user: name, temp: m.tempPassword! }));
  }
  assert.notEqual(byName.get('Bob')!.tempPassword, byName.get('Carol')!.tempPassword);
  // Each temporary password belongs to its own account only.
  const login = async (name: string, pw: string) => (await new Client(srv.api).login(name, pw)).result;
  assert.equal(await login('Bob', byName.get('Bob')!.tempPassword!), 'Aborted');
  assert.equal(await login('Carol', byName.get('Bob')!.tempPassword!), 'Failed');
});

test('the mail to an anonymous request: recipient, sender, subject, IP, temporary password and a link from MWAUTH_SERVER', async () => {
  // A bogus Host (and forwarding headers) must not end up in the mail.
  const body = new URLSearchParams({ action: 'resetpassword', user: 'Frank', token: ANON, format: 'json' }).toString();
  const r = await rawRequest(srv.api, {
    method: 'POST',
    headers: {
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body,
  });
  assert.equal(r.status, 200);
  assert.equal(r.text, SUCCESS);
  const [m, ...rest] = await newMails(srv, seen);
  assert.equal(rest.length, 0);
  assert.equal(m!.to, '"Frank" <frank@example.org>');
  assert.equal(m!.subject, msg(srv, 'passwordreset-emailtitle'));
  assert.match(String((m!.headers.get('from') as { text: string }).text), /"TestWiki" <wiki@wiki\.test>/);
  const temp = m!.tempPassword!;
  assert.match(temp, TEMP_RE);
  assert.equal(normalizeNewlines(m!.text), resetMailText(srv, { requester: '127.0.0.1', ip: true, user: 'Frank', temp }));
  assert.ok(m!.text.includes('<http://wiki.test/wiki/Special:UserLogin>'));
  assert.ok(!m!.text.includes('evil') && !m!.html.includes('evil'), 'nothing from the Host header');
  assert.ok(!m!.text.includes('https://'), 'nothing from X-Forwarded-Proto');
  // The stored temporary password is a hash of the mailed one.
  const frank = (await user('Frank'))!;
  assert.notEqual(frank.newPassword, temp);
  assert.ok(await srv.services.tempPasswords.verify(temp, frank.newPassword));
});

test('the mail to a logged-in request names the requesting account instead of an address', async () => {
  const ivan = new Client(srv.api);
  assert.equal((await ivan.login('Ivan', PASSWORD)).result, 'Success');
  const r = await ivan.post({ action: 'resetpassword', user: 'Judy', token: await ivan.token() });
  assert.equal(r.text, SUCCESS);
  const [m] = await newMails(srv, seen);
  assert.equal(m!.to, '"Judy" <judy@example.org>');
  assert.equal(normalizeNewlines(m!.text), resetMailText(srv, { requester: 'Ivan', ip: false, user: 'Judy', temp: m!.tempPassword! }));
  assert.ok(m!.text.includes('Ivan'));
  assert.ok(!m!.text.includes('127.0.0.1'), 'a logged-in requester is named, not its address');
});

const hasArabic = existsSync(AR_FILE);
test(
  'a user whose language is Arabic gets the mail in Arabic, right to left',
  { skip: hasArabic ? false : 'src/i18n/messages/ar.json is not there yet (another engineer is writing it)' },
  async () => {
    const s = srv.services;
    assert.equal(s.i18n.resolve('ar'), 'ar', 'the server loaded the Arabic catalogue');
    await s.preferences.set(ids.Kim!, 'language', 'ar');
    assert.equal((await reset(new Client(srv.api), { user: 'Kim' })).text, SUCCESS);
    const [m] = await newMails(srv, seen);
    assert.equal(m!.to, '"Kim" <kim@example.org>');
    assert.equal(m!.headers.get('content-language'), 'ar');
    assert.match(m!.html, /dir="rtl"/);
    assert.equal(m!.subject, s.i18n.text('ar', 'passwordreset-emailtitle'));
    const arabic = JSON.parse(readFileSync(AR_FILE, 'utf8')) as Record<string, unknown>;
    if ('passwordreset-emailtitle' in arabic) assert.notEqual(m!.subject, msg(srv, 'passwordreset-emailtitle'), 'not the English subject');
    const temp = /[0-9a-v]{10}/.exec(m!.text.split('\n').find((l) => /\b[0-9a-v]{10}\s*$/.test(l)) ?? '')?.[0] ?? '';
    assert.match(temp, TEMP_RE);
    assert.equal(normalizeNewlines(m!.text), resetMailText(srv, { requester: '127.0.0.1', ip: true, user: 'Kim', temp, lang: 'ar' }));
    // The request's own language plays no part: an English API answer, an Arabic mail.
    await s.preferences.set(ids.Liam!, 'language', 'ar');
    assert.equal((await reset(new Client(srv.api), { user: 'Liam', uselang: 'en' })).text, SUCCESS);
    const [m2] = await newMails(srv, seen);
    assert.equal(m2!.headers.get('content-language'), 'ar');
  },
);

test('the per-IP limit: five anonymous requests an hour are served, the sixth is silently dropped', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const s2 = await startTestServer({ clock });
  try {
    const passwordHash = await s2.services.hasher.hash(PASSWORD);
    for (let i = 1; i <= 7; i++) await s2.services.users.create({ name: `User${i}`, email: `user${i}@example.org`, passwordHash });
    const c = new Client(s2.api);
    const replies: ApiReply[] = [];
    for (let i = 1; i <= 5; i++) replies.push(await reset(c, { user: `User${i}` }));
    await deliverAll(s2);
    assert.equal((await readMails(s2.mailDir)).length, 5, 'five mails for five requests');
    const sixth = await reset(c, { user: 'User6' });
    assertSilent(sixth, replies[0]!, 'over the limit');
    assert.equal((await reset(c, { email: 'user7@example.org' })).text, SUCCESS);
    await deliverAll(s2);
    assert.equal((await readMails(s2.mailDir)).length, 5, 'nothing more was sent');
    assert.equal((await s2.services.users.byName('User6'))!.newPassTime, null);
    assert.equal((await s2.services.db.selectFrom('reset_request').select('rr_id').execute()).length, 5, 'dropped requests are not recorded');

    clock.advance(3600_000);
    assert.equal((await reset(c, { user: 'User6' })).text, SUCCESS);
    await deliverAll(s2);
    const mails = await readMails(s2.mailDir);
    assert.equal(mails.length, 6, 'a new hour, a new allowance');
    assert.equal(mails.at(-1)!.to, '"User6" <user6@example.org>');
  } finally {
    await s2.close();
  }
});
