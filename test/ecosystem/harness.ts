// Shared by the test/ecosystem suites and test/clients: starts the REAL server (`node bin/mwauth.mjs
// serve`) as a child process on a free port with a temporary MWAUTH_DATA_DIR, creates accounts and bot
// passwords with the CLI, runs real MediaWiki client programs and libraries (mwn, nodemw, api-testing,
// mwclient, MediaWiki::API, …) in processes of their own, and reads the mail the server writes as .eml
// files. The child processes themselves are test/helpers/process.ts's.
//
// A suite whose interpreter or library is missing is skipped, unless MWAUTH_REQUIRE_CLIENTS=1
// (set by .ci/run), where it fails instead: CI never skips silently.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { freePort, ROOT as root, runCli, runProgram, startServe, type RunResult, type ServeProcess } from '../helpers/process.js';

export { root };
export const programs = join(dirname(fileURLToPath(import.meta.url)), 'programs');
export const PYTHON = '/usr/bin/python3';
export const PERL = '/usr/bin/perl';

// ---- which clients are here -------------------------------------------------------------------

export const required = process.env.MWAUTH_REQUIRE_CLIENTS === '1';

/** The `skip` option of a test: a reason when the client is missing, never in CI. */
export function skipUnless(ok: boolean, reason: string): string | false {
  return ok || required ? false : reason;
}

// ---- child processes ------------------------------------------------------------------------

export type Run = RunResult;

/**
 * Runs a client program to its end (killed after `timeoutMs`, 60 s unless told), in `programs` unless
 * told. The caller's MW_* and API_TESTING_* variables are dropped: a program sees only the ones given.
 */
export function run(cmd: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('MW_') || k.startsWith('API_TESTING_')) delete env[k];
  return runProgram(cmd, args, {
    cwd: opts.cwd ?? programs,
    env: { ...env, SCARF_ANALYTICS: 'false', NO_COLOR: '1', ...opts.env },
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
}

/** The line a program prints its findings on: `RESULT {json}`. Everything else it printed is returned too. */
export function result(r: Run): { result: any; otherStdout: string[] } {
  const lines = r.stdout.split('\n');
  const found = lines.filter((l) => l.startsWith('RESULT '));
  assert.equal(found.length, 1, `one RESULT line expected:\nexit ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return { result: JSON.parse(found[0]!.slice('RESULT '.length)), otherStdout: lines.filter((l) => !l.startsWith('RESULT ') && l.trim() !== '') };
}

// ---- accounts ----------------------------------------------------------------------------------

export interface Account {
  name: string;
  password: string;
  email?: string;
  groups?: string[];
}

// ---- the server --------------------------------------------------------------------------------

export interface EcoServer {
  port: number;
  /** http://127.0.0.1:PORT */
  base: string;
  /** http://127.0.0.1:PORT/w/api.php */
  api: string;
  dataDir: string;
  mailDir: string;
  /** Runs the CLI against this server's data folder; fails the test on a non-zero exit. */
  mwauth(...args: string[]): Promise<Run>;
  /** The passwords of the bot passwords made at start, by `Name@app`. */
  botPasswords: Map<string, string>;
  /** The last 40 lines the server logged. */
  tail(): string;
  emlFiles(): string[];
  /** Waits up to 10 s for exactly one new .eml (not in `seen`) addressed to `address`. */
  waitForMail(seen: Set<string>, address: string): Promise<ParsedMail>;
  stop(): Promise<void>;
}

export interface BotPasswordSpec {
  /** The account; must be the first of the accounts given to startServer. */
  name: string;
  app: string;
  grants: string;
}

/**
 * Creates the accounts (the first alone, as it creates the database; then the others and the bot
 * passwords of the first account together, while the server starts) and starts `mwauth serve`.
 */
export async function startServer(label: string, accounts: Account[], bots: BotPasswordSpec[] = [], extraEnv: Record<string, string> = {}): Promise<EcoServer> {
  assert.ok(accounts.length > 0, 'at least one account');
  for (const b of bots) assert.equal(b.name, accounts[0]!.name, 'bot passwords belong to the first account');
  const dataDir = mkdtempSync(join(tmpdir(), `mwauth-eco-${label}-`));
  const mailDir = join(dataDir, 'mail');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const api = `${base}/w/api.php`;
  const cliEnv: Record<string, string> = {
    MWAUTH_DATA_DIR: dataDir,
    MWAUTH_HOST: '127.0.0.1',
    MWAUTH_PORT: String(port),
    MWAUTH_SERVER: base,
    MWAUTH_SITENAME: 'EcoWiki',
    MWAUTH_LOG_LEVEL: 'warn',
    // Several resets of the same accounts from one IP within seconds: no cooldown, a high IP limit.
    MWAUTH_RESET_COOLDOWN_HOURS: '0',
    MWAUTH_RESET_IP_LIMIT: '1000/3600',
    MWAUTH_RESET_ACCOUNT_LIMIT: '1000/3600',
    MWAUTH_RESET_ADDRESS_LIMIT: '1000/3600',
    MWAUTH_MAIL_BUDGET_PER_NETWORK: '1000/3600',
    ...extraEnv,
  };
  let server: ServeProcess | null = null;
  const tail = () => (server?.output() ?? '').split('\n').slice(-40).join('\n');

  const mwauth = async (...args: string[]): Promise<Run> => {
    const r = await runCli(args, cliEnv, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `mwauth ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    return r;
  };
  const addUser = (a: Account) =>
    mwauth('user', 'add', a.name, '--password', a.password, ...(a.email ? ['--email', a.email] : []), ...(a.groups ?? []).flatMap((g) => ['--group', g]));
  const addBot = async (b: BotPasswordSpec): Promise<[string, string]> => {
    const r = await mwauth('botpassword', 'add', b.name, b.app, '--grants', b.grants);
    const pw = r.stdout.trim().split('\n').pop()!.trim();
    assert.match(pw, /^[0-9a-z]{16,}$/, `bot password from: ${r.stdout}`);
    return [`${b.name}@${b.app}`, pw];
  };

  const stop = async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };

  const serve = async () => {
    server = await startServe(cliEnv, 60_000);
  };

  const botPasswords = new Map<string, string>();
  try {
    await addUser(accounts[0]!);
    // Wait for every CLI run to end, even after a failure, so none writes into a removed folder.
    const [started, ...rest] = await Promise.allSettled([serve(), ...bots.map(addBot), ...accounts.slice(1).map(addUser)]);
    for (const s of [started, ...rest]) if (s!.status === 'rejected') throw s!.reason;
    for (const s of rest.slice(0, bots.length)) {
      if (s.status === 'fulfilled' && Array.isArray(s.value)) botPasswords.set(s.value[0], s.value[1]);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const emlFiles = () => {
    try {
      return readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
    } catch {
      return [];
    }
  };

  const waitForMail = async (seen: Set<string>, address: string): Promise<ParsedMail> => {
    const until = Date.now() + 10_000;
    const parsed = new Map<string, ParsedMail>();
    for (;;) {
      for (const f of emlFiles()) {
        if (seen.has(f) || parsed.has(f)) continue;
        parsed.set(f, await simpleParser(readFileSync(join(mailDir, f))));
      }
      // Reset mails only: a finished password change also sends a notice to the address.
      const isReset = (m: ParsedMail) => !/password was changed/i.test(m.subject ?? '');
      const matching = [...parsed].filter(([, m]) => isReset(m) && recipients(m).includes(address.toLowerCase()));
      if (matching.length > 0) {
        // A moment more, so that a second (wrong) mail to the same address would be seen.
        await new Promise((r) => setTimeout(r, 150));
        for (const f of emlFiles()) if (!seen.has(f) && !parsed.has(f)) parsed.set(f, await simpleParser(readFileSync(join(mailDir, f))));
        const all = [...parsed].filter(([, m]) => isReset(m) && recipients(m).includes(address.toLowerCase()));
        assert.equal(all.length, 1, `one mail to ${address}, got ${all.map(([f]) => f).join(', ')}`);
        return all[0]![1];
      }
      if (Date.now() > until) {
        const got = [...parsed].map(([f, m]) => `${f} → ${recipients(m).join(', ')}`).join('\n') || '(no new mail)';
        assert.fail(`no mail to ${address} within 10 s; new mail:\n${got}\nserver log:\n${tail()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return {
    port,
    base,
    api,
    dataDir,
    mailDir,
    mwauth,
    botPasswords,
    tail,
    emlFiles,
    waitForMail,
    stop,
  };
}

// ---- mail ---------------------------------------------------------------------------------------

export function recipients(mail: ParsedMail): string[] {
  const to: AddressObject[] = mail.to === undefined ? [] : Array.isArray(mail.to) ? mail.to : [mail.to];
  return to.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

/**
 * Checks a reset mail: the subject, the account it names, who asked (an account or an IP address),
 * and returns the temporary password it carries.
 */
export function checkResetMail(mail: ParsedMail, owner: string, askedBy: string | null): string {
  assert.match(mail.subject ?? '', /password reset/i);
  const text = mail.text ?? '';
  assert.match(text, new RegExp(`User name: ${owner}\\b`), text);
  if (askedBy) assert.match(text, new RegExp(`The user ${askedBy} on EcoWiki asked`), `the request was not made as ${askedBy}:\n${text}`);
  else assert.match(text, /from the IP address 127\.0\.0\.1\)/, `the request was not anonymous:\n${text}`);
  const temp = /^Temporary password:\s*(\S+)\s*$/m.exec(text)?.[1];
  assert.ok(temp && /^[0-9a-z]{10,}$/.test(temp), `no temporary password in:\n${text}`);
  return temp;
}

// ---- a direct check, outside any client ----------------------------------------------------------

/** action=login in a fresh session from the test process; returns login.result. */
export async function loginResult(api: string, name: string, password: string): Promise<string> {
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

export const SUCCESS = { resetpassword: { status: 'success' } };

/** A csrf token of a logged-in session (not the anonymous `+\`). */
export const SESSION_TOKEN = /^[0-9a-f]{32}[0-9a-f]+\+\\$/;

/** The `clientlogin` object answering a temporary password: UI, asking for password and retype. */
export function checkTempPasswordUI(ui: any, ctx: string): void {
  assert.equal(ui?.status, 'UI', ctx);
  assert.equal(ui.messagecode, 'resetpass-temp-emailed', ctx);
  const fields = Object.assign({}, ...(ui.requests ?? []).map((r: any) => r.fields ?? {}));
  assert.ok('password' in fields && 'retype' in fields, `UI asks for password and retype:\n${ctx}`);
}

/** After the forced change only the new password logs in: not the old one, not the temporary one. */
export async function checkOnlyNewPasswordWorks(api: string, name: string, p: { old: string; temp: string; new: string }): Promise<void> {
  assert.equal(await loginResult(api, name, p.new), 'Success', 'the new password logs in');
  assert.equal(await loginResult(api, name, p.old), 'Failed', 'the old password no longer logs in');
  assert.equal(await loginResult(api, name, p.temp), 'Failed', 'the temporary password no longer logs in');
}

/** A context string for assertion messages: what the program printed and the server's last lines. */
export function context(what: string, r: Run, server: EcoServer): string {
  return `${what}\nexit ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nserver log:\n${server.tail()}`;
}

// ---- the accounts every suite shares ------------------------------------------------------------

/** Logs in with its main account and owns the bot passwords Alice@app and Alice@basiconly. */
export const ALICE = { name: 'Alice', password: 'Secret-Pass-1', email: 'alice@example.org' };
/** The target of resets by user name. */
export const BOB = { name: 'Bob', password: 'Secret-Pass-2', email: 'bob@example.org' };
/** The target of resets by email address. */
export const CAROL = { name: 'Carol', password: 'Secret-Pass-3', email: 'carol@example.org' };
/** api-testing's root_user. */
export const ROOT = { name: 'Rootuser', password: 'Root-Pass-123', groups: ['sysop', 'bureaucrat'] };
/** One account per client whose password goes through reset → clientlogin → forced change. */
export const CHANGERS = {
  mwn: { name: 'Oscar', password: 'Secret-Pass-11', email: 'oscar@example.org' },
  nodemw: { name: 'Nadia', password: 'Secret-Pass-12', email: 'nadia@example.org' },
  apiTesting: { name: 'Tilda', password: 'Secret-Pass-13', email: 'tilda@example.org' },
  mwclient: { name: 'Pablo', password: 'Secret-Pass-14', email: 'pablo@example.org' },
  perl: { name: 'Lena', password: 'Secret-Pass-15', email: 'lena@example.org' },
};
export const BOTS: BotPasswordSpec[] = [
  { name: ALICE.name, app: 'app', grants: 'basic,editmyoptions' },
  { name: ALICE.name, app: 'basiconly', grants: 'basic' },
];

/** Filled in by ecosystem.test.ts's before hook; the suites read it inside their tests. */
export interface Shared {
  server: EcoServer;
  /** Alice@app: grants basic and editmyoptions. */
  botPassword: string;
  /** Alice@basiconly: grant basic only. */
  basicOnlyPassword: string;
}
