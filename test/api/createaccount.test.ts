// action=createaccount as MediaWiki answers it, through the one account door: which refusal comes first,
// what is stored (email, real name), who may create (blocks, bot passwords), the parameters a client
// sends (requests, message formats, return URL, continue), accounts made for others with a mailed
// temporary password, and the per-address creation throttle.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ManualClock, addUser, readMails, startTestServer, type TestServer } from '../helpers/harness.js';
import { assertError, deliverAll, msg } from '../helpers/api.js';
import { REDIS_URL, keysUnder, postgresDatabase, redisClient, redisPrefix, skipUnless } from '../helpers/services.js';

/** The mails that arrived after the first `before` ones, once delivery has written them (a send may still be under way). */
async function mailsAfter(srv: TestServer, before: number) {
  for (let i = 0; i < 200; i++) {
    await deliverAll(srv);
    const all = await readMails(srv.mailDir);
    if (all.length > before) return all.slice(before);
    await new Promise((r) => setTimeout(r, 25));
  }
  return [];
}

const RU = 'http://wiki.test/';
const PW = 'Some-Good-Pass-1';
const BOT_PW = 'botpassbotpassbotpassbotpassbot1';

async function create(c: Client, p: Record<string, string | undefined>, query: Record<string, string> = {}) {
  const body: Record<string, string> = { action: 'createaccount', createtoken: await c.token('createaccount'), formatversion: '2' };
  for (const [k, v] of Object.entries(p)) if (v !== undefined) body[k] = v;
  return c.post(body, query);
}
const fail = (srv: TestServer, code: string, key: string, ...params: Parameters<typeof msg>[2][]) =>
  JSON.stringify({ createaccount: { status: 'FAIL', message: msg(srv, key, ...params), messagecode: code, canpreservestate: false } });
const pass = (name: string) => JSON.stringify({ createaccount: { status: 'PASS', username: name } });
const whoami = async (c: Client, uiprop = '') => (await c.get({ action: 'query', meta: 'userinfo', uiprop, formatversion: '2' })).json.query.userinfo;

describe('without the throttle', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ env: { MWAUTH_ACCOUNT_CREATION_THROTTLE: 'none' } });
    const alice = await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
    await addUser(srv.services, 'Admin', 'Admin-Pass-123', { groups: ['sysop'] });
    const eve = await addUser(srv.services, 'Eve', 'Eve-Pass-1');
    await srv.services.blocks.add({ userId: eve.id, target: 'Eve', by: 'Admin', reason: 'spam', createAccount: true });
    const mallory = await addUser(srv.services, 'Mallory', 'Mallory-Pass-1');
    await srv.services.blocks.add({ userId: mallory.id, target: 'Mallory', by: 'Admin', reason: 'edits only', createAccount: false });
    await srv.services.botPasswords.set(alice.id, 'tool', BOT_PW, ['basic']);
    await srv.services.botPasswords.set(alice.id, 'maker', BOT_PW, ['basic', 'createaccount']);
  });
  after(() => srv.close());

  test('PASS stores the canonical name, email and real name (uiprop=realname shows it); the creator stays who it was', async () => {
    const c = new Client(srv.api);
    const r = await create(c, { username: 'new_user one', password: PW, retype: PW, email: 'one@example.org', realname: 'Ada One', createreturnurl: RU });
    assert.equal(r.text, pass('New user one'), 'no "unrecognized parameters" warning for the fields of the requests');
    assert.equal((await whoami(c)).id, 0, 'creating does not log in');
    const one = (await srv.services.users.byName('New user one'))!;
    assert.equal(one.email, 'one@example.org');
    assert.equal(one.realName, 'Ada One');
    assert.equal(one.emailAuthenticated, null, 'an address given at creation is not confirmed');
    const them = new Client(srv.api);
    assert.equal((await them.login('New user one', PW)).result, 'Success');
    const info = await whoami(them, 'realname|email');
    assert.equal(info.realname, 'Ada One');
    assert.equal(info.email, 'one@example.org');
    // Each of email and realname is kept on its own.
    assert.equal((await create(c, { username: 'Only Mail', password: PW, retype: PW, email: 'only@example.org', createreturnurl: RU })).text, pass('Only Mail'));
    assert.equal((await srv.services.users.byName('Only Mail'))!.email, 'only@example.org');
    assert.equal((await create(c, { username: 'Only Name', password: PW, retype: PW, realname: 'Bo', createreturnurl: RU })).text, pass('Only Name'));
    assert.equal((await srv.services.users.byName('Only Name'))!.realName, 'Bo');
    const events = await srv.services.audit.query({ type: 'account.created' });
    const e = events.find((x) => x.userName === 'New user one')!;
    assert.deepEqual(e.details, { via: 'api', creator: null, creatorId: null, byMail: false });
    assert.equal(e.ip, '127.0.0.1');
    assert.ok(!JSON.stringify(events).includes(PW), 'no password in the audit trail');
  });

  test('a password and its retype are both needed: without either, authmanager-create-no-primary and no account', async () => {
    const c = new Client(srv.api);
    const noPrimary = fail(srv, 'authmanager-create-no-primary', 'authmanager-create-no-primary');
    for (const p of [{ password: PW }, { retype: PW }, {}, { password: '', retype: '' }, { password: PW, retype: '' }]) {
      assert.equal((await create(c, { username: 'Halfway', ...p, createreturnurl: RU })).text, noPrimary, JSON.stringify(p));
    }
    assert.equal(await srv.services.users.byName('Halfway'), null);
    assert.equal((await create(c, { username: 'Halfway', password: PW, retype: `${PW}x`, createreturnurl: RU })).text, fail(srv, 'badretype', 'badretype'));
    // A name comes first, then whether it is taken or valid, then the address; the password last.
    for (const username of [undefined, '']) assert.equal((await create(c, { username, password: PW, createreturnurl: RU })).text, fail(srv, 'invaliduser', 'noname'));
    assert.equal((await create(c, { username: 'alice', password: PW, createreturnurl: RU })).text, fail(srv, 'userexists', 'userexists'));
    assert.equal((await create(c, { username: 'A@b', createreturnurl: RU })).text, fail(srv, 'invaliduser', 'noname'));
    assert.equal((await create(c, { username: 'Halfway', email: 'nope', createreturnurl: RU })).text, fail(srv, 'invalidemailaddress', 'invalidemailaddress'));
    for (const [password, code] of [['password', 'passwordincommonlist'], ['alfwa', 'password-substring-username-match'], ['ExamplePassword', 'password-login-forbidden'], ['a'.repeat(4097), 'passwordtoolong']]) {
      assert.equal(JSON.parse((await create(c, { username: 'Halfway', password, retype: password, createreturnurl: RU })).text).createaccount.messagecode, code);
    }
    assert.equal(await srv.services.users.byName('Halfway'), null);
  });

  test('blocked creators get "blocked", bot passwords without the grant "permissiondenied"; a block that allows creation does not stop it', async () => {
    const eve = new Client(srv.api);
    assert.equal((await eve.login('Eve', 'Eve-Pass-1')).result, 'Success');
    const [block] = (await srv.services.blocks.list()).filter((b) => b.target === 'Eve');
    const blocked = fail(srv, 'blocked', 'blockedtext', 'Admin', 'spam', '127.0.0.1', 'Admin', block!.id);
    assert.equal((await create(eve, { username: 'Eves Sock', password: PW, retype: PW, createreturnurl: RU })).text, blocked);
    assert.equal((await create(eve, { username: 'Alice', password: PW, retype: PW, createreturnurl: RU })).text, blocked, 'before "userexists"');
    assert.equal((await create(eve, { password: PW, retype: PW, createreturnurl: RU })).text, fail(srv, 'invaliduser', 'noname'), 'after "no name"');
    const raw = (await create(eve, { username: 'Eves Sock', password: PW, retype: PW, createreturnurl: RU, createmessageformat: 'raw' })).json.createaccount;
    assert.equal(raw.message.key, 'blockedtext');
    assert.deepEqual(raw.message.params.slice(0, 5), ['Admin', 'spam', '127.0.0.1', 'Admin', block!.id]);

    const mallory = new Client(srv.api);
    assert.equal((await mallory.login('Mallory', 'Mallory-Pass-1')).result, 'Success');
    assert.equal((await create(mallory, { username: 'Mallorys Friend', password: PW, retype: PW, createreturnurl: RU })).text, pass('Mallorys Friend'));

    const bot = new Client(srv.api);
    assert.equal((await bot.login('Alice@tool', BOT_PW)).result, 'Success');
    const denied = (await create(bot, { username: 'Bots Sock', password: PW, retype: PW, createreturnurl: RU, createmessageformat: 'raw' })).json.createaccount;
    assert.equal(denied.messagecode, 'permissiondenied');
    assert.deepEqual(denied.message, { key: 'badaccess-groups', params: ['*, sysop', 2] });
    assert.equal(await srv.services.users.byName('Bots Sock'), null);
    const maker = new Client(srv.api);
    assert.equal((await maker.login('Alice@maker', BOT_PW)).result, 'Success');
    assert.equal((await create(maker, { username: 'Granted Sock', password: PW, retype: PW, createreturnurl: RU })).text, pass('Granted Sock'), 'the createaccount grant allows it');
  });

  test('an address block with account creation disabled stops anonymous creation there, and only there', async () => {
    const s = await startTestServer({ env: { MWAUTH_TRUSTED_PROXIES: '127.0.0.1' } });
    try {
      await s.services.blocks.add({ userId: 0, target: '192.0.2.7', by: 'Admin', reason: 'open proxy', createAccount: true });
      const [block] = await s.services.blocks.list();
      const there = new Client(s.api, { 'x-forwarded-for': '192.0.2.7' });
      assert.equal((await create(there, { username: 'From Proxy', password: PW, retype: PW, createreturnurl: RU })).text,
        fail(s, 'blocked', 'blockedtext', 'Admin', 'open proxy', '192.0.2.7', 'Admin', block!.id));
      const elsewhere = new Client(s.api, { 'x-forwarded-for': '192.0.2.8' });
      assert.equal((await create(elsewhere, { username: 'From Proxy', password: PW, retype: PW, createreturnurl: RU })).text, pass('From Proxy'));
    } finally {
      await s.close();
    }
  });

  test('parameters: the fields of the offered requests are read, others warned about; createrequests narrows them', async () => {
    const c = new Client(srv.api);
    // "reason" is a field only for logged-in creators.
    const anonReason = await create(c, { username: 'Reasonless', password: PW, retype: PW, reason: 'why', createreturnurl: RU });
    assert.deepEqual(Object.keys(anonReason.json), ['warnings', 'createaccount']);
    assert.equal(anonReason.json.warnings.main.warnings, msg(srv, 'apierror-unrecognizedparams', 'reason', 1));
    const narrowed = await create(c, { username: 'Narrow', password: PW, retype: PW, createrequests: 'MediaWiki\\Auth\\UsernameAuthenticationRequest', createreturnurl: RU });
    assert.equal(narrowed.json.createaccount.messagecode, 'authmanager-create-no-primary');
    assert.equal(narrowed.json.warnings.main.warnings, msg(srv, 'apierror-unrecognizedparams', 'password, retype', 2));
    const pwOnly = await create(c, { username: 'Narrow', password: PW, retype: PW, email: 'n@example.org', createrequests: 'MediaWiki\\Auth\\PasswordAuthenticationRequest', createreturnurl: RU });
    assert.equal(pwOnly.json.createaccount.status, 'PASS');
    assert.equal((await srv.services.users.byName('Narrow'))!.email, '', 'email was not among the requests asked for');
    assert.equal(pwOnly.json.warnings.main.warnings, msg(srv, 'apierror-unrecognizedparams', 'email', 1));
  });

  test('parameter errors: return URL, continue, POST body, token', async () => {
    const c = new Client(srv.api);
    assertError(await create(c, { username: 'Errs', password: PW, retype: PW }), 'missingparam');
    for (const url of ['foo', 'javascript:alert(1)', '//example.org/', 'http://', ' http://x.org/']) {
      const r = await create(c, { username: 'Errs', password: PW, retype: PW, createreturnurl: url });
      assertError(r, 'badurl_createreturnurl');
      assert.equal(r.json.error.info, msg(srv, 'apierror-badurl', 'createreturnurl', url));
    }
    const raw = await create(c, { username: 'Errs', password: PW, retype: PW, createreturnurl: 'foo', errorformat: 'raw' });
    assert.deepEqual(raw.json.errors[0], { code: 'badurl_createreturnurl', key: 'apierror-badurl', params: ['createreturnurl', 'foo'], module: 'createaccount' });
    for (const url of ['https://app.example/done', 'mailto:a@example.org', 'HTTP://X.ORG/']) {
      assert.equal((await create(c, { username: 'Alice', password: PW, retype: PW, createreturnurl: url })).json.createaccount.messagecode, 'userexists', url);
    }
    assert.equal((await create(c, { createcontinue: '1' })).text, fail(srv, 'authmanager-create-not-in-progress', 'authmanager-create-not-in-progress'));
    const cont = await create(c, { createcontinue: '1', username: 'Errs', password: PW, retype: PW });
    assert.equal(cont.json.createaccount.messagecode, 'authmanager-create-not-in-progress');
    assert.equal(cont.json.warnings.main.warnings, msg(srv, 'apierror-unrecognizedparams', 'username, password, retype', 3), 'continuing takes no fields');
    assertError(await create(c, { username: 'Errs', retype: PW, createreturnurl: RU }, { password: PW }), 'mustpostparams');
    assertError(await c.get({ action: 'createaccount', username: 'Errs', createreturnurl: RU, createtoken: await c.token('createaccount') }), 'mustpostparams');
    assertError(await c.post({ action: 'createaccount', username: 'Errs', password: PW, retype: PW, createreturnurl: RU, createtoken: '' }), 'missingparam');
    assertError(await c.post({ action: 'createaccount', username: 'Errs', password: PW, retype: PW, createreturnurl: RU, createtoken: '+\\' }), 'badtoken');
    assert.equal(await srv.services.users.byName('Errs'), null);
  });

  test('createmessageformat (html, none, raw, wikitext), createmergerequestfields and createpreservestate', async () => {
    const c = new Client(srv.api);
    const taken = (p: Record<string, string>) => create(c, { username: 'Alice', password: PW, retype: PW, createreturnurl: RU, ...p });
    assert.equal((await taken({ createmessageformat: 'wikitext' })).text, fail(srv, 'userexists', 'userexists'));
    assert.equal((await taken({ createmessageformat: 'html' })).json.createaccount.message, msg(srv, 'userexists'));
    assert.equal((await taken({ createmessageformat: 'none' })).text, '{"createaccount":{"status":"FAIL","messagecode":"userexists","canpreservestate":false}}');
    assert.deepEqual((await taken({ createmessageformat: 'raw' })).json.createaccount.message, { key: 'userexists', params: [] });
    assert.equal((await taken({ createmergerequestfields: '1' })).text, fail(srv, 'userexists', 'userexists'));
    const long = 'a'.repeat(4097);
    assert.deepEqual((await create(c, { username: 'Rawpw', password: long, retype: long, createreturnurl: RU, createmessageformat: 'raw' })).json.createaccount.message, { key: 'passwordtoolong', params: [4096] });
    // No login here ever hands over state to preserve: asking for it changes nothing.
    assert.equal((await create(c, { username: 'Preserved', password: PW, retype: PW, createpreservestate: '1', createreturnurl: RU })).text, pass('Preserved'));
    // fv1
    const fv1 = await c.post({ action: 'createaccount', createtoken: await c.token('createaccount'), username: 'Alice', password: PW, retype: PW, createreturnurl: RU });
    assert.equal(fv1.text, JSON.stringify({ createaccount: { status: 'FAIL', message: msg(srv, 'userexists'), messagecode: 'userexists' } }));
  });

  test('a logged-in creator: a reason for the audit trail, and a temporary password mailed instead of a chosen one', async () => {
    const admin = new Client(srv.api);
    assert.equal((await admin.login('Admin', 'Admin-Pass-123')).result, 'Success');
    assert.equal((await create(admin, { username: 'For Friend', password: PW, retype: PW, reason: 'a friend of mine', createreturnurl: RU })).text, pass('For Friend'));
    const made = (await srv.services.audit.query({ type: 'account.created' })).find((e) => e.userName === 'For Friend')!;
    assert.deepEqual(made.details, { via: 'api', creator: 'Admin', creatorId: (await srv.services.users.byName('Admin'))!.id, reason: 'a friend of mine', byMail: false });
    assert.equal((await whoami(admin)).name, 'Admin', 'the creator stays logged in as itself');

    assert.equal((await create(admin, { username: 'By Mail', mailpassword: '1', createreturnurl: RU })).text, fail(srv, 'noemailcreate', 'noemailcreate'));
    const before = (await readMails(srv.mailDir)).length;
    const r = await create(admin, { username: 'By Mail', mailpassword: '1', email: 'bymail@example.org', reason: 'new colleague', createreturnurl: RU });
    assert.equal(r.text, pass('By Mail'));
    const mails = await mailsAfter(srv, before);
    assert.equal(mails.length, 1);
    const mail = mails[0]!;
    assert.match(mail.to, /bymail@example\.org/);
    assert.equal(mail.subject, msg(srv, 'createaccount-title'));
    const temp = /: ([0-9a-v]{10})$/m.exec(mail.text)?.[1];
    assert.ok(temp, mail.text);
    assert.ok(mail.text.includes('<http://wiki.test/wiki/Special:UserLogin>'), 'the link comes from MWAUTH_SERVER');
    assert.ok(mail.text.includes('Admin'));
    // The mailed password logs in only to choose a password of one's own.
    const them = new Client(srv.api);
    const ui = await them.post({ action: 'clientlogin', username: 'By Mail', password: temp!, loginreturnurl: RU, logintoken: await them.token('login'), formatversion: '2' });
    assert.equal(ui.json.clientlogin.status, 'UI');
    assert.equal(ui.json.clientlogin.messagecode, 'resetpass-temp-emailed');
    const done = await them.post({ action: 'clientlogin', logincontinue: '1', password: 'Own-Pass-Chosen-1', retype: 'Own-Pass-Chosen-1', logintoken: await them.token('login'), formatversion: '2' });
    assert.equal(done.json.clientlogin.status, 'PASS');
    const stored = (await srv.services.audit.query({ type: 'account.created' })).find((e) => e.userName === 'By Mail')!;
    assert.equal(stored.details.byMail, true);
    assert.ok(!JSON.stringify(await srv.services.audit.query({})).includes(temp!), 'the temporary password is in no audit event');
    // With a password typed too, the mailed one still wins; a mismatched retype still stops it.
    assert.equal((await create(admin, { username: 'Both Ways', mailpassword: '1', email: 'both@example.org', password: PW, retype: `${PW}x`, createreturnurl: RU })).json.createaccount.messagecode, 'badretype');
    assert.equal((await create(admin, { username: 'Both Ways', mailpassword: '1', email: 'both@example.org', password: PW, retype: PW, createreturnurl: RU })).text, pass('Both Ways'));
    assert.equal((await new Client(srv.api).login('Both Ways', PW)).result, 'Failed', 'the typed password was not used');
    // Anonymous creators are not offered the mailed password: the parameter is not recognized.
    const anon = await create(new Client(srv.api), { username: 'Anon Mail', mailpassword: '1', email: 'anon@example.org', createreturnurl: RU });
    assert.equal(anon.json.createaccount.messagecode, 'authmanager-create-no-primary');
    assert.equal(anon.json.warnings.main.warnings, msg(srv, 'apierror-unrecognizedparams', 'mailpassword', 1));
  });

  test('two requests for one name at once: one account, the other "userexists"', async () => {
    const clients = Array.from({ length: 8 }, () => new Client(srv.api));
    const tokens = await Promise.all(clients.map((c) => c.token('createaccount')));
    const replies = await Promise.all(clients.map((c, i) => c.post({ action: 'createaccount', createtoken: tokens[i]!, username: 'Racer', password: PW, retype: PW, createreturnurl: RU, formatversion: '2' })));
    const codes = replies.map((r) => r.json.createaccount.status === 'PASS' ? 'PASS' : r.json.createaccount.messagecode).sort();
    assert.deepEqual(codes, ['PASS', ...Array(7).fill('userexists')]);
  });
});

describe('the account-creation throttle', () => {
  test('6 a day per address by default: the 7th is refused, MediaWiki\'s FAIL; a day later it passes again', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const srv = await startTestServer({ clock, env: { MWAUTH_SESSION_IDLE: '172800' } });
    try {
      assert.deepEqual(srv.services.config.accountCreationThrottle, [{ count: 6, seconds: 86400 }]);
      const c = new Client(srv.api);
      // Refusals before the throttle's place (a taken or invalid name) do not count; those after it do.
      await addUser(srv.services, 'Taken', 'Taken-Pass-1');
      for (let i = 0; i < 3; i++) assert.equal((await create(c, { username: 'Taken', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.messagecode, 'userexists');
      assert.equal((await create(c, { username: 'A@b', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.messagecode, 'invaliduser');
      assert.equal((await create(c, { username: 'Fumble', password: PW, retype: 'x', createreturnurl: RU })).json.createaccount.messagecode, 'badretype');
      assert.equal((await create(c, { username: 'Fumble', password: PW, createreturnurl: RU })).json.createaccount.messagecode, 'authmanager-create-no-primary');
      for (let i = 1; i <= 4; i++) assert.equal((await create(c, { username: `Quick ${i}`, password: PW, retype: PW, createreturnurl: RU })).text, pass(`Quick ${i}`));
      const refused = await create(c, { username: 'Quick 5', password: PW, retype: PW, createreturnurl: RU });
      assert.equal(refused.text, fail(srv, 'acct_creation_throttle_hit', 'acct_creation_throttle_hit', 6, { duration: 86400 }));
      const raw = await create(c, { username: 'Quick 5', password: PW, retype: PW, createreturnurl: RU, createmessageformat: 'raw' });
      assert.deepEqual(raw.json.createaccount.message, { key: 'acct_creation_throttle_hit', params: [6, { duration: 86400 }] });
      assert.equal(await srv.services.users.byName('Quick 5'), null);
      // Another session from the same address changes nothing; a taken name is still "userexists".
      assert.equal((await create(new Client(srv.api), { username: 'Quick 5', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.messagecode, 'acct_creation_throttle_hit');
      assert.equal((await create(c, { username: 'Taken', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.messagecode, 'userexists');
      const events = await srv.services.audit.query({ type: 'account.throttled' });
      assert.equal(events.length, 1, 'audited once per window');
      assert.deepEqual(events[0]!.details, { range: '127.0.0.1', limit: '6/86400' });
      clock.advance(86400_000);
      assert.equal((await create(c, { username: 'Quick 5', password: PW, retype: PW, createreturnurl: RU })).text, pass('Quick 5'));
    } finally {
      await srv.close();
    }
  });

  test('noratelimit (sysop) is exempt; a logged-in user without it shares the address\'s count; Special:CreateAccount too', async () => {
    const srv = await startTestServer({ env: { MWAUTH_ACCOUNT_CREATION_THROTTLE: '2/3600' } });
    try {
      await addUser(srv.services, 'Admin', 'Admin-Pass-123', { groups: ['sysop'] });
      await addUser(srv.services, 'Bob', 'Bob-Pass-1');
      const { PageClient } = await import('../web/helpers.js');
      const page = await new PageClient(srv.url).submit('/wiki/Special:CreateAccount', { wpName: 'Paged', wpPassword: PW, wpRetype: PW });
      assert.equal(page.status, 303, 'the page counts as one');
      const bob = new Client(srv.api);
      assert.equal((await bob.login('Bob', 'Bob-Pass-1')).result, 'Success');
      assert.equal((await create(bob, { username: 'Bobs Friend', password: PW, retype: PW, createreturnurl: RU })).text, pass('Bobs Friend'));
      assert.equal((await create(bob, { username: 'Bobs Other', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.messagecode, 'acct_creation_throttle_hit');
      const refusedPage = await new PageClient(srv.url).submit('/wiki/Special:CreateAccount', { wpName: 'Paged Again', wpPassword: PW, wpRetype: PW });
      assert.equal(refusedPage.status, 200);
      assert.ok(refusedPage.html.includes(msg(srv, 'acct_creation_throttle_hit', 2, { duration: 3600 })), 'the page shows the refusal');
      const admin = new Client(srv.api);
      assert.equal((await admin.login('Admin', 'Admin-Pass-123')).result, 'Success');
      for (let i = 1; i <= 4; i++) assert.equal((await create(admin, { username: `Staff ${i}`, password: PW, retype: PW, createreturnurl: RU })).text, pass(`Staff ${i}`));
    } finally {
      await srv.close();
    }
  });

  test('IPv6 addresses count per /64; other addresses have their own count', async () => {
    const srv = await startTestServer({ env: { MWAUTH_ACCOUNT_CREATION_THROTTLE: '2/86400', MWAUTH_TRUSTED_PROXIES: '127.0.0.1' } });
    try {
      const from = (ip: string) => new Client(srv.api, { 'x-forwarded-for': ip });
      assert.equal((await create(from('2001:db8:1:2::5'), { username: 'Six One', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.status, 'PASS');
      assert.equal((await create(from('2001:db8:1:2:ffff::9'), { username: 'Six Two', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.status, 'PASS');
      assert.equal((await create(from('2001:DB8:1:2::77'), { username: 'Six Three', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.messagecode, 'acct_creation_throttle_hit', 'the same /64');
      assert.equal((await create(from('2001:db8:1:3::5'), { username: 'Six Three', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.status, 'PASS', 'the next /64');
      assert.equal((await create(from('192.0.2.1'), { username: 'Four One', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.status, 'PASS');
    } finally {
      await srv.close();
    }
  });

  test('50 parallel creations from one address against 3 make exactly 3 accounts', async () => {
    const srv = await startTestServer({ env: { MWAUTH_ACCOUNT_CREATION_THROTTLE: '3/86400' } });
    try {
      const clients = Array.from({ length: 50 }, () => new Client(srv.api));
      const tokens = await Promise.all(clients.map((c) => c.token('createaccount')));
      const replies = await Promise.all(clients.map((c, i) => c.post({ action: 'createaccount', createtoken: tokens[i]!, username: `Flood ${i}`, password: PW, retype: PW, createreturnurl: RU, formatversion: '2' })));
      const passed = replies.filter((r) => r.json.createaccount.status === 'PASS').length;
      assert.equal(passed, 3);
      assert.equal(replies.filter((r) => r.json.createaccount.messagecode === 'acct_creation_throttle_hit').length, 47);
      assert.equal(await srv.services.users.count(), 3);
    } finally {
      await srv.close();
    }
  });

  test('configuration: MWAUTH_ACCOUNT_CREATION_THROTTLE takes COUNT/SECONDS conditions, a count per day, or none', async () => {
    const { loadConfig } = await import('../../src/config.js');
    const cfg = (v?: string) => loadConfig({ MWAUTH_DATA_DIR: '/nonexistent', ...(v === undefined ? {} : { MWAUTH_ACCOUNT_CREATION_THROTTLE: v }) }, { persistSecret: false }).accountCreationThrottle;
    assert.deepEqual(cfg(), [{ count: 6, seconds: 86400 }]);
    assert.deepEqual(cfg('10'), [{ count: 10, seconds: 86400 }]);
    assert.deepEqual(cfg('6/86400, 100/2592000'), [{ count: 6, seconds: 86400 }, { count: 100, seconds: 2592000 }]);
    assert.deepEqual(cfg('none'), []);
    assert.deepEqual(cfg('0'), [], 'a count of 0 is no limit, as in MediaWiki');
    for (const bad of ['six', '6/', '6/0', '-1', '6/86400;7/1']) {
      assert.throws(() => cfg(bad), /MWAUTH_ACCOUNT_CREATION_THROTTLE/, bad);
    }
  });

  test('two conditions: the shorter window refuses first, each is counted', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const srv = await startTestServer({ clock, env: { MWAUTH_ACCOUNT_CREATION_THROTTLE: '1/60,3/86400', MWAUTH_SESSION_IDLE: '172800' } });
    try {
      const c = new Client(srv.api);
      const code = async (name: string) => {
        const r = (await create(c, { username: name, password: PW, retype: PW, createreturnurl: RU, createmessageformat: 'raw' })).json.createaccount;
        return r.status === 'PASS' ? 'PASS' : `${r.messagecode}:${JSON.stringify(r.message.params)}`;
      };
      assert.equal(await code('Slow 1'), 'PASS');
      assert.equal(await code('Slow 2'), 'acct_creation_throttle_hit:[1,{"duration":60}]');
      clock.advance(61_000);
      assert.equal(await code('Slow 2'), 'PASS');
      clock.advance(61_000);
      assert.equal(await code('Slow 3'), 'acct_creation_throttle_hit:[3,{"duration":86400}]', 'the refused attempt counted in the day too');
    } finally {
      await srv.close();
    }
  });
});

describe('the throttle on shared Redis counters', { skip: await skipUnless('redis') }, () => {
  test('two servers with one Redis count one address together; the count is kept in Redis', async (t) => {
    const prefix = await redisPrefix(t);
    const env = { MWAUTH_REDIS_URL: REDIS_URL, MWAUTH_REDIS_PREFIX: prefix, MWAUTH_ACCOUNT_CREATION_THROTTLE: '2/86400' };
    const [a, b] = await Promise.all([startTestServer({ env }), startTestServer({ env })]);
    try {
      assert.equal((await create(new Client(a.api), { username: 'Node A', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.status, 'PASS');
      assert.equal((await create(new Client(b.api), { username: 'Node B', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.status, 'PASS');
      assert.equal((await create(new Client(a.api), { username: 'Node A2', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.messagecode, 'acct_creation_throttle_hit');
      assert.equal((await create(new Client(b.api), { username: 'Node B2', password: PW, retype: PW, createreturnurl: RU })).json.createaccount.messagecode, 'acct_creation_throttle_hit');
      const r = await redisClient(t);
      const keys = await keysUnder(r, prefix);
      assert.ok(keys.some((k) => k.includes('acctcreate')), keys.join(', '));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('on PostgreSQL', { skip: await skipUnless('postgres') }, () => {
  test('the real name, the address and a mailed temporary password are stored as on SQLite', async (t) => {
    const url = await postgresDatabase(t, 'mwauth_createaccount');
    const srv = await startTestServer({ env: { MWAUTH_DATABASE_URL: url } });
    try {
      assert.equal(srv.services.dialect, 'postgres');
      await addUser(srv.services, 'Admin', 'Admin-Pass-123', { groups: ['sysop'] });
      const c = new Client(srv.api);
      assert.equal((await create(c, { username: 'Pg User', password: PW, retype: PW, email: 'pg@example.org', realname: 'Postgre Ess', createreturnurl: RU })).text, pass('Pg User'));
      const u = (await srv.services.users.byName('Pg User'))!;
      assert.deepEqual([u.email, u.realName, u.newPassword, u.newPassTime], ['pg@example.org', 'Postgre Ess', '', null]);
      const admin = new Client(srv.api);
      assert.equal((await admin.login('Admin', 'Admin-Pass-123')).result, 'Success');
      assert.equal((await create(admin, { username: 'Pg Mailed', mailpassword: '1', email: 'pgm@example.org', createreturnurl: RU })).text, pass('Pg Mailed'));
      const m = (await srv.services.users.byName('Pg Mailed'))!;
      assert.ok(m.newPassword.startsWith(':hmac:sha256:'), 'a mailed temporary password is stored keyed, not as a slow hash');
      assert.equal(typeof m.newPassTime, 'number');
    } finally {
      await srv.close();
    }
  });
});
