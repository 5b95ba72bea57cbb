// api-testing 1.8.0 (npm; Wikimedia's mocha/supertest library behind MediaWiki core's tests/api-testing),
// unmodified. Our mocha suite programs/api-testing.spec.cjs runs in mocha, as MediaWiki's own API tests
// run, with a .api-testing.config.json in a temporary folder (API_TESTING_CONFIG_FILE) whose root_user is
// a sysop+bureaucrat made with the CLI. Each mocha test shows here as a test of its own; the mail the run
// causes is checked here too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ALICE, BOB, CAROL, CHANGERS, checkResetMail, loginResult, programs, required, ROOT, root, run, skipUnless,
  type Run, type Shared,
} from '../harness.js';

const VERSION = '1.8.0';
const require = createRequire(import.meta.url);
function version(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

// The tests of programs/api-testing.spec.cjs, in order.
const MOCHA_TESTS = [
  'action.root() logs in the root user under its canonical name with real tokens',
  'action.alice() creates an account through root and logs it in',
  'client.account() creates an account anonymously and logs it in',
  'an anonymous client resets a password by user name with the +\\ token',
  'a logged-in account resets a password by email address',
  'a stale csrf token is refused with badtoken',
  'a bot password logs in and resets a password by user name',
  'the temporary password logs in through clientlogin and the forced change sets a new one',
];

interface MochaTest {
  title: string;
  fullTitle: string;
  err: { message?: string; stack?: string };
}
interface MochaReport {
  stats: { tests: number; passes: number; failures: number };
  passes: MochaTest[];
  failures: MochaTest[];
}

export function apiTestingSuite(shared: Shared): void {
  const ok = version('api-testing') === VERSION && version('mocha') !== null;
  const TILDA = CHANGERS.apiTesting;
  const NEW_PASSWORD = `${TILDA.name}-New-Pass-9`;

  describe(`api-testing ${VERSION} (mocha ${version('mocha') ?? 'missing'})`, { skip: skipUnless(ok, `npm packages api-testing@${VERSION} and mocha are not installed (npm ci)`) }, () => {
    let work = '';
    let mocha: Run;
    let report: MochaReport | null = null;
    let context = '';
    let seen = new Set<string>();

    before(async () => {
      const { server } = shared;
      seen = new Set(server.emlFiles());
      work = mkdtempSync(join(tmpdir(), 'mwauth-eco-apitesting-'));
      const configFile = join(work, '.api-testing.config.json');
      writeFileSync(configFile, JSON.stringify({
        base_uri: `${server.base}/w/`,
        main_page: 'Main Page',
        root_user: { name: ROOT.name, password: ROOT.password },
        secret_key: 'unused-no-runjobs-fixtures',
      }, null, 2));
      const reportFile = join(work, 'mocha.json');
      mocha = await run(process.execPath, [
        join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
        '--reporter', 'json', '--reporter-option', `output=${reportFile}`,
        '--timeout', '20000',
        join(programs, 'api-testing.spec.cjs'),
      ], {
        cwd: work,
        timeoutMs: 90_000,
        env: {
          API_TESTING_CONFIG_FILE: configFile,
          ECO_RESET_USER: BOB.name,
          ECO_RESET_USER_EMAIL: BOB.email,
          ECO_RESET_EMAIL: CAROL.email,
          ECO_BOT_NAME: `${ALICE.name}@app`,
          ECO_BOT_PASSWORD: shared.botPassword,
          ECO_CHANGE_USER: TILDA.name,
          ECO_CHANGE_EMAIL: TILDA.email,
          ECO_NEW_PASSWORD: NEW_PASSWORD,
          ECO_MAIL_DIR: server.mailDir,
        },
      });
      context = `mocha exit ${mocha.code ?? mocha.signal}\nstdout: ${mocha.stdout}\nstderr: ${mocha.stderr}\nserver log:\n${server.tail()}`;
      try {
        report = JSON.parse(readFileSync(reportFile, 'utf8')) as MochaReport;
      } catch {
        report = null;
      }
    });
    after(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test('mocha ran every test of the suite', () => {
      assert.ok(report, `no mocha report:\n${context}`);
      assert.deepEqual([...report.passes, ...report.failures].map((t) => t.title).sort(), [...MOCHA_TESTS].sort(), context);
      assert.match(mocha.stdout, /Loading api-testing config from .*\.api-testing\.config\.json/, context);
    });

    for (const title of MOCHA_TESTS) {
      test(`mocha: ${title}`, () => {
        assert.ok(report, `no mocha report:\n${context}`);
        const failed = report.failures.find((t) => t.title === title);
        if (failed) assert.fail(`${failed.fullTitle}\n${failed.err.stack ?? failed.err.message}\nserver log:\n${shared.server.tail()}`);
        assert.ok(report.passes.some((t) => t.title === title), `"${title}" did not run:\n${context}`);
      });
    }

    test('the mail: Bob (asked anonymously), Carol (asked by the account api-testing created), Tilda (asked by Alice)', async () => {
      const { server } = shared;
      checkResetMail(await server.waitForMail(seen, BOB.email), BOB.name, null);
      checkResetMail(await server.waitForMail(seen, CAROL.email), CAROL.name, 'Alice[A-Za-z0-9]{10}');
      checkResetMail(await server.waitForMail(seen, TILDA.email), TILDA.name, ALICE.name);
    });

    test(`after the forced change only ${TILDA.name}'s new password logs in`, async () => {
      const { server } = shared;
      assert.equal(await loginResult(server.api, TILDA.name, NEW_PASSWORD), 'Success', context);
      assert.equal(await loginResult(server.api, TILDA.name, TILDA.password), 'Failed');
    });
  });

  test(`api-testing ${VERSION} and mocha are installed`, () => {
    if (required) assert.ok(ok, `api-testing@${VERSION} and mocha are required (MWAUTH_REQUIRE_CLIENTS=1)`);
  });
}
