// action=resetpassword: every error it can give, with the exact envelope, the MediaWiki-API-Error
// header, and proof that nothing was recorded or mailed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, startTestServer, type ApiReply, type ReadMail, type TestServer } from '../helpers/harness.js';
import { ANON, SUCCESS, assertError, bcError, docref, msg, newMails } from '../helpers/api.js';

const PW32 = 'abcdefghijklmnopqrstuv0123456789';
let srv: TestServer;
let aliceId: number;
let bobId: number;
const seen: ReadMail[] = [];

before(async () => {
  srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '1000/3600' } });
  aliceId = (await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' })).id;
  bobId = (await addUser(srv.services, 'Bob', 'Secret-Pass-2', { email: 'bob@example.org' })).id;
});
after(() => srv.close());

const requests = async () => (await srv.services.db.selectFrom('reset_request').select('rr_id').execute()).length;

/** Runs `fn`, then checks that no reset request was recorded and no mail went out. */
async function nothingHappens(fn: () => Promise<void>): Promise<void> {
  const before = await requests();
  await fn();
  assert.equal(await requests(), before, 'no reset request recorded');
  assert.deepEqual(await newMails(srv, seen), [], 'no mail');
}

const post = (c: Client, params: Record<string, string>, query: Record<string, string> = {}) =>
  c.post({ action: 'resetpassword', ...params }, query);

test('passwordreset-nodata: neither user nor email (or both empty), in both format versions', async () => {
  const c = new Client(srv.api);
  const info = msg(srv, 'passwordreset-nodata');
  await nothingHappens(async () => {
    assertError(await post(c, { token: ANON }), 'passwordreset-nodata', bcError(srv, 1, 'passwordreset-nodata', info));
    assertError(await post(c, { token: ANON, formatversion: '2' }), 'passwordreset-nodata', bcError(srv, 2, 'passwordreset-nodata', info));
    assertError(await post(c, { token: ANON, email: '' }), 'passwordreset-nodata', bcError(srv, 1, 'passwordreset-nodata', info));
  });
});

test('passwordreset-invalidemail: a malformed address is refused', async () => {
  const c = new Client(srv.api);
  await nothingHappens(async () => {
    for (const email of ['not-an-email', 'a@@example.org', 'alice@']) {
      const r = await post(c, { token: ANON, email, formatversion: '2' });
      assertError(r, 'passwordreset-invalidemail', bcError(srv, 2, 'passwordreset-invalidemail', msg(srv, 'passwordreset-invalidemail', email)));
    }
  });
});

test('baduser: an IP, an empty name, "a|b" and "#" are not user names', async () => {
  const c = new Client(srv.api);
  await nothingHappens(async () => {
    for (const user of ['1.2.3.4', '', 'a|b', '#', '2001:db8::1']) {
      for (const fv of [1, 2] as const) {
        const r = await post(c, { token: ANON, user, formatversion: String(fv) });
        assertError(r, 'baduser', bcError(srv, fv, 'baduser', msg(srv, 'paramvalidator-baduser', 'user', user)));
      }
    }
    // The parameter is checked before the token.
    assertError(await post(c, { token: 'abc', user: '1.2.3.4' }), 'baduser');
  });
});

test('missingparam: no token, on POST and on a plain GET', async () => {
  const c = new Client(srv.api);
  const body = (fv: 1 | 2) => bcError(srv, fv, 'missingparam', msg(srv, 'paramvalidator-missingparam', 'token'));
  await nothingHappens(async () => {
    assertError(await post(c, { user: 'Alice' }), 'missingparam', body(1));
    assertError(await post(c, { user: 'Alice', formatversion: '2' }), 'missingparam', body(2));
    assertError(await c.get({ action: 'resetpassword', user: 'Alice', formatversion: '2' }), 'missingparam', body(2));
    const raw = await post(c, { user: 'Alice', formatversion: '2', errorformat: 'raw' });
    assert.deepEqual(raw.json.errors[0].code, 'missingparam');
    assert.equal(raw.json.errors[0].key, 'paramvalidator-missingparam');
    assert.equal(raw.json.errors[0].module, 'resetpassword');
  });
});

test('badtoken: a wrong token, and the anonymous token from a logged-in session', async () => {
  const c = new Client(srv.api);
  const info = msg(srv, 'apierror-badtoken');
  await nothingHappens(async () => {
    assertError(await post(c, { user: 'Alice', token: 'abc' }), 'badtoken', bcError(srv, 1, 'badtoken', info));
    assertError(await post(c, { user: 'Alice', token: 'abc', formatversion: '2' }), 'badtoken', bcError(srv, 2, 'badtoken', info));
    // A real-looking token is still not "+\" for an anonymous user.
    assertError(await post(c, { user: 'Alice', token: `${'0'.repeat(32)}6b0b94cb+\\` }), 'badtoken');
    const bob = new Client(srv.api);
    assert.equal((await bob.login('Bob', 'Secret-Pass-2')).result, 'Success');
    assertError(await post(bob, { user: 'Alice', token: ANON, formatversion: '2' }), 'badtoken', bcError(srv, 2, 'badtoken', info));
  });
});

test('mustpostparams: the token in the query string, on GET and on POST', async () => {
  const c = new Client(srv.api);
  const body = (fv: 1 | 2) => bcError(srv, fv, 'mustpostparams', msg(srv, 'apierror-mustpostparams', 'token', 1));
  await nothingHappens(async () => {
    assertError(await c.get({ action: 'resetpassword', user: 'Alice', token: ANON }), 'mustpostparams', body(1));
    assertError(await c.get({ action: 'resetpassword', user: 'Alice', token: ANON, formatversion: '2' }), 'mustpostparams', body(2));
    assertError(await post(c, { user: 'Alice' }, { token: ANON }), 'mustpostparams', body(1));
    // Everything in the query string and an empty body.
    const r = await c.request('POST', { action: 'resetpassword', user: 'Alice', token: ANON, format: 'json', formatversion: '2' }, {});
    assertError(r, 'mustpostparams', body(2));
    // In the body too does not help: the query string copy is what counts.
    assertError(await post(c, { user: 'Alice', token: ANON }, { token: ANON }), 'mustpostparams', body(1));
  });
});

test('blocked-mailpassword: a requester blocked with account creation disabled; a softer block allows resets', async () => {
  const s = srv.services;
  await s.blocks.add({ userId: bobId, target: 'Bob', by: 'Admin', reason: 'vandalism', createAccount: true });
  const bob = new Client(srv.api);
  assert.equal((await bob.login('Bob', 'Secret-Pass-2')).result, 'Success', 'a blocked account can still log in');
  const token = await bob.token();
  const info = msg(srv, 'blocked-mailpassword');
  await nothingHappens(async () => {
    assertError(await post(bob, { user: 'Alice', token }), 'blocked-mailpassword', bcError(srv, 1, 'blocked-mailpassword', info));
    assertError(await post(bob, { user: 'Bob', token, formatversion: '2' }), 'blocked-mailpassword', bcError(srv, 2, 'blocked-mailpassword', info));
    const pt = await post(bob, { user: 'Bob', token, formatversion: '2', errorformat: 'plaintext' });
    assert.equal(pt.text, JSON.stringify({ errors: [{ code: 'blocked-mailpassword', text: info, module: 'resetpassword' }], docref: docref(srv) }));
  });
  await s.blocks.remove('Bob');

  // An IP block of the anonymous requester's address.
  await s.blocks.add({ userId: 0, target: '127.0.0.1', by: 'Admin', reason: 'open proxy', createAccount: true });
  const anon = new Client(srv.api);
  await nothingHappens(async () => {
    assertError(await post(anon, { user: 'Alice', token: ANON }), 'blocked-mailpassword', bcError(srv, 1, 'blocked-mailpassword', info));
  });
  await s.blocks.add({ userId: 0, target: '127.0.0.1', by: 'Admin', reason: 'edits only', createAccount: false });
  const ok = await post(anon, { user: 'Nobody', token: ANON });
  assert.equal(ok.text, SUCCESS);
  assert.equal(ok.headers.get('mediawiki-api-error'), null);
  await s.blocks.remove('127.0.0.1');
});

test('badaccess: a bot-password session without editmyprivateinfo', async () => {
  await srv.services.botPasswords.set(aliceId, 'app', PW32, ['basic']);
  const bot = new Client(srv.api);
  assert.equal((await bot.login('Alice@app', PW32)).result, 'Success');
  const token = await bot.token();
  assert.notEqual(token, ANON);
  const info = msg(srv, 'badaccess');
  await nothingHappens(async () => {
    assertError(await post(bot, { user: 'Alice', token, formatversion: '2' }), 'badaccess', bcError(srv, 2, 'badaccess', info));
    assertError(await post(bot, { user: 'Alice', token }), 'badaccess', bcError(srv, 1, 'badaccess', info));
    const raw = await post(bot, { user: 'Alice', token, formatversion: '2', errorformat: 'raw' });
    assert.equal(raw.text, JSON.stringify({ errors: [{ code: 'badaccess', key: 'badaccess', params: [], module: 'resetpassword' }], docref: docref(srv) }));
  });
  // A grant that includes editmyprivateinfo makes the same session kind allowed.
  await srv.services.botPasswords.set(aliceId, 'prefs', PW32, ['basic', 'editmyoptions']);
  const bot2 = new Client(srv.api);
  assert.equal((await bot2.login('Alice@prefs', PW32)).result, 'Success');
  assert.equal((await post(bot2, { user: 'Nobody', token: await bot2.token() })).text, SUCCESS);
});

/** Starts a server with `env`, runs `fn`, closes it. */
async function withServer(env: Record<string, string>, fn: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startTestServer({ env });
  try {
    await addUser(s.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
    await fn(s);
  } finally {
    await s.close();
  }
}

test('passwordreset-emaildisabled: MWAUTH_ENABLE_EMAIL=false', async () => {
  await withServer({ MWAUTH_ENABLE_EMAIL: 'false' }, async (s) => {
    const c = new Client(s.api);
    const text = msg(s, 'passwordreset-emaildisabled');
    assertError(await post(c, { user: 'Alice', token: ANON }), 'passwordreset-emaildisabled', bcError(s, 1, 'passwordreset-emaildisabled', text));
    const r = await post(c, { user: 'Alice', token: ANON, formatversion: '2', errorformat: 'plaintext' });
    assertError(r, 'passwordreset-emaildisabled', JSON.stringify({ errors: [{ code: 'passwordreset-emaildisabled', text, module: 'resetpassword' }], docref: docref(s) }));
    await s.flush();
    assert.equal((await s.services.db.selectFrom('outbox').select('ob_id').execute()).length, 0);
  });
});

test('readonly: MWAUTH_READ_ONLY gives the readonly error with its reason; reads still work', async () => {
  const reason = 'Database maintenance until noon';
  await withServer({ MWAUTH_READ_ONLY: reason }, async (s) => {
    const c = new Client(s.api);
    const text = msg(s, 'apierror-readonly');
    assertError(await post(c, { user: 'Alice', token: ANON }), 'readonly', bcError(s, 1, 'readonly', text, { readonlyreason: reason }));
    assertError(await post(c, { user: 'Alice', token: ANON, formatversion: '2' }), 'readonly', bcError(s, 2, 'readonly', text, { readonlyreason: reason }));
    // The check belongs to the main module, so non-bc formats name "main".
    const pt = await post(c, { user: 'Alice', token: ANON, formatversion: '2', errorformat: 'plaintext' });
    assert.equal(pt.text, JSON.stringify({ errors: [{ code: 'readonly', text, data: { readonlyreason: reason }, module: 'main' }], docref: docref(s) }));
    // Token checks come first.
    assertError(await post(c, { user: 'Alice', token: 'abc' }), 'badtoken');
    // Logging in writes too; reading tokens does not.
    assertError(await c.post({ action: 'login', lgname: 'Alice', lgpassword: 'Secret-Pass-1', lgtoken: await c.token('login') }), 'readonly');
    assert.equal((await c.get({ action: 'query', meta: 'tokens' })).text, '{"batchcomplete":"","query":{"tokens":{"csrftoken":"+\\\\"}}}');
    await s.flush();
    assert.equal((await s.services.db.selectFrom('reset_request').select('rr_id').execute()).length, 0);
  });
});

test('moduledisabled: MWAUTH_RESET_ROUTES=none; no token or POST is needed to be told', async () => {
  await withServer({ MWAUTH_RESET_ROUTES: 'none' }, async (s) => {
    const c = new Client(s.api);
    const text = msg(s, 'apierror-moduledisabled', 'resetpassword');
    assertError(await post(c, { user: 'Alice', token: ANON }), 'moduledisabled', bcError(s, 1, 'moduledisabled', text));
    assertError(await c.get({ action: 'resetpassword', formatversion: '2' }), 'moduledisabled', bcError(s, 2, 'moduledisabled', text));
    const info = await c.get({ action: 'paraminfo', modules: 'resetpassword', formatversion: '2' });
    const mod = info.json.paraminfo.modules[0];
    assert.deepEqual(mod.parameters, []);
    assert.equal(mod.mustbeposted, undefined);
    assert.equal(mod.writerights, undefined);
  });
});

test('a route turned off: its parameter is unrecognized (warning) and ignored', async () => {
  await withServer({ MWAUTH_RESET_ROUTES: 'username' }, async (s) => {
    const c = new Client(s.api);
    const r = await post(c, { user: 'Nobody', email: 'alice@example.org', token: ANON, formatversion: '2' });
    const warning = msg(s, 'apierror-unrecognizedparams', 'email', 1);
    assert.equal(r.text, JSON.stringify({ warnings: { main: { warnings: warning } }, resetpassword: { status: 'success' } }));
    // Only the email given: nothing usable is left.
    assertError(await post(c, { email: 'alice@example.org', token: ANON }), 'passwordreset-nodata');
    const params = (await c.get({ action: 'paraminfo', modules: 'resetpassword' })).json.paraminfo.modules[0].parameters;
    assert.deepEqual(params.map((p: { name: string }) => p.name), ['user', 'token']);
    await s.flush();
    assert.equal((await s.services.db.selectFrom('outbox').select('ob_id').execute()).length, 0, 'the ignored email was not used');
  });
  await withServer({ MWAUTH_RESET_ROUTES: 'email' }, async (s) => {
    const c = new Client(s.api);
    const r: ApiReply = await post(c, { user: 'Nobody', email: 'alice@example.org', token: ANON });
    const warning = msg(s, 'apierror-unrecognizedparams', 'user', 1);
    assert.equal(r.text, JSON.stringify({ warnings: { main: { '*': warning } }, resetpassword: { status: 'success' } }));
    await s.flush();
    const out = await s.services.db.selectFrom('outbox').select(['ob_to']).execute();
    assert.deepEqual(out.map((o) => o.ob_to), ['alice@example.org'], 'the email route was used');
  });
});
