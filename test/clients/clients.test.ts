// Real MediaWiki-style client programs (Python requests, PHP curl, Node `request`, our mw.Api-like
// client) run as separate processes against the real server (`mwauth serve` in a child process, with
// accounts from the CLI: test/ecosystem/harness.ts's startServer).
// Each one asks for a password reset; the test checks the printed body and the mail that follows.
//
// A program's tests are skipped only when its interpreter is missing (php with curl, or
// /usr/bin/python3 with requests). With MWAUTH_REQUIRE_CLIENTS=1 (set by .ci/run) a missing
// interpreter fails instead.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ALICE, BOB, CAROL, checkResetMail, context, loginResult, PYTHON, required, run, skipUnless, startServer, type EcoServer, type Run,
} from '../ecosystem/harness.js';

const programs = join(dirname(fileURLToPath(import.meta.url)), 'programs');
const SUCCESS = '{"resetpassword":{"status":"success"}}';
const OSCAR = { name: 'Oscar', password: 'Secret-Pass-4', email: 'oscar@example.org' };

// ---- which interpreters are here -------------------------------------------------------------

function probe(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.error === undefined && r.status === 0;
}

const pythonOk = probe(PYTHON, ['-c', 'import requests']);
const phpOk = probe('php', ['-r', 'exit(function_exists("curl_init") ? 0 : 1);']);
const skipPython = skipUnless(pythonOk, `${PYTHON} with the requests module is not installed (Debian: python3-requests)`);
const skipPhp = skipUnless(phpOk, 'php with the curl extension is not installed (Debian: php-cli php-curl)');

// ---- the server: accounts from the CLI, then `mwauth serve` ------------------------------------

let server: EcoServer;
let api = '';
let botPassword = '';

before(async () => {
  server = await startServer('clients', [ALICE, BOB, CAROL, OSCAR], [{ name: ALICE.name, app: 'app', grants: 'basic,editmyoptions' }]);
  api = server.api;
  botPassword = server.botPasswords.get(`${ALICE.name}@app`)!;
});

after(async () => {
  await server?.stop();
});

// ---- the programs ----------------------------------------------------------------------------

interface Program {
  label: string;
  cmd: string;
  file: string;
  skip: string | false;
}

const PROGRAMS: Program[] = [
  { label: 'Python requests (reset_password.py)', cmd: PYTHON, file: 'reset_password.py', skip: skipPython },
  { label: 'PHP curl, a handle per step (reset_password.php)', cmd: 'php', file: 'reset_password.php', skip: skipPhp },
  { label: 'Node request with jar:true (reset_password.cjs)', cmd: process.execPath, file: 'reset_password.cjs', skip: false },
  { label: 'mw.Api-style postWithToken (mwapi.mjs)', cmd: process.execPath, file: 'mwapi.mjs', skip: false },
];

type Target = { user: string } | { email: string };
interface Scenario {
  what: string;
  login: 'bot' | 'main' | null;
  /** Credentials through MW_* variables instead of arguments. */
  viaEnv?: boolean;
  target: Target;
  to: string;
}

const SCENARIOS: Scenario[] = [
  { what: 'bot password Alice@app, user=Bob', login: 'bot', target: { user: BOB.name }, to: BOB.email },
  { what: 'main account Alice (from MW_* env), email=carol@…', login: 'main', viaEnv: true, target: { email: CAROL.email }, to: CAROL.email },
  { what: 'not logged in, email=bob@…', login: null, target: { email: BOB.email }, to: BOB.email },
  { what: 'not logged in, user=carol (lower case)', login: null, target: { user: 'carol' }, to: CAROL.email },
];

/** Runs one program, checks its output and the mail; returns the temporary password from that mail. */
async function resetWith(p: Program, s: Omit<Scenario, 'what'>, extra: string[] = []): Promise<{ run: Run; temp: string }> {
  const args = [join(programs, p.file)];
  const env: Record<string, string> = {};
  if (s.viaEnv) env.MW_API_URL = api;
  else args.push(`--url=${api}`);
  if ('user' in s.target) args.push(`--user=${s.target.user}`);
  else args.push(`--email=${s.target.email}`);
  if (s.login) {
    const lgname = s.login === 'bot' ? `${ALICE.name}@app` : ALICE.name;
    const lgpassword = s.login === 'bot' ? botPassword : ALICE.password;
    if (s.viaEnv) Object.assign(env, { MW_LGNAME: lgname, MW_LGPASSWORD: lgpassword });
    else args.push(`--lgname=${lgname}`, `--lgpassword=${lgpassword}`);
  }
  args.push(...extra);

  const seen = new Set(server.emlFiles());
  const r = await run(p.cmd, args, { env, cwd: programs });
  const ctx = context(`${p.file} ${args.slice(1).join(' ')}`, r, server);
  assert.equal(r.code, 0, ctx);
  assert.equal(r.stdout.replace(/\r?\n$/, ''), SUCCESS, ctx);
  if (s.login) assert.match(r.stderr, new RegExp(`logged in as ${ALICE.name}\\b`), ctx);

  // Who asked shows in the mail: the logged-in account, or the IP address for anonymous requests.
  const owner = s.to === BOB.email ? BOB.name : s.to === CAROL.email ? CAROL.name : OSCAR.name;
  const temp = checkResetMail(await server.waitForMail(seen, s.to), owner, s.login ? ALICE.name : null);
  return { run: r, temp };
}

for (const p of PROGRAMS) {
  for (const s of SCENARIOS) {
    test(`${p.label}: ${s.what}`, { skip: p.skip }, async () => {
      await resetWith(p, s);
    });
  }
}

test('mw.Api-style client: a stale csrf token gets badtoken, a new token and one retry', async () => {
  const mwapi = PROGRAMS.find((p) => p.file === 'mwapi.mjs')!;
  const { run: r } = await resetWith(mwapi, { login: null, target: { user: BOB.name }, to: BOB.email }, ['--stale-token=0123456789abcdef+\\']);
  assert.match(r.stderr, /badtoken: fetching a new csrf token and retrying once/);
});

// ---- the temporary password from the mail, through action=clientlogin --------------------------

test('Python: temporary password from the mail → clientlogin → forced change → the new password logs in', { skip: skipPython }, async () => {
  const python = PROGRAMS.find((p) => p.file === 'reset_password.py')!;
  const { temp } = await resetWith(python, { login: null, target: { user: OSCAR.name }, to: OSCAR.email });

  const newPassword = 'Oscar-New-Pass-9';
  const r = await run(PYTHON, [
    join(programs, 'clientlogin_change.py'), `--url=${api}`, `--user=${OSCAR.name}`, `--temp-password=${temp}`, `--new-password=${newPassword}`,
  ], { cwd: programs });
  const ctx = context('clientlogin_change.py', r, server);
  assert.equal(r.code, 0, ctx);
  const out = JSON.parse(r.stdout) as Record<string, any>;
  assert.equal(out.ui.clientlogin.status, 'UI', ctx);
  assert.equal(out.ui.clientlogin.messagecode, 'resetpass-temp-emailed', ctx);
  assert.deepEqual(out.change, { clientlogin: { status: 'PASS', username: OSCAR.name } }, ctx);
  assert.deepEqual(out.relogin, { clientlogin: { status: 'PASS', username: OSCAR.name } }, ctx);
  assert.equal(out.userinfo, OSCAR.name, ctx);

  // From here only the new password works.
  assert.equal(await loginResult(api, OSCAR.name, newPassword), 'Success');
  assert.equal(await loginResult(api, OSCAR.name, OSCAR.password), 'Failed');
  assert.equal(await loginResult(api, OSCAR.name, temp), 'Failed');
});

test('interpreters for the client programs', () => {
  // Visible in the report when programs were skipped, and a failure in CI (MWAUTH_REQUIRE_CLIENTS=1).
  if (required) {
    assert.ok(pythonOk, `${PYTHON} with requests is required (MWAUTH_REQUIRE_CLIENTS=1)`);
    assert.ok(phpOk, 'php with curl is required (MWAUTH_REQUIRE_CLIENTS=1)');
  }
});
