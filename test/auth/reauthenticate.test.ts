// A password change needs a recent login with the password (MediaWiki's security-sensitive
// "ChangeCredentials" operation, $wgReauthenticateTime one hour): a session cookie that was stolen or
// left behind, or a login a "remember me" cookie brought back, cannot replace the account's password.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ManualClock, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { assertError } from '../helpers/api.js';
import { PageClient, tokenOf } from '../web/helpers.js';

const clock = new ManualClock(Date.UTC(2026, 9, 1, 12));
let srv: TestServer;
const HOUR = 3600_000;

before(async () => {
  srv = await startTestServer({ clock });
});
after(() => srv.close());

async function change(c: Client, password: string, request = 'MediaWiki\\Auth\\PasswordAuthenticationRequest') {
  return c.post({ action: 'changeauthenticationdata', changeauthrequest: request, password, retype: password, changeauthtoken: await c.token() });
}

async function securityStatus(c: Client): Promise<string> {
  const r = await c.get({ action: 'query', meta: 'authmanagerinfo', amisecuritysensitiveoperation: 'ChangeCredentials', formatversion: '2' });
  return r.json.query.authmanagerinfo.securitysensitiveoperationstatus;
}

test('changeauthenticationdata: within the hour after a login it changes; after it, "reauthenticate" (before any other check) until the next login', async () => {
  await addUser(srv.services, 'Rhea', 'Rhea-Pass-1', { email: 'rhea@example.org' });
  const c = new Client(srv.api);
  assert.equal((await c.login('Rhea', 'Rhea-Pass-1')).result, 'Success');
  clock.advance(HOUR / 2 + 1000);
  await securityStatus(c); // the session is used: its idle time (an hour) starts again
  clock.advance(HOUR / 2 - 2000);
  assert.equal(await securityStatus(c), 'ok');
  assert.equal((await change(c, 'Rhea-Pass-2')).json.changeauthenticationdata.status, 'success');

  clock.advance(HOUR / 2 + 1000);
  await securityStatus(c);
  clock.advance(HOUR / 2 + 1000);
  assert.equal(await securityStatus(c), 'reauth');
  assertError(await change(c, 'Rhea-Pass-3'), 'reauthenticate');
  // As in MediaWiki, it comes before the request's own checks.
  assertError(await change(c, 'Rhea-Pass-3', 'Bogus'), 'reauthenticate');
  const still = await new Client(srv.api).login('Rhea', 'Rhea-Pass-2');
  assert.equal(still.result, 'Success', 'the password did not change');

  assert.equal((await c.login('Rhea', 'Rhea-Pass-2')).result, 'Success');
  assert.equal((await change(c, 'Rhea-Pass-3')).json.changeauthenticationdata.status, 'success');
});

test('a login a "remember me" cookie brought back must log in again before changing the password', async () => {
  await addUser(srv.services, 'Remy', 'Remy-Pass-1', { email: 'remy@example.org' });
  const c = new Client(srv.api);
  assert.equal((await c.login('Remy', 'Remy-Pass-1')).result, 'Success');
  const session = `${srv.services.config.cookiePrefix}_session`;
  // The browser closed: the session cookie is gone, the Token and UserID cookies bring the login back.
  c.cookies.delete(session);
  const who = await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' });
  assert.equal(who.json.query.userinfo.name, 'Remy');
  assert.equal(await securityStatus(c), 'reauth');
  assertError(await change(c, 'Remy-Pass-2'), 'reauthenticate');
});

test('Special:ChangePassword: a stale login is sent to log in again (force), and then the change goes through', async () => {
  await addUser(srv.services, 'Pia', 'Pia-Pass-1', { email: 'pia@example.org' });
  const b = new PageClient(srv.url);
  assert.equal((await b.submit('/wiki/Special:UserLogin', { wpName: 'Pia', wpPassword: 'Pia-Pass-1' })).status, 303);
  const early = await b.get('/wiki/Special:ChangePassword');
  assert.equal(early.status, 200, 'a fresh login may change the password');
  // Used now and then, the session stays (its idle time is an hour too); the login in it grows old.
  for (let i = 0; i < 3; i++) {
    clock.advance(HOUR / 2 + 1000);
    assert.ok((await b.get('/wiki/Main_Page')).html.includes('Pia'));
  }
  const sent = await b.get('/wiki/Special:ChangePassword');
  assert.equal(sent.status, 303);
  const to = new URL(sent.location!, srv.url);
  assert.equal(to.pathname, '/wiki/Special:UserLogin');
  assert.equal(to.searchParams.get('returnto'), 'Special:ChangePassword');
  const login = await b.get(to.pathname + to.search);
  assert.ok(login.html.includes(srv.services.i18n.text('en', 'web-changepassword-reauth')));
  // A form posted from a page loaded before the hour ran out is refused the same way.
  const posted = await b.request('POST', '/wiki/Special:ChangePassword', { wpEditToken: tokenOf(early.html), wpNewPassword: 'Pia-Pass-2', wpRetype: 'Pia-Pass-2' });
  assert.equal(posted.status, 303);
  assert.equal((await new Client(srv.api).login('Pia', 'Pia-Pass-1')).result, 'Success', 'unchanged');

  const again = await b.submit(to.pathname + to.search, { wpName: 'Pia', wpPassword: 'Pia-Pass-1', returnto: 'Special:ChangePassword', force: '1' });
  assert.equal(again.status, 303);
  assert.equal(new URL(again.location!, srv.url).pathname, '/wiki/Special:ChangePassword');
  const done = await b.submit('/wiki/Special:ChangePassword', { wpNewPassword: 'Pia-Pass-2', wpRetype: 'Pia-Pass-2' });
  assert.equal(done.status, 200);
  assert.ok(done.html.includes(srv.services.i18n.text('en', 'web-changepassword-done')));
  assert.equal((await new Client(srv.api).login('Pia', 'Pia-Pass-2')).result, 'Success');
});
