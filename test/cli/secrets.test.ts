// Logs and audit events never hold a secret. A real `mwauth serve` (MWAUTH_LOG_LEVEL=debug) runs a full
// flow — a reset, the temporary-password login, the forced change, a bot-password login, logouts, wrong
// passwords — and then its stdout/stderr, the audit_event table and `mwauth audit` are searched for
// every secret the flow used: passwords, the temporary password, bot passwords, tokens, session ids,
// cookie values, and the stored user and bot-password tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services.js';
import { Client, readMails, type ReadMail } from '../helpers/harness.js';
import { freePort, runCli, startServe, type ServeProcess } from '../helpers/process.js';

const PW_REQ = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';

async function waitForMails(dir: string, pred: (m: ReadMail[]) => boolean): Promise<ReadMail[]> {
  for (let i = 0; i < 1000; i++) {
    const mails = await readMails(dir);
    if (pred(mails)) return mails;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the expected mail did not arrive');
}

test('a full flow leaves no password, temporary password, token or session id in the log or the audit trail', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-secrets-'));
  const mailDir = join(dir, 'mail');
  const port = await freePort();
  const env = {
    MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
    MWAUTH_LOG_LEVEL: 'debug', MWAUTH_PORT: String(port), MWAUTH_SECRET: 'a-server-secret-of-some-length-123',
  };
  let server: ServeProcess | null = null;
  t.after(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const secrets = new Set<string>(['Original-Pass-1', 'Typo-Pass-2', 'Chosen-Pass-3', 'Second-Pass-4', env.MWAUTH_SECRET]);
  // The first bot password, set before the server starts.
  const BOT1 = 'k0k1k2k3k4k5k6k7k8k9kakbkckdkekf';
  secrets.add(BOT1);
  {
    const s = await createServices(loadConfig(env));
    const u = await s.users.create({ name: 'Sam', email: 'sam@example.org', passwordHash: await s.hasher.hash('Original-Pass-1') });
    await s.botPasswords.set(u.id, 'tool', BOT1, ['basic']);
    await s.close(0);
  }

  server = await startServe(env);
  const api = `http://127.0.0.1:${port}/w/api.php`;
  const clients: Client[] = [];
  const client = () => {
    const c = new Client(api);
    clients.push(c);
    return c;
  };
  const keepTokens = async (c: Client, type: string) => {
    const tok = await c.token(type);
    if (tok !== '+\\') {
      secrets.add(tok);
      secrets.add(tok.slice(0, 32)); // the HMAC part alone
    }
    return tok;
  };

  // Wrong passwords, a bot login that works, a main-account login.
  assert.equal((await client().login('Sam', 'Typo-Pass-2')).result, 'Failed');
  assert.equal((await client().login('Typo-Pass-2', 'Original-Pass-1')).result, 'Failed'); // a password in the name field
  const botBefore = client();
  assert.equal((await botBefore.login('Sam@tool', BOT1)).result, 'Success');
  const main = client();
  assert.equal((await main.login('Sam', 'Original-Pass-1')).result, 'Success');
  await keepTokens(main, 'csrf');

  // The reset, the temporary password, the forced change.
  const anon = client();
  assert.equal((await anon.post({ action: 'resetpassword', user: 'Sam', token: '+\\' })).json.resetpassword.status, 'success');
  const [resetMail] = await waitForMails(mailDir, (m) => m.length >= 1);
  const temp = resetMail!.tempPassword!;
  assert.match(temp, /^[0-9a-v]{10}$/);
  secrets.add(temp);
  const c = client();
  const logintoken = await keepTokens(c, 'login');
  const ui = await c.post({ action: 'clientlogin', username: 'Sam', password: temp, loginreturnurl: 'http://wiki.test/', logintoken, formatversion: '2' });
  assert.equal(ui.json.clientlogin.status, 'UI');
  const pass = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'Chosen-Pass-3', retype: 'Chosen-Pass-3', logintoken, formatversion: '2' });
  assert.equal(pass.json.clientlogin.status, 'PASS');
  await waitForMails(mailDir, (m) => m.some((x) => /password was changed/.test(x.subject)));
  assert.equal((await client().login('Sam@tool', BOT1)).result, 'Failed', 'the old bot password was invalidated');

  // A new bot password from the command line, used; a change through the API; logouts.
  const made = await runCli(['botpassword', 'add', 'Sam', 'tool2'], env);
  assert.equal(made.code, 0, made.stderr);
  const bot2 = made.stdout.trim().split('\n').at(-1)!;
  assert.match(bot2, /^[0-9a-v]{32}$/);
  secrets.add(bot2);
  const botAfter = client();
  assert.equal((await botAfter.login('Sam@tool2', bot2)).result, 'Success');
  const ctoken = await keepTokens(c, 'csrf');
  const changed = await c.post({ action: 'changeauthenticationdata', changeauthrequest: PW_REQ, password: 'Second-Pass-4', retype: 'Second-Pass-4', changeauthtoken: ctoken });
  assert.equal(changed.text, '{"changeauthenticationdata":{"status":"success"}}');
  const botAgain = client();
  assert.equal((await botAgain.login('Sam', 'Second-Pass-4')).result, 'Success');
  for (const who of [c, botAgain]) {
    const tok = await keepTokens(who, 'csrf');
    assert.deepEqual((await who.post({ action: 'logout', token: tok })).json, {});
  }
  await waitForMails(mailDir, (m) => m.filter((x) => /password was changed/.test(x.subject)).length >= 2);

  // Every cookie value any client held (session ids, the Token cookie), and what the database holds.
  for (const cl of clients) for (const [name, value] of cl.cookies) if (!/UserName$|UserID$/.test(name)) secrets.add(value);
  const db = new SQLite(join(dir, 'mwauth.sqlite'), { readonly: true });
  let auditDump: string;
  try {
    for (const r of db.prepare('select user_token t, user_password p, user_newpassword n from user').all() as Array<{ t: string; p: string; n: string }>) {
      for (const v of [r.t, r.p, r.n]) if (v) secrets.add(v);
    }
    for (const r of db.prepare('select bp_token t, bp_password p from bot_passwords').all() as Array<{ t: string; p: string }>) {
      for (const v of [r.t, r.p]) if (v) secrets.add(v);
    }
    for (const r of db.prepare('select s_key k from session').all() as Array<{ k: string }>) secrets.add(r.k);
    const rows = db.prepare('select * from audit_event order by ae_id').all() as Array<{ ae_type: string }>;
    auditDump = JSON.stringify(rows);
    const types = new Set(rows.map((r) => r.ae_type));
    for (const ty of ['login.failure', 'login.bot', 'login.success', 'reset.requested', 'reset.outcome', 'login.temporary-password', 'password.changed', 'sessions.revoked', 'mail.queued', 'mail.sent', 'logout']) {
      assert.ok(types.has(ty), `the flow recorded ${ty}: ${[...types].join(', ')}`);
    }
  } finally {
    db.close();
  }
  const trail = await runCli(['audit', '--json'], env);
  assert.equal(trail.code, 0, trail.stderr);

  server.child.kill('SIGTERM');
  assert.equal((await server.exited).code, 0);
  const log = server.output();
  assert.match(log, /"level":(20|30)/, 'the server logged (JSON lines)');
  assert.match(log, /reset request handled/);
  assert.match(log, /mail sent/);

  const values = [...secrets].filter((v) => v.length >= 8);
  assert.ok(values.length >= 20, `${values.length} secrets collected`);
  for (const [where, text] of [['server log', log], ['audit_event table', auditDump], ['mwauth audit', trail.stdout + trail.stderr]] as const) {
    for (const v of values) assert.ok(!text.includes(v), `${where} contains a secret (${v.slice(0, 4)}…, ${v.length} characters)`);
  }
});
