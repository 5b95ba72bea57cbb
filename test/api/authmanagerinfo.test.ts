// meta=authmanagerinfo: whether a session can log in again, how fresh its login is
// (securitysensitiveoperationstatus), and the requests each AuthManager action takes, in every message format.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ManualClock, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { msg } from '../helpers/api.js';

const PW = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';
const TEMP = 'MediaWiki\\Auth\\TemporaryPasswordAuthenticationRequest';
const USERNAME = 'MediaWiki\\Auth\\UsernameAuthenticationRequest';
const USERDATA = 'MediaWiki\\Auth\\UserDataAuthenticationRequest';
const REASON = 'MediaWiki\\Auth\\CreationReasonAuthenticationRequest';
const REMEMBER = 'MediaWiki\\Auth\\RememberMeAuthenticationRequest';
const BOT_PW = 'botpassbotpassbotpassbotpassbot1';

let srv: TestServer;
const clock = new ManualClock(Date.UTC(2026, 5, 1));
before(async () => {
  // Sessions live a day here, so that a login can grow older than the reauthentication time (an hour).
  srv = await startTestServer({ clock, env: { MWAUTH_SESSION_IDLE: '86400' } });
  const alice = await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
  await srv.services.botPasswords.set(alice.id, 'tool', BOT_PW, ['basic']);
});
after(() => srv.close());

async function ami(c: Client, p: Record<string, string> = {}, fv = '2') {
  const r = await c.get({ action: 'query', meta: 'authmanagerinfo', formatversion: fv, ...p });
  assert.equal(r.headers.get('mediawiki-api-error'), null, r.text);
  return r.json.query.authmanagerinfo;
}
const sso = async (c: Client, p: Record<string, string> = {}) => (await ami(c, { amisecuritysensitiveoperation: 'ChangeCredentials', ...p })).securitysensitiveoperationstatus;

async function clientlogin(c: Client, p: Record<string, string>) {
  return c.post({ action: 'clientlogin', loginreturnurl: 'http://wiki.test/', logintoken: await c.token('login'), formatversion: '2', ...p });
}

test('canauthenticatenow: true for anonymous and logged-in sessions, false for a bot password', async () => {
  const anon = new Client(srv.api);
  assert.deepEqual(await ami(anon), { canauthenticatenow: true, cancreateaccounts: true, canlinkaccounts: false });
  const viaLogin = new Client(srv.api);
  assert.equal((await viaLogin.login('Alice', 'Secret-Pass-1')).result, 'Success');
  assert.equal((await ami(viaLogin)).canauthenticatenow, true);
  const viaClientlogin = new Client(srv.api);
  assert.equal((await clientlogin(viaClientlogin, { username: 'Alice', password: 'Secret-Pass-1' })).json.clientlogin.status, 'PASS');
  assert.equal((await ami(viaClientlogin)).canauthenticatenow, true);
  const bot = new Client(srv.api);
  assert.equal((await bot.login('Alice@tool', BOT_PW)).result, 'Success');
  assert.equal((await ami(bot)).canauthenticatenow, false);
  // fv1: false flags are left out, true ones are "".
  assert.equal((await anon.get({ action: 'query', meta: 'authmanagerinfo' })).text, '{"batchcomplete":"","query":{"authmanagerinfo":{"canauthenticatenow":"","cancreateaccounts":""}}}');
});

test('securitysensitiveoperationstatus: reauth when anonymous, ok for an hour after a password login, then reauth', async () => {
  const anon = new Client(srv.api);
  assert.equal(await sso(anon), 'reauth');
  assert.equal((await ami(anon)).securitysensitiveoperationstatus, undefined, 'only when asked for');
  assert.equal(await sso(anon, { amisecuritysensitiveoperation: '' }), 'reauth', 'an empty operation name is still a question');

  for (const how of ['login', 'clientlogin'] as const) {
    const start = clock.now();
    const c = new Client(srv.api);
    if (how === 'login') assert.equal((await c.login('Alice', 'Secret-Pass-1')).result, 'Success');
    else assert.equal((await clientlogin(c, { username: 'Alice', password: 'Secret-Pass-1' })).json.clientlogin.status, 'PASS');
    assert.equal(await sso(c), 'ok', how);
    clock.advance(3600_000);
    assert.equal(await sso(c), 'ok', `${how}: exactly an hour later`);
    clock.advance(1000);
    assert.equal(await sso(c), 'reauth', `${how}: past the hour`);
    // Using the session does not make its login fresh again; logging in again does.
    assert.equal(await sso(c), 'reauth');
    assert.equal((await c.login('Alice', 'Secret-Pass-1')).result, 'Success');
    assert.equal(await sso(c), 'ok', `${how}: after logging in again`);
    assert.ok(clock.now() > start);
  }
});

test('securitysensitiveoperationstatus: a login brought back by "remember me" must reauthenticate; a bot password cannot and is let through', async () => {
  const c = new Client(srv.api);
  assert.equal((await clientlogin(c, { username: 'Alice', password: 'Secret-Pass-1', rememberMe: '1' })).json.clientlogin.status, 'PASS');
  assert.equal(await sso(c), 'ok');
  const prefix = srv.services.config.cookiePrefix;
  const back = new Client(srv.api);
  back.cookies.set(`${prefix}UserID`, c.cookies.get(`${prefix}UserID`)!);
  back.cookies.set(`${prefix}Token`, c.cookies.get(`${prefix}Token`)!);
  const info = await ami(back, { amisecuritysensitiveoperation: 'x' });
  assert.equal(info.canauthenticatenow, true);
  assert.equal(info.securitysensitiveoperationstatus, 'reauth', 'the Token cookie is not a password');
  const who = await back.get({ action: 'query', meta: 'userinfo', formatversion: '2' });
  assert.equal(who.json.query.userinfo.name, 'Alice', 'still logged in');

  const bot = new Client(srv.api);
  assert.equal((await bot.login('Alice@tool', BOT_PW)).result, 'Success');
  assert.equal(await sso(bot), 'ok');
  clock.advance(7200_000);
  assert.equal(await sso(bot), 'ok', 'a bot-password session is never asked to log in again');
});

test('securitysensitiveoperationstatus: JSONP and origin=* answer for an anonymous session, whatever the cookies', async () => {
  const c = new Client(srv.api);
  assert.equal((await c.login('Alice', 'Secret-Pass-1')).result, 'Success');
  assert.equal(await sso(c), 'ok');
  const jsonp = await c.get({ action: 'query', meta: 'authmanagerinfo', amisecuritysensitiveoperation: 'x', callback: 'cb', formatversion: '2' });
  assert.equal(jsonp.text, '/**/cb({"batchcomplete":true,"query":{"authmanagerinfo":{"canauthenticatenow":true,"cancreateaccounts":true,"canlinkaccounts":false,"securitysensitiveoperationstatus":"reauth"}}})');
  assert.equal(await sso(c, { origin: '*' }), 'reauth');
});

test('requests for every action: anonymous, logged in, bot password; preserved-state keys only with amirequestsfor', async () => {
  const anon = new Client(srv.api);
  const ids = async (c: Client, action: string) => (await ami(c, { amirequestsfor: action })).requests.map((r: { id: string }) => r.id);
  const login = await ami(anon, { amirequestsfor: 'login' });
  assert.deepEqual(Object.keys(login), ['canauthenticatenow', 'cancreateaccounts', 'canlinkaccounts', 'haspreservedstate', 'hasprimarypreservedstate', 'preservedusername', 'requests']);
  assert.equal(login.haspreservedstate, false);
  assert.equal(login.preservedusername, '');
  assert.deepEqual(login.requests[0], {
    id: PW, metadata: {}, required: 'primary-required', provider: msg(srv, 'authmanager-provider-password'), account: '',
    fields: {
      username: { type: 'string', label: msg(srv, 'userlogin-yourname'), help: msg(srv, 'authmanager-username-help'), optional: false, sensitive: false },
      password: { type: 'password', label: msg(srv, 'userlogin-yourpassword'), help: msg(srv, 'authmanager-password-help'), optional: false, sensitive: true },
    },
  });
  assert.deepEqual(login.requests[1], {
    id: REMEMBER, metadata: {}, required: 'optional', provider: REMEMBER, account: REMEMBER,
    fields: { rememberMe: { type: 'checkbox', label: msg(srv, 'userlogin-remembermypassword', 180), help: msg(srv, 'authmanager-userlogin-remembermypassword-help'), optional: true, sensitive: false } },
  });
  assert.deepEqual(await ids(anon, 'create'), [PW, USERNAME, USERDATA]);
  const create = (await ami(anon, { amirequestsfor: 'create' })).requests;
  assert.deepEqual(Object.keys(create[0].fields), ['username', 'password', 'retype']);
  assert.deepEqual(Object.keys(create[2].fields), ['email', 'realname']);
  assert.equal(create[2].fields.email.optional, true);
  const change = (await ami(anon, { amirequestsfor: 'change' })).requests;
  assert.deepEqual(change.map((r: { id: string; required: string; account: string }) => [r.id, r.required, r.account]), [[PW, 'primary-required', '']]);
  assert.deepEqual(Object.keys(change[0].fields), ['password', 'retype']);
  assert.deepEqual(await ids(anon, 'remove'), [TEMP]);
  for (const action of ['login-continue', 'create-continue', 'link', 'link-continue', 'unlink']) assert.deepEqual(await ids(anon, action), [], action);

  const alice = new Client(srv.api);
  assert.equal((await alice.login('Alice', 'Secret-Pass-1')).result, 'Success');
  // A logged-in creator makes accounts for others: a mailed temporary password and a reason are offered.
  assert.deepEqual(await ids(alice, 'create'), [TEMP, PW, USERNAME, USERDATA, REASON]);
  const mine = await ami(alice, { amirequestsfor: 'create' });
  assert.deepEqual(mine.requests[0].fields.mailpassword, { type: 'checkbox', label: msg(srv, 'createaccountmail'), help: msg(srv, 'createaccountmail-help'), optional: false, sensitive: false });
  assert.equal(mine.requests[4].required, 'optional');
  assert.equal((await ami(alice, { amirequestsfor: 'login' })).requests[0].account, 'Alice');
  assert.equal((await ami(alice, { amirequestsfor: 'change' })).requests[0].account, 'Alice');
  assert.equal((await ami(alice, { amirequestsfor: 'remove' })).requests[0].account, 'Alice');

  const bot = new Client(srv.api);
  assert.equal((await bot.login('Alice@tool', BOT_PW)).result, 'Success');
  const botLogin = await ami(bot, { amirequestsfor: 'login' });
  assert.deepEqual(botLogin.requests[1].fields, {}, 'a bot-password session cannot be remembered');
  assert.equal(botLogin.canauthenticatenow, false);
});

test('amimessageformat: raw gives message keys and parameters, none leaves texts out, html escapes; amimergerequestfields', async () => {
  const c = new Client(srv.api);
  const raw = await ami(c, { amirequestsfor: 'login', amimessageformat: 'raw' });
  assert.deepEqual(raw.requests[0].provider, { key: 'authmanager-provider-password', params: [] });
  assert.deepEqual(raw.requests[0].account, { key: '$1', params: [null] });
  assert.deepEqual(raw.requests[0].fields.username, { type: 'string', label: { key: 'userlogin-yourname', params: [] }, help: { key: 'authmanager-username-help', params: [] }, optional: false, sensitive: false });
  assert.deepEqual(raw.requests[1].provider, { key: '$1', params: [REMEMBER] });
  assert.deepEqual(raw.requests[1].fields.rememberMe.label, { key: 'userlogin-remembermypassword', params: [{ num: 180 }] });
  const rawCreate = await ami(c, { amirequestsfor: 'create', amimessageformat: 'raw' });
  assert.deepEqual(rawCreate.requests[0].fields.retype.label, { key: 'yourpasswordagain', params: [] });
  assert.deepEqual(rawCreate.requests[2].fields.realname.help, { key: 'authmanager-realname-help', params: [] });

  const none = await ami(c, { amirequestsfor: 'login', amimessageformat: 'none' });
  assert.deepEqual(none.requests[0], { id: PW, metadata: {}, required: 'primary-required', fields: { username: { type: 'string', optional: false, sensitive: false }, password: { type: 'password', optional: false, sensitive: true } } });

  const html = await ami(c, { amirequestsfor: 'login', amimessageformat: 'html' });
  assert.equal(html.requests[0].fields.username.label, msg(srv, 'userlogin-yourname'));

  const merged = await ami(c, { amirequestsfor: 'create', amimergerequestfields: '1' });
  assert.deepEqual(Object.keys(merged), ['canauthenticatenow', 'cancreateaccounts', 'canlinkaccounts', 'haspreservedstate', 'hasprimarypreservedstate', 'preservedusername', 'requests', 'fields']);
  assert.deepEqual(merged.requests.map((r: Record<string, unknown>) => Object.keys(r)), [0, 1, 2].map(() => ['id', 'metadata', 'required', 'provider', 'account']));
  assert.deepEqual(Object.keys(merged.fields), ['username', 'password', 'retype', 'email', 'realname']);
  assert.equal(merged.fields.retype.sensitive, true);

  // uselang: the texts follow the language; raw keys do not.
  const ar = await ami(c, { amirequestsfor: 'login', uselang: 'ar' });
  assert.equal(ar.requests[0].fields.username.label, srv.services.i18n.text('ar', 'userlogin-yourname'));
  // fv1: false flags left out.
  const fv1 = await ami(c, { amirequestsfor: 'login', amisecuritysensitiveoperation: 'x' }, '1');
  assert.deepEqual(Object.keys(fv1), ['canauthenticatenow', 'cancreateaccounts', 'securitysensitiveoperationstatus', 'preservedusername', 'requests']);
  assert.deepEqual(fv1.requests[0].fields.username, { type: 'string', label: msg(srv, 'userlogin-yourname'), help: msg(srv, 'authmanager-username-help') });
  assert.deepEqual(fv1.requests[0].fields.password.sensitive, '');
});

test('clientlogin\'s forced-change step formats its requests the same way (raw keys, merged fields)', async () => {
  const s = srv.services;
  const tess = await addUser(s, 'Tess', 'Tess-Pass-1');
  await s.users.setTemporaryPassword(tess.id, await s.tempPasswords.hash('tmp0123456'));
  const c = new Client(srv.api);
  const raw = (await clientlogin(c, { username: 'Tess', password: 'tmp0123456', loginmessageformat: 'raw', loginmergerequestfields: '1' })).json.clientlogin;
  assert.equal(raw.status, 'UI');
  assert.deepEqual(raw.requests, [{ id: PW, metadata: {}, required: 'required', provider: { key: 'authmanager-provider-password', params: [] }, account: { key: '$1', params: ['Tess'] } }]);
  assert.deepEqual(raw.fields, {
    password: { type: 'password', label: { key: 'newpassword', params: [] }, help: { key: 'authmanager-password-help', params: [] }, optional: false, sensitive: true },
    retype: { type: 'password', label: { key: 'retypenew', params: [] }, help: { key: 'authmanager-retype-help', params: [] }, optional: false, sensitive: true },
  });
  assert.deepEqual(raw.message, { key: 'resetpass-temp-emailed', params: [] });
});
