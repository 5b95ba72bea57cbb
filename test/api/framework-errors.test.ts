// The API spine, error side: formatversion x errorformat envelopes (exact bytes and key order),
// the MediaWiki-API-Error header, HTTP statuses, warnings, echoed parameters, asserts and maxlag.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { ANON, SUCCESS, assertError, bcError, docref, msg } from '../helpers/api.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '1000/3600' } });
  await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
  await addUser(srv.services, 'Robot', 'Secret-Pass-2', { groups: ['bot'] });
});
after(() => srv.close());

const badToken = (c: Client, extra: Record<string, string>) => c.post({ action: 'resetpassword', user: 'Alice', token: 'abc', ...extra });

test('badtoken in every errorformat and both format versions: exact shapes and key order', async () => {
  const c = new Client(srv.api);
  const text = msg(srv, 'apierror-badtoken');
  const html = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const d = docref(srv);
  const expected: Record<string, [unknown, unknown]> = {
    // [formatversion 1, formatversion 2]; fv1 prints text last as "*" and the docref as a last "*".
    bc: [
      { error: { code: 'badtoken', info: text, '*': d } },
      { error: { code: 'badtoken', info: text, docref: d } },
    ],
    plaintext: [
      { errors: [{ code: 'badtoken', module: 'resetpassword', '*': text }], '*': d },
      { errors: [{ code: 'badtoken', text, module: 'resetpassword' }], docref: d },
    ],
    wikitext: [
      { errors: [{ code: 'badtoken', module: 'resetpassword', '*': text }], '*': d },
      { errors: [{ code: 'badtoken', text, module: 'resetpassword' }], docref: d },
    ],
    html: [
      { errors: [{ code: 'badtoken', module: 'resetpassword', '*': html }], '*': d },
      { errors: [{ code: 'badtoken', html, module: 'resetpassword' }], docref: d },
    ],
    raw: [
      { errors: [{ code: 'badtoken', key: 'apierror-badtoken', params: [], module: 'resetpassword' }], '*': d },
      { errors: [{ code: 'badtoken', key: 'apierror-badtoken', params: [], module: 'resetpassword' }], docref: d },
    ],
    none: [
      { errors: [{ code: 'badtoken', module: 'resetpassword' }], '*': d },
      { errors: [{ code: 'badtoken', module: 'resetpassword' }], docref: d },
    ],
  };
  for (const [errorformat, [fv1, fv2]] of Object.entries(expected)) {
    const r1 = await badToken(c, { errorformat, formatversion: '1' });
    assertError(r1, 'badtoken', JSON.stringify(fv1));
    assert.equal(r1.headers.get('content-type'), 'application/json; charset=utf-8');
    const r2 = await badToken(c, { errorformat, formatversion: '2' });
    assertError(r2, 'badtoken', JSON.stringify(fv2));
  }
  // No errorformat at all is bc; formatversion=latest is 2.
  assertError(await badToken(c, {}), 'badtoken', JSON.stringify(expected.bc![0]));
  assertError(await badToken(c, { formatversion: 'latest' }), 'badtoken', JSON.stringify(expected.bc![1]));
});

test('bc errors stay English whatever uselang says; plaintext errors follow errorlang', async () => {
  const c = new Client(srv.api);
  const en = bcError(srv, 2, 'badtoken', msg(srv, 'apierror-badtoken'));
  assertError(await badToken(c, { formatversion: '2', uselang: 'ar' }), 'badtoken', en);
  const i18n = srv.services.i18n;
  if (i18n.resolve('ar') === 'ar') {
    const r = await badToken(c, { formatversion: '2', errorformat: 'plaintext', uselang: 'ar' });
    assert.equal(r.json.errors[0].text, i18n.text('ar', 'apierror-badtoken'));
    assert.equal(r.json.docref, i18n.text('ar', 'api-usage-docref', 'http://wiki.test/w/api.php'));
  }
});

test('API errors are HTTP 200 with MediaWiki-API-Error; a method other than GET/HEAD/POST is 405 invalidmethod', async () => {
  const c = new Client(srv.api);
  const r = await badToken(c, {});
  assert.equal(r.status, 200);
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    const res = await c.request(method, { action: 'query', meta: 'tokens', format: 'json', formatversion: '2' });
    assertError(res, 'invalidmethod', bcError(srv, 2, 'invalidmethod', msg(srv, 'apierror-invalidmethod')), 405);
  }
  const head = await c.request('HEAD', { action: 'query', meta: 'tokens', format: 'json' });
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal(head.headers.get('content-type'), 'application/json; charset=utf-8');
});

test('action=foo is badvalue from the main module; an unknown format falls back to the HTML printer', async () => {
  const c = new Client(srv.api);
  const info = msg(srv, 'paramvalidator-badvalue-enumnotmulti', 'action', 'foo');
  assertError(await c.get({ action: 'foo' }), 'badvalue', bcError(srv, 1, 'badvalue', info));
  assertError(await c.get({ action: 'foo', formatversion: '2' }), 'badvalue', bcError(srv, 2, 'badvalue', info));
  const pt = await c.get({ action: 'foo', formatversion: '2', errorformat: 'plaintext' });
  assert.equal(pt.text, JSON.stringify({ errors: [{ code: 'badvalue', text: info, module: 'main' }], docref: docref(srv) }));
  const fm = await c.request('GET', { action: 'query', format: 'foo' });
  assert.equal(fm.headers.get('mediawiki-api-error'), 'badvalue');
  assert.match(fm.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(fm.text, /&quot;code&quot;: &quot;badvalue&quot;|"code": "badvalue"/);
});

test('unknown parameters: a warning from "main" in bc (fv1 and fv2) and in plaintext; none on an error', async () => {
  const c = new Client(srv.api);
  const one = msg(srv, 'apierror-unrecognizedparams', 'foo', 1);
  const two = msg(srv, 'apierror-unrecognizedparams', 'foo, bar', 2);
  const ok = (p: Record<string, string>) => c.post({ action: 'resetpassword', user: 'Nobody', token: ANON, ...p });
  let r = await ok({ foo: '1' });
  assert.equal(r.text, JSON.stringify({ warnings: { main: { '*': one } }, resetpassword: { status: 'success' } }));
  assert.equal(r.headers.get('mediawiki-api-error'), null);
  r = await ok({ foo: '1', formatversion: '2' });
  assert.equal(r.text, JSON.stringify({ warnings: { main: { warnings: one } }, resetpassword: { status: 'success' } }));
  r = await ok({ foo: '1', bar: '2', formatversion: '2', errorformat: 'plaintext' });
  assert.equal(r.text, JSON.stringify({ warnings: [{ code: 'unrecognizedparams', text: two, module: 'main' }], resetpassword: { status: 'success' } }));
  r = await ok({ foo: '1', bar: '2', errorformat: 'plaintext' });
  assert.equal(r.text, JSON.stringify({ warnings: [{ code: 'unrecognizedparams', module: 'main', '*': two }], resetpassword: { status: 'success' } }));
  r = await ok({ foo: '1', formatversion: '2', errorformat: 'raw' });
  assert.equal(r.json.warnings[0].code, 'unrecognizedparams');
  assert.equal(r.json.warnings[0].module, 'main');
  // The report comes only after success.
  assertError(await badToken(c, { foo: '1', formatversion: '2' }), 'badtoken', bcError(srv, 2, 'badtoken', msg(srv, 'apierror-badtoken')));
  // jQuery's cache-buster "_" is only accepted with a callback.
  r = await c.get({ action: 'query', meta: 'userinfo', _: '123', formatversion: '2' });
  assert.equal(r.json.warnings.main.warnings, msg(srv, 'apierror-unrecognizedparams', '_', 1));
});

test('requestid, curtimestamp and responselanginfo: first on success, after the error on failure', async () => {
  const c = new Client(srv.api);
  const now = new Date().toISOString().slice(0, 16); // to the minute
  const echo = { requestid: 'x', curtimestamp: '1', responselanginfo: '1' };
  for (const fv of ['1', '2']) {
    const r = await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON, formatversion: fv, ...echo });
    assert.deepEqual(Object.keys(r.json), ['requestid', 'curtimestamp', 'uselang', 'errorlang', 'resetpassword']);
    assert.match(r.json.curtimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(r.json.curtimestamp.startsWith(now) || r.json.curtimestamp > now);
    assert.equal(r.text, JSON.stringify({ requestid: 'x', curtimestamp: r.json.curtimestamp, uselang: 'en', errorlang: 'en', resetpassword: { status: 'success' } }));
  }
  const e1 = await badToken(c, echo);
  assert.equal(e1.text, JSON.stringify({
    error: { code: 'badtoken', info: msg(srv, 'apierror-badtoken'), '*': docref(srv) },
    requestid: 'x', curtimestamp: e1.json.curtimestamp, uselang: 'en', errorlang: 'en',
  }));
  const e2 = await badToken(c, { ...echo, formatversion: '2', errorformat: 'plaintext' });
  assert.equal(e2.text, JSON.stringify({
    errors: [{ code: 'badtoken', text: msg(srv, 'apierror-badtoken'), module: 'resetpassword' }],
    docref: docref(srv), requestid: 'x', curtimestamp: e2.json.curtimestamp, uselang: 'en', errorlang: 'en',
  }));
  // A query module: batchcomplete stays first.
  const q = await c.get({ action: 'query', meta: 'userinfo', requestid: '7' });
  assert.deepEqual(Object.keys(q.json), ['batchcomplete', 'requestid', 'query']);
});

test('assert=user/anon/bot and assertuser, checked before the module and its token', async () => {
  const anon = new Client(srv.api);
  const failed = (fv: 1 | 2, code: string, key: string, ...p: string[]) => bcError(srv, fv, code, msg(srv, key, ...p));
  const post = (c: Client, p: Record<string, string>) => c.post({ action: 'resetpassword', user: 'Nobody', token: ANON, ...p });
  assertError(await post(anon, { assert: 'user' }), 'assertuserfailed', failed(1, 'assertuserfailed', 'apierror-assertuserfailed'));
  assertError(await anon.post({ action: 'resetpassword', user: 'Nobody', assert: 'user', formatversion: '2' }), 'assertuserfailed',
    failed(2, 'assertuserfailed', 'apierror-assertuserfailed'));
  assert.equal((await post(anon, { assert: 'anon' })).text, SUCCESS);
  assertError(await post(anon, { assert: 'bot', formatversion: '2' }), 'assertbotfailed', failed(2, 'assertbotfailed', 'apierror-assertbotfailed'));
  assertError(await post(anon, { assertuser: 'Alice', formatversion: '2' }), 'assertnameduserfailed',
    failed(2, 'assertnameduserfailed', 'apierror-assertnameduserfailed', 'Alice'));
  assertError(await post(anon, { assert: 'nobody' }), 'badvalue');

  const alice = new Client(srv.api);
  assert.equal((await alice.login('Alice', 'Secret-Pass-1')).result, 'Success');
  const q = (p: Record<string, string>) => alice.get({ action: 'query', meta: 'userinfo', formatversion: '2', ...p });
  assert.equal((await q({ assert: 'user' })).json.query.userinfo.name, 'Alice');
  assert.equal((await q({ assertuser: 'alice' })).json.query.userinfo.name, 'Alice', 'assertuser is a user name, canonicalized');
  assertError(await q({ assert: 'anon' }), 'assertanonfailed', failed(2, 'assertanonfailed', 'apierror-assertanonfailed'));
  assertError(await q({ assert: 'bot' }), 'assertbotfailed');
  assertError(await q({ assertuser: 'Bob' }), 'assertnameduserfailed', failed(2, 'assertnameduserfailed', 'apierror-assertnameduserfailed', 'Bob'));

  const robot = new Client(srv.api);
  assert.equal((await robot.login('Robot', 'Secret-Pass-2')).result, 'Success');
  assert.equal((await robot.get({ action: 'query', meta: 'userinfo', assert: 'bot', formatversion: '2' })).json.query.userinfo.name, 'Robot');
});

test('maxlag: a negative maxlag always trips (one database, lag 0) with Retry-After and X-Database-Lag', async () => {
  const c = new Client(srv.api);
  const text = msg(srv, 'apierror-maxlag-generic', 0);
  const data = { host: '', lag: 0, type: 'db' };
  for (const fv of [1, 2] as const) {
    const r = await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON, maxlag: '-1', formatversion: String(fv) });
    assertError(r, 'maxlag', bcError(srv, fv, 'maxlag', text, data));
    assert.equal(r.headers.get('retry-after'), '5');
    assert.equal(r.headers.get('x-database-lag'), '0');
  }
  const big = await c.get({ action: 'query', meta: 'tokens', maxlag: '-30' });
  assertError(big, 'maxlag');
  assert.equal(big.headers.get('retry-after'), '5', 'at least 5 seconds');
  // The lag check is the main module's: non-bc formats say "main", with the data apart.
  const pt = await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON, maxlag: '-1', formatversion: '2', errorformat: 'plaintext' });
  assert.equal(pt.text, JSON.stringify({ errors: [{ code: 'maxlag', text, data, module: 'main' }], docref: docref(srv) }));
  const pt1 = await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON, maxlag: '-1', errorformat: 'plaintext' });
  assert.equal(pt1.text, JSON.stringify({ errors: [{ code: 'maxlag', data, module: 'main', '*': text }], '*': docref(srv) }));
  // Token errors come first; a lag within bounds lets the request through.
  assertError(await c.post({ action: 'resetpassword', user: 'Nobody', token: 'abc', maxlag: '-1' }), 'badtoken');
  assert.equal((await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON, maxlag: '0' })).text, SUCCESS);
  assertError(await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON, maxlag: 'abc', formatversion: '2' }), 'badinteger');
});
