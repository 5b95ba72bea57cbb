// clientlogin, logout, createaccount and changeauthenticationdata: their PASS/FAIL/UI shapes, errors,
// cookies and effects on the database and on other sessions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { ANON, assertError, bcError, cookieNames, msg, setCookie } from '../helpers/api.js';

const PW_REQ = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';
let srv: TestServer;
let prefix: string;
before(async () => {
  srv = await startTestServer();
  prefix = srv.services.config.cookiePrefix;
  await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
  await addUser(srv.services, 'Dave', 'Dave-Pass-1');
  await addUser(srv.services, 'Tess', 'Tess-Pass-1');
});
after(() => srv.close());

async function clientlogin(c: Client, p: Record<string, string>) {
  return c.post({ action: 'clientlogin', loginreturnurl: 'http://wiki.test/', logintoken: await c.token('login'), ...p });
}
const whoami = async (c: Client) => (await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo;

test('clientlogin FAIL: the shape in fv1 and fv2, message formats, and its own parameter errors', async () => {
  const c = new Client(srv.api);
  const text = msg(srv, 'wrongpassword');
  const fail2 = await clientlogin(c, { username: 'Dave', password: 'wrong', formatversion: '2' });
  assert.equal(fail2.text, JSON.stringify({ clientlogin: { status: 'FAIL', message: text, messagecode: 'wrongpassword', canpreservestate: false } }));
  const fail1 = await clientlogin(c, { username: 'Dave', password: 'wrong' });
  assert.equal(fail1.text, JSON.stringify({ clientlogin: { status: 'FAIL', message: text, messagecode: 'wrongpassword' } }));
  assert.equal((await clientlogin(c, { username: 'Nobody', password: 'wrong', formatversion: '2' })).text, fail2.text, 'unknown user: same answer');
  const raw = await clientlogin(c, { username: 'Dave', password: 'wrong', loginmessageformat: 'raw', formatversion: '2' });
  assert.deepEqual(raw.json.clientlogin.message, { key: 'wrongpassword', params: [] });
  const none = await clientlogin(c, { username: 'Dave', password: 'wrong', loginmessageformat: 'none', formatversion: '2' });
  assert.deepEqual(none.json, { clientlogin: { status: 'FAIL', messagecode: 'wrongpassword', canpreservestate: false } });

  assertError(await c.post({ action: 'clientlogin', username: 'Dave', password: 'x', logintoken: await c.token('login'), formatversion: '2' }), 'missingparam');
  assertError(await c.post({ action: 'clientlogin', username: 'Dave', password: 'x', loginreturnurl: 'http://wiki.test/', formatversion: '2' }), 'missingparam',
    bcError(srv, 2, 'missingparam', msg(srv, 'paramvalidator-missingparam', 'logintoken')));
  assertError(await c.post({ action: 'clientlogin', username: 'Dave', password: 'x', loginreturnurl: 'http://wiki.test/', logintoken: 'abc' }), 'badtoken');
  assertError(await c.get({ action: 'clientlogin' }), 'missingparam', null);
  // Without a login in progress, continuing fails.
  const cont = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'a', retype: 'a', logintoken: await c.token('login'), formatversion: '2' });
  assert.equal(cont.json.clientlogin.status, 'FAIL');
  assert.equal(cont.json.clientlogin.messagecode, 'authmanager-authn-not-in-progress');
});

test('clientlogin PASS: the username, the session and login cookies; rememberMe adds the Token cookie', async () => {
  const c = new Client(srv.api);
  const r = await clientlogin(c, { username: 'dave', password: 'Dave-Pass-1', formatversion: '2' });
  assert.equal(r.text, '{"clientlogin":{"status":"PASS","username":"Dave"}}');
  assert.ok(setCookie(r, `${prefix}_session`));
  assert.match(setCookie(r, `${prefix}UserID`)!, /Max-Age=2592000/, '30 days without rememberMe');
  assert.ok(!c.cookies.has(`${prefix}Token`));
  assert.equal((await whoami(c)).name, 'Dave');

  const c2 = new Client(srv.api);
  const r2 = await clientlogin(c2, { username: 'Dave', password: 'Dave-Pass-1', rememberMe: '1' });
  assert.equal(r2.text, '{"clientlogin":{"status":"PASS","username":"Dave"}}');
  assert.match(setCookie(r2, `${prefix}Token`)!, new RegExp(`^${prefix}Token=[0-9a-f]{32};.*Max-Age=15552000`), '180 days');
  // The remembered login outlives the server-side session: UserID + Token bring it back.
  const back = new Client(srv.api);
  back.cookies.set(`${prefix}UserID`, c2.cookies.get(`${prefix}UserID`)!);
  back.cookies.set(`${prefix}Token`, c2.cookies.get(`${prefix}Token`)!);
  assert.equal((await whoami(back)).name, 'Dave');
});

test('clientlogin UI: a temporary password asks for a new one (requests in fv1 and fv2), then PASS', async () => {
  const s = srv.services;
  const tess = (await s.users.byName('Tess'))!;
  await s.users.setTemporaryPassword(tess.id, await s.tempPasswords.hash('tmp0123456'));
  const c1 = new Client(srv.api);
  const ui1 = await clientlogin(c1, { username: 'Tess', password: 'tmp0123456' });
  const c = new Client(srv.api);
  const ui = await clientlogin(c, { username: 'Tess', password: 'tmp0123456', formatversion: '2' });
  const cl = ui.json.clientlogin;
  assert.deepEqual(Object.keys(cl), ['status', 'requests', 'message', 'messagecode']);
  assert.equal(cl.status, 'UI');
  assert.equal(cl.message, msg(srv, 'resetpass-temp-emailed'));
  assert.equal(cl.messagecode, 'resetpass-temp-emailed');
  assert.equal(cl.requests.length, 1);
  const req = cl.requests[0];
  assert.deepEqual(Object.keys(req), ['id', 'metadata', 'required', 'provider', 'account', 'fields']);
  assert.equal(req.id, PW_REQ);
  assert.deepEqual(req.metadata, {});
  assert.equal(req.required, 'required');
  assert.equal(req.account, 'Tess');
  assert.deepEqual(Object.keys(req.fields), ['password', 'retype']);
  for (const f of Object.values(req.fields) as Array<Record<string, unknown>>) {
    assert.deepEqual(Object.keys(f), ['type', 'label', 'help', 'optional', 'sensitive']);
    assert.equal(f.type, 'password');
    assert.equal(f.optional, false);
    assert.equal(f.sensitive, true);
  }
  // fv1: false flags dropped, true ones as "".
  const f1 = ui1.json.clientlogin.requests[0].fields.password;
  assert.deepEqual(Object.keys(f1), ['type', 'label', 'help', 'sensitive']);
  assert.equal(f1.sensitive, '');
  assert.equal((await whoami(c)).id, 0, 'not logged in during the UI step');

  const token = await c.token('login');
  const bad = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'New-Pass-77', retype: 'New-Pass-78', logintoken: token, formatversion: '2' });
  assert.equal(bad.json.clientlogin.status, 'UI');
  assert.equal(bad.json.clientlogin.messagecode, 'badretype');
  assert.equal(bad.json.clientlogin.message, msg(srv, 'badretype'));
  const weak = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'Tess', retype: 'Tess', logintoken: token, formatversion: '2' });
  assert.equal(weak.json.clientlogin.status, 'UI');
  assert.equal(weak.json.clientlogin.messagecode, 'password-substring-username-match');
  const pass = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'New-Pass-77', retype: 'New-Pass-77', logintoken: token, formatversion: '2' });
  assert.equal(pass.text, '{"clientlogin":{"status":"PASS","username":"Tess"}}');
  assert.equal((await whoami(c)).name, 'Tess');
  const row = (await s.users.byId(tess.id))!;
  assert.equal(row.newPassword, '');
  assert.equal(row.newPassTime, null);
  assert.equal((await new Client(srv.api).login('Tess', 'tmp0123456')).result, 'Failed', 'the temporary password is spent');
  assert.equal((await new Client(srv.api).login('Tess', 'New-Pass-77')).result, 'Success');
});

test('logout: "{}" in both versions; anonymous logout with "+\\" works; a token is required', async () => {
  const anon = new Client(srv.api);
  assert.equal((await anon.post({ action: 'logout', token: ANON })).text, '{}');
  assert.equal((await anon.post({ action: 'logout', token: ANON, formatversion: '2' })).text, '{}');
  assertError(await anon.post({ action: 'logout', formatversion: '2' }), 'missingparam', bcError(srv, 2, 'missingparam', msg(srv, 'paramvalidator-missingparam', 'token')));
  assertError(await anon.get({ action: 'logout', formatversion: '2' }), 'missingparam');

  const c = new Client(srv.api);
  assert.equal((await c.login('Alice', 'Secret-Pass-1')).result, 'Success');
  assertError(await c.post({ action: 'logout', token: 'abc', formatversion: '2' }), 'badtoken');
  assert.equal((await whoami(c)).name, 'Alice', 'a bad token logs nobody out');
  const r = await c.post({ action: 'logout', token: await c.token() });
  assert.equal(r.text, '{}');
  for (const name of ['_session', 'UserID', 'Token']) assert.match(setCookie(r, `${prefix}${name}`) ?? '', /Max-Age=0/, name);
  assert.ok(!cookieNames(r).includes(`${prefix}UserName`), 'the user name is kept for the login form');
  assert.equal((await whoami(c)).id, 0);
});

test('createaccount: PASS creates the account; FAIL for a taken name, a mismatched retype and a name with "@"', async () => {
  const c = new Client(srv.api);
  const create = async (p: Record<string, string>) =>
    c.post({ action: 'createaccount', createreturnurl: 'http://wiki.test/', createtoken: await c.token('createaccount'), ...p });

  const ok = await create({ username: 'zed', password: 'Zed-Pass-12345', retype: 'Zed-Pass-12345', email: 'zed@example.org', formatversion: '2' });
  assert.equal(ok.text, '{"createaccount":{"status":"PASS","username":"Zed"}}');
  const zed = (await srv.services.users.byName('Zed'))!;
  assert.equal(zed.email, 'zed@example.org');
  assert.ok(await srv.services.hasher.verify('Zed-Pass-12345', zed.password));
  assert.equal((await whoami(c)).id, 0, 'creating an account does not log in');
  assert.equal((await new Client(srv.api).login('Zed', 'Zed-Pass-12345')).result, 'Success');

  const taken = msg(srv, 'userexists');
  assert.equal((await create({ username: 'Alice', password: 'Zed-Pass-12345', retype: 'Zed-Pass-12345', formatversion: '2' })).text,
    JSON.stringify({ createaccount: { status: 'FAIL', message: taken, messagecode: 'userexists', canpreservestate: false } }));
  assert.equal((await create({ username: 'Alice', password: 'Zed-Pass-12345', retype: 'Zed-Pass-12345' })).text,
    JSON.stringify({ createaccount: { status: 'FAIL', message: taken, messagecode: 'userexists' } }));
  assert.equal((await create({ username: 'Yan', password: 'Zed-Pass-12345', retype: 'Zed-Pass-99999', formatversion: '2' })).text,
    JSON.stringify({ createaccount: { status: 'FAIL', message: msg(srv, 'badretype'), messagecode: 'badretype', canpreservestate: false } }));
  // "noname"; its API code is "invaliduser", as MediaWiki maps it.
  for (const username of ['Yan@example.org', 'Yan:x', 'Yan>y', '1.2.3.4', '']) {
    const r = await create({ username, password: 'Zed-Pass-12345', retype: 'Zed-Pass-12345', formatversion: '2' });
    assert.equal(r.text, JSON.stringify({ createaccount: { status: 'FAIL', message: msg(srv, 'noname'), messagecode: 'invaliduser', canpreservestate: false } }), username);
  }
  assert.equal(await srv.services.users.byName('Yan'), null);
  assert.equal(await srv.services.users.byName('Yan@example.org'), null);

  assertError(await c.post({ action: 'createaccount', username: 'Yan', password: 'Zed-Pass-12345', retype: 'Zed-Pass-12345', createtoken: 'abc', createreturnurl: 'http://wiki.test/' }), 'badtoken');
  assertError(await c.post({ action: 'createaccount', username: 'Yan', password: 'Zed-Pass-12345', retype: 'Zed-Pass-12345', createtoken: await c.token('createaccount') }), 'missingparam');
});

test('changeauthenticationdata: errors, success, and every other session of the account ends', async () => {
  const dave = new Client(srv.api);
  assert.equal((await dave.login('Dave', 'Dave-Pass-1')).result, 'Success');
  const other = new Client(srv.api);
  assert.equal((await other.login('Dave', 'Dave-Pass-1')).result, 'Success');
  const token = await dave.token();
  const change = (c: Client, p: Record<string, string>) => c.post({ action: 'changeauthenticationdata', changeauthrequest: PW_REQ, ...p });

  assertError(await change(dave, { password: 'Dave-New-1', retype: 'Dave-New-2', changeauthtoken: token, formatversion: '2' }), 'badretype',
    bcError(srv, 2, 'badretype', msg(srv, 'badretype')));
  assertError(await change(dave, { changeauthrequest: 'foo', password: 'Dave-New-1', retype: 'Dave-New-1', changeauthtoken: token }), 'badrequest');
  assertError(await change(dave, { password: 'Dave-New-1', retype: 'Dave-New-1', formatversion: '2' }), 'missingparam',
    bcError(srv, 2, 'missingparam', msg(srv, 'paramvalidator-missingparam', 'changeauthtoken')));
  assertError(await change(new Client(srv.api), { password: 'Dave-New-1', retype: 'Dave-New-1', changeauthtoken: ANON, formatversion: '2' }), 'notloggedin',
    bcError(srv, 2, 'notloggedin', msg(srv, 'apierror-mustbeloggedin-changeauthenticationdata')));
  assert.equal((await whoami(other)).name, 'Dave', 'failed attempts change nothing');

  const r = await change(dave, { password: 'Dave-New-1', retype: 'Dave-New-1', changeauthtoken: token, formatversion: '2' });
  assert.equal(r.text, '{"changeauthenticationdata":{"status":"success"}}');
  assert.equal((await whoami(dave)).name, 'Dave', 'the session that changed it stays logged in');
  assert.equal((await whoami(other)).id, 0, 'the other session was logged out');
  assert.equal((await new Client(srv.api).login('Dave', 'Dave-Pass-1')).result, 'Failed');
  assert.equal((await new Client(srv.api).login('Dave', 'Dave-New-1')).result, 'Success');
  // fv1, and the same (still valid) token.
  const r1 = await change(dave, { password: 'Dave-New-2', retype: 'Dave-New-2', changeauthtoken: await dave.token() });
  assert.equal(r1.text, '{"changeauthenticationdata":{"status":"success"}}');
});
