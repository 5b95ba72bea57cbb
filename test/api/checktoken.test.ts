// action=checktoken: valid, expired (maxtokenage) or invalid for this session, with the token's time;
// anonymous "+\", the percent-encoding warning, parameter errors, and no session crossing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ManualClock, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { ANON, assertError, cookieNames } from '../helpers/api.js';
import { isoTimestamp } from '../../src/util/clock.js';

let srv: TestServer;
const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
before(async () => {
  srv = await startTestServer({ clock, env: { MWAUTH_SESSION_IDLE: '86400' } });
  await addUser(srv.services, 'Alice', 'Secret-Pass-1');
});
after(() => srv.close());

const check = async (c: Client, p: Record<string, string>) => {
  const r = await c.get({ action: 'checktoken', formatversion: '2', ...p });
  assert.equal(r.headers.get('mediawiki-api-error'), null, r.text);
  return r.json.checktoken;
};

test('a login token: valid with its time; maxtokenage makes an older one "expired", never a wrong one', async () => {
  const c = new Client(srv.api);
  const made = clock.now();
  const token = await c.token('login');
  const generated = isoTimestamp(made);
  assert.deepEqual(await check(c, { type: 'login', token }), { result: 'valid', generated });
  clock.advance(100_000);
  assert.deepEqual(await check(c, { type: 'login', token, maxtokenage: '100' }), { result: 'valid', generated }, 'exactly maxtokenage old');
  assert.deepEqual(await check(c, { type: 'login', token, maxtokenage: '99' }), { result: 'expired', generated });
  assert.deepEqual(await check(c, { type: 'login', token, maxtokenage: '0' }), { result: 'expired', generated });
  assert.deepEqual(await check(c, { type: 'login', token }), { result: 'valid', generated }, 'no maximum age without maxtokenage');
  // The same token is not a token of another type, nor of another session.
  assert.deepEqual(await check(c, { type: 'createaccount', token }), { result: 'invalid', generated });
  assert.deepEqual(await check(c, { type: 'login', token, maxtokenage: '-5' }), { result: 'expired', generated });
  const other = new Client(srv.api);
  await other.token('login');
  assert.deepEqual(await check(other, { type: 'login', token }), { result: 'invalid', generated });
  // A wrong token is invalid, whatever its age: a forged HMAC with a fresh time does not pass as expired.
  const forged = '0'.repeat(32) + Math.floor(clock.now() / 1000).toString(16) + '+\\';
  assert.deepEqual(await check(c, { type: 'login', token: forged, maxtokenage: '10' }), { result: 'invalid', generated: isoTimestamp(Math.floor(clock.now() / 1000) * 1000) });
  // fv1 prints the same.
  assert.equal((await c.get({ action: 'checktoken', type: 'login', token })).text, JSON.stringify({ checktoken: { result: 'valid', generated } }));
});

test('anonymous CSRF-type tokens are "+\\": valid at any age; a logged-in session\'s are real', async () => {
  const c = new Client(srv.api);
  for (const type of ['csrf', 'watch', 'patrol', 'rollback', 'userrights']) {
    assert.deepEqual(await check(c, { type, token: ANON }), { result: 'valid' }, type);
    assert.deepEqual(await check(c, { type, token: ANON, maxtokenage: '-5' }), { result: 'valid' }, type);
  }
  assert.deepEqual(await check(c, { type: 'createaccount', token: ANON }), { result: 'invalid' }, 'createaccount tokens are real for everyone');
  assert.deepEqual(await check(c, { type: 'csrf', token: 'abc' }), { result: 'invalid' });

  const alice = new Client(srv.api);
  assert.equal((await alice.login('Alice', 'Secret-Pass-1')).result, 'Success');
  const csrf = await alice.token('csrf');
  const generated = isoTimestamp(Math.floor(clock.now() / 1000) * 1000);
  assert.deepEqual(await check(alice, { type: 'csrf', token: csrf }), { result: 'valid', generated });
  assert.deepEqual(await check(alice, { type: 'csrf', token: ANON }), { result: 'invalid' }, 'logged in, "+\\" is no token');
  assert.deepEqual(await check(alice, { type: 'patrol', token: csrf }), { result: 'invalid', generated }, 'the salt differs');
  assert.deepEqual(await check(c, { type: 'csrf', token: csrf }), { result: 'invalid', generated }, 'not in an anonymous session');
});

test('"+" sent unencoded arrives as a space: a warning says so', async () => {
  const c = new Client(srv.api);
  const r = await c.get({ action: 'checktoken', type: 'csrf', token: ' \\', formatversion: '2' });
  assert.deepEqual(Object.keys(r.json), ['warnings', 'checktoken']);
  assert.deepEqual(r.json.checktoken, { result: 'invalid' });
  assert.equal(r.json.warnings.checktoken.warnings, srv.services.i18n.text('en', 'apiwarn-checktoken-percentencoding'));
  const raw = await c.get({ action: 'checktoken', type: 'csrf', token: ' \\', formatversion: '2', errorformat: 'raw' });
  assert.deepEqual(raw.json.warnings, [{ code: 'checktoken-percentencoding', key: 'apiwarn-checktoken-percentencoding', params: [], module: 'checktoken' }]);
});

test('odd tokens: no time for a malformed one, the largest times shown, a huge one invalid without an error', async () => {
  const c = new Client(srv.api);
  assert.deepEqual(await check(c, { type: 'login', token: '0'.repeat(32) + 'ffffffff+\\' }), { result: 'invalid', generated: '2106-02-07T06:28:15Z' });
  assert.deepEqual(await check(c, { type: 'login', token: '0'.repeat(34) + '+\\' }), { result: 'invalid', generated: '1970-01-01T00:00:00Z' });
  for (const token of ['0'.repeat(32) + 'f'.repeat(23) + '+\\', 'ZZ' + '0'.repeat(40) + '+\\', '0'.repeat(42), '+\\', 'x']) {
    const r = await check(c, { type: 'login', token, maxtokenage: '5' });
    assert.equal(r.result, 'invalid', token);
    assert.equal(r.generated, undefined, token);
  }
});

test('parameters: type and token required, type one of the seven, maxtokenage an integer; GET and POST; the session', async () => {
  const c = new Client(srv.api);
  assertError(await c.get({ action: 'checktoken', type: 'csrf' }), 'missingparam');
  assertError(await c.get({ action: 'checktoken', type: 'csrf', token: '' }), 'missingparam');
  assertError(await c.get({ action: 'checktoken', token: 'abc' }), 'missingparam');
  assertError(await c.get({ action: 'checktoken', type: 'foo', token: 'abc' }), 'badvalue');
  assertError(await c.get({ action: 'checktoken', type: '', token: 'abc' }), 'badvalue');
  assertError(await c.get({ action: 'checktoken', type: 'csrf', token: 'abc', maxtokenage: 'abc' }), 'badinteger');
  assert.deepEqual((await c.post({ action: 'checktoken', type: 'csrf', token: ANON, formatversion: '2' })).json, { checktoken: { result: 'valid' } });
  // Asking about a login token starts the session that will hold it, as meta=tokens would.
  const fresh = new Client(srv.api);
  const r = await fresh.get({ action: 'checktoken', type: 'login', token: 'abc' });
  assert.ok(cookieNames(r).includes(`${srv.services.config.cookiePrefix}_session`));
  // JSONP answers for an anonymous session and starts none.
  const jsonp = await c.get({ action: 'checktoken', type: 'login', token: 'abc', callback: 'cb' });
  assert.equal(jsonp.text, '/**/cb({"checktoken":{"result":"invalid"}})');
  assert.deepEqual(cookieNames(jsonp), []);
  const info = (await c.get({ action: 'paraminfo', modules: 'checktoken', formatversion: '2' })).json.paraminfo.modules[0];
  assert.deepEqual(info.parameters.map((p: { name: string; type: unknown }) => [p.name, p.type]), [
    ['type', ['createaccount', 'csrf', 'login', 'patrol', 'rollback', 'userrights', 'watch']], ['token', 'string'], ['maxtokenage', 'integer'],
  ]);
  assert.equal(info.parameters[1].sensitive, true);
  assert.equal(info.mustbeposted, undefined);
});
