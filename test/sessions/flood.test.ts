// The anonymous-session flood: 20,000 anonymous GETs of Special:UserLogin and meta=tokens&type=login
// store nothing — no session row on SQLite, no key in Redis — though each still gets its session cookie
// as from MediaWiki; logins through such sessions work (an mw.Api-style client, the page without
// JavaScript and in Chromium). What an address can make stored is capped (MWAUTH_SESSION_IP_LIMIT), and
// an anonymous session's tokens last as long as an idle session would. Redis runs skip when Redis does
// not answer (fail under MWAUTH_REQUIRE_SERVICES=1).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: a plain JavaScript client program, without type declarations
import { Api } from '../clients/programs/mwapi.mjs';
import { Client, ManualClock, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { msg } from '../helpers/api.js';
import { REDIS_URL, keysUnder, redisClient, redisPrefix, skipUnless } from '../helpers/services.js';
import { PageClient, launchBrowser, tokenOf } from '../web/helpers.js';

type After = { after(fn: () => Promise<void> | void): void };
const FLOOD = 20_000;
const redisSkip = await skipUnless('redis');

async function sessionRows(srv: TestServer): Promise<number> {
  const r = await srv.services.db.selectFrom('session').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

const BACKENDS: Array<{ name: string; skip: string | false; env: (t: After) => Promise<Record<string, string>> }> = [
  { name: 'SQLite', skip: false, env: async () => ({}) },
  { name: 'Redis', skip: redisSkip, env: async (t) => ({ MWAUTH_REDIS_URL: REDIS_URL, MWAUTH_REDIS_PREFIX: await redisPrefix(t) }) },
];

for (const backend of BACKENDS) {
  describe(`anonymous sessions store nothing: ${backend.name}`, { skip: backend.skip }, () => {
    test(`${FLOOD} anonymous GETs of the login page and of login tokens leave no stored session; logins through them work`, async (t) => {
      const env = await backend.env(t);
      const srv = await startTestServer({ env });
      t.after(() => srv.close());
      const s = srv.services;
      const cookieName = `${s.config.cookiePrefix}_session`;
      await addUser(s, 'Alice', 'Alice-Pass-1');
      const stored = async () => (s.config.redisUrl ? (await keysUnder(await redisClient(t), s.config.redisPrefix)).length : await sessionRows(srv));

      // Every request a new visitor without cookies: each is given a session cookie, as MediaWiki does.
      const ids = new Set<string>();
      let lastPage: { html: string; cookie: string } | null = null;
      let lastToken: { token: string; cookie: string } | null = null;
      for (let i = 0; i < FLOOD; i++) {
        const page = i % 2 === 0;
        const r = await srv.app.inject({ method: 'GET', url: page ? '/wiki/Special:UserLogin' : '/w/api.php?action=query&meta=tokens&type=login&format=json' });
        assert.equal(r.statusCode, 200);
        const line = ([r.headers['set-cookie'] ?? []].flat() as string[]).find((l) => l.startsWith(`${cookieName}=`));
        assert.ok(line, `request ${i} sets the session cookie`);
        const cookie = line.split(';')[0]!;
        ids.add(cookie);
        if (page) lastPage = { html: r.body, cookie };
        else lastToken = { token: JSON.parse(r.body).query.tokens.logintoken, cookie };
      }
      assert.equal(ids.size, FLOOD, 'every visitor its own id');
      assert.equal(await stored(), 0, backend.name === 'Redis' ? 'no Redis key' : 'no session row');

      // The last visitor of each kind logs in with what it was given.
      const viaToken = new Client(srv.api);
      viaToken.cookies.set(cookieName, lastToken!.cookie.split('=')[1]!);
      const r = await viaToken.post({ action: 'login', lgname: 'Alice', lgpassword: 'Alice-Pass-1', lgtoken: lastToken!.token });
      assert.equal(r.json.login.result, 'Success', r.text);
      const viaPage = new PageClient(srv.url);
      viaPage.cookies.set(cookieName, lastPage!.cookie.split('=')[1]!);
      const posted = await viaPage.request('POST', '/wiki/Special:UserLogin', { wpEditToken: tokenOf(lastPage!.html), wpName: 'Alice', wpPassword: 'Alice-Pass-1' });
      assert.equal(posted.status, 303, posted.html);
      assert.ok((await viaPage.get('/wiki/Main_Page')).html.includes(s.i18n.text('en', 'web-mainpage-loggedin', 'Alice')));

      // An mw.Api-style client: login token, action=login, then a write with its csrf token.
      const api = new Api(srv.api);
      assert.equal((await api.login('Alice', 'Alice-Pass-1')).result, 'Success');
      assert.deepEqual(await api.postWithToken('csrf', { action: 'resetpassword', user: 'Nobody', format: 'json' }), { resetpassword: { status: 'success' } });

      // The page without JavaScript (a plain HTML client) and in Chromium.
      const plain = new PageClient(srv.url);
      assert.equal((await plain.submit('/wiki/Special:UserLogin', { wpName: 'Alice', wpPassword: 'Alice-Pass-1' })).status, 303);
      assert.ok((await plain.get('/wiki/Main_Page')).html.includes(s.i18n.text('en', 'web-mainpage-loggedin', 'Alice')));
      const browser = await launchBrowser();
      try {
        const page = await (await browser.newContext()).newPage();
        await page.goto(`${srv.url}/wiki/Special:UserLogin`);
        await page.fill('#wpName', 'Alice');
        await page.fill('#wpPassword', 'Alice-Pass-1');
        await Promise.all([page.waitForURL(`${srv.url}/wiki/Main_Page`), page.click('button[type="submit"]')]);
        assert.ok((await page.content()).includes(s.i18n.text('en', 'web-mainpage-loggedin', 'Alice')));
      } finally {
        await browser.close();
      }
      // What is stored now is the logins (and the address's count of them).
      const after = await stored();
      assert.ok(after >= 4 && after <= 12, `${after} stored after five logins`);
    });
  });
}

describe('the session cookie and anonymous tokens', () => {
  test('an id the server did not make is replaced (as in MediaWiki); an anonymous id is kept and sent once', async (t) => {
    const srv = await startTestServer();
    t.after(() => srv.close());
    const name = `${srv.services.config.cookiePrefix}_session`;
    const made = new Client(srv.api);
    made.cookies.set(name, 'abcdefghijklmnopqrstuv0123456789');
    const r = await made.get({ action: 'query', meta: 'tokens', type: 'login' });
    const line = r.headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
    assert.ok(line && !line.startsWith(`${name}=abcdefghijklmnopqrstuv0123456789`), 'a new id');
    const again = await made.get({ action: 'query', meta: 'tokens', type: 'login' });
    assert.equal(again.headers.getSetCookie().length, 0, 'the new id is not sent again');
    assert.equal((await made.login('Alice-does-not-exist', 'x')).result, 'Failed');
  });

  test('an anonymous session\'s tokens last as long as an idle session (MWAUTH_SESSION_IDLE); a logged-in session\'s have no maximum age', async (t) => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1));
    const srv = await startTestServer({ clock });
    t.after(() => srv.close());
    await addUser(srv.services, 'Ida', 'Ida-Pass-1');
    const c = new Client(srv.api);
    const token = await c.token('login');
    clock.advance(3599_000);
    const lg = (lgtoken: string) => c.post({ action: 'login', lgname: 'Ida', lgpassword: 'wrong', lgtoken });
    assert.equal((await lg(token)).json.login.result, 'Failed', 'within the hour the token is good (the password is not)');
    clock.advance(1000);
    assert.equal((await lg(token)).text, '{"login":{"result":"WrongToken"}}', 'an hour on it is not');
    const pageClient = new PageClient(srv.url);
    const form = await pageClient.get('/wiki/Special:UserLogin');
    clock.advance(3600_000);
    const late = await pageClient.request('POST', '/wiki/Special:UserLogin', { wpEditToken: tokenOf(form.html), wpName: 'Ida', wpPassword: 'Ida-Pass-1' });
    assert.equal(late.status, 400, 'an hour-old form token is refused');
    assert.ok(late.html.includes(srv.services.i18n.text('en', 'web-error-token').slice(0, 30)));
    // Logged in, a csrf token has no maximum age, as in MediaWiki (the session's own idle time ends it).
    assert.equal((await c.login('Ida', 'Ida-Pass-1')).result, 'Success');
    const csrf = await c.token();
    for (let i = 0; i < 3; i++) {
      clock.advance(3000_000);
      assert.equal((await c.post({ action: 'resetpassword', user: 'Nobody', token: csrf })).json.resetpassword?.status, 'success', `after ${i + 1} × 50 minutes`);
    }
  });
});

describe('the limit on stored sessions per address (MWAUTH_SESSION_IP_LIMIT)', () => {
  test('over the limit a login is refused with "ratelimited" (API, clientlogin, page, bot password), other addresses are not; remember me counts too', async (t) => {
    const srv = await startTestServer({ env: { MWAUTH_SESSION_IP_LIMIT: '4/3600', MWAUTH_TRUSTED_PROXIES: '127.0.0.1' } });
    t.after(() => srv.close());
    const s = srv.services;
    const prefix = s.config.cookiePrefix;
    const user = await addUser(s, 'Lena', 'Lena-Pass-1');
    await s.botPasswords.set(user.id, 'app', 'abcdefghijklmnopqrstuvw012345678', ['basic']);
    const from = (ip: string) => new Client(srv.api, { 'x-forwarded-for': ip });
    const text = msg(srv, 'actionthrottledtext');

    // Four stored sessions from 192.0.2.1: two logins, a remembered one, and a restore of it.
    assert.equal((await from('192.0.2.1').login('Lena', 'Lena-Pass-1')).result, 'Success');
    const kept = from('192.0.2.1');
    const r = await kept.post({ action: 'clientlogin', username: 'Lena', password: 'Lena-Pass-1', rememberMe: '1', loginreturnurl: 'http://wiki.test/', logintoken: await kept.token('login') });
    assert.equal(r.json.clientlogin.status, 'PASS');
    const restore = () => {
      const b = from('192.0.2.1');
      for (const n of ['UserID', 'Token']) b.cookies.set(`${prefix}${n}`, kept.cookies.get(`${prefix}${n}`)!);
      return b;
    };
    assert.equal((await restore().get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, user.id);
    assert.equal((await from('192.0.2.1').login('Lena', 'Lena-Pass-1')).result, 'Success');

    // The fifth is refused, every way; a session already stored may still log in again.
    const five = from('192.0.2.1');
    assert.deepEqual(await five.login('Lena', 'Lena-Pass-1'), { result: 'Failed', reason: text });
    const pt = await five.post({ action: 'login', lgname: 'Lena', lgpassword: 'Lena-Pass-1', lgtoken: await five.token('login'), formatversion: '2', errorformat: 'plaintext' });
    assert.deepEqual(pt.json.login.reason, { code: 'ratelimited', text });
    assert.deepEqual(await five.login('Lena@app', 'abcdefghijklmnopqrstuvw012345678'), { result: 'Failed', reason: text });
    const cl = await five.post({ action: 'clientlogin', username: 'Lena', password: 'Lena-Pass-1', loginreturnurl: 'http://wiki.test/', logintoken: await five.token('login'), formatversion: '2' });
    assert.deepEqual(cl.json.clientlogin, { status: 'FAIL', message: text, messagecode: 'ratelimited', canpreservestate: false });
    const page = new PageClient(srv.url, { 'x-forwarded-for': '192.0.2.1' });
    const p = await page.submit('/wiki/Special:UserLogin', { wpName: 'Lena', wpPassword: 'Lena-Pass-1' });
    assert.equal(p.status, 200);
    assert.ok(p.html.includes(text));
    assert.equal((await restore().get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0, 'a remembered login waits too');
    assert.equal((await kept.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, user.id, 'sessions already made go on');
    // Anonymous visitors are not limited: they store nothing.
    for (let i = 0; i < 10; i++) assert.match(await from('192.0.2.1').token('login'), /\+\\$/);

    // Another address, and another /64 for IPv6, have their own count; the same /64 shares one.
    assert.equal((await from('192.0.2.2').login('Lena', 'Lena-Pass-1')).result, 'Success');
    for (let i = 0; i < 4; i++) assert.equal((await from(`2001:db8:1:2::${i + 1}`).login('Lena', 'Lena-Pass-1')).result, 'Success');
    assert.deepEqual(await from('2001:db8:1:2:ffff::9').login('Lena', 'Lena-Pass-1'), { result: 'Failed', reason: text });
    assert.equal((await from('2001:db8:1:3::1').login('Lena', 'Lena-Pass-1')).result, 'Success');
    // The refused attempts were not tried as passwords; the operator sees each address go over, once.
    const failures = await s.audit.query({ user: 'Lena', type: 'login.failure' });
    assert.equal(failures.length, 0);
    const limited = await s.audit.query({ type: 'sessions.ip-limited' });
    assert.deepEqual(limited.map((e) => [e.ip, e.details]), [
      ['192.0.2.1', { range: '192.0.2.1', limit: '4/3600' }],
      ['2001:db8:1:2:ffff::9', { range: '2001:db8:1:2::/64', limit: '4/3600' }],
    ]);
  });

  test('MWAUTH_SESSION_IP_LIMIT reads COUNT/SECONDS; 1000 an hour by default', async () => {
    const { loadConfig } = await import('../../src/config.js');
    assert.deepEqual(loadConfig({ MWAUTH_DATA_DIR: '/tmp/x' }).sessionIpLimit, [1000, 3600]);
    assert.deepEqual(loadConfig({ MWAUTH_DATA_DIR: '/tmp/x', MWAUTH_SESSION_IP_LIMIT: '50/60' }).sessionIpLimit, [50, 60]);
    assert.throws(() => loadConfig({ MWAUTH_DATA_DIR: '/tmp/x', MWAUTH_SESSION_IP_LIMIT: 'many' }), /MWAUTH_SESSION_IP_LIMIT/);
  });
});
