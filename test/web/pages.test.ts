// The pages over plain HTTP: headers, the form token, silent success, limits shared with the API,
// language choice, configured paths, and the account pages' rules.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { PageClient, tagOf, tokenOf } from './helpers.js';

const TITLES = ['Main_Page', 'Special:UserLogin', 'Special:PasswordReset', 'Special:CreateAccount', 'Special:UserLogout', 'Special:ChangePassword'];

async function resetRows(srv: TestServer): Promise<number> {
  const r = await srv.services.db.selectFrom('reset_request').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('pages', () => {
  let srv: TestServer;
  const t = (key: string, ...p: Array<string | number>) => srv.services.i18n.text('en', key, ...p);
  before(async () => {
    srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '1000/3600' } });
    await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
    const omar = await addUser(srv.services, 'Omar', 'Secret-Pass-2', { email: 'omar@example.org' });
    await srv.services.preferences.set(omar.id, 'language', 'ar');
  });
  after(() => srv.close());

  test('every page: security headers, no script, no inline style', async () => {
    const c = new PageClient(srv.url);
    assert.equal((await c.submit('/wiki/Special:UserLogin', { wpName: 'Alice', wpPassword: 'Secret-Pass-1' })).status, 303);
    for (const client of [new PageClient(srv.url), c]) {
      for (const title of TITLES) {
        const r = await client.get(`/wiki/${title}`);
        if (r.status === 303) continue; // ChangePassword sends anonymous users to the login page
        assert.equal(r.status, 200, title);
        const csp = r.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'none'/);
        assert.match(csp, /frame-ancestors 'none'/);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|script-src/);
        assert.equal(r.headers.get('x-frame-options'), 'DENY');
        assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
        assert.equal(r.headers.get('cache-control'), 'no-store');
        assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
        assert.match(r.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
        assert.doesNotMatch(r.html, /<script|<style|\sstyle=|\son[a-z]+=/i, title);
        for (const m of r.html.matchAll(/<input [^>]*id="([^"]+)"/g)) assert.match(r.html, new RegExp(`<label for="${m[1]}"`), `${title}: label for ${m[1]}`);
      }
    }
    const css = await fetch(`${srv.url}/w/skins/mwauth.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    // Mirroring comes from logical properties: no physical left/right in the stylesheet.
    assert.doesNotMatch(await css.text(), /(margin|padding|border|inset)-(left|right)|\b(left|right)\s*:|text-align:\s*(left|right)|float:/);
  });

  test('forms need the token of their own session; the API token "+\\" and other sessions\' tokens are refused', async () => {
    const before = await resetRows(srv);
    const a = new PageClient(srv.url);
    const b = new PageClient(srv.url);
    const tokenA = tokenOf((await a.get('/wiki/Special:PasswordReset')).html);
    await b.get('/wiki/Special:PasswordReset');
    for (const [client, token] of [[a, ''], [a, '+\\'], [a, tokenA.replace(/^./, (ch) => (ch === '0' ? '1' : '0'))], [b, tokenA], [new PageClient(srv.url), tokenA]] as const) {
      const r = await client.request('POST', '/wiki/Special:PasswordReset', { wpEditToken: token, wpUsername: 'Alice' });
      assert.equal(r.status, 400, `token ${token}`);
      assert.match(r.html, /role="alert"/);
      assert.ok(r.html.includes(t('web-error-token').slice(0, 40)));
      assert.match(r.html, /value="Alice"/, 'the input is kept');
    }
    assert.equal(await resetRows(srv), before, 'nothing was recorded');
    // The page token is no meta=tokens type, and the API's anonymous csrf token is still "+\".
    const api = new Client(srv.api);
    assert.equal(await api.token('csrf'), '+\\');
    const bad = await api.get({ action: 'query', meta: 'tokens', type: 'web' });
    assert.ok(bad.json.warnings, 'type=web is not a token type');
    // The right token works.
    const ok = await a.request('POST', '/wiki/Special:PasswordReset', { wpEditToken: tokenA, wpUsername: 'Alice' });
    assert.equal(ok.status, 303);
    assert.equal(await resetRows(srv), before + 1);
  });

  test('the same answer whether or not an account matches', async () => {
    const answers = [];
    const inputs: Array<Record<string, string>> = [{ wpUsername: 'Alice' }, { wpUsername: 'Nobody Here' }, { wpEmail: 'alice@example.org' }, { wpEmail: 'nobody@example.org' }];
    for (const fields of inputs) {
      const c = new PageClient(srv.url);
      const r = await c.submit('/wiki/Special:PasswordReset', fields);
      const shown = await c.get(r.location ?? '');
      answers.push({ status: r.status, location: r.location, body: shown.html.replace(/name="wpEditToken" value="[^"]*"/, '') });
    }
    assert.equal(answers[0]!.status, 303);
    assert.equal(answers[0]!.location, '/wiki/Special:PasswordReset?sent=1');
    for (const a of answers) assert.deepEqual(a, answers[0]);
    assert.ok(answers[0]!.body.includes(t('web-reset-sent').split('\n')[0]!));
  });

  test('reset errors sit next to their field', async () => {
    const c = new PageClient(srv.url);
    const bad = await c.submit('/wiki/Special:PasswordReset', { wpEmail: 'not-an-address' });
    assert.equal(bad.status, 200);
    const input = tagOf(bad.html, 'wpEmail');
    assert.match(input, /aria-invalid="true"/);
    assert.match(input, /aria-describedby="wpEmail-error"/);
    assert.match(input, /autofocus/);
    assert.match(bad.html, /<p class="field-error" id="wpEmail-error">&quot;not-an-address&quot; is not a valid email address.<\/p>/);
    assert.match(bad.html, /<div class="error-summary" role="alert"[^>]*>[\s\S]*<a href="#wpEmail">/);
    const empty = await c.submit('/wiki/Special:PasswordReset', {});
    assert.match(tagOf(empty.html, 'wpUsername'), /aria-describedby="wpUsername-error"/);
    assert.ok(empty.html.includes(t('passwordreset-nodata')));
    const badName = await c.submit('/wiki/Special:PasswordReset', { wpUsername: 'a<b>{x}' });
    assert.match(tagOf(badName.html, 'wpUsername'), /aria-invalid="true"/);
    assert.match(badName.html, /value="a&lt;b&gt;\{x\}"/, 'the input is escaped');
    assert.doesNotMatch(badName.html, /a<b>/);
  });

  test('language: uselang, then the preference, then Accept-Language, then the site language', async () => {
    const langOf = (html: string) => /<html lang="([^"]+)" dir="([^"]+)"/.exec(html)!.slice(1).join(' ');
    const anon = new PageClient(srv.url);
    assert.equal(langOf((await anon.get('/wiki/Special:UserLogin')).html), 'en ltr');
    assert.equal(langOf((await anon.get('/wiki/Special:UserLogin', { 'accept-language': 'de-DE, ar-EG;q=0.8, en;q=0.5' })).html), 'ar rtl');
    assert.equal(langOf((await anon.get('/wiki/Special:UserLogin', { 'accept-language': 'en;q=0.4, ar;q=0.9' })).html), 'ar rtl');
    const useEn = await anon.get('/wiki/Special:UserLogin?uselang=en', { 'accept-language': 'ar' });
    assert.equal(langOf(useEn.html), 'en ltr');
    assert.match(useEn.html, /action="\/wiki\/Special:UserLogin\?uselang=en"/, 'an explicit uselang stays on the form');
    const omar = new PageClient(srv.url, { 'accept-language': 'en' });
    await omar.submit('/wiki/Special:UserLogin', { wpName: 'Omar', wpPassword: 'Secret-Pass-2' });
    const home = await omar.get('/wiki/Main_Page');
    assert.equal(langOf(home.html), 'ar rtl');
    assert.ok(home.html.includes(srv.services.i18n.text('ar', 'web-mainpage-loggedin', 'Omar')));
    assert.equal(langOf((await omar.get('/wiki/Main_Page?uselang=en')).html), 'en ltr');
    assert.equal(home.headers.get('content-language'), 'ar');
  });

  test('index.php?title= serves the same pages; unknown titles are 404', async () => {
    const c = new PageClient(srv.url);
    const r = await c.get('/w/index.php?title=Special:PasswordReset');
    assert.equal(r.status, 200);
    assert.ok(r.html.includes(`<h1>${t('web-reset-title')}</h1>`));
    const posted = await c.request('POST', '/w/index.php?title=Special:PasswordReset', { wpEditToken: tokenOf(r.html), wpUsername: 'Alice' });
    assert.equal(posted.status, 303);
    assert.equal((await c.get('/wiki/special:passwordreset')).status, 200);
    assert.equal((await c.get('/w/index.php')).status, 200);
    const missing = await c.get('/wiki/No_such_page');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-frame-options'), 'DENY');
  });

  test('login: throttle shared with the API; returnto stays on the site', async () => {
    const api = new Client(srv.api);
    for (let i = 0; i < 5; i++) assert.equal((await api.login('Alice', `wrong-${i}`)).result, 'Failed');
    const c = new PageClient(srv.url);
    const r = await c.submit('/wiki/Special:UserLogin', { wpName: 'Alice', wpPassword: 'Secret-Pass-1' });
    assert.equal(r.status, 200, 'the sixth attempt is throttled, even with the right password');
    assert.ok(r.html.includes(srv.services.i18n.text('en', 'login-throttled', { key: 'duration-minutes', params: [5] })));
    const missing = await c.submit('/wiki/Special:UserLogin', { wpName: '', wpPassword: '' });
    assert.match(tagOf(missing.html, 'wpName'), /aria-describedby="wpName-error"/);
    assert.match(tagOf(missing.html, 'wpPassword'), /aria-describedby="wpPassword-error"/);
    await addUser(srv.services, 'Bea', 'Secret-Pass-3');
    for (const [returnto, expected] of [['//evil.example/x', '/wiki/Main_Page'], ['https://evil.example', '/wiki/Main_Page'], ['Special:ChangePassword', '/wiki/Special:ChangePassword']]) {
      const b = new PageClient(srv.url);
      const ok = await b.submit('/wiki/Special:UserLogin', { wpName: 'Bea', wpPassword: 'Secret-Pass-3', returnto });
      assert.equal(ok.location, expected);
    }
  });

  test('change password: login required; other sessions end; the rules are the API\'s', async () => {
    const anon = new PageClient(srv.url);
    assert.equal((await anon.get('/wiki/Special:ChangePassword')).location, '/wiki/Special:UserLogin?returnto=Special%3AChangePassword');
    await addUser(srv.services, 'Carl', 'Secret-Pass-4');
    const one = new PageClient(srv.url);
    const two = new PageClient(srv.url);
    for (const c of [one, two]) await c.submit('/wiki/Special:UserLogin', { wpName: 'Carl', wpPassword: 'Secret-Pass-4' });
    const bad = await one.submit('/wiki/Special:ChangePassword', { wpNewPassword: 'carl', wpRetype: 'carl' });
    assert.match(tagOf(bad.html, 'wpNewPassword'), /aria-invalid="true"/);
    assert.ok(bad.html.includes(t('password-substring-username-match')));
    const ok = await one.submit('/wiki/Special:ChangePassword', { wpNewPassword: 'Fresh-Pass-44', wpRetype: 'Fresh-Pass-44' });
    assert.ok(ok.html.includes(t('web-changepassword-done')));
    assert.ok((await one.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Carl')), 'this session stays logged in');
    assert.ok((await two.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon')), 'the other session ended');
    assert.equal((await new Client(srv.api).login('Carl', 'Fresh-Pass-44')).result, 'Success');
  });

  test('create account: rules of action=createaccount, errors by field, then logged in', async () => {
    const c = new PageClient(srv.url);
    const taken = await c.submit('/wiki/Special:CreateAccount', { wpName: 'alice', wpPassword: 'Pass-Word-55', wpRetype: 'Pass-Word-55' });
    assert.match(tagOf(taken.html, 'wpName'), /aria-describedby="wpName-error"/);
    assert.ok(taken.html.includes(t('userexists')));
    const retype = await c.submit('/wiki/Special:CreateAccount', { wpName: 'Dana', wpPassword: 'Pass-Word-55', wpRetype: 'Pass-Word-56', wpEmail: 'dana@example.org' });
    assert.match(tagOf(retype.html, 'wpRetype'), /aria-invalid="true"/);
    assert.match(retype.html, /value="dana@example.org"/);
    const email = await c.submit('/wiki/Special:CreateAccount', { wpName: 'Dana', wpPassword: 'Pass-Word-55', wpRetype: 'Pass-Word-55', wpEmail: 'nope' });
    assert.match(tagOf(email.html, 'wpEmail'), /aria-invalid="true"/);
    const ok = await c.submit('/wiki/Special:CreateAccount', { wpName: 'Dana', wpPassword: 'Pass-Word-55', wpRetype: 'Pass-Word-55' });
    assert.equal(ok.location, '/wiki/Main_Page');
    assert.ok((await c.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Dana')));
    assert.ok(await srv.services.users.byName('Dana'));
  });

  test('logout: only a POST with the token logs out, and remembered logins end', async () => {
    await addUser(srv.services, 'Erin', 'Secret-Pass-5');
    const c = new PageClient(srv.url);
    await c.submit('/wiki/Special:UserLogin', { wpName: 'Erin', wpPassword: 'Secret-Pass-5', wpRemember: '1' });
    assert.ok(c.cookies.has('mwauthToken'));
    const remembered = new Map(c.cookies);
    assert.ok((await c.get('/wiki/Special:UserLogout')).html.includes(t('web-logout-confirm', 'Erin')), 'GET only asks');
    const noToken = await c.request('POST', '/wiki/Special:UserLogout', {});
    assert.equal(noToken.status, 400);
    assert.ok((await c.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Erin')));
    const out = await c.submit('/wiki/Special:UserLogout', {});
    assert.ok(out.html.includes(t('web-logout-done')));
    assert.ok((await c.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon')));
    // The old "remember me" cookies no longer bring the login back.
    const stale = new PageClient(srv.url);
    for (const [k, v] of remembered) if (k !== 'mwauth_session') stale.cookies.set(k, v);
    assert.ok((await stale.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon')));
  });
});

describe('configuration', () => {
  test('article path, script path, routes and the IP limit shared with the API', async () => {
    const srv = await startTestServer({
      env: { MWAUTH_ARTICLE_PATH: '/pages', MWAUTH_SCRIPT_PATH: '/mw', MWAUTH_RESET_ROUTES: 'email', MWAUTH_RESET_IP_LIMIT: '2/3600', MWAUTH_LANGUAGE: 'ar' },
    });
    try {
      const c = new PageClient(srv.url);
      const page = await c.get('/pages/Special:PasswordReset');
      assert.equal(page.status, 200);
      assert.match(page.html, /<html lang="ar" dir="rtl">/, 'the site language when nothing else is known');
      assert.doesNotMatch(page.html, /id="wpUsername"/);
      assert.match(page.html, /id="wpEmail"/);
      assert.match(page.html, /action="\/pages\/Special:PasswordReset"/);
      assert.match(page.html, /href="\/mw\/skins\/mwauth.css\?v=/);
      assert.equal((await c.get('/mw/index.php?title=Special:PasswordReset')).status, 200);
      assert.equal((await c.get('/wiki/Special:PasswordReset')).status, 404);
      // One request through the API and two through the page: the third is over the limit of two,
      // answered the same way and not recorded.
      assert.equal((await new Client(srv.api).post({ action: 'resetpassword', email: 'a@example.org', token: '+\\' })).json.resetpassword.status, 'success');
      for (let i = 0; i < 2; i++) {
        assert.equal((await c.submit('/pages/Special:PasswordReset', { wpEmail: 'a@example.org' })).location, '/pages/Special:PasswordReset?sent=1');
      }
      assert.equal(await resetRows(srv), 2);
    } finally {
      await srv.close();
    }
    const off = await startTestServer({ env: { MWAUTH_RESET_ROUTES: 'none' } });
    try {
      const r = await new PageClient(off.url).get('/wiki/Special:PasswordReset');
      assert.equal(r.status, 403);
      assert.ok(r.html.includes(off.services.i18n.text('en', 'passwordreset-disabled')));
      assert.doesNotMatch(r.html, /<form/);
      assert.doesNotMatch((await new PageClient(off.url).get('/wiki/Special:UserLogin')).html, /Special:PasswordReset/);
    } finally {
      await off.close();
    }
  });

  test('blocked from creating accounts: the page says so and shows no form', async () => {
    const srv = await startTestServer();
    try {
      await srv.services.blocks.add({ userId: 0, target: '127.0.0.1', by: 'Admin', reason: 'spam', createAccount: true });
      const r = await new PageClient(srv.url).get('/wiki/Special:CreateAccount');
      assert.equal(r.status, 403);
      const [block] = await srv.services.blocks.list();
      assert.ok(r.html.includes(srv.services.i18n.text('en', 'blockedtext', 'Admin', 'spam', '127.0.0.1', 'Admin', block!.id)), 'the same refusal as action=createaccount');
      assert.doesNotMatch(r.html, /<form/);
    } finally {
      await srv.close();
    }
  });

  test('messages: the web texts of each language have the same keys, and merge into the language', async () => {
    const dir = new URL('../../src/i18n/messages/', import.meta.url);
    const keys = (f: string) => Object.keys(JSON.parse(readFileSync(new URL(f, dir), 'utf8'))).filter((k) => k !== '@metadata').sort();
    const en = keys('en.web.json');
    assert.ok(en.every((k) => k.startsWith('web-')));
    for (const f of readdirSync(dir).filter((n) => /^[a-z-]+\.web\.json$/.test(n))) assert.deepEqual(keys(f), en, f);
    const srv = await startTestServer();
    try {
      const i18n = srv.services.i18n;
      assert.ok(!i18n.languages.some((l) => l.includes('.')));
      assert.ok(i18n.has('web-reset-title'));
      assert.notEqual(i18n.text('ar', 'web-reset-title'), i18n.text('en', 'web-reset-title'));
      assert.match(i18n.text('ar', 'web-reset-title'), /[\u0600-\u06ff]/);
    } finally {
      await srv.close();
    }
  });
});
