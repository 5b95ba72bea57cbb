// mwclient 0.10.1 (Debian python3-mwclient, run with /usr/bin/python3), unmodified:
// programs/mwclient_client.py is a script written the way mwclient's users write one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  ALICE, BOB, CAROL, CHANGERS, checkOnlyNewPasswordWorks, checkResetMail, checkTempPasswordUI, context, programs, PYTHON,
  required, result, run, SESSION_TOKEN, skipUnless, SUCCESS, type Run, type Shared,
} from '../harness.js';

function installedVersion(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import mwclient; print(mwclient.__version__)'], { encoding: 'utf8', timeout: 20_000 });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

export function mwclientSuite(shared: Shared): void {
  const version = installedVersion();
  const PABLO = CHANGERS.mwclient;

  const mwclient = (args: Record<string, unknown>): Promise<Run> =>
    run(PYTHON, [join(programs, 'mwclient_client.py'), JSON.stringify({ host: `127.0.0.1:${shared.server.port}`, ...args })]);

  /** Lines mwclient logged (API warnings, retries) on stderr. */
  const logged = (r: Run) => r.stderr.split('\n').filter((l) => l.trim() !== '');

  describe(`mwclient ${version ?? '(missing)'} (Python)`, { skip: skipUnless(version !== null, `${PYTHON} with mwclient is not installed (Debian: python3-mwclient)`) }, () => {
    test('Site() then site.login() with a bot password, no warnings; site.api("resetpassword", "POST", user=…)', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r = await mwclient({ mode: 'reset', username: `${ALICE.name}@app`, password: shared.botPassword, user: BOB.name });
      const ctx = context('mwclient bot password, user=Bob', r, server);
      assert.equal(r.code, 0, ctx);
      const { result: out, otherStdout } = result(r);
      assert.deepEqual(otherStdout, [], ctx);
      assert.deepEqual(logged(r), [], `mwclient logged:\n${ctx}`);
      // Site() (meta=siteinfo|userinfo|userinfo): a version of at least 1.16 from general.generator, namespaces, anonymous.
      assert.deepEqual(out.anonymous.version.slice(0, 2), [1, 39], ctx);
      assert.equal(out.anonymous.logged_in, false, ctx);
      assert.equal(out.anonymous.username, '127.0.0.1', ctx);
      assert.deepEqual(out.anonymous.namespaces, { 2: 'User', 3: 'User talk' }, ctx);
      // site.login() then site_init(): the user's own name and groups.
      assert.equal(out.site.username, ALICE.name, ctx);
      assert.equal(out.site.logged_in, true, ctx);
      assert.ok(out.site.groups.includes('user'), ctx);
      assert.match(out.csrfToken, SESSION_TOKEN, ctx);
      assert.deepEqual(out.reset, SUCCESS, ctx);
      checkResetMail(await server.waitForMail(seen, BOB.email), BOB.name, ALICE.name);
    });

    test('site.login() with the main account logs only the action=login deprecation warnings; reset by email', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r = await mwclient({ mode: 'reset', username: ALICE.name, password: ALICE.password, email: CAROL.email });
      const ctx = context('mwclient main account, email=carol@…', r, server);
      assert.equal(r.code, 0, ctx);
      const { result: out } = result(r);
      // MediaWiki 1.39 warns about main-account action=login (modules main and login); mwclient logs
      // formatversion=1 warnings. Nothing else: no retries, no errors.
      const lines = logged(r);
      assert.ok(lines.length >= 1 && lines.length <= 2, ctx);
      for (const l of lines) assert.match(l, /^WARNING mwclient\.client: /, ctx);
      assert.ok(lines.some((l) => l.includes('action=login')), `the action=login deprecation warning is missing:\n${ctx}`);
      assert.equal(out.site.username, ALICE.name, ctx);
      assert.deepEqual(out.reset, SUCCESS, ctx);
      checkResetMail(await server.waitForMail(seen, CAROL.email), CAROL.name, ALICE.name);
    });

    test('the temporary password through action=clientlogin (site.post), the forced change, then site.login() with the new password', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r1 = await mwclient({ mode: 'reset', username: `${ALICE.name}@app`, password: shared.botPassword, user: PABLO.name });
      assert.equal(r1.code, 0, context(`mwclient reset for ${PABLO.name}`, r1, server));
      const temp = checkResetMail(await server.waitForMail(seen, PABLO.email), PABLO.name, ALICE.name);

      const newPassword = `${PABLO.name}-New-Pass-9`;
      const r = await mwclient({ mode: 'clientlogin', username: PABLO.name, tempPassword: temp, newPassword, returnUrl: `${server.base}/` });
      const ctx = context('mwclient clientlogin', r, server);
      assert.equal(r.code, 0, ctx);
      const { result: out } = result(r);
      checkTempPasswordUI(out.ui?.clientlogin, ctx);
      assert.deepEqual(out.change, { clientlogin: { status: 'PASS', username: PABLO.name } }, ctx);
      assert.equal(out.userinfoAfterChange.name, PABLO.name, ctx);
      assert.equal(out.relogin.username, PABLO.name, ctx);
      assert.equal(out.relogin.logged_in, true, ctx);
      await checkOnlyNewPasswordWorks(server.api, PABLO.name, { old: PABLO.password, temp, new: newPassword });
    });
  });

  test('mwclient is installed', () => {
    if (required) assert.ok(version !== null, `${PYTHON} with mwclient is required (MWAUTH_REQUIRE_CLIENTS=1; Debian: python3-mwclient)`);
  });
}
