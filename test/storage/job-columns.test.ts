// Migration 0020: reset requests and outbox rows written by the version before (one rr_processed column
// that was a lease, a retry time or a completion; a failed mail's time in ob_next_attempt) become rows of
// the job queue with a lease, a next attempt and a completion of their own, and the workers and purges
// go on from them as the old version would have: nothing due earlier or later, nothing done twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { Keyring } from '../../src/secrets/keyring.js';
import { sqlStores } from '../../src/storage/sql/stores.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { createTemporaryPasswordHasher } from '../../src/auth/tempPasswordHash.js';
import { createI18n } from '../../src/i18n/index.js';
import { Outbox } from '../../src/mail/outbox.js';
import { DeliveryWorker, outboxJobs } from '../../src/mail/worker.js';
import type { MailTransport, OutboundMessage } from '../../src/mail/transport.js';
import { RecoveryWorker, resetRequestJobs } from '../../src/recovery/worker.js';
import { migrate } from '../../src/storage/db.js';
import { migrationProvider } from '../../src/storage/migrations.js';
import { cryptoRandom } from '../../src/util/clock.js';
import { ManualClock } from '../helpers/clock.js';
import { createPostgresDatabase, skipUnless } from '../helpers/services.js';
import { TEST_SEAL } from '../mail/helpers.js';

const pgSkip = await skipUnless('postgres');
const T0 = Date.UTC(2026, 2, 1);
const MIN = 60_000;

for (const [backend, skip] of [['SQLite', false], ['PostgreSQL', pgSkip]] as const) {
  test(`rows of the version before become queue rows that are due when they were due, and are handled once (${backend})`, { skip }, async (t) => {
    let db: Kysely<any>;
    if (backend === 'SQLite') {
      const dir = mkdtempSync(join(tmpdir(), 'mwauth-jobcols-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const { default: SQLite } = await import('better-sqlite3');
      db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'db.sqlite')) }) });
      t.after(() => db.destroy());
    } else {
      const pgdb = await createPostgresDatabase();
      const pg = await import('pg');
      pg.default.types.setTypeParser(20, (v: string) => Number(v));
      db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.default.Pool({ connectionString: pgdb.url, max: 4 }) }) });
      t.after(async () => {
        await db.destroy();
        await pgdb.drop();
      });
    }
    const { error } = await new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true }).migrateTo('0015_user_name_skeleton');
    assert.equal(error, undefined);

    // What the version before left: one request of each state, one mail of each status.
    const rr = (name: string, status: string, processed: number | null, attempts: number) => ({
      rr_created: T0 - 10 * MIN, rr_performer_id: 0, rr_performer_name: '192.0.2.1', rr_performer_ip: '192.0.2.1',
      rr_username: name, rr_email: null, rr_status: status, rr_processed: processed, rr_attempts: attempts,
    });
    await db.insertInto('reset_request').values([
      rr('Pending', 'pending', null, 0),
      rr('Leased', 'processing', T0 + MIN, 1), // held by a worker that died, lease until T0 + 1 min
      rr('Retrying', 'processing', T0 + 4 * MIN, 3), // waiting for its 4th attempt at T0 + 4 min
      rr('Handled', 'nomatch', T0 - 5 * MIN, 1),
      rr('GivenUp', 'failed', T0 - 3 * MIN, 12),
    ]).execute();
    const ob = (to: string, status: string, o: { next: number; lease?: number; sent?: number; attempts: number; error?: string }) => ({
      ob_created: T0 - 10 * MIN, ob_kind: 'test', ob_user: 0, ob_to: to, ob_subject: 's', ob_message_id: `<${to}>`,
      ob_raw: `From: wiki@example.org\r\nTo: ${to}\r\nSubject: s\r\n\r\nbody\r\n`, ob_status: status, ob_attempts: o.attempts,
      ob_next_attempt: o.next, ob_lease_until: o.lease ?? null, ob_last_error: o.error ?? null, ob_sent: o.sent ?? null,
    });
    await db.insertInto('outbox').values([
      ob('sent@example.org', 'sent', { next: T0 - 9 * MIN, sent: T0 - 8 * MIN, attempts: 1 }),
      ob('failed@example.org', 'failed', { next: T0 - 7 * MIN, attempts: 1, error: '550 no such user' }),
      ob('queued@example.org', 'queued', { next: T0 + 2 * MIN, attempts: 2, error: '451 later' }),
      ob('sending@example.org', 'sending', { next: T0 - 6 * MIN, lease: T0 + 30_000, attempts: 1 }),
    ]).execute();

    await migrate(db);

    const requests = Object.fromEntries(
      (await db.selectFrom('reset_request').selectAll().execute()).map((r) => [
        r.rr_username,
        [r.rr_status, r.rr_next_attempt === null ? null : Number(r.rr_next_attempt), r.rr_lease_until, r.rr_lease_owner, r.rr_processed === null ? null : Number(r.rr_processed), Number(r.rr_attempts)],
      ]),
    );
    assert.deepEqual(requests, {
      Pending: ['pending', T0 - 10 * MIN, null, null, null, 0],
      // Due at the very millisecond the old test (rr_processed < now) made it due, and no longer held by anyone.
      Leased: ['processing', T0 + MIN + 1, null, null, null, 1],
      Retrying: ['processing', T0 + 4 * MIN + 1, null, null, null, 3],
      Handled: ['nomatch', 0, null, null, T0 - 5 * MIN, 1],
      GivenUp: ['failed', 0, null, null, T0 - 3 * MIN, 12],
    });
    const mails = Object.fromEntries(
      (await db.selectFrom('outbox').selectAll().execute()).map((r) => [
        r.ob_to.split('@')[0],
        [r.ob_status, Number(r.ob_next_attempt), r.ob_lease_until === null ? null : Number(r.ob_lease_until), r.ob_lease_owner, r.ob_processed === null ? null : Number(r.ob_processed)],
      ]),
    );
    assert.deepEqual(mails, {
      sent: ['sent', T0 - 9 * MIN, null, null, T0 - 8 * MIN],
      failed: ['failed', T0 - 7 * MIN, null, null, T0 - 7 * MIN],
      queued: ['queued', T0 + 2 * MIN, null, null, null],
      sending: ['sending', T0 - 6 * MIN, T0 + 30_000, null, null],
    });

    // A worker of the old version that still held "Leased" cannot complete it any more: it rolls back.
    const old = await db
      .updateTable('reset_request')
      .set({ rr_status: 'nomatch', rr_processed: T0 })
      .where('rr_username', '=', 'Leased')
      .where('rr_status', '=', 'processing')
      .where('rr_processed', '=', T0 + MIN)
      .executeTakeFirst();
    assert.equal(Number(old.numUpdatedRows), 0);

    // Due as before: the pending request now, the others at their old times; the sending mail after its lease.
    const requestsDue = async (at: number) => {
      const due = await resetRequestJobs(db).due(at, 10);
      const names = await db.selectFrom('reset_request').select(['rr_id', 'rr_username']).execute();
      return due.map((d) => names.find((n) => Number(n.rr_id) === d.id)!.rr_username);
    };
    assert.deepEqual(await requestsDue(T0), ['Pending']);
    assert.deepEqual(await requestsDue(T0 + MIN), ['Pending'], 'the old lease ending now still held it');
    assert.deepEqual(await requestsDue(T0 + MIN + 1), ['Pending', 'Leased']);
    assert.deepEqual(await requestsDue(T0 + 4 * MIN + 1), ['Pending', 'Leased', 'Retrying']);
    const mailsDue = async (at: number) => {
      const due = await outboxJobs(db).due(at, 10);
      const rows = await db.selectFrom('outbox').select(['ob_id', 'ob_to']).execute();
      return due.map((d) => [rows.find((n) => Number(n.ob_id) === d.id)!.ob_to.split('@')[0], d.expired]);
    };
    assert.deepEqual(await mailsDue(T0 + 30_000), []);
    assert.deepEqual(await mailsDue(T0 + 30_001), [['sending', true]]);
    assert.deepEqual(await mailsDue(T0 + 2 * MIN), [['sending', true], ['queued', false]]);

    // The workers go on from there: each request handled once, each mail sent once.
    const clock = new ManualClock(T0);
    const hasher = createPasswordHasher({ iterations: 1000 });
    t.after(() => hasher.close());
    const outbox = new Outbox({ db, clock, random: cryptoRandom, from: 'wiki@example.org', fromName: 'Wiki', domain: 'example.org', seal: TEST_SEAL });
    const stores = sqlStores(db, { clock, random: cryptoRandom, keys: new Keyring(['job-columns-test-secret']) });
    const worker = new RecoveryWorker({
      db, stores, users: stores.users, preferences: stores.preferences, tempPasswords: createTemporaryPasswordHasher({ keys: new Keyring(['job-columns-test-secret']), slow: hasher }), outbox, i18n: createI18n({ sitename: 'Wiki' }), clock, random: cryptoRandom,
      config: { server: 'http://wiki.test', articlePath: '/wiki', language: 'en', tempPasswordLength: 10, newPasswordExpiry: 7 * 86400, resendHours: 24 },
    });
    const sent: OutboundMessage[] = [];
    const transport: MailTransport = { send: async (m) => void sent.push(m), close: async () => {} };
    const delivery = new DeliveryWorker({ db, clock, transport });
    assert.equal(await worker.runOnce(), 1);
    assert.equal(await delivery.runOnce(), 0);
    clock.set(T0 + 4 * MIN + 1);
    assert.equal(await worker.runOnce(), 2);
    assert.equal(await delivery.runOnce(), 2);
    clock.advance(86_400_000);
    assert.equal(await worker.runOnce(), 0);
    assert.equal(await delivery.runOnce(), 0);
    assert.deepEqual(sent.map((m) => m.to).sort(), ['queued@example.org', 'sending@example.org']);
    const done = await db.selectFrom('reset_request').select(['rr_username', 'rr_status', 'rr_attempts']).orderBy('rr_id').execute();
    assert.deepEqual(done.map((r) => [r.rr_username, r.rr_status, Number(r.rr_attempts)]), [
      ['Pending', 'nomatch', 1], ['Leased', 'nomatch', 2], ['Retrying', 'nomatch', 4], ['Handled', 'nomatch', 1], ['GivenUp', 'failed', 12],
    ]);

    // The purges work on the completion column.
    assert.equal(await worker.purgeHandled(T0 - 3 * MIN), 1, 'handled at T0 − 5 min');
    assert.equal(await worker.purgeHandled(clock.now() - 86_400_000 + 1), 4);
    assert.equal(await outbox.purge({ failed: true, before: T0 - 7 * MIN }), 0, 'failed at T0 − 7 min: not before that');
    assert.equal(await outbox.purge({ failed: true, before: T0 - 7 * MIN + 1 }), 1);
    assert.equal(await outbox.purge({ sent: true, before: T0 - 8 * MIN + 1 }), 1, 'the one sent before the upgrade');
    assert.equal(await outbox.purge({ sent: true, before: clock.now() - 86_400_000 + 1 }), 2, 'and the two sent after it');
  });
}
