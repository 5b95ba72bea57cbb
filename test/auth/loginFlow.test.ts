// The login flow and session fixation: a session planted in the victim's browser beforehand (the
// attacker and the victim are two cookie jars holding the same session cookie) gains nothing from the
// victim's login with a temporary password, through the API or the page; every privilege step gives the
// session a new id, and the old one is dead afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ManualClock, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { msg } from '../helpers/api.js';
import { PageClient } from '../web/helpers.js';

const PW_REQ = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';
const RETURN = 'http://wiki.test/';
let srv: TestServer;
let SESSION: string;

before(async () => {
  srv = await startTestServer();
  SESSION = `${srv.services.config.cookiePrefix}_session`;
});
after(() => srv.close());

const t = (key: string, ...p: Array<string | number>) => srv.services.i18n.text('en', key, ...p);
const whoami = async (c: Client) => (await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo;

/** An account with a pending temporary password. */
async function withTemporaryPassword(name: string, temp: string) {
  const s = srv.services;
  const user = await addUser(s, name, 'Main-Pass-1', { email: `${name.toLowerCase()}@example.org` });
  await s.users.setTemporaryPassword(user.id, await s.tempPasswords.hash(temp));
  return user;
}

async function loginWorks(name: string, password: string): Promise<boolean> {
  return (await new Client(srv.api).login(name, password)).result === 'Success';
}

test('a planted session (API): the UI step gives the victim a new id; the attacker cannot continue; the victim can', async () => {
  await withTemporaryPassword('Vera', 'tmp0planted');
  const attacker = new Client(srv.api);
  const attackerToken = await attacker.token('login');
  const planted = attacker.cookies.get(SESSION)!;
  assert.ok(planted);
  const victim = new Client(srv.api);
  victim.cookies.set(SESSION, planted);
  const logintoken = await victim.token('login');
  assert.equal(victim.cookies.get(SESSION), planted, 'the victim is in the planted session');

  const ui = await victim.post({ action: 'clientlogin', username: 'Vera', password: 'tmp0planted', loginreturnurl: RETURN, logintoken, formatversion: '2' });
  assert.equal(ui.json.clientlogin.status, 'UI', ui.text);
  const moved = victim.cookies.get(SESSION)!;
  assert.ok(moved && moved !== planted, 'the UI step gives a new session id');

  // The attacker answers the forced change first, with the planted session: with its old token, and
  // with a fresh one.
  const old = await attacker.post({ action: 'clientlogin', logincontinue: '1', password: 'Attacker-Pass-1', retype: 'Attacker-Pass-1', logintoken: attackerToken, formatversion: '2' });
  assert.notEqual(old.json.clientlogin?.status, 'PASS', old.text);
  const hijack = await attacker.post({
    action: 'clientlogin', logincontinue: '1', password: 'Attacker-Pass-1', retype: 'Attacker-Pass-1', logintoken: await attacker.token('login'), formatversion: '2',
  });
  assert.deepEqual(hijack.json, {
    clientlogin: { status: 'FAIL', message: msg(srv, 'authmanager-authn-not-in-progress'), messagecode: 'authmanager-authn-not-in-progress', canpreservestate: false },
  });
  assert.equal((await whoami(attacker)).id, 0, 'the attacker is not logged in');
  assert.equal(await loginWorks('Vera', 'Attacker-Pass-1'), false, 'the password is not the attacker\'s');

  // The victim finishes, with the login token fetched before the UI step.
  const pass = await victim.post({ action: 'clientlogin', logincontinue: '1', password: 'Vera-New-Pass-1', retype: 'Vera-New-Pass-1', logintoken, formatversion: '2' });
  assert.equal(pass.text, '{"clientlogin":{"status":"PASS","username":"Vera"}}');
  assert.notEqual(victim.cookies.get(SESSION), moved, 'and a new id again at the login');
  assert.equal((await whoami(victim)).name, 'Vera');
  assert.equal((await whoami(attacker)).id, 0);
  assert.equal(await loginWorks('Vera', 'Vera-New-Pass-1'), true);
  // Neither earlier id brings anything back.
  for (const id of [planted, moved]) {
    const replay = new Client(srv.api);
    replay.cookies.set(SESSION, id);
    assert.equal((await whoami(replay)).id, 0);
  }
});

test('a planted session that is logged in as the attacker: the UI step moves the victim out of it too', async () => {
  await withTemporaryPassword('Ursula', 'tmp0ursula');
  await addUser(srv.services, 'Mallory', 'Mallory-Pass-1');
  const attacker = new Client(srv.api);
  assert.equal((await attacker.login('Mallory', 'Mallory-Pass-1')).result, 'Success');
  const planted = attacker.cookies.get(SESSION)!;
  const victim = new Client(srv.api);
  victim.cookies.set(SESSION, planted);
  const ui = await victim.post({ action: 'clientlogin', username: 'Ursula', password: 'tmp0ursula', loginreturnurl: RETURN, logintoken: await victim.token('login'), formatversion: '2' });
  assert.equal(ui.json.clientlogin.status, 'UI');
  assert.notEqual(victim.cookies.get(SESSION), planted);
  const hijack = await attacker.post({
    action: 'clientlogin', logincontinue: '1', password: 'Attacker-Pass-2', retype: 'Attacker-Pass-2', logintoken: await attacker.token('login'), formatversion: '2',
  });
  assert.notEqual(hijack.json.clientlogin?.status, 'PASS', hijack.text);
  assert.equal(await loginWorks('Ursula', 'Attacker-Pass-2'), false);
  const pass = await victim.post({ action: 'clientlogin', logincontinue: '1', password: 'Ursula-New-Pass-1', retype: 'Ursula-New-Pass-1', logintoken: await victim.token('login'), formatversion: '2' });
  assert.equal(pass.json.clientlogin.status, 'PASS', pass.text);
  assert.equal((await whoami(victim)).name, 'Ursula');
});

test('a planted session (Special:UserLogin): the change form comes with a new id; the attacker\'s change is refused; the victim\'s goes through', async () => {
  await withTemporaryPassword('Wes', 'tmp0pagewes');
  const attacker = new PageClient(srv.url);
  await attacker.get('/wiki/Special:UserLogin');
  const planted = attacker.cookies.get(SESSION)!;
  assert.ok(planted, 'the login page starts a session');
  const victim = new PageClient(srv.url);
  victim.cookies.set(SESSION, planted);

  const form = await victim.submit('/wiki/Special:UserLogin', { wpName: 'Wes', wpPassword: 'tmp0pagewes' });
  assert.equal(form.status, 200);
  assert.match(form.html, /name="wpStep" value="change"/);
  const moved = victim.cookies.get(SESSION)!;
  assert.ok(moved && moved !== planted, 'the change form comes with a new session id');

  // The attacker posts the change form first, with a token of the planted session.
  const hijack = await attacker.submit('/wiki/Special:UserLogin', { wpStep: 'change', wpNewPassword: 'Attacker-Pass-3', wpRetype: 'Attacker-Pass-3' });
  assert.equal(hijack.location, null, 'no login');
  assert.ok(hijack.html.includes(t('authmanager-authn-not-in-progress')));
  assert.ok((await attacker.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon')));
  assert.equal(await loginWorks('Wes', 'Attacker-Pass-3'), false);

  const done = await victim.request('POST', '/wiki/Special:UserLogin', {
    wpEditToken: /name="wpEditToken" value="([^"]*)"/.exec(form.html)![1]!.replace(/&#39;/g, "'").replace(/&amp;/g, '&'),
    wpStep: 'change',
    wpNewPassword: 'Wes-New-Pass-1',
    wpRetype: 'Wes-New-Pass-1',
  });
  assert.equal(done.status, 303, done.html);
  assert.ok((await victim.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Wes')));
  assert.ok((await attacker.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon')));
  assert.equal(await loginWorks('Wes', 'Wes-New-Pass-1'), true);
  const replay = new PageClient(srv.url);
  replay.cookies.set(SESSION, moved);
  assert.ok((await replay.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon')), 'the id of the change step is dead');
});

test('every other step that gives a privilege gives a new id: page login, a new account\'s login, a bot password, a remembered login coming back', async () => {
  await addUser(srv.services, 'Quinn', 'Quinn-Pass-1');
  const prefix = srv.services.config.cookiePrefix;
  const plant = async () => {
    const attacker = new PageClient(srv.url);
    await attacker.get('/wiki/Special:UserLogin');
    return { attacker, planted: attacker.cookies.get(SESSION)! };
  };
  const anonymousPage = async (c: PageClient) => (await c.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon'));

  // Special:UserLogin with the main password.
  {
    const { attacker, planted } = await plant();
    const victim = new PageClient(srv.url);
    victim.cookies.set(SESSION, planted);
    assert.equal((await victim.submit('/wiki/Special:UserLogin', { wpName: 'Quinn', wpPassword: 'Quinn-Pass-1' })).status, 303);
    assert.notEqual(victim.cookies.get(SESSION), planted);
    assert.ok(await anonymousPage(attacker));
  }
  // Special:CreateAccount logs the new account in.
  {
    const { attacker, planted } = await plant();
    const victim = new PageClient(srv.url);
    victim.cookies.set(SESSION, planted);
    assert.equal((await victim.submit('/wiki/Special:CreateAccount', { wpName: 'Quentin', wpPassword: 'Quentin-Pass-12', wpRetype: 'Quentin-Pass-12' })).location, '/wiki/Main_Page');
    assert.notEqual(victim.cookies.get(SESSION), planted);
    assert.ok((await victim.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Quentin')));
    assert.ok(await anonymousPage(attacker));
  }
  // A bot password: the bot session has an id of its own, in its own cookie.
  {
    const user = (await srv.services.users.byName('Quinn'))!;
    await srv.services.botPasswords.set(user.id, 'tool', 'abcdefghijklmnopqrstuvw012345678', ['basic']);
    const attacker = new Client(srv.api);
    await attacker.token('login');
    const victim = new Client(srv.api);
    victim.cookies.set(SESSION, attacker.cookies.get(SESSION)!);
    assert.equal((await victim.login('Quinn@tool', 'abcdefghijklmnopqrstuvw012345678')).result, 'Success');
    const bp = victim.cookies.get(`${prefix}_BPsession`)!;
    assert.ok(bp && bp !== attacker.cookies.get(SESSION));
    assert.equal((await whoami(attacker)).id, 0);
  }
  // A remembered login comes back in a session of its own, not in the one the cookie jar held.
  {
    const c = new Client(srv.api);
    const r = await c.post({ action: 'clientlogin', username: 'Quinn', password: 'Quinn-Pass-1', rememberMe: '1', loginreturnurl: RETURN, logintoken: await c.token('login') });
    assert.equal(r.json.clientlogin.status, 'PASS');
    const { attacker, planted } = await plant();
    const victim = new Client(srv.api);
    victim.cookies.set(SESSION, planted);
    for (const n of ['UserID', 'Token']) victim.cookies.set(`${prefix}${n}`, c.cookies.get(`${prefix}${n}`)!);
    assert.equal((await whoami(victim)).name, 'Quinn');
    assert.notEqual(victim.cookies.get(SESSION), planted);
    assert.ok(await anonymousPage(attacker));
  }
});

test('changeauthenticationdata gives the session a new id; a copy of the old one is logged out', async () => {
  await addUser(srv.services, 'Xena', 'Xena-Pass-1');
  for (const remember of [false, true]) {
    const c = new Client(srv.api);
    const r = await c.post({ action: 'clientlogin', username: 'Xena', password: remember ? 'Xena-Pass-2' : 'Xena-Pass-1', loginreturnurl: RETURN, logintoken: await c.token('login'), ...(remember ? { rememberMe: '1' } : {}) });
    assert.equal(r.json.clientlogin.status, 'PASS', r.text);
    const old = c.cookies.get(SESSION)!;
    const thief = new Client(srv.api);
    thief.cookies.set(SESSION, old);
    assert.equal((await whoami(thief)).name, 'Xena', 'a copy of the id works before the change');

    const next = remember ? 'Xena-Pass-3' : 'Xena-Pass-2';
    const ch = await c.post({ action: 'changeauthenticationdata', changeauthrequest: PW_REQ, password: next, retype: next, changeauthtoken: await c.token() });
    assert.equal(ch.text, '{"changeauthenticationdata":{"status":"success"}}');
    const fresh = c.cookies.get(SESSION)!;
    assert.ok(fresh && fresh !== old, 'a new session id');
    assert.equal((await whoami(c)).name, 'Xena', 'the session that changed it stays logged in');
    assert.equal((await whoami(thief)).id, 0, 'the old id is dead');
    assert.equal(c.cookies.has(`${srv.services.config.cookiePrefix}Token`), remember, 'a remembered login stays remembered');
    // A refused change keeps the id.
    const bad = await c.post({ action: 'changeauthenticationdata', changeauthrequest: PW_REQ, password: 'a', retype: 'b', changeauthtoken: await c.token() });
    assert.equal(bad.json.error.code, 'badretype');
    assert.equal(c.cookies.get(SESSION), fresh);
  }
});

test('Special:ChangePassword gives the session a new id; a copy of the old one is logged out', async () => {
  await addUser(srv.services, 'Yusuf', 'Yusuf-Pass-1');
  const c = new PageClient(srv.url);
  assert.equal((await c.submit('/wiki/Special:UserLogin', { wpName: 'Yusuf', wpPassword: 'Yusuf-Pass-1' })).status, 303);
  const old = c.cookies.get(SESSION)!;
  const thief = new PageClient(srv.url);
  thief.cookies.set(SESSION, old);
  assert.ok((await thief.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Yusuf')));
  const ok = await c.submit('/wiki/Special:ChangePassword', { wpNewPassword: 'Yusuf-Pass-2', wpRetype: 'Yusuf-Pass-2' });
  assert.ok(ok.html.includes(t('web-changepassword-done')));
  const fresh = c.cookies.get(SESSION)!;
  assert.ok(fresh && fresh !== old, 'a new session id');
  assert.ok((await c.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Yusuf')));
  assert.ok((await thief.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon')), 'the old id is dead');
  // The new session's forms work (their token belongs to the new id).
  assert.ok((await c.submit('/wiki/Special:ChangePassword', { wpNewPassword: 'Yusuf-Pass-3', wpRetype: 'Yusuf-Pass-3' })).html.includes(t('web-changepassword-done')));
});

test('the forced change waits 30 minutes (API and page), then is refused and dropped from the session', async () => {
  const clock = new ManualClock(Date.UTC(2026, 3, 1, 12));
  const own = await startTestServer({ clock });
  try {
    const s = own.services;
    for (const [name, minutes, ok] of [['Zoe', 30, true], ['Zack', 31, false]] as const) {
      const user = await addUser(s, name, 'Main-Pass-1');
      await s.users.setTemporaryPassword(user.id, await s.tempPasswords.hash('tmp0window'));
      const c = new Client(own.api);
      const logintoken = await c.token('login');
      const ui = await c.post({ action: 'clientlogin', username: name, password: 'tmp0window', loginreturnurl: RETURN, logintoken, formatversion: '2' });
      assert.equal(ui.json.clientlogin.status, 'UI');
      clock.advance(minutes * 60_000);
      const r = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'Window-Pass-1', retype: 'Window-Pass-1', logintoken, formatversion: '2' });
      assert.equal(r.json.clientlogin.status, ok ? 'PASS' : 'FAIL', `${minutes} minutes: ${r.text}`);
      if (!ok) {
        assert.equal(r.json.clientlogin.messagecode, 'authmanager-authn-not-in-progress');
        const stored = await s.db.selectFrom('session').select('s_data').execute();
        assert.ok(stored.every((row) => !row.s_data.includes('pendingLogin')), 'the expired change is dropped from the stored session');
      }
    }
    // The page: the change form 31 minutes later is the login form again, with the reason.
    const user = await addUser(s, 'Zelda', 'Main-Pass-1');
    await s.users.setTemporaryPassword(user.id, await s.tempPasswords.hash('tmp0window'));
    const p = new PageClient(own.url);
    const form = await p.submit('/wiki/Special:UserLogin', { wpName: 'Zelda', wpPassword: 'tmp0window' });
    assert.match(form.html, /name="wpStep" value="change"/);
    clock.advance(31 * 60_000);
    const late = await p.request('POST', '/wiki/Special:UserLogin', {
      wpEditToken: /name="wpEditToken" value="([^"]*)"/.exec(form.html)![1]!.replace(/&#39;/g, "'").replace(/&amp;/g, '&'),
      wpStep: 'change', wpNewPassword: 'Window-Pass-2', wpRetype: 'Window-Pass-2',
    });
    assert.equal(late.status, 200);
    assert.ok(late.html.includes(own.services.i18n.text('en', 'authmanager-authn-not-in-progress')));
    assert.equal((await new Client(own.api).login('Zelda', 'Window-Pass-2')).result, 'Failed');
  } finally {
    await own.close();
  }
});
