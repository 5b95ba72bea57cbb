// pywikibot's start-up, replayed request for request against a real server: the same parameters in
// the same order, POSTed as pywikibot posts them over http (application/x-www-form-urlencoded, its
// User-Agent, one cookie jar), and checked the way pywikibot reads each answer:
//  - generate_family_file (site_detect.MWSite): the API's HTML help page (generator <meta>, EditURI
//    <link>), siteinfo general and the local interwiki map;
//  - APISite.login() with a bot password: userinfo twice, the parameter-info bootstrap
//    (data/api/_paraminfo.py ParamInfo._init: modules=main|paraminfo|query, then query+tokens), every
//    token type, action=login, userinfo;
//  - Siteinfo: namespaces/namespacealiases/general with userinfo, and how an unsupported siprop is
//    recognised (its warning text, matched against pywikibot's WARNING_REGEX);
//  - TokenWallet, logout; and an empty token, which must fail clearly (pywikibot retries on badtoken).
// pywikibot itself is not installable here; the sequence was taken from its source (pywikibot/data/api,
// site/_apisite.py, site/_siteinfo.py, site/_tokenwallet.py, login.py, site_detect.py).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { addUser, Client, startTestServer, type TestServer } from '../helpers/harness.js';
import { rawRequest } from '../helpers/api.js';

let srv: TestServer;
let botPassword = '';
const USER_AGENT = 'Botuser/login (http://wiki.test/wiki/User:Botuser) Pywikibot/11.8.0.dev0 (-1 (unknown)) Python/3.11.7.final.0 requests/2.34.2';

before(async () => {
  srv = await startTestServer();
  const user = await addUser(srv.services, 'Botuser', 'Botuser-Pass-12345');
  botPassword = 'botpassbotpassbotpassbotpassbot1';
  await srv.services.botPasswords.set(user.id, 'pwb', botPassword, ['basic']);
});
after(() => srv.close());

/** One pywikibot API request: every parameter in the body, maxlag=5 and format=json last (Request._add_defaults). */
async function pwb(c: Client, params: Array<[string, string]>): Promise<any> {
  const body = new URLSearchParams([...params, ['maxlag', '5'], ['format', 'json']]);
  const r = await c.request('POST', {}, Object.fromEntries(body));
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type')!, /^application\/json/);
  // _json_loads: a non-JSON answer would make pywikibot wait and retry.
  assert.ok(r.json && typeof r.json === 'object', `JSON answer to ${body}`);
  return r.json;
}

/** Request._handle_warnings: the text of a module's warning in formatversion 1 or 2, split into lines. */
function warningLines(result: any, module: string): string[] {
  const w = result.warnings?.[module];
  if (!w) return [];
  const text = 'warnings' in w ? w.warnings : w['*'];
  return String(text).split('\n');
}

// site/_siteinfo.py Siteinfo.WARNING_REGEX, applied with fullmatch.
const SIPROP_WARNING = /^Unrecognized values? for parameter ["']siprop["']: (.+?)\.?$/;

test('generate_family_file recognises the site from the API help page: generator, EditURI, siteinfo, interwiki map', async () => {
  const c = new Client(srv.api, { 'user-agent': USER_AGENT });
  const page = await c.request('GET', {});
  assert.equal(page.status, 200);
  // WikiHTMLPageParser: <meta name="generator"> gives the version, <link rel="EditURI"> the api.php.
  const generator = /<meta name="generator" content="([^"]+)"/.exec(page.text)?.[1];
  assert.equal(generator, 'MediaWiki 1.39.17');
  const version = /^MediaWiki (\d+)\.(\d+)/.exec(generator!)!;
  assert.ok(Number(version[1]) > 1 || Number(version[2]) >= 31, 'MIN_VERSION 1.31');
  const editUri = /<link rel="EditURI" type="application\/rsd\+xml" href="([^"]+)"/.exec(page.text)?.[1];
  assert.ok(editUri, 'EditURI link');
  const [base, scriptName] = [editUri!.split('.php', 1)[0]!.replace(/\/[^/]*$/, ''), editUri!.split('.php', 1)[0]!.split('/').pop()];
  assert.equal(scriptName, 'api');
  // The link is the configured server's, whatever the request's Host header said.
  const cfg = srv.services.config;
  assert.equal(base, `${cfg.server}${cfg.scriptPath}`);
  const forged = await rawRequest(srv.api, { headers: { host: 'evil.example' } });
  assert.ok(forged.text.includes(`href="${cfg.server}${cfg.scriptPath}/api.php?action=rsd"`));
  assert.ok(!forged.text.includes('evil.example'));
  // The EditURI itself answers: an RSD document naming this api.php.
  const rsd = await c.request('GET', { action: 'rsd' });
  assert.equal(rsd.headers.get('content-type'), 'application/rsd+xml; charset=utf-8');
  assert.match(rsd.text, /^<\?xml version="1\.0"\?><rsd version="1\.0" xmlns="http:\/\/archipelago\.phrasewise\.com\/rsd">/);
  assert.ok(rsd.text.includes(`apiLink="${cfg.server}${cfg.scriptPath}/api.php"`));

  // MWSite._parse_site: format=json (formatversion 1), general's generator, server, scriptpath, articlepath, lang.
  const info = (await c.request('GET', { action: 'query', meta: 'siteinfo', format: 'json' })).json;
  const general = info.query.general;
  assert.equal(general.generator, 'MediaWiki 1.39.17');
  assert.equal(general.server, cfg.server);
  assert.equal(general.scriptpath, cfg.scriptPath);
  assert.equal(general.articlepath, `${cfg.articlePath}/$1`);
  assert.equal(general.lang, 'en');
  // MWSite.langs: the local interwiki map, a list whose entries may carry "language".
  const iw = (await c.request('GET', { action: 'query', meta: 'siteinfo', siprop: 'interwikimap', sifilteriw: 'local', format: 'json' })).json;
  assert.equal(iw.error, undefined);
  assert.ok(Array.isArray(iw.query.interwikimap));
});

test('login with a bot password: the parameter-info bootstrap, every token, action=login, userinfo — as pywikibot reads them', async () => {
  const c = new Client(srv.api, { 'user-agent': USER_AGENT });
  const uiprop = 'blockinfo|groups|hasmsg|ratelimits|rights';
  // APISite.login(): logged_in() is false, userinfo is loaded (and once more by login's "del self.userinfo").
  for (let i = 0; i < 2; i++) {
    const ui = await pwb(c, [['action', 'query'], ['meta', 'userinfo'], ['uiprop', uiprop], ['formatversion', '2']]);
    assert.equal(ui.query.userinfo.anon, true);
    assert.equal(ui.query.userinfo.id, 0);
    assert.equal(ui.query.userinfo.messages, false);
    assert.deepEqual(ui.query.userinfo.groups, ['*']);
    assert.ok(Array.isArray(ui.query.userinfo.rights));
    assert.equal(typeof ui.query.userinfo.ratelimits, 'object');
  }

  // TokenWallet['login'] → get_tokens([]) → ParamInfo.parameter('query+tokens', 'type') → ParamInfo._init:
  // modules main, paraminfo and query in one request (formatversion 1), then query+tokens.
  const boot = await pwb(c, [['action', 'paraminfo'], ['modules', 'main|paraminfo|query']]);
  assert.equal(boot.warnings, undefined, 'no warning: every module exists');
  const byPath = new Map<string, any>((boot.paraminfo.modules as any[]).map((m) => [m.path, m]));
  assert.deepEqual([...byPath.keys()], ['main', 'paraminfo', 'query']);
  const param = (module: string, name: string) => (byPath.get(module).parameters as any[]).find((p) => p.name === name);
  // _generate_submodules('main'): the action modules from every parameter with submodules but "format".
  const actionModules = new Set<string>();
  for (const p of byPath.get('main').parameters as any[]) {
    if (p.name === 'format' || !('submodules' in p)) continue;
    for (const [child, path] of Object.entries(p.submodules as Record<string, string>)) if (!path.includes('+')) actionModules.add(child);
  }
  // _init: main's "action" is a list of types equal to the action modules.
  const action = param('main', 'action');
  assert.ok(Array.isArray(action.type));
  assert.deepEqual(new Set(action.type), actionModules);
  for (const a of ['login', 'query', 'logout', 'paraminfo', 'clientlogin', 'resetpassword']) assert.ok(actionModules.has(a), a);
  assert.equal(action.default, 'help');
  // query's prop, list and meta: a limit and a submodules object (pywikibot calls .items() on it).
  let limit = 50;
  const queryModules = new Set<string>();
  for (const name of ['list', 'meta', 'prop']) {
    const p = param('query', name);
    assert.equal(typeof p.limit, 'number', `${name}.limit`);
    limit = Math.min(limit, p.limit);
    assert.ok(p.submodules && typeof p.submodules === 'object' && !Array.isArray(p.submodules), `${name}.submodules is an object`);
    for (const [child, path] of Object.entries(p.submodules as Record<string, string>)) {
      assert.equal(path, `query+${child}`);
      queryModules.add(child);
    }
  }
  assert.equal(limit, 50);
  for (const m of ['tokens', 'userinfo', 'siteinfo', 'authmanagerinfo']) assert.ok(queryModules.has(m), m);
  // query must have a "generator" parameter whose types are query submodules.
  const generator = param('query', 'generator');
  assert.ok(generator, "'query' module has a 'generator' parameter");
  assert.ok(Array.isArray(generator.type) && generator.type.every((t: string) => queryModules.has(t)));

  const tokensInfo = await pwb(c, [['action', 'paraminfo'], ['modules', 'query+tokens']]);
  const typeParam = (tokensInfo.paraminfo.modules[0].parameters as any[]).find((p) => p.name === 'type');
  assert.deepEqual(typeParam.type, ['createaccount', 'csrf', 'login', 'patrol', 'rollback', 'userrights', 'watch']);

  // get_tokens: every type at once (formatversion 2), "+\" values dropped.
  const tokens = await pwb(c, [['action', 'query'], ['meta', 'tokens'], ['type', typeParam.type.join('|')], ['formatversion', '2']]);
  const wallet = Object.fromEntries(
    Object.entries(tokens.query.tokens as Record<string, string>).filter(([, v]) => v !== '+\\').map(([k, v]) => [k.replace(/token$/, ''), v]),
  );
  assert.deepEqual(Object.keys(wallet).sort(), ['createaccount', 'login']);

  // ClientLoginManager: a name with "@" means a bot password, so action=login with lgtoken.
  const login = await pwb(c, [['action', 'login'], ['lgname', 'Botuser@pwb'], ['lgpassword', botPassword], ['lgtoken', wallet.login!]]);
  assert.equal(login.login.result, 'Success', JSON.stringify(login));
  assert.equal(login.login.lgusername, 'Botuser');

  // login() reloads userinfo: the name must be the configured user's.
  const after = await pwb(c, [['action', 'query'], ['meta', 'userinfo'], ['uiprop', uiprop], ['formatversion', '2']]);
  assert.equal(after.query.userinfo.name, 'Botuser');
  assert.equal(after.query.userinfo.anon, undefined);
  assert.ok(after.query.userinfo.id > 0);

  // Siteinfo._get_general: namespaces, namespacealiases and general in one request, userinfo added
  // (Request._add_defaults adds meta=userinfo and uiprop=blockinfo|hasmsg to every query).
  const si = await pwb(c, [
    ['action', 'query'], ['meta', 'siteinfo|userinfo'], ['siprop', 'namespaces|namespacealiases|general'], ['formatversion', '2'], ['uiprop', 'blockinfo|hasmsg'],
  ]);
  assert.equal(si.warnings, undefined);
  const q = si.query;
  // _post_process: thumblimits and imagelimits are objects (.values()), magiclinks too (.items()).
  for (const key of ['thumblimits', 'imagelimits', 'magiclinks']) {
    assert.ok(q.general[key] && typeof q.general[key] === 'object' && !Array.isArray(q.general[key]), `general.${key} is an object`);
  }
  assert.deepEqual(Object.values(q.general.thumblimits), [120, 150, 180, 200, 250, 300]);
  // Every namespace has a name (copied to "*"), namespacealiases is a list with "alias".
  for (const ns of Object.values(q.namespaces as Record<string, any>)) assert.equal(typeof ns.name, 'string');
  assert.ok((q.namespacealiases as any[]).every((a) => typeof a.alias === 'string'));
  assert.equal(q.userinfo.name, 'Botuser');
  assert.equal(q.general.generator, 'MediaWiki 1.39.17');

  // An unsupported siprop: recognised by its English warning text, and remembered as empty.
  for (const [asked, expected] of [['bogusprop', ['bogusprop']], ['bogus1|general|bogus2', ['bogus1', 'bogus2']]] as const) {
    const r = await pwb(c, [['action', 'query'], ['meta', 'siteinfo|userinfo'], ['siprop', asked], ['formatversion', '2'], ['uiprop', 'blockinfo|hasmsg']]);
    const lines = warningLines(r, 'siteinfo');
    assert.equal(lines.length, 1, JSON.stringify(r.warnings));
    const m = SIPROP_WARNING.exec(lines[0]!);
    assert.ok(m, `pywikibot recognises "${lines[0]}"`);
    assert.deepEqual(m![1]!.split(',').map((s) => s.trim()), expected);
  }
  // In formatversion 1 (the "*" key) too.
  const fv1 = await pwb(c, [['action', 'query'], ['meta', 'siteinfo'], ['siprop', 'bogusprop']]);
  assert.match(warningLines(fv1, 'siteinfo')[0]!, SIPROP_WARNING);

  // TokenWallet after login: the user changed, so the tokens are loaded again; then logout with csrf.
  const t2 = await pwb(c, [['action', 'query'], ['meta', 'tokens'], ['type', typeParam.type.join('|')], ['formatversion', '2']]);
  const csrf = t2.query.tokens.csrftoken as string;
  assert.notEqual(csrf, '+\\');
  const logout = await pwb(c, [['action', 'logout'], ['token', csrf]]);
  assert.deepEqual(logout, {});
  const gone = await pwb(c, [['action', 'query'], ['meta', 'userinfo'], ['uiprop', uiprop], ['formatversion', '2']]);
  assert.equal(gone.query.userinfo.anon, true);
});

test('a failed token fetch fails clearly: an empty token is missingparam, never the badtoken pywikibot retries on', async () => {
  const c = new Client(srv.api, { 'user-agent': USER_AGENT });
  assert.equal((await c.login('Botuser@pwb', botPassword)).result, 'Success');
  // TokenWallet.__getitem__ found no csrf token: pywikibot sends what it has, an empty string.
  for (const [action, tokenName] of [['logout', 'token'], ['resetpassword', 'token']] as const) {
    const r = await pwb(c, [['action', action], [tokenName, ''], ['user', 'Nobody']]);
    assert.equal(r.error?.code, 'missingparam', JSON.stringify(r));
    // Request.submit: only "badtoken" makes pywikibot fetch tokens and send the request again.
    assert.notEqual(r.error.code, 'badtoken');
  }
  // The login itself: an empty lgtoken is "NeedToken" with a fresh token, which pywikibot retries with once.
  const anon = new Client(srv.api, { 'user-agent': USER_AGENT });
  const need = await pwb(anon, [['action', 'login'], ['lgname', 'Botuser@pwb'], ['lgpassword', botPassword], ['lgtoken', '']]);
  assert.equal(need.login.result, 'NeedToken');
  const retry = await pwb(anon, [['action', 'login'], ['lgname', 'Botuser@pwb'], ['lgpassword', botPassword], ['lgtoken', need.login.token]]);
  assert.equal(retry.login.result, 'Success');
});

test('a throttled login: pywikibot finds "wait" and the duration in the English reason, and waits that long', async () => {
  const c = new Client(srv.api, { 'user-agent': USER_AGENT });
  let last: any;
  for (let i = 0; i < 6; i++) {
    const lgtoken = (await pwb(c, [['action', 'query'], ['meta', 'tokens'], ['type', 'login'], ['formatversion', '2']])).query.tokens.logintoken;
    last = await pwb(c, [['action', 'login'], ['lgname', 'Nobodybot@pwb'], ['lgpassword', 'wrongwrongwrongwrongwrongwrong01'], ['lgtoken', lgtoken]]);
  }
  // ClientLoginManager.login_to_site: status Failed, "wait" in the reason, then (\d+) (seconds|minutes).
  assert.equal(last.login.result, 'Failed');
  const reason = String(last.login.reason);
  assert.ok(reason.includes('wait'), reason);
  const m = /(\d+) (seconds|minutes)/.exec(reason);
  assert.deepEqual([m?.[1], m?.[2]], ['5', 'minutes'], reason);
});

