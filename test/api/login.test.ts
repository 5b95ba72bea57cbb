// action=login: every result (NeedToken, WrongToken, Failed, Aborted, Success), its warnings and
// cookies, bot passwords, the login throttle, and the POST rules.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { ANON, TOKEN_RE, assertError, bcError, cookieNames, docref, msg, setCookie } from '../helpers/api.js';

const PW32 = 'v0123456789abcdefghijklmnopqrstu';
let srv: TestServer;
let alice: { id: number; token: string };
let prefix: string;

before(async () => {
  srv = await startTestServer();
  prefix = srv.services.config.cookiePrefix;
  alice = await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
  await addUser(srv.services, 'Carol', 'Carol-Pass-1');
  await addUser(srv.services, 'Tess', 'Tess-Pass-1');
  await srv.services.botPasswords.set(alice.id, 'app', PW32, ['basic']);
});
after(() => srv.close());

const login = (c: Client, p: Record<string, string>) => c.post({ action: 'login', ...p });

test('NeedToken: no lgtoken gives a login token and two deprecation warnings (main and login)', async () => {
  const c = new Client(srv.api);
  const r = await login(c, { lgname: 'Alice', lgpassword: 'Secret-Pass-1' });
  assert.deepEqual(Object.keys(r.json), ['warnings', 'login']);
  assert.deepEqual(Object.keys(r.json.warnings), ['main', 'login']);
  const token = r.json.login.token as string;
  assert.match(token, TOKEN_RE);
  assert.equal(r.text, JSON.stringify({
    warnings: { main: { '*': msg(srv, 'api-usage-mailinglist-ref') }, login: { '*': msg(srv, 'apiwarn-deprecation-login-token') } },
    login: { result: 'NeedToken', token },
  }));
  assert.ok(setCookie(r, `${prefix}_session`), 'the session is persisted');
  const pt = await login(c, { lgname: 'Alice', lgpassword: 'Secret-Pass-1', formatversion: '2', errorformat: 'plaintext' });
  assert.deepEqual(pt.json.warnings, [
    { code: 'deprecation', text: msg(srv, 'apiwarn-deprecation-login-token'), data: { feature: 'action=login&!lgtoken' }, module: 'login' },
    { code: 'deprecation-help', text: msg(srv, 'api-usage-mailinglist-ref'), module: 'main' },
  ]);
  // The token it gave works.
  const ok = await login(c, { lgname: 'Alice', lgpassword: 'Secret-Pass-1', lgtoken: token });
  assert.equal(ok.json.login.result, 'Success');
});

test('WrongToken, and Failed "sessionlost" for a session that was never given a login token', async () => {
  const c = new Client(srv.api);
  await c.token('login');
  for (const fv of ['1', '2']) {
    const r = await login(c, { lgname: 'Alice', lgpassword: 'Secret-Pass-1', lgtoken: 'abc', formatversion: fv });
    assert.equal(r.text, '{"login":{"result":"WrongToken"}}');
  }
  const other = await new Client(srv.api).token('login');
  for (const lgtoken of [other, ANON]) {
    const fresh = new Client(srv.api);
    const r = await login(fresh, { lgname: 'Alice', lgpassword: 'Secret-Pass-1', lgtoken, formatversion: '2' });
    assert.equal(r.text, JSON.stringify({ login: { result: 'Failed', reason: msg(srv, 'authpage-cannot-login-continue') } }));
    assert.ok(setCookie(r, `${prefix}_session`), 'a session is started anyway');
    const raw = await login(fresh, { lgname: 'Alice', lgpassword: 'x', lgtoken: 'abc', formatversion: '2', errorformat: 'raw' });
    assert.equal(raw.text, '{"login":{"result":"WrongToken"}}', 'now it has a login secret');
  }
  const pt = await login(new Client(srv.api), { lgname: 'Alice', lgpassword: 'x', lgtoken: ANON, formatversion: '2', errorformat: 'plaintext' });
  assert.deepEqual(pt.json.login.reason, { code: 'sessionlost', text: msg(srv, 'authpage-cannot-login-continue') });
});

test('Failed: a wrong password and an unknown user are indistinguishable; an empty name has no primary', async () => {
  const c = new Client(srv.api);
  const lgtoken = await c.token('login');
  const wrong = await login(c, { lgname: 'Tess', lgpassword: 'nope', lgtoken });
  const nobody = await login(c, { lgname: 'Nobody', lgpassword: 'nope', lgtoken });
  assert.equal(wrong.text, JSON.stringify({ login: { result: 'Failed', reason: msg(srv, 'wrongpassword') } }));
  assert.equal(nobody.text, wrong.text);
  const raw = await login(c, { lgname: 'Nobody', lgpassword: 'nope', lgtoken, formatversion: '2', errorformat: 'raw' });
  assert.equal(raw.text, '{"login":{"result":"Failed","reason":{"code":"wrongpassword","key":"wrongpassword","params":[]}}}');
  const html = await login(c, { lgname: 'Tess', lgpassword: 'nope', lgtoken, errorformat: 'html' });
  assert.deepEqual(Object.keys(html.json.login.reason), ['code', '*']);

  const noPrimary = JSON.stringify({ login: { result: 'Failed', reason: msg(srv, 'authmanager-authn-no-primary') } });
  const cases: Array<Record<string, string>> = [{ lgname: '', lgpassword: 'x' }, {}, { lgname: '1.2.3.4', lgpassword: 'x' }, { lgname: 'Tess', lgpassword: '' }];
  for (const p of cases) {
    assert.equal((await login(c, { ...p, lgtoken, formatversion: '2' })).text, noPrimary, JSON.stringify(p));
  }
  const pr = await login(c, { lgname: '', lgpassword: 'x', lgtoken, formatversion: '2', errorformat: 'plaintext' });
  assert.equal(pr.json.login.reason.code, 'authmanager-authn-no-primary');
});

test('Aborted: a temporary password needs clientlogin', async () => {
  const s = srv.services;
  const tess = (await s.users.byName('Tess'))!;
  await s.users.setTemporaryPassword(tess.id, await s.tempPasswords.hash('tmp0123456'));
  const c = new Client(srv.api);
  const r = await login(c, { lgname: 'Tess', lgpassword: 'tmp0123456', lgtoken: await c.token('login') });
  assert.equal(r.text, JSON.stringify({ login: { result: 'Aborted', reason: msg(srv, 'api-login-fail-aborted') } }));
  assert.equal((await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0, 'not logged in');
  const pt = await login(c, { lgname: 'Tess', lgpassword: 'tmp0123456', lgtoken: await c.token('login'), formatversion: '2', errorformat: 'plaintext' });
  assert.deepEqual(pt.json.login.reason, { code: 'api-login-fail-aborted', text: msg(srv, 'api-login-fail-aborted') });
  // The main password still logs in normally.
  assert.equal((await c.login('Tess', 'Tess-Pass-1')).result, 'Success');
});

test('Success with the main password: canonical name, the login cookies, deprecation warnings', async () => {
  const c = new Client(srv.api);
  const lgtoken = await c.token('login');
  const r = await login(c, { lgname: 'alice', lgpassword: 'Secret-Pass-1', lgtoken, formatversion: '2' });
  assert.equal(r.text, JSON.stringify({
    warnings: { main: { warnings: msg(srv, 'api-usage-mailinglist-ref') }, login: { warnings: msg(srv, 'apiwarn-deprecation-login-botpw') } },
    login: { result: 'Success', lguserid: alice.id, lgusername: 'Alice' },
  }));
  assert.deepEqual(cookieNames(r).sort(), [`${prefix}Token`, `${prefix}UserID`, `${prefix}UserName`, `${prefix}_session`].sort());
  const user = (await srv.services.users.byId(alice.id))!;
  // The Token cookie carries a token of this login's own (32 hex digits, as MediaWiki's), never the user_token.
  const expect: Record<string, RegExp> = { UserID: new RegExp(`^${alice.id}$`), UserName: /^Alice$/, Token: /^[0-9a-f]{32}$/ };
  for (const [name, value] of Object.entries(expect)) {
    const line = setCookie(r, `${prefix}${name}`)!;
    assert.match(line.slice(`${prefix}${name}=`.length).split(';')[0]!, value, line);
    assert.ok(!line.includes(user.token), line);
    assert.match(line, /Max-Age=15552000/, 'remembered for 180 days');
    assert.match(line, /HttpOnly/);
  }
  assert.match(user.token, /^[0-9a-f]{32}$/);
  const me = await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' });
  assert.deepEqual(me.json.query.userinfo, { id: alice.id, name: 'Alice' });
  // "User:" prefix and underscores are canonicalized too.
  const c2 = new Client(srv.api);
  assert.equal((await c2.login('User:alice', 'Secret-Pass-1')).lgusername, 'Alice');
});

test('Success with a bot password: Name@app, only the _BPsession cookie, no warnings', async () => {
  const c = new Client(srv.api);
  const lgtoken = await c.token('login');
  const r = await login(c, { lgname: 'Alice@app', lgpassword: PW32, lgtoken });
  assert.equal(r.text, JSON.stringify({ login: { result: 'Success', lguserid: alice.id, lgusername: 'Alice' } }));
  assert.deepEqual(cookieNames(r), [`${prefix}_BPsession`]);
  const me = await c.get({ action: 'query', meta: 'userinfo', uiprop: 'rights', formatversion: '2' });
  assert.equal(me.json.query.userinfo.name, 'Alice');
  assert.ok(me.json.query.userinfo.rights.includes('read'));
  assert.ok(!me.json.query.userinfo.rights.includes('editmyprivateinfo'), 'the grants limit the rights');
  // The "appid@password" form of the password works as well.
  const c2 = new Client(srv.api);
  assert.equal((await c2.login('Alice', `app@${PW32}`)).result, 'Success');
  assert.deepEqual([...c2.cookies.keys()].filter((k) => k.endsWith('_BPsession')), [`${prefix}_BPsession`]);
  // A wrong bot password falls back to a main-account attempt, which fails as usual.
  assert.deepEqual(await new Client(srv.api).login('Alice@app', 'w'.repeat(32)), { result: 'Failed', reason: msg(srv, 'wrongpassword') });
  // Logging out a bot session only drops that session.
  const out = await c.post({ action: 'logout', token: await c.token() });
  assert.equal(out.text, '{}');
  assert.deepEqual(cookieNames(out), [`${prefix}_BPsession`]);
  assert.match(setCookie(out, `${prefix}_BPsession`)!, /Max-Age=0/);
  assert.equal((await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0);
});

test('throttle: the 6th wrong attempt is refused, and so is the right password after it', async () => {
  const c = new Client(srv.api);
  const lgtoken = await c.token('login');
  const attempt = (lgpassword: string) => login(c, { lgname: 'Carol', lgpassword, lgtoken, formatversion: '2', errorformat: 'plaintext' });
  for (let i = 1; i <= 5; i++) assert.equal((await attempt(`wrong${i}`)).json.login.reason.code, 'wrongpassword', `attempt ${i}`);
  const sixth = await attempt('wrong6');
  assert.equal(sixth.json.login.result, 'Failed');
  assert.deepEqual(sixth.json.login.reason, { code: 'login-throttled', text: msg(srv, 'login-throttled', { key: 'duration-minutes', params: [5] }) });
  const right = await login(c, { lgname: 'Carol', lgpassword: 'Carol-Pass-1', lgtoken });
  assert.equal(right.text, JSON.stringify({ login: { result: 'Failed', reason: msg(srv, 'login-throttled', { key: 'duration-minutes', params: [5] }) } }));
  // The throttle is per name: another account from the same address is not affected.
  assert.equal((await c.login('Tess', 'Tess-Pass-1')).result, 'Success');
});

test('50 parallel wrong passwords for one account: exactly 5 are tried, the rest are throttled', async () => {
  await addUser(srv.services, 'Paula', 'Paula-Pass-1');
  // Fifty clients, each with its own session and login token, fire at once from one address.
  const clients = Array.from({ length: 50 }, () => new Client(srv.api));
  const tokens = await Promise.all(clients.map((c) => c.token('login')));
  const answers = await Promise.all(
    clients.map((c, i) => login(c, { lgname: 'Paula', lgpassword: `wrong-${i}`, lgtoken: tokens[i]!, formatversion: '2', errorformat: 'plaintext' })),
  );
  for (const r of answers) assert.equal(r.json.login.result, 'Failed', r.text);
  const codes = answers.map((r) => r.json.login.reason.code as string);
  assert.equal(codes.filter((c) => c === 'wrongpassword').length, 5, codes.join(','));
  assert.equal(codes.filter((c) => c === 'login-throttled').length, 45, codes.join(','));
  const throttled = answers.find((r) => r.json.login.reason.code === 'login-throttled')!;
  assert.deepEqual(throttled.json.login.reason, { code: 'login-throttled', text: msg(srv, 'login-throttled', { key: 'duration-minutes', params: [5] }) });
  // Only the five that were tried reached the password check (the audit trail says why each failed).
  const events = await srv.services.audit.query({ user: 'Paula', type: 'login.failure' });
  assert.equal(events.filter((e) => e.details.reason === 'wrongpassword').length, 5);
  assert.equal(events.filter((e) => e.details.reason === 'login-throttled').length, 45);
  // Afterwards even the right password is refused, from a fresh session too. It is the 51st attempt at
  // the account, over its own level (50 an hour from every address), so the wait is that hour.
  const right = await new Client(srv.api).login('Paula', 'Paula-Pass-1');
  assert.deepEqual(right, { result: 'Failed', reason: msg(srv, 'login-throttled', { key: 'duration-hours', params: [1] }) });
});

test('50 parallel wrong passwords through clientlogin: exactly 5 are tried, the rest are throttled, then the right one too', async () => {
  await addUser(srv.services, 'Quentin', 'Quentin-Pass-1');
  const clients = Array.from({ length: 50 }, () => new Client(srv.api));
  const tokens = await Promise.all(clients.map((c) => c.token('login')));
  const attempt = (c: Client, logintoken: string, password: string) =>
    c.post({ action: 'clientlogin', username: 'Quentin', password, loginreturnurl: 'http://wiki.test/', logintoken, formatversion: '2' });
  const answers = await Promise.all(clients.map((c, i) => attempt(c, tokens[i]!, `wrong-${i}`)));
  for (const r of answers) assert.equal(r.json.clientlogin.status, 'FAIL', r.text);
  const codes = answers.map((r) => r.json.clientlogin.messagecode as string);
  assert.equal(codes.filter((c) => c === 'wrongpassword').length, 5, codes.join(','));
  assert.equal(codes.filter((c) => c === 'login-throttled').length, 45, codes.join(','));
  const c = new Client(srv.api);
  // The 51st attempt at the account: over the account's own level too, so the wait is its hour.
  const right = await attempt(c, await c.token('login'), 'Quentin-Pass-1');
  assert.deepEqual(right.json.clientlogin, {
    status: 'FAIL',
    message: msg(srv, 'login-throttled', { key: 'duration-hours', params: [1] }),
    messagecode: 'login-throttled',
    canpreservestate: false,
  });
  assert.equal((await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0, 'not logged in');
});

test('POST rules: GET is mustbeposted; lgpassword or lgtoken in the query string is mustpostparams', async () => {
  const c = new Client(srv.api);
  const posted = (fv: 1 | 2) => bcError(srv, fv, 'mustbeposted', msg(srv, 'apierror-mustbeposted', 'login'));
  assertError(await c.get({ action: 'login', lgname: 'Alice' }), 'mustbeposted', posted(1));
  assertError(await c.get({ action: 'login', lgname: 'Alice', lgpassword: 'x', formatversion: '2' }), 'mustbeposted', posted(2));
  const pt = await c.get({ action: 'login', lgname: 'Alice', formatversion: '2', errorformat: 'plaintext' });
  assert.equal(pt.text, JSON.stringify({ errors: [{ code: 'mustbeposted', text: msg(srv, 'apierror-mustbeposted', 'login'), module: 'main' }], docref: docref(srv) }));
  const lgtoken = await c.token('login');
  const q = await c.post({ action: 'login', lgname: 'Alice', lgtoken, formatversion: '2' }, { lgpassword: 'Secret-Pass-1' });
  assertError(q, 'mustpostparams', bcError(srv, 2, 'mustpostparams', msg(srv, 'apierror-mustpostparams', 'lgpassword', 1)));
  const both = await c.post({ action: 'login', lgname: 'Alice' }, { lgpassword: 'Secret-Pass-1', lgtoken });
  assertError(both, 'mustpostparams', bcError(srv, 1, 'mustpostparams', msg(srv, 'apierror-mustpostparams', 'lgpassword, lgtoken', 2)));
  assert.equal((await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0);
});
