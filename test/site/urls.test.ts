// The site's URLs: one builder for mail links, the API's address and the pages' links, right for a
// site at the root of its host (MWAUTH_ARTICLE_PATH=/, MWAUTH_SCRIPT_PATH=/) as for the defaults.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiPath, apiUrl, articlePathPattern, indexPath, pagePath, pageUrl, scriptBase } from '../../src/site/urls.js';
import { ANON, SUCCESS, deliverAll } from '../helpers/api.js';
import { Client, addUser, readMails, startTestServer, type TestServer } from '../helpers/harness.js';
import { PageClient } from '../web/helpers.js';

/** The mails in the folder once there are at least `n` (delivery may still be writing them). */
async function mails(srv: TestServer, n: number) {
  for (let i = 0; i < 200; i++) {
    await deliverAll(srv);
    const all = await readMails(srv.mailDir);
    if (all.length >= n) return all;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fewer than ${n} mails arrived`);
}

test('paths under /w and /wiki, and at the root', () => {
  const server = 'https://wiki.example';
  const usual = { server, scriptPath: '/w', articlePath: '/wiki' };
  const root = { server, scriptPath: '/', articlePath: '/' };
  assert.equal(scriptBase(usual), '/w');
  assert.equal(scriptBase(root), '');
  assert.equal(apiPath(usual), '/w/api.php');
  assert.equal(apiPath(root), '/api.php');
  assert.equal(indexPath(usual), '/w/index.php');
  assert.equal(indexPath(root), '/index.php');
  assert.equal(apiUrl(usual), 'https://wiki.example/w/api.php');
  assert.equal(apiUrl(root), 'https://wiki.example/api.php');
  assert.equal(articlePathPattern(usual), '/wiki/$1');
  assert.equal(articlePathPattern(root), '/$1');
  assert.equal(pageUrl(usual, 'Special:UserLogin'), 'https://wiki.example/wiki/Special:UserLogin');
  assert.equal(pageUrl(root, 'Special:UserLogin'), 'https://wiki.example/Special:UserLogin');
  assert.equal(pagePath(root, 'Main_Page', { returnto: 'A b&c' }), '/Main_Page?returnto=A+b%26c');
  // Site settings recorded with a trailing slash still make one slash.
  assert.equal(pageUrl({ server, articlePath: '/pages/' }, 'Main_Page'), 'https://wiki.example/pages/Main_Page');
  assert.equal(apiUrl({ server, scriptPath: '/mw//' }), 'https://wiki.example/mw/api.php');
});

test('titles are encoded as one path segment', () => {
  const site = { articlePath: '/wiki' };
  assert.equal(pagePath(site, 'What?_#1'), '/wiki/What%3F_%231');
  assert.equal(pagePath(site, 'Café 100%'), '/wiki/Caf%C3%A9%20100%25');
  assert.equal(pagePath(site, 'مستخدم:علي'), '/wiki/%D9%85%D8%B3%D8%AA%D8%AE%D8%AF%D9%85:%D8%B9%D9%84%D9%8A');
  // A lone surrogate would make encodeURI throw: it becomes U+FFFD.
  assert.equal(pagePath(site, 'a\ud800b'), '/wiki/a%EF%BF%BDb');
  assert.equal(pagePath(site, 'x', { uselang: 'ar', q: '\udc00' }), '/wiki/x?uselang=ar&q=%EF%BF%BD');
});

for (const [label, env, api, pages] of [
  ['article and script path "/"', { MWAUTH_ARTICLE_PATH: '/', MWAUTH_SCRIPT_PATH: '/' }, '/api.php', ''],
  ['article path "/", script path "/w"', { MWAUTH_ARTICLE_PATH: '/' }, '/w/api.php', ''],
  ['script path "/", article path "/wiki"', { MWAUTH_SCRIPT_PATH: '/' }, '/api.php', '/wiki'],
] as const) {
  describe(`a site with ${label}`, () => {
    let srv: TestServer;
    let c: Client;
    const index = api.replace('api.php', 'index.php');
    before(async () => {
      srv = await startTestServer({ env: { ...env, MWAUTH_NOTIFY_UNKNOWN_ADDRESS: 'true' } });
      c = new Client(srv.url + api);
      await addUser(srv.services, 'Alice', 'Alice-Pass-123', { email: 'alice@example.org' });
    });
    after(() => srv.close());

    test('the reset mail, the notice to an unknown address and the "password changed" mail link the site', async () => {
      assert.equal((await c.post({ action: 'resetpassword', user: 'Alice', token: ANON })).text, SUCCESS);
      assert.equal((await c.post({ action: 'resetpassword', email: 'nobody@example.org', token: ANON })).text, SUCCESS);
      await mails(srv, 2);
      const alice = (await srv.services.users.byName('Alice'))!;
      await srv.services.passwordChanges.change(alice, 'Alice-Pass-456', { ip: '192.0.2.1', via: 'api' });
      const all = await mails(srv, 3);
      const reset = all.find((m) => m.tempPassword && m.to.includes('alice@'))!;
      assert.ok(reset.text.includes(`<http://wiki.test${pages}/Special:UserLogin>`), reset.text);
      const unknown = all.find((m) => m.to.includes('nobody@'))!;
      assert.ok(unknown.text.includes(`<http://wiki.test${pages}/Special:PasswordReset>`), unknown.text);
      const changed = all.find((m) => m.to.includes('alice@') && !m.tempPassword)!;
      assert.ok(changed.text.includes(`<http://wiki.test${pages}/Special:PasswordReset>`), changed.text);
      for (const m of all) assert.ok(!/wiki\.test\/\//.test(m.text + m.html), `no doubled slash in ${m.subject}`);
    });

    test('the mail of an account made with a temporary password links the login page', async () => {
      await addUser(srv.services, 'Admin', 'Admin-Pass-123', { groups: ['sysop'] });
      const admin = new Client(srv.url + api);
      assert.equal((await admin.login('Admin', 'Admin-Pass-123')).result, 'Success');
      const before = (await readMails(srv.mailDir)).length;
      const r = await admin.post({
        action: 'createaccount', createtoken: await admin.token('createaccount'), username: 'By Mail', mailpassword: '1',
        email: 'bymail@example.org', createreturnurl: 'http://wiki.test/',
      });
      assert.equal(r.json.createaccount.status, 'PASS', r.text);
      const mail = (await mails(srv, before + 1)).find((m) => m.to.includes('bymail@'));
      assert.ok(mail!.text.includes(`<http://wiki.test${pages}/Special:UserLogin>`), mail!.text);
    });

    test('the API names its own URL: the docref of errors, the help page\'s EditURI, action=rsd', async () => {
      const err = await c.get({ action: 'nosuch', formatversion: '2' });
      assert.ok(err.json.error.docref.includes(`: http://wiki.test${api}.`), err.text);
      assert.ok(!err.json.error.docref.includes('wiki.test//'), err.text);
      const help = await c.request('GET', { action: 'help' });
      assert.ok(help.text.includes(`<link rel="EditURI" type="application/rsd+xml" href="http://wiki.test${api}?action=rsd">`), help.text.slice(0, 800));
      const rsd = await c.request('GET', { action: 'rsd' });
      assert.ok(rsd.text.includes(`apiLink="http://wiki.test${api}"`), rsd.text);
      assert.ok(rsd.text.includes(`<engineLink xml:space="preserve">http://wiki.test${api}?action=help</engineLink>`), rsd.text);
      assert.ok(rsd.text.includes(`<homePageLink xml:space="preserve">http://wiki.test${pages}/Main_Page</homePageLink>`), rsd.text);
    });

    test('meta=siteinfo gives the paths as MediaWiki does for such a site', async () => {
      const g = (await c.get({ action: 'query', meta: 'siteinfo', formatversion: '2' })).json.query.general;
      assert.equal(g.base, `http://wiki.test${pages}/Main_Page`);
      assert.equal(g.articlepath, `${pages}/$1`);
      assert.equal(g.scriptpath, api.replace('/api.php', ''));
      assert.equal(g.script, index);
      assert.equal(g.server + g.scriptpath + '/api.php', `http://wiki.test${api}`, 'what clients make of it');
    });

    test('the pages are served there and link one another there', async () => {
      const p = new PageClient(srv.url);
      const login = await p.get(`${pages}/Special:UserLogin`);
      assert.equal(login.status, 200);
      assert.ok(login.html.includes(`href="${pages}/Special:PasswordReset"`), login.html);
      assert.ok(login.html.includes(`action="${pages}/Special:UserLogin"`), login.html);
      assert.ok(!/(href|action|src)="\/\//.test(login.html), 'no link starts with "//"');
      const stylesheet = /<link rel="stylesheet" href="([^"]+)"/.exec(login.html)![1]!;
      assert.equal(stylesheet.startsWith(`${api.replace('/api.php', '')}/skins/mwauth.css?v=`), true, stylesheet);
      assert.equal((await p.get(stylesheet)).status, 200);
      assert.equal((await p.get(`${index}?title=Special:PasswordReset`)).status, 200);
      const home = await p.get('/');
      assert.equal(home.status, 302);
      assert.equal(home.location, `${pages}/Main_Page`);
      assert.equal((await p.get(home.location!)).status, 200);
    });
  });
}
