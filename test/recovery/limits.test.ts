// The layered, silent reset limits: per IP on the request path; per account, per receiving address and
// the site's mail budget in the worker (the request path never learns the targets). A limited request
// ends as 'limited', sends nothing, and leaves accounts and their temporary passwords alone. Exact under
// concurrency: 50 requests at once against a limit of N let exactly N through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { loadPerformer } from '../../src/accounts/performer.js';
import { RecoveryWorker } from '../../src/recovery/worker.js';
import { ResetLimits } from '../../src/recovery/limits.js';
import { SqlCounters } from '../../src/storage/sql/counters.js';
import { openDatabase } from '../../src/storage/db.js';
import { ManualClock } from '../helpers/clock.js';
import { Client, readMails, startTestServer } from '../helpers/harness.js';
import { ANON, SUCCESS, deliverAll } from '../helpers/api.js';
import { ROOT } from '../helpers/process.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

async function setup(t: { after(fn: () => Promise<void>): void }, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-limits-'));
  const clock = new ManualClock();
  const s = await createServices(
    loadConfig({
      MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test', MWAUTH_SITENAME: 'TestWiki',
      MWAUTH_RESET_IP_LIMIT: '100000/3600', ...env,
    }),
    { clock, hasher: createPasswordHasher({ iterations: 1000 }) },
  );
  t.after(async () => {
    await s.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  const user = async (name: string, email = '') => s.users.create({ name, email, passwordHash: await s.hasher.hash('Main-Pass-123') });
  return { s, clock, dir, user };
}

/** Another reset worker on the same database, configured as the services' own (a second server instance). */
function worker(s: Services): RecoveryWorker {
  const c = s.config;
  return new RecoveryWorker({
    db: s.db, stores: s.stores, users: s.users, preferences: s.preferences, tempPasswords: s.tempPasswords, outbox: s.outbox, i18n: s.i18n, clock: s.clock, random: s.random, counters: s.counters, audit: s.audit,
    config: {
      server: c.server, articlePath: c.articlePath, language: c.language, tempPasswordLength: c.tempPasswordLength,
      newPasswordExpiry: c.newPasswordExpiry, resendHours: c.passwordReminderResendTime,
      accountLimit: c.resetAccountLimit, addressLimit: c.resetAddressLimit, mailBudget: c.mailBudget, notifyUnknownAddress: c.notifyUnknownAddress,
    },
  });
}

/** 50 requests at once (each from its own address), then 6 workers at once until nothing is pending. */
async function burst(s: Services, names: (i: number) => { user: string | null; email: string | null }, n = 50): Promise<void> {
  await Promise.all(Array.from({ length: n }, async (_, i) => s.recovery.request(await loadPerformer(s, 0, `198.51.100.${i + 1}`), names(i))));
  const workers = Array.from({ length: 5 }, () => worker(s));
  await Promise.all([...workers.map((w) => w.runOnce()), s.recoveryWorker.kick()]);
  await s.recoveryWorker.kick();
}

async function outcomes(s: Services): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await s.db.selectFrom('reset_request').select('rr_status').execute()) out[r.rr_status] = (out[r.rr_status] ?? 0) + 1;
  return out;
}
const outbox = (s: Services) => s.db.selectFrom('outbox').selectAll().orderBy('ob_id').execute();

test('per IP, on the request path: 50 parallel HTTP requests against 5 record exactly 5; all 50 answers are the same', async (t) => {
  const srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '5/3600' } });
  t.after(() => srv.close());
  const answers = await Promise.all(Array.from({ length: 50 }, () => new Client(srv.api).post({ action: 'resetpassword', user: 'Nobody', token: ANON })));
  for (const a of answers) assert.equal(a.text, SUCCESS);
  const rows = await srv.services.db.selectFrom('reset_request').select('rr_id').execute();
  assert.equal(rows.length, 5);
  assert.equal(await srv.services.counters.peek('reset:ip:127.0.0.1'), 50);
});

test('per account: 50 parallel requests for one account with a limit of 3 (no cooldown) queue exactly 3', async (t) => {
  const { s } = await setup(t, { MWAUTH_RESET_COOLDOWN_HOURS: '0', MWAUTH_RESET_ACCOUNT_LIMIT: '3/86400' });
  const alice = await s.users.create({ name: 'Alice', email: 'alice@example.org', passwordHash: await s.hasher.hash('Main-Pass-123') });
  await burst(s, (i) => (i % 2 ? { user: 'Alice', email: null } : { user: null, email: 'ALICE@example.org' }));
  assert.deepEqual(await outcomes(s), { queued: 3, limited: 47 });
  assert.equal((await outbox(s)).length, 3);
  // The audit trail says why, per account; nothing about it reaches the requester.
  const limited = await s.audit.query({ user: 'Alice', type: 'reset.outcome' });
  assert.equal(limited.filter((e) => e.details.outcome === 'limited' && e.details.limit === 'account').length, 47);
  assert.equal(limited.every((e) => e.userId === alice.id), true);
});

test('per address: two accounts on one address share its limit, whichever route names them', async (t) => {
  const { s } = await setup(t, { MWAUTH_RESET_COOLDOWN_HOURS: '0', MWAUTH_RESET_ADDRESS_LIMIT: '4/86400', MWAUTH_RESET_ACCOUNT_LIMIT: '1000/86400' });
  await s.users.create({ name: 'Ann', email: 'shared@example.org', passwordHash: 'x' });
  await s.users.create({ name: 'Ben', email: 'Shared@Example.ORG', passwordHash: 'x' });
  await burst(s, (i) => ({ user: i % 2 ? 'Ann' : 'Ben', email: null }));
  assert.deepEqual(await outcomes(s), { queued: 4, limited: 46 });
  assert.equal((await outbox(s)).length, 4);
  // By address: both accounts in one request, two mails counted against the address.
  const { s: s2 } = await setup(t, { MWAUTH_RESET_COOLDOWN_HOURS: '0', MWAUTH_RESET_ADDRESS_LIMIT: '4/86400' });
  await s2.users.create({ name: 'Ann', email: 'shared@example.org', passwordHash: 'x' });
  await s2.users.create({ name: 'Ben', email: 'shared@example.org', passwordHash: 'x' });
  await burst(s2, () => ({ user: null, email: 'shared@example.org' }));
  assert.deepEqual(await outcomes(s2), { queued: 2, limited: 48 });
  assert.equal((await outbox(s2)).length, 4, 'each admitted request mails both accounts: 4 mails in all');
});

test('the mail budget: 50 parallel requests for 50 accounts against 7 per hour queue exactly 7; the next hour has 7 more', async (t) => {
  const { s, clock } = await setup(t, { MWAUTH_MAIL_BUDGET: '7/3600' });
  for (let i = 0; i < 60; i++) await s.users.create({ name: `User ${i}`, email: `user${i}@example.org`, passwordHash: 'x' });
  await burst(s, (i) => ({ user: `User ${i}`, email: null }));
  assert.deepEqual(await outcomes(s), { queued: 7, limited: 43 });
  assert.equal((await outbox(s)).length, 7);
  assert.equal((await s.audit.query({ type: 'reset.outcome' })).filter((e) => e.details.limit === 'budget').length, 43);
  clock.advance(HOUR);
  await burst(s, (i) => ({ user: `User ${50 + i}`, email: null }), 10);
  assert.deepEqual(await outcomes(s), { queued: 14, limited: 46 });
});

test('a request the budget refuses uses up none of its account\'s allowance', async (t) => {
  const { s, clock } = await setup(t, { MWAUTH_RESET_COOLDOWN_HOURS: '0', MWAUTH_RESET_ACCOUNT_LIMIT: '1/86400', MWAUTH_MAIL_BUDGET: '1/3600' });
  await s.users.create({ name: 'Xena', email: 'xena@example.org', passwordHash: 'x' });
  await s.users.create({ name: 'Yann', email: 'yann@example.org', passwordHash: 'x' });
  const p = await loadPerformer(s, 0, '192.0.2.1');
  await s.recovery.request(p, { user: 'Xena', email: null });
  await s.recoveryWorker.kick();
  for (let i = 0; i < 5; i++) await s.recovery.request(p, { user: 'Yann', email: null });
  await s.recoveryWorker.kick();
  assert.deepEqual(await outcomes(s), { queued: 1, limited: 5 });
  clock.advance(HOUR);
  await s.recovery.request(p, { user: 'Yann', email: null });
  await s.recoveryWorker.kick();
  assert.deepEqual(await outcomes(s), { queued: 2, limited: 5 }, 'Yann still had his one mail');
  await s.recovery.request(p, { user: 'Yann', email: null });
  clock.advance(HOUR);
  await s.recoveryWorker.kick();
  assert.deepEqual(await outcomes(s), { queued: 2, limited: 6 }, 'and now it is used');
});

test('limits lock nothing: the mailed temporary password and the main password keep working; the answer never changes', async (t) => {
  const srv = await startTestServer({ env: { MWAUTH_RESET_COOLDOWN_HOURS: '0', MWAUTH_RESET_ACCOUNT_LIMIT: '2/86400', MWAUTH_RESET_IP_LIMIT: '1000/3600' } });
  t.after(() => srv.close());
  const s = srv.services;
  await s.users.create({ name: 'Dana', email: 'dana@example.org', passwordHash: await s.hasher.hash('Main-Pass-123') });
  for (let i = 0; i < 6; i++) {
    assert.equal((await new Client(srv.api).post({ action: 'resetpassword', user: 'Dana', token: ANON })).text, SUCCESS);
    await srv.flush();
  }
  await deliverAll(srv);
  const mails = await readMails(srv.mailDir);
  assert.equal(mails.length, 2);
  const statuses = (await s.db.selectFrom('reset_request').select('rr_status').orderBy('rr_id').execute()).map((r) => r.rr_status);
  assert.deepEqual(statuses, ['queued', 'queued', 'limited', 'limited', 'limited', 'limited']);
  // The second mail's password replaced the first one's; the limited requests replaced nothing.
  const held = (await s.users.byName('Dana'))!.newPassword;
  const [last, first] = (await s.tempPasswords.verify(mails[0]!.tempPassword!, held)) ? [mails[0]!, mails[1]!] : [mails[1]!, mails[0]!];
  assert.ok(await s.tempPasswords.verify(last.tempPassword!, held));
  assert.equal((await new Client(srv.api).login('Dana', last.tempPassword!)).result, 'Aborted', 'the last mailed temporary password still logs in (clientlogin)');
  assert.equal((await new Client(srv.api).login('Dana', 'Main-Pass-123')).result, 'Success');
  assert.equal((await new Client(srv.api).login('Dana', first.tempPassword!)).result, 'Failed');
});

test('a request rolled back after taking its allowance gives it back', async (t) => {
  const { s } = await setup(t, { MWAUTH_RESET_COOLDOWN_HOURS: '0', MWAUTH_RESET_ACCOUNT_LIMIT: '1/86400' });
  await s.users.create({ name: 'Gus', email: 'gus@example.org', passwordHash: 'x' });
  const limits = new ResetLimits(s.counters, { account: [1, 86400], address: [5, 86400], budget: [10, 3600] });
  const taken = await limits.take({ accounts: [1], addresses: ['gus@example.org'] });
  assert.equal(taken.limited, null);
  assert.equal((await limits.take({ accounts: [1], addresses: ['gus@example.org'] })).limited, 'account');
  await taken.release();
  assert.equal(await s.counters.peek('reset:account:1'), 0);
  assert.equal(await s.counters.peek('reset:mail-budget'), 0);
  assert.equal((await limits.take({ accounts: [1], addresses: ['gus@example.org'] })).limited, null);
});

// Several server processes on one database: the limits are counted in the database, not per process.
const CHILD = `
import { openDatabase } from './src/storage/db.ts';
import { SqlCounters } from './src/storage/sql/counters.ts';
import { ResetLimits } from './src/recovery/limits.ts';
const handle = await openDatabase({ databaseUrl: null, dataDir: process.env.DIR });
const limits = new ResetLimits(new SqlCounters(handle.db, { now: () => Date.now() }), { account: [1000, 3600], address: [1000, 3600], budget: [Number(process.env.N), 3600] });
const got = await Promise.all(Array.from({ length: 25 }, (_, i) => limits.take({ accounts: [i], addresses: ['a' + i + '@example.org'] })));
await handle.close();
process.stdout.write(String(got.filter((g) => g.limited === null).length));
`;

test('the mail budget across processes: 2 processes × 25 parallel requests against 9 admit exactly 9', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-limits-mp-'));
  try {
    (await openDatabase({ databaseUrl: null, dataDir: dir })).close();
    const runs = Array.from({ length: 2 }, () =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: ROOT, env: { ...process.env, DIR: dir, N: '9' } });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`child failed (${code}): ${err}`))));
      }),
    );
    const admitted = await Promise.all(runs);
    assert.equal(admitted[0]! + admitted[1]!, 9, admitted.join(' + '));
    const handle = await openDatabase({ databaseUrl: null, dataDir: dir });
    assert.equal(await new SqlCounters(handle.db, { now: () => Date.now() }).peek('reset:mail-budget'), 9);
    await handle.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MWAUTH_NOTIFY_UNKNOWN_ADDRESS: an address no account uses is told once a day; off by default', async (t) => {
  const { s, clock, dir } = await setup(t, { MWAUTH_NOTIFY_UNKNOWN_ADDRESS: 'true' });
  await s.users.create({ name: 'Kim', email: 'kim@example.org', passwordHash: 'x' });
  const p = await loadPerformer(s, 0, '192.0.2.1');
  await s.recovery.request(p, { user: null, email: 'Stranger@Example.org' });
  await s.recovery.request(p, { user: null, email: 'stranger@example.org' });
  await s.recovery.request(p, { user: 'No such user', email: null });
  await s.recovery.request(p, { user: null, email: 'kim@example.org' });
  await s.recoveryWorker.kick();
  await s.delivery.runOnce();
  assert.deepEqual(await outcomes(s), { nomatch: 3, queued: 1 }, 'the outcome of an unknown address stays nomatch');
  const rows = await outbox(s);
  assert.deepEqual(rows.map((r) => [r.ob_kind, r.ob_to, Number(r.ob_user)]), [['reset-unknown-address', 'Stranger@Example.org', 0], ['password-reset', 'kim@example.org', 2 - 1]]);
  const mails = await readMails(join(dir, 'mail'));
  const notice = mails.find((m) => m.to.includes('Stranger'))!;
  assert.equal(notice.subject, s.i18n.text('en', 'passwordreset-unknown-emailtitle'));
  assert.match(notice.text, /no account on TestWiki uses this address/);
  assert.ok(notice.text.includes('<http://wiki.test/wiki/Special:PasswordReset>'));
  assert.ok(!notice.text.includes('Kim'), 'names no account');
  assert.equal(notice.tempPassword, null);
  clock.advance(DAY - 1);
  await s.recovery.request(p, { user: null, email: 'stranger@example.org' });
  await s.recoveryWorker.kick();
  assert.equal((await outbox(s)).length, 2, 'one notice a day per address');
  clock.advance(1);
  await s.recovery.request(p, { user: null, email: 'stranger@example.org' });
  await s.recoveryWorker.kick();
  assert.equal((await outbox(s)).length, 3);

  const { s: off } = await setup(t);
  await off.recovery.request(await loadPerformer(off, 0, '192.0.2.1'), { user: null, email: 'stranger@example.org' });
  await off.recoveryWorker.kick();
  assert.deepEqual(await outcomes(off), { nomatch: 1 });
  assert.equal((await outbox(off)).length, 0);
});

test('configuration: the three limits read COUNT/SECONDS, with defaults', () => {
  const base = { MWAUTH_DATA_DIR: tmpdir() };
  const c = loadConfig(base, { persistSecret: false });
  assert.deepEqual([c.resetAccountLimit, c.resetAddressLimit, c.mailBudget, c.notifyUnknownAddress], [[3, 86400], [5, 86400], [1000, 3600], false]);
  const d = loadConfig({ ...base, MWAUTH_RESET_ACCOUNT_LIMIT: '2/60', MWAUTH_RESET_ADDRESS_LIMIT: ' 4 / 120 ', MWAUTH_MAIL_BUDGET: '50/600', MWAUTH_NOTIFY_UNKNOWN_ADDRESS: 'yes' }, { persistSecret: false });
  assert.deepEqual([d.resetAccountLimit, d.resetAddressLimit, d.mailBudget, d.notifyUnknownAddress], [[2, 60], [4, 120], [50, 600], true]);
  assert.throws(() => loadConfig({ ...base, MWAUTH_MAIL_BUDGET: 'lots' }, { persistSecret: false }), /MWAUTH_MAIL_BUDGET must look like COUNT\/SECONDS/);
});

test('configuration: the cap of accounts per request and the share of the budget per network, with defaults', () => {
  const base = { MWAUTH_DATA_DIR: tmpdir() };
  const c = loadConfig(base, { persistSecret: false });
  assert.deepEqual([c.resetMaxAccounts, c.mailBudgetPerNetwork], [5, [100, 3600]]);
  const d = loadConfig({ ...base, MWAUTH_RESET_MAX_ACCOUNTS: '2', MWAUTH_MAIL_BUDGET_PER_NETWORK: '30/600' }, { persistSecret: false });
  assert.deepEqual([d.resetMaxAccounts, d.mailBudgetPerNetwork], [2, [30, 600]]);
  for (const bad of ['0', 'many', '1001']) {
    assert.throws(() => loadConfig({ ...base, MWAUTH_RESET_MAX_ACCOUNTS: bad }, { persistSecret: false }), (e: unknown) => e instanceof ConfigError && /^MWAUTH_RESET_MAX_ACCOUNTS must be /.test(e.message), bad);
  }
  assert.throws(() => loadConfig({ ...base, MWAUTH_MAIL_BUDGET_PER_NETWORK: '30' }, { persistSecret: false }), /MWAUTH_MAIL_BUDGET_PER_NETWORK must look like COUNT\/SECONDS/);
});

test('configuration: MWAUTH_AUDIT_RETENTION_DAYS is whole days, 90 by default, 0 keeping events forever', () => {
  const base = { MWAUTH_DATA_DIR: tmpdir() };
  const days = (v?: string) => loadConfig(v === undefined ? base : { ...base, MWAUTH_AUDIT_RETENTION_DAYS: v }, { persistSecret: false }).auditRetentionDays;
  assert.deepEqual([days(), days(''), days('30'), days(' 7 '), days('0'), days('36500')], [90, 90, 30, 7, 0, 36500]);
  for (const bad of ['forever', '-1', '1.5', '90d', '36501']) {
    assert.throws(() => days(bad), (e: unknown) => e instanceof ConfigError && /^MWAUTH_AUDIT_RETENTION_DAYS must be /.test(e.message), bad);
  }
});
