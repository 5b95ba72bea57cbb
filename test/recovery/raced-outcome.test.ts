// Two reset requests for one account, handled at once by two workers (two nodes, or two worker instances
// on one database), with a per-account limit of one mail: the account is mailed once, and the audit trail
// says what really became of the other request. With the cooldown on, that is the cooldown (another
// request mailed the account) — not "limited (account)", which only the in-flight allowance of the first
// request made it look like. Without a cooldown the limit is what applied, and the trail says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import type { TemporaryPasswordHasher } from '../../src/auth/tempPasswordHash.js';
import { RecoveryWorker } from '../../src/recovery/worker.js';
import { ManualClock } from '../helpers/clock.js';
import { createPostgresDatabase, skipUnless } from '../helpers/services.js';

const pgSkip = await skipUnless('postgres');

async function setup(t: { after(fn: () => Promise<void>): void }, backend: 'SQLite' | 'PostgreSQL', env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-raced-'));
  const clock = new ManualClock();
  const hasher = createPasswordHasher({ iterations: 1000 });
  const pg = backend === 'PostgreSQL' ? await createPostgresDatabase('mwauth_raced') : null;
  const s = await createServices(
    loadConfig({
      MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
      MWAUTH_RESET_ACCOUNT_LIMIT: '1/86400', ...(pg ? { MWAUTH_DATABASE_URL: pg.url } : {}), ...env,
    }),
    { clock, hasher },
  );
  t.after(async () => {
    await s.close(0);
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const ann = await s.users.create({ name: 'Ann', email: 'ann@example.org', passwordHash: await hasher.hash('Ann-pass-1') });
  return { s, clock, hasher, ann };
}

/** Recorded directly: going through s.recovery would also wake the services' own worker. */
async function request(s: Services, clock: ManualClock, req: { user?: string; email?: string }): Promise<number> {
  const row = await s.db
    .insertInto('reset_request')
    .values({
      rr_created: clock.now(), rr_performer_id: 0, rr_performer_name: '192.0.2.1', rr_performer_ip: '192.0.2.1',
      rr_username: req.user ?? null, rr_email: req.email ?? null, rr_status: 'pending', rr_next_attempt: clock.now(),
    })
    .returning('rr_id')
    .executeTakeFirstOrThrow();
  return Number(row.rr_id);
}

type TempHasher = Pick<TemporaryPasswordHasher, 'hash'>;

/** A hasher that, once opened, hashes; until then it waits (a worker busy behind a queue of logins). */
function gatedHasher(base: TempHasher) {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const inside = new Promise<void>((r) => (entered = r));
  const hasher: TempHasher = { hash: async (pw: string) => (entered(), await opened, base.hash(pw)) };
  return { hasher, open, inside };
}

/** A second server's worker on the same database, configured as the services' own, one request at a time. */
function worker(s: Services, hasher: TempHasher): RecoveryWorker {
  const c = s.config;
  return new RecoveryWorker({
    db: s.db, stores: s.stores, users: s.users, preferences: s.preferences, tempPasswords: hasher, outbox: s.outbox, i18n: s.i18n, clock: s.clock, random: s.random, counters: s.counters, audit: s.audit, lanes: 1,
    config: {
      server: c.server, articlePath: c.articlePath, language: c.language, tempPasswordLength: c.tempPasswordLength,
      newPasswordExpiry: c.newPasswordExpiry, resendHours: c.passwordReminderResendTime, accountLimit: c.resetAccountLimit,
    },
  });
}

async function trail(s: Services, ann: { id: number }) {
  const outcomes = await s.audit.query({ user: 'Ann', type: 'reset.outcome' });
  return {
    outcomes: outcomes.map((e) => [e.details.request, e.details.outcome, e.details.limit ?? null]),
    mails: (await s.db.selectFrom('outbox').select('ob_to').execute()).map((r) => r.ob_to),
    counter: await s.counters.peek(`reset:account:${ann.id}`),
  };
}

for (const [backend, skip] of [['SQLite', false], ['PostgreSQL', pgSkip]] as const) {
  test(`a request stopped by the allowance of one still being mailed waits for it, and is recorded as the cooldown (${backend})`, { skip }, async (t) => {
    const { s, clock, hasher, ann } = await setup(t, backend);
    const first = await request(s, clock, { user: 'Ann' });
    const second = await request(s, clock, { email: 'ann@example.org' });
    const a = gatedHasher(s.tempPasswords);
    const runA = worker(s, a.hasher).runOnce();
    await a.inside; // A took the account's one allowance and is hashing Ann's temporary password
    const b = worker(s, s.tempPasswords);
    assert.equal(await b.runOnce(), 0, 'B decides nothing while A is still at it');
    const waiting = await s.db.selectFrom('reset_request').select(['rr_status', 'rr_attempts', 'rr_next_attempt', 'rr_lease_until']).where('rr_id', '=', second).executeTakeFirstOrThrow();
    assert.deepEqual([waiting.rr_status, Number(waiting.rr_attempts), waiting.rr_lease_until], ['processing', 0, null], 'put back, its attempt given back');
    assert.ok(Number(waiting.rr_next_attempt) > clock.now());

    a.open();
    assert.equal(await runA, 1);
    clock.advance(2000);
    assert.equal(await b.runOnce(), 1);
    assert.deepEqual(await trail(s, ann), {
      outcomes: [[first, 'queued', null], [second, 'cooldown', null]],
      mails: ['ann@example.org'],
      counter: 1,
    });
  });

  test(`a request stopped by a limit whose account another request mailed before it committed is decided again: the cooldown (${backend})`, { skip }, async (t) => {
    const { s, clock, hasher, ann } = await setup(t, backend);
    const first = await request(s, clock, { user: 'Ann' });
    const second = await request(s, clock, { user: 'Ann' });
    const a = gatedHasher(s.tempPasswords);
    const b = gatedHasher(s.tempPasswords);
    const runA = worker(s, a.hasher).runOnce();
    await a.inside;
    const runB = worker(s, b.hasher).runOnce();
    await b.inside; // B was refused (A holds the allowance) and does its stand-in work
    a.open();
    assert.equal(await runA, 1); // A has mailed Ann and let go of its request
    b.open();
    assert.equal(await runB, 1);
    assert.deepEqual(await trail(s, ann), {
      outcomes: [[first, 'queued', null], [second, 'cooldown', null]],
      mails: ['ann@example.org'],
      counter: 1,
    });
  });

  test(`without a cooldown the limit is what stopped the second request, and the trail says so (${backend})`, { skip }, async (t) => {
    const { s, clock, hasher, ann } = await setup(t, backend, { MWAUTH_RESET_COOLDOWN_HOURS: '0' });
    const first = await request(s, clock, { user: 'Ann' });
    const second = await request(s, clock, { user: 'Ann' });
    const a = gatedHasher(s.tempPasswords);
    const runA = worker(s, a.hasher).runOnce();
    await a.inside;
    assert.equal(await worker(s, s.tempPasswords).runOnce(), 1, 'decided at once: nothing to wait for');
    a.open();
    assert.equal(await runA, 1);
    assert.deepEqual(await trail(s, ann), {
      outcomes: [[second, 'limited', 'account'], [first, 'queued', null]],
      mails: ['ann@example.org'],
      counter: 1,
    });
  });
}
