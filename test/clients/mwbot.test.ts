// mwbot 2.1.3 (npm), unmodified: programs/mwbot-client.cjs is a script written the way mwbot's README
// shows, run in its own process against `mwauth serve` (test/ecosystem/harness.ts). It logs in with a bot
// password and with a main account (mwbot's token-less action=login, then NeedToken), fetches tokens,
// checks one with action=checktoken, asks for resets (the mail arrives), signs up with validatepassword
// and createaccount, and takes a mailed temporary password through action=clientlogin.
// mwbot 2.3.3, the newest, cannot be installed: it needs semlog ^0.7.0, which the registry does not hold.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ALICE, BOB, CAROL, SESSION_TOKEN, SUCCESS, checkOnlyNewPasswordWorks, checkResetMail, checkTempPasswordUI, context, required, result, run,
  skipUnless, startServer, type EcoServer, type Run,
} from '../ecosystem/harness.js';

const VERSION = '2.1.3';
const programs = join(dirname(fileURLToPath(import.meta.url)), 'programs');
const MONA = { name: 'Mona', password: 'Secret-Pass-16', email: 'mona@example.org' };

function installed(): boolean {
  try {
    return createRequire(import.meta.url)('mwbot/package.json').version === VERSION;
  } catch {
    return false;
  }
}
const ok = installed();

describe(`mwbot ${VERSION}`, { skip: skipUnless(ok, `npm package mwbot@${VERSION} is not installed (npm ci)`) }, () => {
  let server: EcoServer;
  let botPassword = '';
  before(async () => {
    server = await startServer('mwbot', [ALICE, BOB, CAROL, MONA], [{ name: ALICE.name, app: 'app', grants: 'basic,editmyoptions' }]);
    botPassword = server.botPasswords.get(`${ALICE.name}@app`)!;
  });
  after(async () => {
    await server?.stop();
  });

  const mwbot = (args: Record<string, unknown>): Promise<Run> =>
    run(process.execPath, [join(programs, 'mwbot-client.cjs'), JSON.stringify({ api: server.api, ...args })], { cwd: programs });

  test('bot password: login, siteinfo version, csrf token (checktoken: valid), resetpassword by user name; the mail arrives', async () => {
    const seen = new Set(server.emlFiles());
    const r = await mwbot({ mode: 'reset', username: `${ALICE.name}@app`, password: botPassword, user: BOB.name });
    const ctx = context('mwbot bot password, user=Bob', r, server);
    assert.equal(r.code, 0, ctx);
    const { result: out } = result(r);
    assert.equal(out.login.result, 'Success', ctx);
    assert.equal(out.login.lgusername, ALICE.name, ctx);
    assert.equal(typeof out.login.lguserid, 'number', ctx);
    assert.match(out.login.generator, /^MediaWiki 1\.39\./, ctx);
    assert.equal(out.mwversion, '1.39.17', 'mwbot reads the version from siteinfo');
    assert.match(out.csrfToken, SESSION_TOKEN, ctx);
    assert.equal(out.checktoken.result, 'valid', ctx);
    assert.match(out.checktoken.generated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, ctx);
    assert.equal(out.whoami.name, ALICE.name, ctx);
    assert.deepEqual(out.reset, SUCCESS, ctx);
    checkResetMail(await server.waitForMail(seen, BOB.email), BOB.name, ALICE.name);
  });

  test('main account: login (with its deprecation warning), resetpassword by email address; the mail arrives', async () => {
    const seen = new Set(server.emlFiles());
    const r = await mwbot({ mode: 'reset', username: ALICE.name, password: ALICE.password, email: CAROL.email });
    const ctx = context('mwbot main account, email=carol@…', r, server);
    assert.equal(r.code, 0, ctx);
    const { result: out } = result(r);
    assert.equal(out.login.result, 'Success', ctx);
    assert.equal(out.login.lgusername, ALICE.name, ctx);
    assert.match(out.csrfToken, SESSION_TOKEN, ctx);
    assert.equal(out.whoami.name, ALICE.name, ctx);
    assert.deepEqual(out.reset, SUCCESS, ctx);
    checkResetMail(await server.waitForMail(seen, CAROL.email), CAROL.name, ALICE.name);
  });

  test('not logged in: the csrf token is "+\\" (checktoken: valid) and the reset is asked by the IP address', async () => {
    const seen = new Set(server.emlFiles());
    const r = await mwbot({ mode: 'reset', user: BOB.name });
    const ctx = context('mwbot anonymous, user=Bob', r, server);
    assert.equal(r.code, 0, ctx);
    const { result: out } = result(r);
    assert.equal(out.csrfToken, '+\\', ctx);
    assert.deepEqual(out.checktoken, { result: 'valid' }, ctx);
    assert.equal(out.whoami.id, 0, ctx);
    assert.deepEqual(out.reset, SUCCESS, ctx);
    checkResetMail(await server.waitForMail(seen, BOB.email), BOB.name, null);
  });

  test('a wrong password: mwbot rejects the login with the "Failed" result', async () => {
    const r = await mwbot({ mode: 'wrongPassword', username: ALICE.name, password: 'not-the-password' });
    const { result: out } = result(r);
    assert.equal(out.loggedIn, false, context('mwbot wrong password', r, server));
    assert.equal(out.error, 'Could not login: Failed');
    assert.equal(typeof out.reason, 'string');
  });

  test('sign-up: createaccount token, validatepassword, createaccount (email and real name kept), then a login as the new account', async () => {
    const r = await mwbot({ mode: 'signup', name: 'Newcomer', newPassword: 'Newcomer-Pass-42', email: 'newcomer@example.org', realname: 'New Comer', returnUrl: `${server.base}/` });
    const ctx = context('mwbot sign-up', r, server);
    assert.equal(r.code, 0, ctx);
    const { result: out } = result(r);
    assert.match(out.createaccountToken, SESSION_TOKEN, ctx);
    assert.deepEqual(out.validate, { validity: 'Good' }, ctx);
    assert.equal(out.weak.validity, 'Change', ctx);
    assert.equal(out.weak.validitymessages[0].code, 'passwordincommonlist', ctx);
    assert.deepEqual(out.created, { status: 'PASS', username: 'Newcomer' }, ctx);
    assert.equal(out.again.status, 'FAIL', ctx);
    assert.equal(out.again.messagecode, 'userexists', ctx);
    assert.deepEqual(out.login, { result: 'Success', lgusername: 'Newcomer' }, ctx);
    assert.equal(out.whoami.email, 'newcomer@example.org', ctx);
    assert.equal(out.whoami.realname, 'New Comer', ctx);
  });

  test('the temporary password from a reset mail through action=clientlogin, the forced change, then login with the new password', async () => {
    const seen = new Set(server.emlFiles());
    const r1 = await mwbot({ mode: 'reset', user: MONA.name });
    assert.equal(r1.code, 0, context('mwbot reset for Mona', r1, server));
    const temp = checkResetMail(await server.waitForMail(seen, MONA.email), MONA.name, null);
    const newPassword = 'Mona-New-Pass-9';
    const r = await mwbot({ mode: 'clientlogin', name: MONA.name, tempPassword: temp, newPassword, returnUrl: `${server.base}/` });
    const ctx = context('mwbot clientlogin', r, server);
    assert.equal(r.code, 0, ctx);
    const { result: out } = result(r);
    checkTempPasswordUI(out.ui, ctx);
    assert.deepEqual(out.change, { status: 'PASS', username: MONA.name }, ctx);
    assert.equal(out.whoamiAfterChange.name, MONA.name, ctx);
    assert.deepEqual(out.relogin, { result: 'Success', lgusername: MONA.name }, ctx);
    await checkOnlyNewPasswordWorks(server.api, MONA.name, { old: MONA.password, temp, new: newPassword });
  });
});

test(`mwbot ${VERSION} is installed`, () => {
  if (required) assert.ok(ok, `mwbot@${VERSION} is required (MWAUTH_REQUIRE_CLIENTS=1)`);
});
