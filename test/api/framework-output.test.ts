// The API spine, output side: origin= and CORS, preflight, JSONP, JSON escaping, request bodies,
// multi-value parameters, the HTML printers and paraminfo.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { ANON, SUCCESS, TOKEN_RE, assertError, bcError, msg } from '../helpers/api.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '1000/3600' } });
  await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
});
after(() => srv.close());

const EXPOSE = 'MediaWiki-API-Error, Retry-After, X-Database-Lag, MediaWiki-Login-Suppressed';

async function aliceClient(): Promise<Client> {
  const c = new Client(srv.api);
  assert.equal((await c.login('Alice', 'Secret-Pass-1')).result, 'Success');
  return c;
}

test('origin=*: anonymous CORS headers, credentials ignored, tokens withheld with a warning', async () => {
  const alice = await aliceClient();
  const r = await alice.get({ action: 'query', meta: 'userinfo', origin: '*', formatversion: '2' }, { origin: 'http://x.example' });
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  assert.equal(r.headers.get('access-control-allow-credentials'), 'false');
  assert.equal(r.headers.get('access-control-expose-headers'), EXPOSE);
  assert.equal(r.headers.get('mediawiki-login-suppressed'), 'true');
  assert.equal(r.text, '{"batchcomplete":true,"query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":true}}}', 'the session is not used');

  const t = await alice.get({ action: 'query', meta: 'tokens', type: 'csrf|login', origin: '*', formatversion: '2' });
  assert.equal(t.text, JSON.stringify({ batchcomplete: true, warnings: { tokens: { warnings: msg(srv, 'apiwarn-tokens-origin') } } }));
  assert.equal(t.headers.getSetCookie().length, 0);

  // A write with origin=* runs as anonymous: the logged-in token is now wrong, "+\" is right.
  assertError(await alice.post({ action: 'resetpassword', user: 'Nobody', token: await alice.token() }, { origin: '*' }), 'badtoken');
  const ok = await alice.post({ action: 'resetpassword', user: 'Nobody', token: ANON }, { origin: '*' });
  assert.equal(ok.text, SUCCESS);
  // origin in the body counts as well.
  const body = await alice.post({ action: 'query', meta: 'userinfo', origin: '*', formatversion: '2' });
  assert.equal(body.json.query.userinfo.id, 0);
  // action=login refuses outright.
  const login = await new Client(srv.api).post({ action: 'login', lgname: 'Alice', lgpassword: 'Secret-Pass-1', lgtoken: ANON }, { origin: '*' });
  assert.equal(login.text, JSON.stringify({ login: { result: 'Aborted', reason: msg(srv, 'api-login-fail-sameorigin') } }));
});

test('origin=<site>: a mismatch with the Origin header is a bare 403; a match is not trusted with credentials', async () => {
  const c = new Client(srv.api);
  for (const headers of [{ origin: 'http://y.example' }, {} as Record<string, string>]) {
    const r = await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON }, { origin: 'http://x.example' }, headers);
    assert.equal(r.status, 403);
    assert.equal(r.text, "'origin' parameter does not match Origin header\n");
    assert.equal(r.headers.get('mediawiki-api-error'), null);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  }
  // In the body, without an Origin header: refused the same way.
  const inBody = await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON, origin: 'http://x.example' });
  assert.equal(inBody.status, 403);
  const match = await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON }, { origin: 'http://x.example' }, { origin: 'http://x.example' });
  assert.equal(match.status, 200);
  assert.equal(match.text, SUCCESS);
  assert.equal(match.headers.get('mediawiki-cors-rejection'), 'Origin mismatch');
  assert.equal(match.headers.get('access-control-allow-origin'), null);
  // No origin parameter: the Origin header alone changes nothing.
  const plain = await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON }, {}, { origin: 'http://x.example' });
  assert.equal(plain.text, SUCCESS);
  assert.equal(plain.headers.get('mediawiki-cors-rejection'), null);
});

test('OPTIONS preflight: empty 200 with the allowed methods and the requested headers echoed', async () => {
  const c = new Client(srv.api);
  const pre = await c.request('OPTIONS', { action: 'resetpassword', origin: '*', format: 'json' }, undefined, {
    origin: 'http://x.example',
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'content-type, api-user-agent',
  });
  assert.equal(pre.status, 200);
  assert.equal(pre.text, '');
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.equal(pre.headers.get('access-control-allow-credentials'), 'false');
  assert.equal(pre.headers.get('access-control-allow-methods'), 'POST, GET, HEAD');
  assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type, api-user-agent');
  assert.equal(pre.headers.get('access-control-expose-headers'), null, 'not on a preflight');
  assert.equal(pre.headers.get('mediawiki-login-suppressed'), 'true');
  assert.equal(pre.headers.get('mediawiki-api-error'), null);

  const odd = await c.request('OPTIONS', { action: 'resetpassword', origin: '*' }, undefined, {
    origin: 'http://x.example',
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'x-evil',
  });
  assert.equal(odd.status, 200);
  assert.equal(odd.headers.get('mediawiki-cors-rejection'), 'Unsupported header requested in preflight');
  assert.equal(odd.headers.get('access-control-allow-origin'), null);

  const site = await c.request('OPTIONS', { action: 'resetpassword', origin: 'http://x.example' }, undefined, {
    origin: 'http://x.example',
    'access-control-request-method': 'POST',
  });
  assert.equal(site.status, 200);
  assert.equal(site.text, '');
  assert.equal(site.headers.get('mediawiki-cors-rejection'), 'Origin mismatch');

  const bare = await c.request('OPTIONS', {});
  assert.equal(bare.status, 200);
  assert.equal(bare.text, '');
  assert.equal(bare.headers.get('access-control-allow-origin'), null);
});

test('JSONP: callback wraps the output, drops the credentials, and is sanitized', async () => {
  const alice = await aliceClient();
  const r = await alice.get({ action: 'query', meta: 'userinfo', callback: 'foo' });
  assert.equal(r.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(r.headers.get('content-disposition'), 'inline; filename=api-result.js');
  assert.equal(r.headers.get('mediawiki-login-suppressed'), 'true');
  assert.equal(r.text, '/**/foo({"batchcomplete":"","query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":""}}})');
  const r2 = await alice.get({ action: 'query', meta: 'userinfo', callback: 'a.b[0]', formatversion: '2', _: '1700000000' });
  assert.equal(r2.text, '/**/a.b[0]({"batchcomplete":true,"query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":true}}})', '"_" is no unknown parameter');
  const r3 = await alice.get({ action: 'query', meta: 'userinfo', callback: 'alert(1)<script>', formatversion: '2' });
  assert.ok(r3.text.startsWith('/**/alert1script({'));
  const t = await alice.get({ action: 'query', meta: 'tokens', type: 'csrf|login', callback: 'cb', formatversion: '2' });
  assert.equal(t.text, `/**/cb(${JSON.stringify({ batchcomplete: true, warnings: { tokens: { warnings: msg(srv, 'apiwarn-tokens-origin') } } })})`);
  const e = await alice.get({ action: 'foo', callback: 'cb', formatversion: '2' });
  assert.equal(e.headers.get('mediawiki-api-error'), 'badvalue');
  assert.equal(e.text, `/**/cb(${bcError(srv, 2, 'badvalue', msg(srv, 'paramvalidator-badvalue-enumnotmulti', 'action', 'foo'))})`);
});

test('escaping: fv1 escapes non-ASCII unless utf8=1, fv2 only with ascii=1; "<>&" are never escaped', async () => {
  const c = new Client(srv.api);
  const id = 'Zürich <&> 東京';
  const get = async (p: Record<string, string>) => (await c.get({ action: 'query', meta: 'userinfo', requestid: id, ...p })).text;
  const escaped = 'Z\\u00fcrich <&> \\u6771\\u4eac';
  assert.equal(await get({}), `{"batchcomplete":"","requestid":"${escaped}","query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":""}}}`);
  assert.equal(await get({ utf8: '1' }), `{"batchcomplete":"","requestid":"${id}","query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":""}}}`);
  assert.equal(await get({ formatversion: '2' }), `{"batchcomplete":true,"requestid":"${id}","query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":true}}}`);
  assert.equal(await get({ formatversion: '2', ascii: '1' }), `{"batchcomplete":true,"requestid":"${escaped}","query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":true}}}`);
  // A warning text with "&" in it, under utf8=1.
  const nt = await c.post({ action: 'login', lgname: 'Alice', lgpassword: 'x', utf8: '1' });
  assert.ok(nt.text.includes(JSON.stringify(msg(srv, 'apiwarn-deprecation-login-token')).slice(1, -1)), nt.text);
});

test('request bodies: multipart/form-data works like a urlencoded form', async () => {
  const c = new Client(srv.api);
  const fd = new FormData();
  for (const [k, v] of Object.entries({ action: 'resetpassword', user: 'Nobody', token: ANON, format: 'json', formatversion: '2' })) fd.append(k, v);
  const r = await c.request('POST', {}, fd);
  assert.equal(r.text, SUCCESS);
  // The token must still be posted, in either body type.
  const fd2 = new FormData();
  for (const [k, v] of Object.entries({ action: 'resetpassword', user: 'Nobody', format: 'json' })) fd2.append(k, v);
  assertError(await c.request('POST', { token: ANON }, fd2), 'mustpostparams');
  // A full login over multipart.
  const lgtoken = await c.token('login');
  const fd3 = new FormData();
  for (const [k, v] of Object.entries({ action: 'login', lgname: 'Alice', lgpassword: 'Secret-Pass-1', lgtoken, format: 'json' })) fd3.append(k, v);
  assert.equal((await c.request('POST', {}, fd3)).json.login.result, 'Success');
});

test('multi-value parameters: "|"-separated, duplicates dropped, order kept, unknown values warned about', async () => {
  const c = new Client(srv.api);
  const r = await c.get({ action: 'query', meta: 'tokens', type: 'login|csrf|login|csrf', formatversion: '2' });
  assert.deepEqual(Object.keys(r.json.query.tokens), ['logintoken', 'csrftoken']);
  assert.equal(r.json.warnings, undefined);
  const r2 = await c.get({ action: 'query', meta: 'tokens', type: 'createaccount|login' });
  assert.deepEqual(Object.keys(r2.json.query.tokens), ['createaccounttoken', 'logintoken']);
  const r3 = await c.get({ action: 'query', meta: 'tokens', type: 'login|foo|bar|foo' });
  assert.deepEqual(Object.keys(r3.json), ['batchcomplete', 'warnings', 'query']);
  assert.deepEqual(Object.keys(r3.json.warnings), ['tokens']);
  assert.equal(r3.json.warnings.tokens['*'], msg(srv, 'paramvalidator-unrecognizedvalues', 'type', 'login|foo|bar|foo', 'foo, bar', 2));
  assert.match(r3.json.query.tokens.logintoken, TOKEN_RE);
  // Only unknown values: an empty set of tokens.
  const r4 = await c.get({ action: 'query', meta: 'tokens', type: 'foo', formatversion: '2' });
  assert.equal(r4.text, JSON.stringify({ batchcomplete: true, warnings: { tokens: { warnings: msg(srv, 'paramvalidator-unrecognizedvalues', 'type', 'foo', 'foo', 1) } }, query: { tokens: {} } }));
  // The U+001F separator allows "|" inside values.
  const r5 = await c.get({ action: 'query', meta: 'tokens', type: '\x1fcsrf\x1fwatch', formatversion: '2' });
  assert.deepEqual(Object.keys(r5.json.query.tokens), ['csrftoken', 'watchtoken']);
});

test('format=jsonfm and action=help answer in HTML', async () => {
  const c = new Client(srv.api);
  const fm = await c.request('GET', { action: 'query', meta: 'tokens', format: 'jsonfm' });
  assert.equal(fm.status, 200);
  assert.equal(fm.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(fm.headers.get('content-disposition'), 'inline; filename=api-result.html');
  assert.match(fm.text, /^<!DOCTYPE html>/);
  assert.ok(fm.text.includes('&quot;csrftoken&quot;') || fm.text.includes('"csrftoken"'));
  assert.ok(!fm.text.includes('<script'), 'no script in the pretty printer');
  // The default format is jsonfm.
  const dflt = await c.request('GET', { action: 'query', meta: 'userinfo' });
  assert.equal(dflt.headers.get('content-type'), 'text/html; charset=utf-8');

  const help = await c.request('GET', { action: 'help', modules: 'resetpassword' });
  assert.equal(help.status, 200);
  assert.equal(help.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(help.headers.get('content-disposition'), 'inline; filename=api-help.html');
  assert.match(help.text, /^<!DOCTYPE html>/);
  assert.ok(help.text.includes('resetpassword'));
  // A bare api.php is the help page.
  const bare = await c.request('GET', {});
  assert.equal(bare.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.ok(bare.text.includes('action=resetpassword'));
  assert.ok(bare.text.includes('action=login'));
});

test('paraminfo: resetpassword declares user, email and a csrf token (fv2 and fv1), login and query+tokens as MediaWiki does', async () => {
  const c = new Client(srv.api);
  const r = await c.get({ action: 'paraminfo', modules: 'resetpassword|login|query+tokens', formatversion: '2' });
  const mods = r.json.paraminfo.modules as Array<Record<string, any>>;
  assert.equal(r.json.paraminfo.helpformat, 'none');
  assert.deepEqual(mods.map((m) => m.path), ['resetpassword', 'login', 'query+tokens']);
  const reset = mods[0]!;
  // mwn's badtoken recovery reads this.
  assert.equal(reset.parameters.find((p: { name: string }) => p.name === 'token').tokentype, 'csrf');
  assert.deepEqual(reset.parameters, [
    { index: 1, name: 'user', type: 'user', required: false, multi: false, subtypes: ['name'] },
    { index: 2, name: 'email', type: 'string', required: false, multi: false },
    { index: 3, name: 'token', type: 'string', required: true, sensitive: true, multi: false, tokentype: 'csrf' },
  ]);
  assert.equal(reset.readrights, true);
  assert.equal(reset.writerights, true);
  assert.equal(reset.mustbeposted, true);
  assert.deepEqual(reset.helpurls, ['https://www.mediawiki.org/wiki/Special:MyLanguage/API:Manage_authentication_data']);
  // Key order of a module description (our own source/licence values).
  const keys = ['name', 'classname', 'path', 'group', 'prefix', 'source', 'sourcename', 'licensetag', 'licenselink',
    'readrights', 'writerights', 'mustbeposted', 'helpurls', 'parameters', 'templatedparameters'];
  assert.deepEqual(Object.keys(reset), keys);
  // login and query+tokens, as MediaWiki 1.39 describes them (login checks its token itself: no tokentype).
  const login = mods[1]!;
  assert.deepEqual([login.prefix, login.readrights, login.writerights, login.mustbeposted], ['lg', undefined, true, true]);
  assert.deepEqual(login.parameters, [
    { index: 1, name: 'name', type: 'string', required: false, multi: false },
    { index: 2, name: 'password', type: 'password', required: false, sensitive: true, multi: false },
    { index: 3, name: 'domain', type: 'string', required: false, multi: false },
    { index: 4, name: 'token', type: 'string', required: false, sensitive: true, multi: false },
  ]);
  const tokens = mods[2]!;
  assert.deepEqual([tokens.name, tokens.group, tokens.readrights, tokens.writerights], ['tokens', 'meta', undefined, undefined]);
  assert.deepEqual(tokens.parameters, [{
    index: 1, name: 'type', type: ['createaccount', 'csrf', 'login', 'patrol', 'rollback', 'userrights', 'watch'],
    required: false, default: 'csrf', multi: true, lowlimit: 50, highlimit: 500, limit: 50, allspecifier: '*',
  }]);
  const v1 = await c.get({ action: 'paraminfo', modules: 'resetpassword' });
  const m1 = v1.json.paraminfo.modules[0];
  assert.equal(m1.readrights, '');
  assert.deepEqual(m1.parameters, [
    { index: 1, name: 'user', type: 'user', subtypes: ['name'] },
    { index: 2, name: 'email', type: 'string' },
    { index: 3, name: 'token', type: 'string', required: '', sensitive: '', tokentype: 'csrf' },
  ]);
  // Examples are help text: only with a help format.
  const withHelp = await c.get({ action: 'paraminfo', modules: 'resetpassword', helpformat: 'wikitext', formatversion: '2' });
  assert.ok(Array.isArray(withHelp.json.paraminfo.modules[0].examples));
  // Nothing found: no "modules" at all, and a warning, as MediaWiki answers.
  const unknown = await c.get({ action: 'paraminfo', modules: 'nosuchmodule', formatversion: '2' });
  assert.deepEqual(unknown.json.paraminfo, { helpformat: 'none' });
  assert.equal(unknown.json.warnings.paraminfo.warnings, msg(srv, 'apierror-badmodule-badsubmodule', 'main', 'nosuchmodule'));
});
