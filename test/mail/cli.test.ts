// The `mwauth mail …` commands, run in-process through the same commander setup as src/cli/main.ts
// (with the older `mail list` of admin.ts registered first, which registerMailCommands replaces), beside
// a server that sends the mail: the commands themselves never do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { simpleParser } from 'mailparser';
import { loadPerformer } from '../../src/accounts/performer.js';
import { registerAdminCommands } from '../../src/cli/admin.js';
import { CliError, type Io, type WithServices } from '../../src/cli/common.js';
import { formatAge, parseAge, registerMailCommands } from '../../src/cli/mail.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { createServices } from '../../src/services.js';
import { smtpError, startSmtp } from './helpers.js';

async function mwauth(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const withServices: WithServices = async (fn) => {
    const s = await createServices(loadConfig(env), { hasher: createPasswordHasher({ iterations: 1000 }), role: 'cli' });
    try {
      await fn(s);
    } finally {
      await s.close(0);
    }
  };
  const program = new Command('mwauth').exitOverride().configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  registerAdminCommands(program, withServices, io);
  registerMailCommands(program, withServices, io);
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
    else if (e instanceof ConfigError) code = 2;
    else if (e instanceof CliError) {
      err.push(`mwauth: ${e.message}`);
      code = 1;
    } else throw e;
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('parseAge and formatAge', () => {
  assert.equal(parseAge('30d'), 30 * 86_400_000);
  assert.equal(parseAge(' 90M '), 90 * 60_000);
  assert.equal(parseAge('2w'), 14 * 86_400_000);
  assert.throws(() => parseAge('30'), /--older-than takes a number and a unit/);
  assert.throws(() => parseAge('-1d'), CliError);
  assert.equal(formatAge(400), '400ms');
  assert.equal(formatAge(1540), '1.5s');
  assert.equal(formatAge(93_000), '1m33s');
  assert.equal(formatAge(90_061_000), '1d1h');
});

test('mail list, show (masked), retry, purge, stats and test', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mwauth-mailcli-'));
  const smtp = await startSmtp({ rcpt: (a) => (a.startsWith('bob@') ? smtpError(550, '5.1.1 <bob@example.org>: no such user') : null) });
  t.after(async () => {
    await smtp.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const env = {
    MWAUTH_DATA_DIR: dataDir,
    MWAUTH_SERVER: 'http://wiki.test',
    MWAUTH_SITENAME: 'TestWiki',
    MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
    MWAUTH_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MWAUTH_MAIL_MAX_ATTEMPTS: '4',
  };

  // Two resets through the real path (request → worker → outbox → SMTP), and a mail with recorded secrets.
  let aliceId = 0;
  let bobId = 0;
  let secretId = 0;
  // The server: its workers start once the first two mails went out.
  const s = await createServices(loadConfig(env), { hasher: createPasswordHasher({ iterations: 1000 }) });
  t.after(() => s.close(0));
  // Until nothing is due or being sent (the server's own loop may hold a mail this run does not see).
  const settle = async () => {
    await s.recoveryWorker.kick();
    for (;;) {
      while ((await s.delivery.runOnce()) > 0);
      const busy = await s.db
        .selectFrom('outbox')
        .select('ob_id')
        .where((eb) => eb.or([eb('ob_status', '=', 'sending'), eb.and([eb('ob_status', '=', 'queued'), eb('ob_next_attempt', '<=', Date.now())])]))
        .execute();
      if (busy.length === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  {
    const hash = await s.hasher.hash('Initial-Pass-1');
    await s.users.create({ name: 'Alice', email: 'alice@example.org', passwordHash: hash });
    await s.users.create({ name: 'Bob', email: 'bob@example.org', passwordHash: hash });
    const anon = await loadPerformer(s, 0, '192.0.2.1');
    await s.recovery.request(anon, { user: 'Alice', email: null });
    await s.recovery.request(anon, { user: 'Bob', email: null });
    await s.recoveryWorker.kick();
    await s.delivery.runOnce();
    const rows = await s.outbox.list();
    aliceId = rows.find((r) => r.ob_to === 'alice@example.org')!.ob_id;
    bobId = rows.find((r) => r.ob_to === 'bob@example.org')!.ob_id;
    secretId = await s.outbox.enqueue(s.db, {
      kind: 'confirm', userId: 0, to: 'carol@example.org', subject: 'Your code', text: 'Code: Sesame-42-open (do not share)', lang: 'en', dir: 'ltr', secrets: ['Sesame-42-open'],
    });
    s.startWorkers();
  }
  assert.equal(smtp.received.length, 1, 'Bob refused at RCPT');
  const parsed = await simpleParser(smtp.received.find((r) => r.to[0] === 'alice@example.org')!.raw);
  const temp = /Temporary password: (\S+)/.exec(parsed.text ?? '')?.[1];
  assert.match(temp ?? '', /^[0-9a-v]{10}$/, 'the real mail carries the password');

  // list: the format of the older command, then filters.
  let r = await mwauth(['mail', 'list'], env);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^${aliceId}\\tsent\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\tpassword-reset\\talice@example\\.org\\tattempts=1$`, 'm'));
  assert.match(r.out, new RegExp(`^${bobId}\\tfailed\\t\\S+\\tpassword-reset\\tbob@example\\.org\\tattempts=1\\t550 5\\.1\\.1 <bob@example\\.org>: no such user$`, 'm'));
  assert.ok(!r.out.includes(temp!), 'no bodies');
  // The confirm mail to carol is the server's to send.
  await settle();
  r = await mwauth(['mail', 'list', '--status', 'failed'], env);
  assert.deepEqual(r.out.split('\n').map((l) => l.split('\t')[0]), [String(bobId)]);
  r = await mwauth(['mail', 'list', '--to', 'ALICE@Example.org', '--long'], env);
  assert.match(r.out, new RegExp(`^${aliceId}\\tsent\\t.*\\tattempts=1\\tsent \\S+Z\\t<[0-9a-f]{32}@wiki\\.test>$`, 'm'));
  assert.equal(r.out.split('\n').length, 1);
  r = await mwauth(['mail', 'list', '--user', 'bob'], env);
  assert.equal(r.out.split('\t')[0], String(bobId));
  r = await mwauth(['mail', 'list', '--to', 'nobody@example.org'], env);
  assert.equal(r.out, '(no mail)');
  r = await mwauth(['mail', 'list', '--status', 'lost'], env);
  assert.equal(r.code, 1);
  assert.match(r.err, /--status must be one of queued, sending, sent, failed/);
  r = await mwauth(['mail', 'list', '--user', 'Nobody'], env);
  assert.equal(r.code, 1);

  // show: record, headers, text; the password masked, by its form (the recovery worker records no secrets yet).
  r = await mwauth(['mail', 'show', String(aliceId)], env);
  assert.equal(r.code, 0, r.err);
  assert.ok(!r.out.includes(temp!), 'the temporary password is not shown');
  assert.match(r.out, /^status: +sent$/m);
  assert.match(r.out, /^user: +Alice \(id \d+\)$/m);
  assert.match(r.out, /^attempts: +1 of 4$/m);
  assert.match(r.out, /^sent: +\S+Z \(after [\d.]+m?s\)$/m);
  assert.match(r.out, /^From: TestWiki <wiki@wiki\.test>$/m);
  assert.match(r.out, /^Subject: Your TestWiki password reset$/m);
  assert.match(r.out, /^Auto-Submitted: auto-generated$/m);
  assert.match(r.out, /^Temporary password: •+$/m);
  assert.match(r.out, /--- text\/html \(not shown; --html shows it\) ---/);
  // The reset worker records the temporary password as a secret, so the stored copy masks it exactly.
  assert.match(r.out, /^\(passwords masked\)$/m);
  const messageId = /^message-id: +(\S+)$/m.exec(r.out)![1]!;
  r = await mwauth(['mail', 'show', messageId, '--html'], env);
  assert.equal(r.code, 0);
  assert.match(r.out, /<html lang="en" dir="ltr">/);
  assert.ok(!r.out.includes(temp!), 'not in the html either');
  r = await mwauth(['mail', 'show', String(secretId)], env);
  assert.ok(!r.out.includes('Sesame-42-open'));
  assert.match(r.out, /^Code: •+ \(do not share\)$/m);
  assert.match(r.out, /\(passwords masked\)$/);
  r = await mwauth(['mail', 'show', String(bobId)], env);
  assert.match(r.out, /^status: +failed$/m);
  assert.match(r.out, /^last error: +550 5\.1\.1/m);
  r = await mwauth(['mail', 'show', '424242'], env);
  assert.equal(r.code, 1);
  assert.match(r.err, /there is no mail "424242"/);

  // retry
  r = await mwauth(['mail', 'retry', String(aliceId)], env);
  assert.equal(r.code, 1);
  assert.match(r.err, /was already sent; it is not sent twice/);
  r = await mwauth(['mail', 'retry'], env);
  assert.equal(r.code, 1);
  assert.match(r.err, /give a mail number or Message-ID, or --failed/);
  r = await mwauth(['mail', 'retry', String(bobId)], env);
  assert.equal(r.out, `mail ${bobId} queued again`);
  await settle();
  assert.equal(smtp.dataCount, 2, 'alice and carol; no DATA for a refused recipient');
  r = await mwauth(['mail', 'show', String(bobId)], env);
  assert.match(r.out, /^status: +failed$/m, 'refused again');
  assert.match(r.out, /^attempts: +1 of 4$/m, 'with fresh attempts');
  r = await mwauth(['mail', 'retry', '--failed'], env);
  assert.equal(r.out, '1 failed mail queued again');
  await settle();

  // stats
  r = await mwauth(['mail', 'stats', '--json'], env);
  const stats = JSON.parse(r.out);
  assert.deepEqual(stats.queue, { queued: 0, sending: 0, sent: 2, failed: 1 });
  assert.equal(stats.latencyMs.count, 2);
  r = await mwauth(['mail', 'stats'], env);
  assert.match(r.out, /^sent: +2$/m);
  assert.match(r.out, /^queue latency: +p50 [\d.]+m?s, p99 [\d.]+m?s, max [\d.]+m?s over 2 sent in the last 24h$/m);

  // test
  r = await mwauth(['mail', 'test', 'ops@example.org'], env);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^mail \\d+ sent by SMTP to smtp://127\\.0\\.0\\.1:${smtp.port}$`));
  assert.equal(smtp.received.at(-1)!.to[0], 'ops@example.org');
  r = await mwauth(['mail', 'test', 'bob@example.org'], env);
  assert.equal(r.code, 1);
  assert.match(r.err, /failed by SMTP .*550/);

  // purge
  r = await mwauth(['mail', 'purge', '--sent'], env);
  assert.equal(r.code, 1);
  assert.match(r.err, /--older-than is required/);
  r = await mwauth(['mail', 'purge', '--older-than', '1d'], env);
  assert.match(r.err, /--sent and\/or --failed/);
  r = await mwauth(['mail', 'purge', '--sent', '--older-than', '1d'], env);
  assert.match(r.out, /^deleted 0 sent mails older than /);
  await new Promise((res) => setTimeout(res, 1100));
  r = await mwauth(['mail', 'purge', '--sent', '--failed', '--older-than', '1s'], env);
  assert.match(r.out, /^deleted 5 sent and failed mails older than /);
  r = await mwauth(['mail', 'list'], env);
  assert.equal(r.out, '(no mail)');
});
