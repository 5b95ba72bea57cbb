// nodemw 0.27.0 (npm), unmodified: programs/nodemw-client.cjs is a script written the way nodemw's
// README shows, run in its own process.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  ALICE, BOB, CAROL, CHANGERS, checkOnlyNewPasswordWorks, checkResetMail, checkTempPasswordUI, context, programs, required,
  result, run, SESSION_TOKEN, skipUnless, SUCCESS, type Run, type Shared,
} from '../harness.js';

const VERSION = '0.27.0';
function installed(): boolean {
  try {
    return createRequire(import.meta.url)('nodemw/package.json').version === VERSION;
  } catch {
    return false;
  }
}

export function nodemwSuite(shared: Shared): void {
  const ok = installed();
  const NADIA = CHANGERS.nodemw;
  let botRun: { out: any; ctx: string } | null = null;

  const nodemw = (args: Record<string, unknown>, env: Record<string, string> = {}): Promise<Run> =>
    run(process.execPath, [join(programs, 'nodemw-client.cjs'), JSON.stringify({ port: shared.server.port, ...args })], { env });

  describe(`nodemw ${VERSION}`, { skip: skipUnless(ok, `npm package nodemw@${VERSION} is not installed (npm ci)`) }, () => {
    test('bot password: token-less action=login → NeedToken → Success; csrf token; POST resetpassword by user name', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      // DEBUG=1 makes nodemw log each step, so the NeedToken round shows.
      const r = await nodemw({ mode: 'reset', username: `${ALICE.name}@app`, password: shared.botPassword, user: BOB.name }, { DEBUG: '1' });
      const ctx = context('nodemw bot password, user=Bob', r, server);
      assert.equal(r.code, 0, ctx);
      const { result: out } = result(r);
      assert.match(r.stdout, /"message":"Got token [0-9a-f]+\+\\\\"/, `nodemw did not go through NeedToken:\n${ctx}`);
      assert.match(r.stdout, /"message":"Logged in as Alice"/, ctx);
      assert.doesNotMatch(r.stdout + r.stderr, /"level":"error"/, ctx);
      assert.deepEqual(out.login, { result: 'Success', lguserid: out.login.lguserid, lgusername: ALICE.name }, ctx);
      assert.equal(typeof out.login.lguserid, 'number');
      // getMediaWikiVersion() reads general.generator; 1.24 or later makes getToken() use meta=tokens.
      assert.match(out.version, /^1\.(2[4-9]|[3-9]\d)(\.\d+)*$/, ctx);
      assert.match(out.csrfToken, SESSION_TOKEN, ctx);
      assert.equal(out.whoami.name, ALICE.name, ctx);
      assert.deepEqual(out.reset, SUCCESS.resetpassword, ctx);
      assert.deepEqual(out.resetRaw, SUCCESS, ctx);
      checkResetMail(await server.waitForMail(seen, BOB.email), BOB.name, ALICE.name);
      botRun = { out, ctx };
    });

    test('bot password session: bot.whoami() (uiprop=…|email) shows no email address without the privateinfo grant', () => {
      // MediaWiki 1.39 (ApiQueryUserInfo) adds `email` only when the session has viewmyprivateinfo; the
      // grants basic+editmyoptions do not give it (checked against MediaWiki 1.39.17).
      assert.ok(botRun, 'the bot-password run above did not finish');
      assert.equal(botRun.out.whoami.name, ALICE.name);
      assert.ok(!('email' in botRun.out.whoami), `whoami of a bot-password session without privateinfo shows the email: ${JSON.stringify(botRun.out.whoami)}`);
    });

    test('main account: NeedToken → Success, then resetpassword by email; whoami shows the own email', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r = await nodemw({ mode: 'reset', username: ALICE.name, password: ALICE.password, email: CAROL.email });
      const ctx = context('nodemw main account, email=carol@…', r, server);
      assert.equal(r.code, 0, ctx);
      const { result: out, otherStdout } = result(r);
      assert.deepEqual(otherStdout, [], ctx);
      assert.equal(out.login.result, 'Success', ctx);
      assert.equal(out.login.lgusername, ALICE.name, ctx);
      assert.match(out.csrfToken, SESSION_TOKEN, ctx);
      assert.equal(out.whoami.name, ALICE.name, ctx);
      assert.equal(out.whoami.email, ALICE.email, ctx);
      assert.deepEqual(out.resetRaw, SUCCESS, ctx);
      checkResetMail(await server.waitForMail(seen, CAROL.email), CAROL.name, ALICE.name);
    });

    test('the temporary password through action=clientlogin (bot.api.call), the forced change, then logIn with the new password', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r1 = await nodemw({ mode: 'reset', username: `${ALICE.name}@app`, password: shared.botPassword, user: NADIA.name });
      assert.equal(r1.code, 0, context(`nodemw reset for ${NADIA.name}`, r1, server));
      const temp = checkResetMail(await server.waitForMail(seen, NADIA.email), NADIA.name, ALICE.name);

      const newPassword = `${NADIA.name}-New-Pass-9`;
      const r = await nodemw({ mode: 'clientlogin', username: NADIA.name, tempPassword: temp, newPassword, returnUrl: `${server.base}/` });
      const ctx = context('nodemw clientlogin', r, server);
      assert.equal(r.code, 0, ctx);
      const { result: out } = result(r);
      checkTempPasswordUI(out.ui, ctx);
      assert.deepEqual(out.change, { status: 'PASS', username: NADIA.name }, ctx);
      assert.equal(out.whoamiAfterChange.name, NADIA.name, ctx);
      assert.equal(out.relogin.result, 'Success', ctx);
      assert.equal(out.relogin.lgusername, NADIA.name, ctx);
      await checkOnlyNewPasswordWorks(server.api, NADIA.name, { old: NADIA.password, temp, new: newPassword });
    });
  });

  test(`nodemw ${VERSION} is installed`, () => {
    if (required) assert.ok(ok, `nodemw@${VERSION} is required (MWAUTH_REQUIRE_CLIENTS=1)`);
  });
}
