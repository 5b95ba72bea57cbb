// meta=tokens and the session behind it: token formats, the session cookie and its flags, session
// ids that change at login and logout, and tokens that stop working with their session.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { ANON, SUCCESS, TOKEN_RE, assertError, bcError, msg, setCookie } from '../helpers/api.js';

let srv: TestServer;
let session: string;
before(async () => {
  srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '1000/3600' } });
  session = `${srv.services.config.cookiePrefix}_session`;
  await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
});
after(() => srv.close());

const TYPES = ['createaccount', 'csrf', 'login', 'patrol', 'rollback', 'userrights', 'watch'];

test('meta=tokens: csrf by default; anonymous csrf is "+\\" and starts no session', async () => {
  const c = new Client(srv.api);
  const r1 = await c.get({ action: 'query', meta: 'tokens' });
  assert.equal(r1.text, '{"batchcomplete":"","query":{"tokens":{"csrftoken":"+\\\\"}}}');
  assert.equal(r1.headers.getSetCookie().length, 0);
  const r2 = await c.get({ action: 'query', meta: 'tokens', formatversion: '2' });
  assert.equal(r2.text, '{"batchcomplete":true,"query":{"tokens":{"csrftoken":"+\\\\"}}}');
  assert.equal(r2.json.query.tokens.csrftoken, ANON);
});

test('type=*: all seven types, sorted; the anonymous CSRF-type ones are "+\\", login and createaccount are real', async () => {
  const c = new Client(srv.api);
  const r = await c.get({ action: 'query', meta: 'tokens', type: '*' });
  const tokens = r.json.query.tokens as Record<string, string>;
  assert.deepEqual(Object.keys(tokens), TYPES.map((t) => `${t}token`));
  for (const t of ['csrf', 'patrol', 'rollback', 'userrights', 'watch']) assert.equal(tokens[`${t}token`], ANON, t);
  for (const t of ['login', 'createaccount']) assert.match(tokens[`${t}token`]!, TOKEN_RE, t);
  assert.notEqual(tokens.logintoken, tokens.createaccounttoken);
  assert.equal(tokens.logintoken!.length, 42, '32 + 8 hex digits + "+\\"');
  assert.ok(setCookie(r, session), 'a real token persists the session');
  // The same session gives the same login token within the second, and a valid one later.
  const again = await c.token('login');
  assert.match(again, TOKEN_RE);
});

test('the session cookie: HttpOnly, SameSite=Lax, path=/, no expiry, not Secure over http', async () => {
  const c = new Client(srv.api);
  const r = await c.get({ action: 'query', meta: 'tokens', type: 'login' });
  const line = setCookie(r, session)!;
  assert.ok(line, 'login token GET sets the session cookie');
  const [pair, ...attrs] = line.split(/;\s*/);
  assert.match(pair!, new RegExp(`^${session}=[0-9a-v]{32}$`));
  const lower = attrs.map((a) => a.toLowerCase());
  assert.ok(lower.includes('httponly'));
  assert.ok(lower.includes('samesite=lax'));
  assert.ok(lower.includes('path=/'));
  assert.ok(!lower.includes('secure'));
  assert.ok(!lower.some((a) => a.startsWith('expires=') || a.startsWith('max-age=')), 'a browser-session cookie');
  // A second token request in the same session does not set it again.
  const r2 = await c.get({ action: 'query', meta: 'tokens', type: 'login' });
  assert.equal(setCookie(r2, session), undefined);
});

test('the session cookie is Secure when MWAUTH_SERVER is https', async () => {
  const s = await startTestServer({ env: { MWAUTH_SERVER: 'https://wiki.test' } });
  try {
    const r = await new Client(s.api).get({ action: 'query', meta: 'tokens', type: 'login' });
    const line = setCookie(r, `${s.services.config.cookiePrefix}_session`)!;
    assert.ok(line.split(/;\s*/).map((a) => a.toLowerCase()).includes('secure'), line);
  } finally {
    await s.close();
  }
});

test('the session id changes at login and at logout; the old csrf token dies with the logout', async () => {
  const c = new Client(srv.api);
  await c.token('login');
  const anonId = c.cookies.get(session)!;
  assert.ok(anonId);
  assert.equal((await c.login('Alice', 'Secret-Pass-1')).result, 'Success');
  const loggedId = c.cookies.get(session)!;
  assert.ok(loggedId);
  assert.notEqual(loggedId, anonId, 'a new id at login');

  const csrf = await c.token();
  assert.notEqual(csrf, ANON);
  assert.match(csrf, TOKEN_RE);
  // The logged-in token validates (a write with it succeeds).
  assert.equal((await c.post({ action: 'resetpassword', user: 'Nobody', token: csrf })).text, SUCCESS);
  // ...and the anonymous one does not.
  assertError(await c.post({ action: 'resetpassword', user: 'Nobody', token: ANON }), 'badtoken');

  const out = await c.post({ action: 'logout', token: csrf });
  assert.equal(out.text, '{}');
  const deleted = setCookie(out, session)!;
  assert.match(deleted, /Max-Age=0/i);
  assert.match(setCookie(out, `${srv.services.config.cookiePrefix}UserID`)!, /Max-Age=0/i, 'a logged-in logout clears UserID');
  assert.equal(c.cookies.get(session), undefined);
  assert.equal((await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0);

  const badtoken = bcError(srv, 1, 'badtoken', msg(srv, 'apierror-badtoken'));
  assertError(await c.post({ action: 'logout', token: csrf }), 'badtoken', badtoken);
  assertError(await c.post({ action: 'resetpassword', user: 'Nobody', token: csrf }), 'badtoken', badtoken);

  await c.token('login');
  const newId = c.cookies.get(session)!;
  assert.ok(newId);
  assert.ok(newId !== anonId && newId !== loggedId, 'a fresh id after logout');
  // A stolen copy of the logged-in id is worth nothing now.
  const thief = new Client(srv.api);
  thief.cookies.set(session, loggedId);
  assert.equal((await thief.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0);
});

test('an anonymous logout clears the session cookie only, as MediaWiki does (UserID stays)', async () => {
  const c = new Client(srv.api);
  await c.get({ action: 'query', meta: 'tokens', type: 'login|csrf' });
  const out = await c.post({ action: 'logout', token: ANON });
  assert.equal(out.text, '{}');
  assert.match(setCookie(out, session)!, /Max-Age=0/i);
  assert.equal(setCookie(out, `${srv.services.config.cookiePrefix}UserID`), undefined);
});

test('tokens are bound to their session: another session\'s login token is WrongToken, a tampered one too', async () => {
  const a = new Client(srv.api);
  const b = new Client(srv.api);
  const ta = await a.token('login');
  await b.token('login');
  const r = await b.post({ action: 'login', lgname: 'Alice', lgpassword: 'Secret-Pass-1', lgtoken: ta });
  assert.equal(r.text, '{"login":{"result":"WrongToken"}}');
  const tampered = (ta[0] === 'a' ? 'b' : 'a') + ta.slice(1);
  assert.equal((await a.post({ action: 'login', lgname: 'Alice', lgpassword: 'Secret-Pass-1', lgtoken: tampered })).text, '{"login":{"result":"WrongToken"}}');
  // An old (earlier-second) token of the same session is still good: no maximum age.
  assert.equal((await a.login('Alice', 'Secret-Pass-1')).result, 'Success');
  const csrf = await a.token();
  await new Promise((r) => setTimeout(r, 1100));
  assert.notEqual(await a.token(), csrf, 'a new timestamp');
  assert.equal((await a.post({ action: 'resetpassword', user: 'Nobody', token: csrf })).text, SUCCESS);
});
