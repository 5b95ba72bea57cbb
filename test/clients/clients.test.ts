// Real MediaWiki-style client programs (Python requests, PHP curl, Node `request`, our mw.Api-like
// client) run as separate processes against the real server (`mwauth serve` in a child process).
// Each one asks for a password reset; the test checks the printed body and the mail that follows.
//
// A program's tests are skipped only when its interpreter is missing (php with curl, or
// /usr/bin/python3 with requests). With MWAUTH_REQUIRE_CLIENTS=1 (set by .ci/run) a missing
// interpreter fails instead.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const programs = join(here, 'programs');
const cli = join(root, 'bin', 'mwauth.mjs');
const PYTHON = '/usr/bin/python3';
const SUCCESS = '{"resetpassword":{"status":"success"}}';
const ALICE = { name: 'Alice', password: 'Secret-Pass-1', email: 'alice@example.org' };
const BOB = { name: 'Bob', password: 'Secret-Pass-2', email: 'bob@example.org' };
const CAROL = { name: 'Carol', password: 'Secret-Pass-3', email: 'carol@example.org' };
const OSCAR = { name: 'Oscar', password: 'Secret-Pass-4', email: 'oscar@example.org' };

// ---- which interpreters are here -------------------------------------------------------------

function probe(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.error === undefined && r.status === 0;
}

const required = process.env.MWAUTH_REQUIRE_CLIENTS === '1';
function missing(ok: boolean, reason: string): string | false {
  return ok || required ? false : reason;
}
const pythonOk = probe(PYTHON, ['-c', 'import requests']);
const phpOk = probe('php', ['-r', 'exit(function_exists("curl_init") ? 0 : 1);']);
const skipPython = missing(pythonOk, `${PYTHON} with the requests module is not installed (Debian: python3-requests)`);
const skipPhp = missing(phpOk, 'php with the curl extension is not installed (Debian: php-cli php-curl)');

// ---- child processes -------------------------------------------------------------------------

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end (killed after `timeoutMs`), with only the given MW_* variables. */
function run(cmd: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('MW_')) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? programs, env: { ...env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A free TCP port: listen on port 0, note the port, close. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

let dataDir = '';
let mailDir = '';
let api = '';
let server: ChildProcess | null = null;
let serverExited: Promise<void> = Promise.resolve();
let serverLog = '';
let cliEnv: Record<string, string> = {};
let botPassword = '';

function serverTail(): string {
  return serverLog.split('\n').slice(-40).join('\n');
}

async function mwauth(...args: string[]): Promise<Run> {
  const r = await run(process.execPath, [cli, ...args], { env: cliEnv, cwd: root, timeoutMs: 60_000 });
  assert.equal(r.code, 0, `mwauth ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r;
}

// The last resort if the test process ends without the after hook (an uncaught error, exit()).
process.on('exit', () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
});

async function stopServer(): Promise<void> {
  const child = server;
  if (!child) return;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const done = await Promise.race([serverExited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!done) {
      child.kill('SIGKILL');
      await serverExited;
    }
  }
  server = null;
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mwauth-clients-'));
  mailDir = join(dataDir, 'mail');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  api = `${base}/w/api.php`;
  cliEnv = {
    MWAUTH_DATA_DIR: dataDir,
    MWAUTH_HOST: '127.0.0.1',
    MWAUTH_PORT: String(port),
    MWAUTH_SERVER: base,
    MWAUTH_SITENAME: 'ClientWiki',
    MWAUTH_LOG_LEVEL: 'warn',
    // Many resets of the same accounts from one IP within seconds: no cooldown, high limits.
    MWAUTH_RESET_COOLDOWN_HOURS: '0',
    MWAUTH_RESET_IP_LIMIT: '1000/3600',
    MWAUTH_RESET_ACCOUNT_LIMIT: '1000/3600',
    MWAUTH_RESET_ADDRESS_LIMIT: '1000/3600',
  };

  // Accounts through the CLI. The first run creates the database; the others can then go together.
  await mwauth('user', 'add', ALICE.name, '--email', ALICE.email, '--password', ALICE.password);
  const [bot] = await Promise.all([
    mwauth('botpassword', 'add', ALICE.name, 'app', '--grants', 'basic,editmyoptions'),
    ...[BOB, CAROL, OSCAR].map((u) => mwauth('user', 'add', u.name, '--email', u.email, '--password', u.password)),
  ]);
  botPassword = bot!.stdout.trim().split('\n').pop()!.trim();
  assert.match(botPassword, /^[0-9a-z]{16,}$/, `bot password from: ${bot!.stdout}`);

  const child = spawn(process.execPath, [cli, 'serve'], { cwd: root, env: { ...process.env, ...cliEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  server = child;
  serverExited = new Promise((resolve) => child.once('exit', () => resolve()));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (serverLog += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (serverLog += d));

  // Ready when api.php answers a token request with JSON.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mwauth serve exited (${child.exitCode ?? child.signalCode}) before answering:\n${serverTail()}`);
    }
    try {
      const res = await fetch(`${api}?action=query&meta=tokens&format=json`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { query?: { tokens?: { csrftoken?: string } } };
      if (res.status === 200 && body.query?.tokens?.csrftoken === '+\\') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`api.php did not answer within 30 s:\n${serverTail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  try {
    await stopServer();
  } finally {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
});

// ---- mail ------------------------------------------------------------------------------------

function emlFiles(): string[] {
  try {
    return readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
}

function recipients(mail: ParsedMail): string[] {
  const to: AddressObject[] = mail.to === undefined ? [] : Array.isArray(mail.to) ? mail.to : [mail.to];
  return to.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

/** Waits up to 10 s for a new .eml (not in `seen`) addressed to `address`. */
async function waitForMail(seen: Set<string>, address: string): Promise<ParsedMail> {
  const deadline = Date.now() + 10_000;
  const parsed = new Map<string, ParsedMail>();
  for (;;) {
    for (const f of emlFiles()) {
      if (seen.has(f) || parsed.has(f)) continue;
      parsed.set(f, await simpleParser(readFileSync(join(mailDir, f))));
    }
    const matching = [...parsed].filter(([, m]) => recipients(m).includes(address));
    if (matching.length > 0) {
      assert.equal(matching.length, 1, `one mail to ${address}, got ${matching.map(([f]) => f).join(', ')}`);
      return matching[0]![1];
    }
    if (Date.now() > deadline) {
      const got = [...parsed].map(([f, m]) => `${f} → ${recipients(m).join(', ')}`).join('\n') || '(no new mail)';
      assert.fail(`no mail to ${address} within 10 s; new mail:\n${got}\nserver log:\n${serverTail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

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

/** Runs one program, checks its output and the mail; returns that mail. */
async function resetWith(p: Program, s: Omit<Scenario, 'what'>, extra: string[] = []): Promise<{ run: Run; mail: ParsedMail }> {
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

  const seen = new Set(emlFiles());
  const r = await run(p.cmd, args, { env });
  const context = `${p.file} ${args.slice(1).join(' ')}\nexit ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nserver log:\n${serverTail()}`;
  assert.equal(r.code, 0, context);
  assert.equal(r.stdout.replace(/\r?\n$/, ''), SUCCESS, context);
  if (s.login) assert.match(r.stderr, new RegExp(`logged in as ${ALICE.name}\\b`), context);

  const mail = await waitForMail(seen, s.to);
  assert.match(mail.subject ?? '', /password reset/i);
  const text = mail.text ?? '';
  const owner = s.to === BOB.email ? BOB.name : s.to === CAROL.email ? CAROL.name : OSCAR.name;
  assert.match(text, new RegExp(`User name: ${owner}\\b`));
  assert.match(text, /Temporary password: [0-9a-z]{10,}/);
  // Who asked shows in the mail: the logged-in account, or the IP address for anonymous requests.
  if (s.login) assert.match(text, new RegExp(`The user ${ALICE.name} on ClientWiki asked`), `the request was not made as Alice:\n${text}`);
  else assert.match(text, /from the IP address 127\.0\.0\.1\)/, `the request was not anonymous:\n${text}`);
  return { run: r, mail };
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

/** action=login in a fresh session, from the test process; returns login.result. */
async function loginResult(name: string, password: string): Promise<string> {
  let cookie = '';
  const keep = (res: Response) => {
    const pairs = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
    if (pairs.length) cookie = [...(cookie ? cookie.split('; ') : []), ...pairs].join('; ');
  };
  const t = await fetch(`${api}?action=query&meta=tokens&type=login&format=json`);
  keep(t);
  const lgtoken = ((await t.json()) as { query: { tokens: { logintoken: string } } }).query.tokens.logintoken;
  const res = await fetch(api, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action: 'login', lgname: name, lgpassword: password, lgtoken, format: 'json' }).toString(),
  });
  return ((await res.json()) as { login: { result: string } }).login.result;
}

test('Python: temporary password from the mail → clientlogin → forced change → the new password logs in', { skip: skipPython }, async () => {
  const python = PROGRAMS.find((p) => p.file === 'reset_password.py')!;
  const { mail } = await resetWith(python, { login: null, target: { user: OSCAR.name }, to: OSCAR.email });
  const temp = /^Temporary password:\s*(\S+)\s*$/m.exec(mail.text ?? '')?.[1];
  assert.ok(temp, `no temporary password in:\n${mail.text}`);

  const newPassword = 'Oscar-New-Pass-9';
  const r = await run(PYTHON, [
    join(programs, 'clientlogin_change.py'), `--url=${api}`, `--user=${OSCAR.name}`, `--temp-password=${temp}`, `--new-password=${newPassword}`,
  ]);
  const context = `exit ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nserver log:\n${serverTail()}`;
  assert.equal(r.code, 0, context);
  const out = JSON.parse(r.stdout) as Record<string, any>;
  assert.equal(out.ui.clientlogin.status, 'UI', context);
  assert.equal(out.ui.clientlogin.messagecode, 'resetpass-temp-emailed', context);
  assert.deepEqual(out.change, { clientlogin: { status: 'PASS', username: OSCAR.name } }, context);
  assert.deepEqual(out.relogin, { clientlogin: { status: 'PASS', username: OSCAR.name } }, context);
  assert.equal(out.userinfo, OSCAR.name, context);

  // From here only the new password works.
  assert.equal(await loginResult(OSCAR.name, newPassword), 'Success');
  assert.equal(await loginResult(OSCAR.name, OSCAR.password), 'Failed');
  assert.equal(await loginResult(OSCAR.name, temp), 'Failed');
});

test('interpreters for the client programs', () => {
  // Visible in the report when programs were skipped, and a failure in CI (MWAUTH_REQUIRE_CLIENTS=1).
  if (required) {
    assert.ok(pythonOk, `${PYTHON} with requests is required (MWAUTH_REQUIRE_CLIENTS=1)`);
    assert.ok(phpOk, 'php with curl is required (MWAUTH_REQUIRE_CLIENTS=1)');
  }
});
