// The reset worker: a request that sends nothing does the same work as one that sends a mail, and
// leaves nothing behind; a request whose handling keeps failing is given up after a few attempts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPerformer } from '../../src/accounts/performer.js';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import type { ComposedMail } from '../../src/mail/outbox.js';
import type { OutgoingMail } from '../../src/mail/compose.js';
import { MAX_ATTEMPTS, RecoveryWorker, retryDelay, type RecoveryWorkerConfig } from '../../src/recovery/worker.js';
import { ManualClock } from '../helpers/clock.js';

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-worker-'));
  const clock = new ManualClock();
  const hasher = createPasswordHasher({ iterations: 1000 });
  const s = await createServices(loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' }), { clock, hasher });
  t.after(async () => {
    await s.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  return { s, clock, hasher };
}

// Recorded directly: going through s.recovery would also wake the services' own worker.
async function pending(s: Services, clock: ManualClock, req: { user?: string; email?: string }): Promise<number> {
  const row = await s.db
    .insertInto('reset_request')
    .values({
      rr_created: clock.now(), rr_performer_id: 0, rr_performer_name: '192.0.2.1', rr_performer_ip: '192.0.2.1',
      rr_username: req.user ?? null, rr_email: req.email ?? null, rr_status: 'pending', rr_processed: null,
    })
    .returning('rr_id')
    .executeTakeFirstOrThrow();
  return Number(row.rr_id);
}

const config: RecoveryWorkerConfig = {
  server: 'http://wiki.test', articlePath: '/wiki', language: 'en', tempPasswordLength: 10, newPasswordExpiry: 7 * 86400, resendHours: 24,
};

test('a request that sends nothing hashes a password and builds a reset mail like one that sends, and leaves no row behind', async (t) => {
  const { s, clock, hasher } = await setup(t);
  const ann = await s.users.create({ name: 'Ann', email: 'ann@example.org', passwordHash: await hasher.hash('Ann-pass-1') });
  const work: Array<{ hashes: number; composed: OutgoingMail[] }> = [];
  let cur = { hashes: 0, composed: [] as OutgoingMail[] };
  const outbox = Object.create(s.outbox) as typeof s.outbox;
  outbox.compose = async (mail: OutgoingMail): Promise<ComposedMail> => {
    cur.composed.push(mail);
    return s.outbox.compose(mail);
  };
  const worker = new RecoveryWorker({
    db: s.db, stores: s.stores, users: s.users, preferences: s.preferences, outbox, i18n: s.i18n, clock, random: s.random, config, audit: s.audit,
    tempPasswords: { hash: async (pw: string) => (cur.hashes++, s.tempPasswords.hash(pw)) },
  });
  const run = async (req: { user?: string; email?: string }) => {
    cur = { hashes: 0, composed: [] };
    const id = await pending(s, clock, req);
    await worker.runOnce();
    work.push(cur);
    return (await s.db.selectFrom('reset_request').select('rr_status').where('rr_id', '=', id).executeTakeFirstOrThrow()).rr_status;
  };
  const snapshot = async () => ({
    outbox: (await s.db.selectFrom('outbox').select('ob_id').execute()).length,
    queuedEvents: (await s.db.selectFrom('audit_event').select('ae_id').where('ae_type', '=', 'mail.queued').execute()).length,
    ann: (await s.users.byId(ann.id))!.newPassword,
  });

  assert.equal(await run({ user: 'Ann' }), 'queued');
  const afterSend = await snapshot();
  assert.deepEqual([afterSend.outbox, afterSend.queuedEvents], [1, 1]);

  assert.equal(await run({ user: 'Nobody' }), 'nomatch');
  assert.equal(await run({ email: 'nobody@example.org' }), 'nomatch');
  assert.equal(await run({ user: 'Ann' }), 'cooldown'); // Ann's own request within 24 hours
  // Nothing of the stand-in work stayed: no mail, no audit of one, Ann's mailed password untouched.
  assert.deepEqual(await snapshot(), afterSend);

  // The same work each time: one hash and one reset mail of the same shape (the stand-in is never queued).
  assert.deepEqual(work.map((w) => w.hashes), [1, 1, 1, 1]);
  for (const w of work) {
    assert.equal(w.composed.length, 1);
    assert.equal(w.composed[0]!.kind, 'password-reset');
    assert.equal(w.composed[0]!.secrets?.length, 1);
  }
  assert.equal(work[3]!.composed[0]!.to, 'ann@example.org');
  assert.equal(work[2]!.composed[0]!.to, 'nobody@example.org');
  assert.equal(work[1]!.composed[0]!.to, 'nobody@wiki.test');
  const outcomes = await s.audit.query({ type: 'reset.outcome' });
  assert.deepEqual(outcomes.map((e) => (e.details as { outcome: string }).outcome), ['queued', 'nomatch', 'nomatch', 'cooldown']);
});

test(`a request whose handling keeps failing is tried again with a growing back-off, ${MAX_ATTEMPTS} times in all, then given up as "failed" and audited`, async (t) => {
  const { s, clock, hasher } = await setup(t);
  const errors: string[] = [];
  let failing = true;
  const users = Object.create(s.users) as typeof s.users;
  users.byName = async (name: string) => {
    if (failing) throw new Error('disk I/O error');
    return s.users.byName(name);
  };
  const worker = new RecoveryWorker({
    db: s.db, stores: s.stores, users, preferences: s.preferences, tempPasswords: s.tempPasswords, outbox: s.outbox, i18n: s.i18n, clock, random: s.random, config, audit: s.audit,
    logger: { info() {}, warn() {}, error: (o: object, msg: string) => errors.push(`${msg} ${JSON.stringify(o)}`) },
  });
  const broken = await pending(s, clock, { user: 'Ann' });
  const status = async (id: number) =>
    s.db.selectFrom('reset_request').select(['rr_status', 'rr_attempts']).where('rr_id', '=', id).executeTakeFirstOrThrow();

  const delays: number[] = [];
  for (let i = 1; i < MAX_ATTEMPTS; i++) {
    assert.equal(await worker.runOnce(), 0);
    assert.deepEqual(await status(broken), { rr_status: 'processing', rr_attempts: i });
    clock.advance(retryDelay(i) - 1);
    assert.equal(await worker.runOnce(), 0, 'not taken again before its back-off is over');
    assert.equal((await status(broken)).rr_attempts, i);
    clock.advance(2);
    delays.push(retryDelay(i) / 60_000);
  }
  // 1, 2, 4 … minutes, at most an hour: the attempts span hours, so an outage of a few hours loses nothing.
  assert.deepEqual(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60]);
  assert.equal(await worker.runOnce(), 0);
  assert.deepEqual(await status(broken), { rr_status: 'failed', rr_attempts: MAX_ATTEMPTS });
  assert.equal(errors.length, MAX_ATTEMPTS);
  assert.match(errors.at(-1)!, /given up/);
  const [event] = await s.audit.query({ type: 'reset.failed' });
  assert.deepEqual(event?.details, { request: broken, attempts: MAX_ATTEMPTS, error: 'disk I/O error' });

  // A given-up request is never taken again; the next ones are handled once the fault is gone.
  failing = false;
  clock.advance(3600_000);
  const next = await pending(s, clock, { user: 'Nobody' });
  assert.equal(await worker.runOnce(), 1);
  assert.deepEqual(await status(broken), { rr_status: 'failed', rr_attempts: MAX_ATTEMPTS });
  assert.deepEqual(await status(next), { rr_status: 'nomatch', rr_attempts: 1 });
});

test(`a request whose every worker died handling it is given up when claimed once too often (${MAX_ATTEMPTS} attempts), and audited`, async (t) => {
  const { s, clock, hasher } = await setup(t);
  const worker = new RecoveryWorker({ db: s.db, stores: s.stores, users: s.users, preferences: s.preferences, tempPasswords: s.tempPasswords, outbox: s.outbox, i18n: s.i18n, clock, random: s.random, config, audit: s.audit });
  const id = await pending(s, clock, { user: 'Nobody' });
  // Each of its attempts ended with the worker gone and the lease running out.
  await s.db
    .updateTable('reset_request')
    .set({ rr_status: 'processing', rr_attempts: MAX_ATTEMPTS, rr_lease_until: clock.now() - 1, rr_lease_owner: 'dead' })
    .where('rr_id', '=', id)
    .execute();
  assert.equal(await worker.runOnce(), 0);
  const row = await s.db.selectFrom('reset_request').select(['rr_status', 'rr_attempts', 'rr_processed', 'rr_lease_until']).where('rr_id', '=', id).executeTakeFirstOrThrow();
  assert.deepEqual(row, { rr_status: 'failed', rr_attempts: MAX_ATTEMPTS + 1, rr_processed: clock.now(), rr_lease_until: null });
  const [event] = await s.audit.query({ type: 'reset.failed' });
  assert.deepEqual(event?.details, { request: id, attempts: MAX_ATTEMPTS + 1, error: 'interrupted (its lease ran out) with no attempts left' });
  assert.deepEqual(await s.audit.query({ type: 'reset.outcome' }), [], 'never handled');
});

test('handled requests are purged after the given time; pending and in-progress ones stay', async (t) => {
  const { s, clock, hasher } = await setup(t);
  await s.users.create({ name: 'Ann', email: 'ann@example.org', passwordHash: await hasher.hash('Ann-pass-1') });
  const worker = new RecoveryWorker({ db: s.db, stores: s.stores, users: s.users, preferences: s.preferences, tempPasswords: s.tempPasswords, outbox: s.outbox, i18n: s.i18n, clock, random: s.random, config });
  const sent = await pending(s, clock, { user: 'Ann' });
  const none = await pending(s, clock, { email: 'nobody@example.org' });
  assert.equal(await worker.runOnce(), 2);
  clock.advance(1000);
  const later = await pending(s, clock, { user: 'Bob' });
  const ids = async () => (await s.db.selectFrom('reset_request').select('rr_id').orderBy('rr_id').execute()).map((r) => Number(r.rr_id));

  assert.equal(await worker.purgeHandled(clock.now() - 1000), 0, 'nothing handled before that');
  assert.deepEqual(await ids(), [sent, none, later]);
  assert.equal(await worker.purgeHandled(clock.now()), 2);
  assert.deepEqual(await ids(), [later], 'the pending request stays');
  // The mail the purged request queued is not touched.
  assert.equal((await s.db.selectFrom('outbox').select('ob_id').execute()).length, 1);
});

test('the server removes handled reset requests a day after, from its periodic maintenance', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-worker-'));
  const clock = new ManualClock();
  const s = await createServices(
    loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' }),
    { clock, hasher: createPasswordHasher({ iterations: 1000 }), maintenanceIntervalMs: 10 },
  );
  t.after(async () => {
    await s.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  const id = await pending(s, clock, { user: 'Nobody' });
  await s.recoveryWorker.kick();
  const left = async () => (await s.db.selectFrom('reset_request').select('rr_id').execute()).length;
  s.startWorkers();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await left(), 1, `request ${id} is kept for a day`);
  clock.advance(86400_000 + 1);
  for (let i = 0; i < 200 && (await left()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(await left(), 0);
});

test('two requests for one account handled at once (two lanes): one mail, the other finds the cooldown', async (t) => {
  const { s, clock, hasher } = await setup(t);
  const ann = await s.users.create({ name: 'Ann', email: 'ann@example.org', passwordHash: await hasher.hash('Ann-pass-1') });
  // Each hash waits until both lanes are hashing: both have read Ann before either commits.
  let inFlight = 0;
  let bothIn!: () => void;
  const together = new Promise<void>((r) => (bothIn = r));
  const gated = {
    hash: async (pw: string) => {
      if (++inFlight === 2) bothIn();
      await Promise.race([together, new Promise((r) => setTimeout(r, 2000))]);
      return s.tempPasswords.hash(pw);
    },
  };
  const worker = new RecoveryWorker({ db: s.db, stores: s.stores, users: s.users, preferences: s.preferences, tempPasswords: gated, outbox: s.outbox, i18n: s.i18n, clock, random: s.random, config, audit: s.audit, lanes: 2 });
  const a = await pending(s, clock, { user: 'Ann' });
  const b = await pending(s, clock, { email: 'ann@example.org' });
  assert.equal(await worker.runOnce(), 2);
  assert.ok(inFlight >= 2, 'both lanes hashed at once');
  const statuses = (await s.db.selectFrom('reset_request').select(['rr_id', 'rr_status']).where('rr_id', 'in', [a, b]).execute()).map((r) => r.rr_status).sort();
  assert.deepEqual(statuses, ['cooldown', 'queued']);
  assert.equal((await s.db.selectFrom('outbox').select('ob_id').execute()).length, 1, 'one mail');
  assert.ok((await s.users.byId(ann.id))!.newPassword);
});

test('stop(): the request being handled finishes, the rest stay pending for the next start', async (t) => {
  const { s, clock, hasher } = await setup(t);
  let hashes = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = { hash: async (pw: string) => (hashes++, await gate, s.tempPasswords.hash(pw)) };
  const worker = new RecoveryWorker({ db: s.db, stores: s.stores, users: s.users, preferences: s.preferences, tempPasswords: slow, outbox: s.outbox, i18n: s.i18n, clock, random: s.random, config, lanes: 1 });
  for (let i = 0; i < 20; i++) await pending(s, clock, { user: `Nobody${i}` });
  const run = worker.kick();
  while (hashes === 0) await new Promise((r) => setTimeout(r, 1));
  const stopped = worker.stop(0);
  release();
  await stopped;
  assert.equal(await run, 1);
  const byStatus = await s.db.selectFrom('reset_request').select(['rr_status']).execute();
  assert.equal(byStatus.filter((r) => r.rr_status === 'nomatch').length, 1);
  assert.equal(byStatus.filter((r) => r.rr_status === 'pending').length, 19);
  assert.equal(await worker.kick(), 0, 'a stopped worker takes nothing more');
});

test('a request that mails nobody counts stand-in limit counters, which limit nothing, instead of the real ones', async (t) => {
  const { s, clock, hasher } = await setup(t);
  await s.users.create({ name: 'Ann', email: 'ann@example.org', passwordHash: await hasher.hash('Ann-pass-1') });
  const limited = {
    ...config,
    accountLimit: [1, 3600] as [number, number], addressLimit: [1, 3600] as [number, number], mailBudget: [1, 3600] as [number, number], networkBudget: [1, 3600] as [number, number],
  };
  const worker = new RecoveryWorker({ db: s.db, stores: s.stores, users: s.users, preferences: s.preferences, tempPasswords: s.tempPasswords, outbox: s.outbox, i18n: s.i18n, clock, random: s.random, config: limited, counters: s.counters });
  for (let i = 0; i < 3; i++) await pending(s, clock, { user: `Nobody${i}` });
  assert.equal(await worker.runOnce(), 3);
  assert.deepEqual(
    await Promise.all(['account', 'address', 'network', 'budget'].map((k) => s.counters.peek(`reset:stand-in:${k}`))),
    [3, 3, 3, 3],
  );
  assert.equal(await s.counters.peek('reset:mail-budget'), 0, 'the mail budget is untouched');
  assert.equal(await s.counters.peek('reset:network:192.0.2.0/24'), 0, 'and the requester\'s share of it');
  // With a budget of one mail, Ann's reset still goes out: the stand-ins used up nothing.
  const ann = await pending(s, clock, { user: 'Ann' });
  assert.equal(await worker.runOnce(), 1);
  assert.equal((await s.db.selectFrom('reset_request').select('rr_status').where('rr_id', '=', ann).executeTakeFirstOrThrow()).rr_status, 'queued');
});

test('a request that mails one account and one that mails nobody make the same counter calls, with the same windows', async (t) => {
  const { s, clock, hasher } = await setup(t);
  await s.users.create({ name: 'Ann', email: 'ann@example.org', passwordHash: await hasher.hash('Ann-pass-1') });
  const calls: string[] = [];
  const counters: typeof s.counters = {
    hit: (key, windowSeconds, amount) => (calls.push(`hit ${windowSeconds} ${amount ?? 1}`), s.counters.hit(key, windowSeconds, amount)),
    release: (key, amount) => (calls.push(`release ${amount ?? 1}`), s.counters.release(key, amount)),
    peek: (key) => s.counters.peek(key),
    clear: (key) => s.counters.clear(key),
    sweep: () => s.counters.sweep(),
  };
  const limited = {
    ...config,
    accountLimit: [3, 86400] as [number, number], addressLimit: [5, 86400] as [number, number], mailBudget: [1000, 3600] as [number, number], networkBudget: [100, 3600] as [number, number],
  };
  const worker = new RecoveryWorker({ db: s.db, stores: s.stores, users: s.users, preferences: s.preferences, tempPasswords: s.tempPasswords, outbox: s.outbox, i18n: s.i18n, clock, random: s.random, config: limited, counters });
  const run = async (req: { user?: string; email?: string }) => {
    calls.length = 0;
    await pending(s, clock, req);
    await worker.runOnce();
    return [...calls].sort();
  };
  const sent = await run({ user: 'Ann' });
  assert.equal((await s.db.selectFrom('outbox').select('ob_id').execute()).length, 1);
  assert.deepEqual(sent, ['hit 3600 1', 'hit 3600 1', 'hit 86400 1', 'hit 86400 1'], 'account, address, network, budget');
  assert.deepEqual(await run({ user: 'Nobody' }), sent);
  assert.deepEqual(await run({ email: 'nobody@example.org' }), sent);
});

test('a recorded request is handled at a random moment within a second of the answer, not right after it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-worker-'));
  // Every random draw is 0xff…: the worker's start is 0xffff % 1000 = 535 ms after the request.
  const random = { bytes: (n: number) => Buffer.alloc(n, 0xff) };
  const s = await createServices(loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' }), { random, hasher: createPasswordHasher({ iterations: 1000 }) });
  t.after(async () => {
    await s.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  await s.users.create({ name: 'Ann', email: 'ann@example.org', passwordHash: await s.hasher.hash('Ann-pass-1') });
  const status = async () => (await s.db.selectFrom('reset_request').select('rr_status').executeTakeFirstOrThrow()).rr_status;
  const started = Date.now();
  await s.recovery.request(await loadPerformer(s, 0, '192.0.2.1'), { user: 'Ann', email: null });
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(await status(), 'pending', 'not handled right after the answer');
  while ((await status()) === 'pending' && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await status(), 'queued');
  assert.ok(Date.now() - started >= 500, `handled after ${Date.now() - started} ms`);
});
