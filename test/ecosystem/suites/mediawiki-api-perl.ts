// Perl MediaWiki::API 0.52 (Debian libmediawiki-api-perl), unmodified: programs/mediawiki_api.pl is a
// script written the way the module's users write one. The module POSTs every request, action=query
// included, and fetches tokens itself in login() and edit().
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  ALICE, BOB, CAROL, CHANGERS, checkOnlyNewPasswordWorks, checkResetMail, checkTempPasswordUI, context, PERL, programs,
  required, result, run, SESSION_TOKEN, skipUnless, SUCCESS, type Run, type Shared,
} from '../harness.js';

function installedVersion(): string | null {
  const probe = spawnSync(PERL, ['-MMediaWiki::API', '-MJSON', '-e', 'print $MediaWiki::API::VERSION'], { encoding: 'utf8', timeout: 20_000 });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

export function mediawikiApiPerlSuite(shared: Shared): void {
  const version = installedVersion();
  const LENA = CHANGERS.perl;

  const perl = (args: Record<string, unknown>): Promise<Run> =>
    run(PERL, [join(programs, 'mediawiki_api.pl'), JSON.stringify({ apiUrl: shared.server.api, ...args })]);

  describe(`MediaWiki::API ${version ?? '(missing)'} (Perl)`, { skip: skipUnless(version !== null, 'perl with MediaWiki::API is not installed (Debian: libmediawiki-api-perl)') }, () => {
    test('bot password: $mw->login, then $mw->edit({action => "resetpassword", user}) adds the csrf token itself', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r = await perl({ mode: 'reset', username: `${ALICE.name}@app`, password: shared.botPassword, user: BOB.name, tokenVia: 'edit' });
      const ctx = context('MediaWiki::API bot password, edit(), user=Bob', r, server);
      assert.equal(r.code, 0, ctx);
      const { result: out, otherStdout } = result(r);
      assert.deepEqual(otherStdout, [], ctx);
      assert.equal(r.stderr, '', ctx);
      assert.equal(out.login.result, 'Success', ctx);
      assert.equal(out.login.lgusername, ALICE.name, ctx);
      assert.equal(out.userinfo.name, ALICE.name, ctx);
      assert.deepEqual(out.reset, SUCCESS, ctx);
      assert.equal(out.lastMethod, 'POST');
      checkResetMail(await server.waitForMail(seen, BOB.email), BOB.name, ALICE.name);
    });

    test('main account: $mw->login, a POSTed meta=tokens, then $mw->api({action => "resetpassword", email, token})', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r = await perl({ mode: 'reset', username: ALICE.name, password: ALICE.password, email: CAROL.email, tokenVia: 'api' });
      const ctx = context('MediaWiki::API main account, api(), email=carol@…', r, server);
      assert.equal(r.code, 0, ctx);
      const { result: out } = result(r);
      assert.equal(r.stderr, '', ctx);
      assert.equal(out.login.result, 'Success', ctx);
      assert.equal(out.login.lgusername, ALICE.name, ctx);
      assert.match(out.csrfToken, SESSION_TOKEN, ctx);
      assert.deepEqual(out.reset, SUCCESS, ctx);
      checkResetMail(await server.waitForMail(seen, CAROL.email), CAROL.name, ALICE.name);
    });

    test('the temporary password through action=clientlogin ($mw->api), the forced change, then $mw->login with the new password', async () => {
      const { server } = shared;
      const seen = new Set(server.emlFiles());
      const r1 = await perl({ mode: 'reset', username: `${ALICE.name}@app`, password: shared.botPassword, user: LENA.name, tokenVia: 'edit' });
      assert.equal(r1.code, 0, context(`MediaWiki::API reset for ${LENA.name}`, r1, server));
      const temp = checkResetMail(await server.waitForMail(seen, LENA.email), LENA.name, ALICE.name);

      const newPassword = `${LENA.name}-New-Pass-9`;
      const r = await perl({ mode: 'clientlogin', username: LENA.name, tempPassword: temp, newPassword, returnUrl: `${server.base}/` });
      const ctx = context('MediaWiki::API clientlogin', r, server);
      assert.equal(r.code, 0, ctx);
      const { result: out } = result(r);
      checkTempPasswordUI(out.ui?.clientlogin, ctx);
      assert.deepEqual(out.change, { clientlogin: { status: 'PASS', username: LENA.name } }, ctx);
      assert.equal(out.userinfoAfterChange.name, LENA.name, ctx);
      assert.equal(out.relogin.result, 'Success', ctx);
      assert.equal(out.relogin.lgusername, LENA.name, ctx);
      await checkOnlyNewPasswordWorks(server.api, LENA.name, { old: LENA.password, temp, new: newPassword });
    });
  });

  test('MediaWiki::API is installed', () => {
    if (required) assert.ok(version !== null, 'perl MediaWiki::API is required (MWAUTH_REQUIRE_CLIENTS=1; Debian: libmediawiki-api-perl)');
  });
}
