// `mwauth user set-password` has the consequences of every other password change (temporary password
// void, other sessions and bot passwords ended, a notice to the account's address, an audit event), and
// `mwauth audit` shows the trail with its filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { createServices } from '../../src/services.js';
import { ManualClock } from '../helpers/clock.js';
import { Client, readMails } from '../helpers/harness.js';
import { runCli, startServe, type CliResult } from '../helpers/process.js';

const PW32 = '0123456789abcdefghijklmnopqrstuv';

/** The server's own workers send the mail; waits until `n` have arrived. */
async function waitForMails(dir: string, n: number) {
  for (let i = 0; i < 500; i++) {
    const mails = await readMails(dir);
    if (mails.length >= n) return mails;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${n} mails in ${dir}`);
}

function ok(r: CliResult): string {
  assert.equal(r.code, 0, `exit 0 expected; stderr: ${r.stderr}`);
  return r.stdout;
}

test('set-password ends everything else and tells the address; `mwauth audit` shows it, filtered', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-cli-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test', MWAUTH_SITENAME: 'TestWiki' };
  const cli = (...args: string[]) => runCli(args, env);
  ok(await cli('user', 'add', 'Tess', '--email', 'tess@example.org', '--password', 'Main-Pass-1'));

  const server = await startServer(loadConfig({ ...env, MWAUTH_PORT: '0' }));
  let temp: string;
  const api = `${server.url}/w/api.php`;
  const elsewhere = new Client(api);
  const bot = new Client(api);
  try {
    const s = server.services;
    const tess = (await s.users.byName('Tess'))!;
    await s.botPasswords.set(tess.id, 'app', PW32, ['basic']);
    assert.equal((await elsewhere.login('Tess', 'Main-Pass-1')).result, 'Success');
    assert.equal((await bot.login('Tess@app', PW32)).result, 'Success');
    assert.equal((await new Client(api).login('Tess', 'wrong-one')).result, 'Failed');
    await new Client(api).post({ action: 'resetpassword', user: 'Tess', token: '+\\' });
    temp = (await waitForMails(join(dir, 'mail'), 1))[0]!.tempPassword!;
    assert.match(temp, /^[0-9a-v]{10}$/);

    assert.match(ok(await cli('user', 'set-password', 'Tess', '--password', 'Cli-Pass-22')), /password of "Tess" changed/);

    const me = async (c: Client) => (await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id;
    assert.equal(await me(elsewhere), 0, 'the logged-in browser is out');
    assert.equal(await me(bot), 0, 'the bot session is out');
    assert.equal((await new Client(api).login('Tess@app', PW32)).result, 'Failed');
    assert.equal((await new Client(api).login('Tess', temp)).result, 'Failed', 'temporary password void');
    assert.equal((await new Client(api).login('Tess', 'Cli-Pass-22')).result, 'Success');
    // The command queued its notice; the server sends it.
    await waitForMails(join(dir, 'mail'), 2);
  } finally {
    await server.close();
  }

  // The administrator wording, no IP address.
  const notice = (await readMails(join(dir, 'mail'))).find((m) => m.subject === 'Your TestWiki password was changed');
  assert.ok(notice, 'a notice');
  assert.match(notice.to, /tess@example\.org/);
  assert.match(notice.text, /was changed on .+ \(UTC\) by an administrator of the site\./);
  assert.ok(notice.text.includes('<http://wiki.test/wiki/Special:PasswordReset>'));

  const all = ok(await cli('audit')).trim().split('\n');
  const types = all.map((l) => l.split('\t')[1]);
  for (const ty of ['login.success', 'login.bot', 'login.failure', 'reset.requested', 'reset.outcome', 'mail.queued', 'mail.sent', 'password.changed', 'sessions.revoked']) {
    assert.ok(types.includes(ty), `${ty} in ${types.join(',')}`);
  }
  for (const line of all) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\t[a-z.-]+\t[^\t]+\t[^\t]+\t\{.*\}$/, line);

  const changed = ok(await cli('audit', '--user', 'tess', '--type', 'password.changed')).trim().split('\n');
  assert.equal(changed.length, 1);
  assert.match(changed[0]!, /^\S+\tpassword\.changed\tTess \(#1\)\t-\t\{"via":"cli","temporaryCleared":true,"botsInvalidated":1\}$/);
  const logins = ok(await cli('audit', '--type', 'login.*', '--since', '1h', '--json')).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(logins.length >= 3 && logins.every((e: { type: string }) => e.type.startsWith('login.')));
  assert.ok(logins.some((e: { type: string; ip: string }) => e.type === 'login.failure' && e.ip === '127.0.0.1'));
  assert.equal(ok(await cli('audit', '--since', '2999-01-01')).trim(), '(no events)');
  assert.equal(ok(await cli('audit', '--limit', '2')).trim().split('\n').length, 2);

  const bad = await cli('audit', '--since', 'yesterday');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--since takes a duration/);
  const badType = await cli('audit', '--type', 'nope');
  assert.equal(badType.code, 1);
  assert.match(badType.stderr, /unknown event type "nope"/);

  // Whatever was typed, the trail holds no password.
  const everything = ok(await cli('audit', '--json'));
  for (const secret of ['Main-Pass-1', 'Cli-Pass-22', 'wrong-one', PW32, temp!]) assert.ok(!everything.includes(secret), secret);
});

test('`mwauth audit prune` removes what is older than the retention or --older-than, and refuses bad numbers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-cli-prune-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' };
  const cli = (args: string[], more: Record<string, string> = {}) => runCli(args, { ...env, ...more });
  const DAY = 86_400_000;
  const now = Date.now();
  const clock = new ManualClock();
  const s = await createServices(loadConfig(env), { clock });
  for (const age of [400, 40, 10, 0]) {
    clock.set(now - age * DAY - 60_000);
    await s.audit.record({ type: 'login.success', userName: `aged${age}` });
  }
  await s.close(0);
  const names = async () => ok(await cli(['audit'])).trim().split('\n').map((l) => l.split('\t')[2]);

  const usage = (r: CliResult, err: RegExp) => {
    assert.equal(r.code, 2, `exit 2 expected; stdout: ${r.stdout} stderr: ${r.stderr}`);
    assert.match(r.stderr, err);
    assert.equal(r.stdout, '');
  };
  const [zero, negative, word, fraction, huge, forever, badSetting, oneShot, serve] = await Promise.all([
    cli(['audit', 'prune', '--older-than', '0']),
    cli(['audit', 'prune', '--older-than', '-3']),
    cli(['audit', 'prune', '--older-than', 'ninety']),
    cli(['audit', 'prune', '--older-than', '1.5']),
    cli(['audit', 'prune', '--older-than', '36501']),
    cli(['audit', 'prune'], { MWAUTH_AUDIT_RETENTION_DAYS: '0' }),
    cli(['audit', 'prune'], { MWAUTH_AUDIT_RETENTION_DAYS: '3 months' }),
    // One-shot commands never prune, whatever the retention.
    cli(['audit'], { MWAUTH_AUDIT_RETENTION_DAYS: '1' }),
    startServe({ ...env, MWAUTH_PORT: '0', MWAUTH_AUDIT_RETENTION_DAYS: '-1' }).then(
      (srv) => {
        srv.child.kill('SIGKILL');
        return 'started';
      },
      (err: Error) => err.message,
    ),
  ]);
  for (const [r, v] of [[zero, '0'], [negative, '-3'], [word, 'ninety'], [fraction, '1.5'], [huge, '36501']] as const) {
    usage(r, new RegExp(`argument '${v.replace('.', '\\.')}' is invalid\\. --older-than takes a whole number of days from 1 to 36500`));
  }
  usage(forever, /^mwauth: MWAUTH_AUDIT_RETENTION_DAYS is 0, which keeps the audit trail forever; give --older-than DAYS to prune it$/m);
  usage(badSetting, /^mwauth: configuration error: MWAUTH_AUDIT_RETENTION_DAYS must be an integer, got "3 months"$/m);
  assert.equal(ok(oneShot).trim().split('\n').length, 4);
  assert.match(serve, /exited \(2\) before serving/);
  assert.match(serve, /mwauth: configuration error: MWAUTH_AUDIT_RETENTION_DAYS must be between 0 and 36500, got -1/);
  assert.deepEqual(await names(), ['aged400', 'aged40', 'aged10', 'aged0'], 'refused commands removed nothing');

  assert.match(ok(await cli(['audit', 'prune', '--older-than', '30'])), /^removed 2 audit events older than 30 days \(before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/m);
  assert.deepEqual(await names(), ['aged10', 'aged0']);
  assert.match(ok(await cli(['audit', 'prune'])), /^removed 0 audit events older than 90 days /m, 'the default retention');
  assert.match(ok(await cli(['audit', 'prune'], { MWAUTH_AUDIT_RETENTION_DAYS: '5' })), /^removed 1 audit event older than 5 days /m);
  assert.deepEqual(await names(), ['aged0']);
});
