// mwn 3.0.3 (npm), unmodified: programs/mwn-client.ts is a bot written the way mwn's users write one,
// run in its own process so that everything mwn prints can be checked.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  ALICE, BOB, CAROL, CHANGERS, checkOnlyNewPasswordWorks, checkResetMail, checkTempPasswordUI, context, programs, required,
  result, run, SESSION_TOKEN, skipUnless, SUCCESS, type Run, type Shared,
} from '../harness.js';

const VERSION = '3.0.3';
function installed(): boolean {
  try {
    return createRequire(import.meta.url)('mwn/package.json').version === VERSION;
  } catch {
    return false;
  }
}

export function mwnSuite(shared: Shared): void {
  const ok = installed();
  const OSCAR = CHANGERS.mwn;

  const mwn = (args: Record<string, unknown>): Promise<Run> =>
    run(process.execPath, ['--import', 'tsx', join(programs, 'mwn-client.ts'), JSON.stringify({ apiUrl: shared.server.api, ...args })]);

  /** The lines mwn printed before and after `MARK init-done`, and the program's findings. */
  function parse(r: Run) {
    const { result: out, otherStdout } = result(r);
    const mark = otherStdout.indexOf('MARK init-done');
    return {
      out,
      duringInit: mark < 0 ? otherStdout : otherStdout.slice(0, mark),
      afterInit: mark < 0 ? [] : otherStdout.slice(mark + 1),
    };
  }

  describe(`mwn ${VERSION}`, { skip: skipUnless(ok, `npm package mwn@${VERSION} is not installed (npm ci)`) }, () => {
    test('Mwn.init with a bot password prints nothing; resetpassword by user name; the mail goes to Bob', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r = await mwn({ mode: 'reset', username: `${ALICE.name}@app`, password: shared.botPassword, user: BOB.name });
      const ctx = context('mwn bot password, user=Bob', r, server);
      assert.equal(r.code, 0, ctx);
      const { out, duringInit, afterInit } = parse(r);
      assert.deepEqual(duringInit, [], `mwn printed during init:\n${ctx}`);
      assert.deepEqual(afterInit, [], `mwn printed after init:\n${ctx}`);
      assert.equal(r.stderr, '', ctx);
      assert.equal(out.loggedIn, true);
      assert.equal(out.lgusername, ALICE.name);
      assert.equal(typeof out.lguserid, 'number');
      // getTokensAndSiteInfo() worked: a real csrf token, the seven token types, namespace data for titles.
      assert.match(out.csrfToken, SESSION_TOKEN, ctx);
      assert.deepEqual(out.tokens, ['createaccounttoken', 'csrftoken', 'logintoken', 'patroltoken', 'rollbacktoken', 'userrightstoken', 'watchtoken']);
      assert.deepEqual(out.title, { ns: 3, text: 'User talk:Bob' });
      assert.deepEqual(out.reset, SUCCESS, ctx);
      assert.equal(out.userinfo.name, ALICE.name);
      checkResetMail(await server.waitForMail(seen, BOB.email), BOB.name, ALICE.name);
    });

    test('Mwn.init with the main account prints only the action=login deprecation warnings; reset by email', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r = await mwn({ mode: 'reset', username: ALICE.name, password: ALICE.password, email: CAROL.email });
      const ctx = context('mwn main account, email=carol@…', r, server);
      assert.equal(r.code, 0, ctx);
      const { out, duringInit, afterInit } = parse(r);
      // MediaWiki 1.39 warns about main-account action=login (modules `login` and `main`), and mwn prints
      // API warnings. Nothing else may appear: no "[W] Failed fetching tokens and siteinfo", no errors.
      for (const line of duringInit) assert.match(line, /\[W\] Warning received from API: (login|main): /, `unexpected output during init:\n${ctx}`);
      assert.ok(duringInit.some((l) => / login: /.test(l)), `the action=login deprecation warning is missing:\n${ctx}`);
      assert.deepEqual(afterInit, [], ctx);
      assert.equal(r.stderr, '', ctx);
      assert.equal(out.lgusername, ALICE.name);
      assert.match(out.csrfToken, SESSION_TOKEN, ctx);
      assert.deepEqual(out.reset, SUCCESS, ctx);
      checkResetMail(await server.waitForMail(seen, CAROL.email), CAROL.name, ALICE.name);
    });

    test('a stale csrf token: mwn meets badtoken, asks action=paraminfo, refetches tokens and retries once', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r = await mwn({ mode: 'reset', username: `${ALICE.name}@app`, password: shared.botPassword, user: BOB.name, staleToken: true });
      const ctx = context('mwn stale token, user=Bob', r, server);
      assert.equal(r.code, 0, ctx);
      const { out, duringInit, afterInit } = parse(r);
      assert.deepEqual(duringInit, [], ctx);
      // The recovery path ran exactly once, and nothing else was printed. (It needs action=paraminfo's
      // parameters[name=token].tokentype; without it mwn gives up with the badtoken error.)
      assert.equal(afterInit.length, 1, ctx);
      assert.match(afterInit[0]!, /\[W\] Encountered badtoken error, fetching new token and retrying/, ctx);
      assert.deepEqual(out.reset, SUCCESS, ctx);
      assert.match(out.csrfAfter, SESSION_TOKEN, ctx);
      checkResetMail(await server.waitForMail(seen, BOB.email), BOB.name, ALICE.name);
    });

    test('a bot password whose grants lack editmyprivateinfo: resetpassword fails with badaccess, no mail', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r = await mwn({ mode: 'reset', username: `${ALICE.name}@basiconly`, password: shared.basicOnlyPassword, user: BOB.name });
      const ctx = context('mwn bot password (basic only), user=Bob', r, server);
      assert.equal(r.code, 1, ctx);
      const { out, duringInit } = parse(r);
      assert.deepEqual(duringInit, [], ctx);
      assert.equal(out.error?.code, 'badaccess', ctx);
      await new Promise((res) => setTimeout(res, 500));
      assert.deepEqual(server.emlFiles().filter((f) => !seen.has(f)), [], 'no mail after badaccess');
    });

    test('the temporary password through action=clientlogin, the forced change, then Mwn.init with the new password', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r1 = await mwn({ mode: 'reset', username: `${ALICE.name}@app`, password: shared.botPassword, user: OSCAR.name });
      assert.equal(r1.code, 0, context(`mwn reset for ${OSCAR.name}`, r1, server));
      const temp = checkResetMail(await server.waitForMail(seen, OSCAR.email), OSCAR.name, ALICE.name);

      const newPassword = `${OSCAR.name}-New-Pass-9`;
      const r = await mwn({ mode: 'clientlogin', username: OSCAR.name, tempPassword: temp, newPassword, returnUrl: `${server.base}/` });
      const ctx = context('mwn clientlogin', r, server);
      assert.equal(r.code, 0, ctx);
      const { out, afterInit } = parse(r);
      checkTempPasswordUI(out.ui?.clientlogin, ctx);
      assert.deepEqual(out.change, { clientlogin: { status: 'PASS', username: OSCAR.name } }, ctx);
      assert.equal(out.userinfoAfterChange.name, OSCAR.name, ctx);
      assert.equal(out.relogin.loggedIn, true, ctx);
      assert.equal(out.relogin.lgusername, OSCAR.name, ctx);
      assert.match(out.relogin.csrfToken, SESSION_TOKEN, ctx);
      assert.equal(out.reloginUserinfo.name, OSCAR.name, ctx);
      assert.deepEqual(afterInit, [], ctx);
      await checkOnlyNewPasswordWorks(server.api, OSCAR.name, { old: OSCAR.password, temp, new: newPassword });
    });
  });

  test(`mwn ${VERSION} is installed`, () => {
    if (required) assert.ok(ok, `mwn@${VERSION} is required (MWAUTH_REQUIRE_CLIENTS=1)`);
  });
}
