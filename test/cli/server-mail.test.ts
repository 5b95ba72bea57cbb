// Only the server works: CLI commands beside a running `mwauth serve` (which sends by SMTP) never turn
// pending resets into mail, never deliver, and read-only ones change no row. A mail a command queues is
// composed with the server's links, name and sender — whatever the shell's MWAUTH_* say — and the
// server sends it by SMTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import SQLite from 'better-sqlite3';
import { freePort, runCli, startServe, type CliResult } from '../helpers/process.js';
import { startSmtp, until, type Received } from '../mail/helpers.js';

function ok(r: CliResult): string {
  assert.equal(r.code, 0, `exit 0 expected; stdout: ${r.stdout} stderr: ${r.stderr}`);
  return r.stdout;
}

/** Every row of every table, in a stable order: what a command must leave as it was. */
function snapshot(file: string): string {
  const db = new SQLite(file, { readonly: true });
  try {
    const tables = (db.prepare("select name from sqlite_master where type = 'table' order by name").all() as Array<{ name: string }>).map((r) => r.name);
    // Every row of every table, in an order its first columns (one or two) fix.
    return JSON.stringify(
      tables.map((t) => {
        const columns = (db.prepare(`select count(*) n from pragma_table_info('${t}')`).get() as { n: number }).n;
        return [t, db.prepare(`select * from "${t}" order by ${columns > 1 ? '1, 2' : '1'}`).all()];
      }),
    );
  } finally {
    db.close();
  }
}

async function parsed(r: Received) {
  const m = await simpleParser(r.raw);
  return { to: r.to[0], from: m.from?.text ?? '', subject: m.subject ?? '', text: m.text ?? '', html: typeof m.html === 'string' ? m.html : '' };
}

test('CLI commands beside a running server: nothing delivered by the CLI, read-only ones change no row, queued mail carries the server\'s links and goes out by its SMTP', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'mwauth-cli-server-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const dataDir = join(parent, 'data');
  const shellMail = join(parent, 'shell-mail');
  const smtp = await startSmtp();
  t.after(() => smtp.close());
  const port = await freePort();
  const server = await startServe({
    MWAUTH_DATA_DIR: dataDir,
    MWAUTH_PORT: String(port),
    MWAUTH_SERVER: 'https://wiki.example.org',
    MWAUTH_SITENAME: 'ServerWiki',
    MWAUTH_PASSWORD_SENDER: 'wiki@wiki.example.org',
    MWAUTH_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MWAUTH_LOG_LEVEL: 'warn',
  });
  t.after(async () => {
    server.child.kill('SIGCONT');
    await server.stop();
  });
  // The operator's shell: the same data folder, but nothing else of the server's settings.
  const shell = { MWAUTH_DATA_DIR: dataDir, MWAUTH_SITENAME: 'ShellWiki', MWAUTH_PASSWORD_SENDER: 'shell@shell.test', MWAUTH_MAIL_DIR: shellMail };
  const cli = (...args: string[]) => runCli(args, shell);
  const shellDelivered = () => (existsSync(shellMail) ? readdirSync(shellMail) : []);

  const added = await Promise.all([
    cli('user', 'add', 'Ann', '--email', 'ann@example.org', '--password', 'Ann-pass-123'),
    cli('user', 'add', 'Ben', '--email', 'ben@example.org', '--password', 'Ben-pass-123'),
  ]);
  for (const r of added) ok(r);

  // A change from the command line: its notice is queued, with the server's site, and the server sends it.
  ok(await cli('user', 'set-password', 'Ann', '--password', 'Ann-pass-456'));
  await until(() => smtp.received.length === 1, 15_000, 'the notice by SMTP');
  const notice = await parsed(smtp.received[0]!);
  assert.equal(notice.to, 'ann@example.org');
  assert.equal(notice.subject, 'Your ServerWiki password was changed');
  assert.match(notice.from, /ServerWiki.*wiki@wiki\.example\.org/);
  assert.ok(notice.text.includes('<https://wiki.example.org/wiki/Special:PasswordReset>'), notice.text);
  for (const shellWord of ['127.0.0.1:8080', 'ShellWiki', 'shell.test']) {
    assert.ok(!smtp.received[0]!.raw.includes(shellWord) && !notice.text.includes(shellWord) && !notice.html.includes(shellWord), shellWord);
  }
  assert.deepEqual(shellDelivered(), [], 'nothing went to the shell\'s mail folder');

  // Work waiting for the server while it cannot take it (paused): a reset request, and a notice a command
  // queues. The commands that only read must leave every row as it is, and no command may do the
  // server's work.
  const file = join(dataDir, 'mwauth.sqlite');
  await until(() => {
    const db = new SQLite(file, { readonly: true });
    try {
      const sent = db.prepare("select count(*) n from outbox where ob_status = 'sent'").get() as { n: number };
      const audited = db.prepare("select count(*) n from audit_event where ae_type = 'mail.sent'").get() as { n: number };
      return sent.n === 1 && audited.n === 1;
    } finally {
      db.close();
    }
  }, 10_000, 'the server done with the notice');
  server.child.kill('SIGSTOP');
  {
    const db = new SQLite(file);
    db.prepare(
      "insert into reset_request (rr_created, rr_performer_id, rr_performer_name, rr_performer_ip, rr_username, rr_email, rr_status, rr_processed) values (?, 0, '192.0.2.9', '192.0.2.9', 'Ben', null, 'pending', null)",
    ).run(Date.now());
    db.close();
  }
  ok(await cli('user', 'set-password', 'Ben', '--password', 'Ben-pass-456'));
  const before = snapshot(file);
  const reads = await Promise.all([
    cli('user', 'list'),
    cli('user', 'show', 'Ben'),
    cli('mail', 'list'),
    cli('mail', 'stats'),
    cli('mail', 'show', '2'),
    cli('block', 'list'),
    cli('audit'),
  ]);
  for (const r of reads) ok(r);
  assert.match(reads[2]!.stdout, /^2\tqueued\t.*\tpassword-changed\tben@example\.org\tattempts=0$/m);
  assert.match(reads[4]!.stdout, /^From: ServerWiki <wiki@wiki\.example\.org>$/m);
  assert.equal(snapshot(file), before, 'the read-only commands changed no row');
  const db = new SQLite(file, { readonly: true });
  assert.deepEqual(db.prepare('select rr_status from reset_request').all(), [{ rr_status: 'pending' }], 'the reset waits for the server');
  assert.deepEqual(db.prepare('select ob_status, ob_attempts from outbox order by ob_id').all(), [
    { ob_status: 'sent', ob_attempts: 1 },
    { ob_status: 'queued', ob_attempts: 0 },
  ]);
  db.close();
  assert.equal(smtp.received.length, 1, 'nothing more was sent');
  assert.deepEqual(shellDelivered(), []);

  // The server again: it handles the reset and sends both, with its own links, by SMTP.
  server.child.kill('SIGCONT');
  await until(() => smtp.received.length === 3, 20_000, 'the reset mail and the second notice by SMTP');
  const mails = await Promise.all(smtp.received.slice(1).map(parsed));
  const reset = mails.find((m) => m.subject === 'Your ServerWiki password reset')!;
  const benNotice = mails.find((m) => m.subject === 'Your ServerWiki password was changed')!;
  assert.equal(reset.to, 'ben@example.org');
  assert.ok(reset.text.includes('<https://wiki.example.org/wiki/Special:UserLogin>'), reset.text);
  assert.equal(benNotice.to, 'ben@example.org');
  assert.ok(benNotice.text.includes('<https://wiki.example.org/wiki/Special:PasswordReset>'));
  for (const r of smtp.received) for (const shellWord of ['127.0.0.1:8080', 'ShellWiki', 'shell.test']) assert.ok(!r.raw.includes(shellWord), shellWord);
  assert.match(reset.text, /:\s*[0-9a-v]{10}\s*$/m, 'with its temporary password');

  // `mail test` tests the server: queued from the shell, sent by the server's SMTP, reported as such.
  const tested = await cli('mail', 'test', 'ops@example.org');
  assert.match(ok(tested), new RegExp(`^mail 4 sent by SMTP to smtp://127\\.0\\.0\\.1:${smtp.port}$`, 'm'));
  const testMail = await parsed(smtp.received.at(-1)!);
  assert.equal(testMail.to, 'ops@example.org');
  assert.equal(testMail.subject, 'Test mail from ServerWiki');
  assert.ok(testMail.text.includes('(https://wiki.example.org)'));
  assert.deepEqual(shellDelivered(), []);
});

test('without a server that ever ran, `mail test` says so and queues nothing; set-password changes the password and says why no notice was queued', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'mwauth-cli-noserver-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const env = { MWAUTH_DATA_DIR: join(parent, 'data'), MWAUTH_SMTP_URL: 'smtp://127.0.0.1:9' };
  ok(await runCli(['user', 'add', 'Ann', '--email', 'ann@example.org', '--password', 'Ann-pass-123'], env));
  const [test1, pw] = await Promise.all([
    runCli(['mail', 'test', 'ops@example.org'], env),
    runCli(['user', 'set-password', 'Ann', '--password', 'Ann-pass-456'], env),
  ]);
  assert.equal(test1.code, 1);
  assert.match(test1.stderr, /^mwauth: no server has run on this database yet: start "mwauth serve" \(it sends the mail\), then test again$/m);
  assert.match(ok(pw), /password of "Ann" changed/);
  assert.match(pw.stderr, /no "password changed" mail was queued: no server has run on this database yet/);
  const db = new SQLite(join(parent, 'data', 'mwauth.sqlite'), { readonly: true });
  assert.deepEqual(db.prepare('select count(*) n from outbox').get(), { n: 0 });
  db.close();
});
