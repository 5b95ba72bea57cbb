// A bot-password session never becomes a main-account session: a second action=login answers Aborted,
// clientlogin answers FAIL (userlogin-cannot-login), in MediaWiki's shapes, whatever credentials and
// tokens are sent; the siblings (createaccount, changeauthenticationdata, logout) keep the grants'
// limits; and the pages, as in MediaWiki, do not act with a bot-password session at all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { cookieNames, msg } from '../helpers/api.js';
import { PageClient } from '../web/helpers.js';

const PW32 = 'botpassbotpassbotpassbotpassbot1';
const PROVIDER = 'MediaWiki\\Session\\BotPasswordSessionProvider sessions';
let srv: TestServer;
let prefix: string;

before(async () => {
  srv = await startTestServer();
  prefix = srv.services.config.cookiePrefix;
  const alice = await addUser(srv.services, 'Alice', 'Alice-Pass-1', { email: 'alice@example.org' });
  await srv.services.botPasswords.set(alice.id, 'oracle', PW32, ['basic']);
  await addUser(srv.services, 'Bob', 'Bob-Pass-1');
});
after(() => srv.close());

async function botSession(): Promise<Client> {
  const c = new Client(srv.api);
  assert.equal((await c.login('Alice@oracle', PW32)).result, 'Success');
  assert.deepEqual([...c.cookies.keys()].filter((k) => k.startsWith(prefix)).sort(), [`${prefix}_BPsession`, `${prefix}_session`].sort());
  return c;
}

/** Still the bot session: Alice, with the grants' rights only, and nothing set that would make it more. */
async function assertStillBot(c: Client, before: Map<string, string>): Promise<void> {
  const me = (await c.get({ action: 'query', meta: 'userinfo', uiprop: 'rights', formatversion: '2' })).json.query.userinfo;
  assert.equal(me.name, 'Alice');
  assert.ok(!me.rights.includes('editmyprivateinfo') && !me.rights.includes('createaccount'), 'the grants still limit the rights');
  assert.deepEqual(new Map(c.cookies), before, 'no cookie changed');
}

test('action=login in a bot-password session: Aborted in fv1 and fv2, errorformat bc, plaintext and raw, before the token', async () => {
  const c = await botSession();
  const held = new Map(c.cookies);
  const text = msg(srv, 'api-login-fail-badsessionprovider', PROVIDER);
  const expected = (fv: string, ef: string) => {
    if (ef === 'bc') return { login: { result: 'Aborted', reason: text } };
    if (ef === 'raw') return { login: { result: 'Aborted', reason: { code: 'api-login-fail-badsessionprovider', key: 'api-login-fail-badsessionprovider', params: [PROVIDER] } } };
    return { login: { result: 'Aborted', reason: { code: 'api-login-fail-badsessionprovider', [fv === '1' ? '*' : 'text']: text } } };
  };
  const lgtoken = await c.token('login');
  const attempts: Array<Record<string, string>> = [
    { lgname: 'Alice', lgpassword: 'Alice-Pass-1', lgtoken }, // the main account's own password
    { lgname: 'Alice@oracle', lgpassword: PW32, lgtoken }, // the same bot password again
    { lgname: 'Bob', lgpassword: 'Bob-Pass-1', lgtoken }, // another account
    { lgname: 'Alice', lgpassword: 'wrong', lgtoken },
    { lgname: 'Alice', lgpassword: 'Alice-Pass-1', lgtoken: 'abc+\\' }, // a bad token
  ];
  for (const fv of ['1', '2']) {
    for (const ef of ['bc', 'plaintext', 'raw']) {
      for (const a of attempts) {
        const r = await c.post({ action: 'login', ...a, formatversion: fv, errorformat: ef });
        assert.equal(r.text, JSON.stringify(expected(fv, ef)), `fv${fv} ${ef} ${a.lgname}`);
        assert.deepEqual(cookieNames(r), []);
      }
    }
  }
  // Without a token: Aborted too, not NeedToken.
  assert.equal((await c.post({ action: 'login', lgname: 'Alice', lgpassword: 'Alice-Pass-1' })).text, JSON.stringify(expected('1', 'bc')));
  await assertStillBot(c, held);
  // The failed attempt did not reach the password check: nothing was counted against Alice.
  const failures = await srv.services.audit.query({ user: 'Alice', type: 'login.failure' });
  assert.equal(failures.length, 0);
});

test('action=clientlogin in a bot-password session: FAIL userlogin-cannot-login, to begin and to continue', async () => {
  const c = await botSession();
  const held = new Map(c.cookies);
  const text = msg(srv, 'userlogin-cannot-login');
  const logintoken = await c.token('login');
  const begin = { action: 'clientlogin', username: 'Alice', password: 'Alice-Pass-1', loginreturnurl: 'http://wiki.test/', logintoken };
  const fail2 = { clientlogin: { status: 'FAIL', message: text, messagecode: 'userlogin-cannot-login', canpreservestate: false } };
  const r2 = await c.post({ ...begin, formatversion: '2', errorformat: 'raw' });
  assert.deepEqual(r2.json.clientlogin, fail2.clientlogin);
  // The credentials are not read, so they are unrecognized parameters (as in MediaWiki).
  const warning = r2.json.warnings.find((w: { code: string }) => w.code === 'unrecognizedparams');
  assert.deepEqual(Object.values(warning.params[0].list).sort(), ['password', 'username']);
  const r1 = await c.post({ ...begin, errorformat: 'plaintext' });
  assert.deepEqual(r1.json.clientlogin, { status: 'FAIL', message: text, messagecode: 'userlogin-cannot-login' }, 'fv1 drops canpreservestate=false');
  assert.deepEqual((await c.post({ ...begin, loginmessageformat: 'raw', formatversion: '2' })).json.clientlogin.message, { key: 'userlogin-cannot-login', params: [] });
  assert.deepEqual((await c.post({ ...begin, loginmessageformat: 'none', formatversion: '2' })).json.clientlogin, {
    status: 'FAIL', messagecode: 'userlogin-cannot-login', canpreservestate: false,
  });
  const cont = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'X-Pass-1', retype: 'X-Pass-1', logintoken, formatversion: '2' });
  assert.deepEqual(cont.json.clientlogin, fail2.clientlogin);
  // A bad token is still badtoken first; neither step changes anything.
  assert.equal((await c.post({ ...begin, logintoken: 'abc+\\' })).json.error.code, 'badtoken');
  await assertStillBot(c, held);
});

test('the bot session after it is refused: createaccount keeps the grants\' limits, changeauthenticationdata is refused, logout ends only it', async () => {
  const c = await botSession();
  const held = new Map(c.cookies);
  const created = await c.post({
    action: 'createaccount', username: 'Made', password: 'Made-Pass-12345', retype: 'Made-Pass-12345', createreturnurl: 'http://wiki.test/',
    createtoken: await c.token('createaccount'), formatversion: '2',
  });
  assert.equal(created.json.createaccount.status, 'FAIL', created.text);
  assert.equal(await srv.services.users.byName('Made'), null);
  const change = await c.post({
    action: 'changeauthenticationdata', changeauthrequest: 'MediaWiki\\Auth\\PasswordAuthenticationRequest', password: 'New-Pass-12345', retype: 'New-Pass-12345',
    changeauthtoken: await c.token(), formatversion: '2',
  });
  assert.equal(change.json.error.code, 'permissiondenied');
  assert.equal((await new Client(srv.api).login('Alice', 'Alice-Pass-1')).result, 'Success', 'the password is unchanged');
  await assertStillBot(c, held);
  const out = await c.post({ action: 'logout', token: await c.token() });
  assert.deepEqual(cookieNames(out), [`${prefix}_BPsession`]);
  assert.equal((await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0);
  // Logged out, the same client may log in normally.
  assert.equal((await c.login('Alice', 'Alice-Pass-1')).result, 'Success');
});

test('the pages do not act with a bot-password session: anonymous there, as in MediaWiki', async () => {
  const api = await botSession();
  const t = (key: string, ...p: string[]) => srv.services.i18n.text('en', key, ...p);
  const page = new PageClient(srv.url);
  page.cookies.set(`${prefix}_BPsession`, api.cookies.get(`${prefix}_BPsession`)!);
  assert.ok((await page.get('/wiki/Main_Page')).html.includes(t('web-mainpage-anon')));
  const login = await page.get('/wiki/Special:UserLogin');
  assert.ok(!login.html.includes(t('web-login-already', 'Alice')), 'not "already logged in"');
  assert.equal((await page.get('/wiki/Special:ChangePassword')).location, '/wiki/Special:UserLogin?returnto=Special%3AChangePassword');
  assert.ok((await page.get('/wiki/Special:UserLogout')).html.includes(t('web-logout-notloggedin')));
  // Logging in on the page takes the main password and makes a session of its own; the bot session stays what it was.
  assert.equal((await page.submit('/wiki/Special:UserLogin', { wpName: 'Alice', wpPassword: PW32 })).status, 200, 'the bot password is no main password');
  assert.equal((await page.submit('/wiki/Special:UserLogin', { wpName: 'Alice', wpPassword: 'Alice-Pass-1' })).status, 303);
  assert.ok((await page.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Alice')));
  assert.notEqual(page.cookies.get(`${prefix}_session`), api.cookies.get(`${prefix}_BPsession`));
  await assertStillBot(api, new Map(api.cookies));
});
