// Audit trail retention: prune() removes exactly the events before the cutoff, in bounded batches; the
// server prunes with MWAUTH_AUDIT_RETENTION_DAYS at start and then at most once an hour; 0 keeps
// everything; a failure is logged and never thrown. On SQLite, and also on PostgreSQL when
// MWAUTH_TEST_POSTGRES_URL is set (each test gets a database of its own, dropped afterwards).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type KyselyPlugin } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { createServices, type ServiceOverrides, type Services } from '../../src/services.js';
import type { Logger } from '../../src/util/logger.js';
import { startServer } from '../../src/server.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { SqlAuditStore } from '../../src/storage/sql/audit.js';
import { AuditLog, PRUNE_BATCH, type AuditInput } from '../../src/audit/log.js';
import { AuditRetention, DAY_MS } from '../../src/audit/retention.js';
import { ManualClock } from '../helpers/clock.js';
import { memoryDb } from '../mail/helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 3, 1, 12);

type After = { after(fn: () => Promise<void>): void };

/**
 * Settings for a fresh database (SQLite in a temporary folder, or a new PostgreSQL database) and
 * `cleanup`, which takes what to close before the database goes: last given, first closed.
 */
async function database(t: After): Promise<{ env: Record<string, string>; cleanup: (fn: () => Promise<void>) => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-retention-'));
  const env: Record<string, string> = { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' };
  const closers: Array<() => Promise<void>> = [];
  if (process.env.MWAUTH_TEST_POSTGRES_URL) {
    const pg = await memoryDb(); // only for its database; the services open their own pool on it
    env.MWAUTH_DATABASE_URL = pg.url!;
    closers.push(() => pg.close());
  }
  t.after(async () => {
    for (const close of closers.reverse()) await close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { env, cleanup: (fn) => void closers.push(fn) };
}

/** Services on a fresh database with a clock set to T0, closed after the test. */
async function setup(t: After) {
  const { env, cleanup } = await database(t);
  const clock = new ManualClock(T0);
  const s = await services(env, { clock });
  cleanup(() => s.close(0));
  return { s, clock };
}

async function services(env: Record<string, string>, o: ServiceOverrides = {}): Promise<Services> {
  return createServices(loadConfig(env), { hasher: createPasswordHasher({ iterations: 1000 }), ...o });
}

/** Records one event at `time` (the clock is put back where it was). */
async function recordAt(s: Services, clock: ManualClock, time: number, e: AuditInput = { type: 'login.success' }) {
  const now = clock.now();
  clock.set(time);
  await s.audit.record({ ...e, details: { ...e.details, at: time } });
  clock.set(now);
}

async function times(s: Services): Promise<number[]> {
  return (await s.audit.query({ limit: 100_000 })).map((e) => e.time).sort((a, b) => a - b);
}

async function count(s: Services): Promise<number> {
  const r = await s.db.selectFrom('audit_event').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

function recordingLogger() {
  const lines: Array<{ level: string; msg: string; o: Record<string, unknown> }> = [];
  const at = (level: string) => (o: object, msg: string) => void lines.push({ level, msg, o: o as Record<string, unknown> });
  const logger: Logger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('prune removes exactly the events recorded before the cutoff and keeps the rest', async (t) => {
  const { s, clock } = await setup(t);
  const cutoff = T0 - 30 * DAY_MS;
  const all = [T0 - 400 * DAY_MS, T0 - 31 * DAY_MS, cutoff - 1, cutoff, cutoff + 1, T0 - DAY_MS, T0];
  for (const time of all) await recordAt(s, clock, time);
  assert.equal(await s.audit.prune(cutoff), 3);
  assert.deepEqual(await times(s), [cutoff, cutoff + 1, T0 - DAY_MS, T0], 'an event at the cutoff itself is not older than it');
  assert.deepEqual(
    (await s.audit.query()).map((e) => e.details.at),
    [cutoff, cutoff + 1, T0 - DAY_MS, T0],
    'the kept events are whole',
  );
  assert.equal(await s.audit.prune(cutoff), 0, 'nothing left to remove');
  assert.equal(await s.audit.prune(T0 + 1), 4);
  assert.equal(await count(s), 0);
  await assert.rejects(s.audit.prune(Number.NaN), RangeError);
});

test(`prune works in statements of at most ${PRUNE_BATCH} rows across a table larger than one batch`, async (t) => {
  const { s, clock } = await setup(t);
  const cutoff = T0 - 90 * DAY_MS;
  const OLD = 12_000;
  const rows = Array.from({ length: OLD }, (_, i) => ({
    ae_time: cutoff - OLD + i, // every one before the cutoff, the newest 1 ms before it
    ae_type: 'login.failure',
    ae_user: null,
    ae_user_name: null,
    ae_ip: '192.0.2.1',
    ae_details: '{}',
  }));
  for (let i = 0; i < rows.length; i += 1000) await s.db.insertInto('audit_event').values(rows.slice(i, i + 1000)).execute();
  const kept = [cutoff, cutoff + HOUR, T0];
  for (const time of kept) await recordAt(s, clock, time);
  assert.equal(await count(s), OLD + kept.length);

  // The rows each DELETE statement removed, seen from the database's own answers.
  const deleted: number[] = [];
  const deletes = new Set<unknown>();
  const observe: KyselyPlugin = {
    transformQuery(a) {
      if (a.node.kind === 'DeleteQueryNode') deletes.add(a.queryId);
      return a.node;
    },
    async transformResult(a) {
      if (deletes.has(a.queryId)) deleted.push(Number(a.result.numAffectedRows));
      return a.result;
    },
  };
  const audit = new AuditLog({ store: new SqlAuditStore(s.db.withPlugin(observe)), users: s.users, clock });
  assert.equal(await audit.prune(cutoff), OLD);
  assert.deepEqual(deleted, [PRUNE_BATCH, PRUNE_BATCH, OLD - 2 * PRUNE_BATCH]);
  assert.deepEqual(await times(s), kept, 'none of the newer events went');

  // An aborted signal stops between two statements, with what it removed so far.
  for (let i = 0; i < rows.length; i += 1000) await s.db.insertInto('audit_event').values(rows.slice(i, i + 1000)).execute();
  deleted.length = 0;
  assert.equal(await audit.prune(cutoff, AbortSignal.abort()), PRUNE_BATCH);
  assert.deepEqual(deleted, [PRUNE_BATCH]);
  assert.equal(await count(s), OLD - PRUNE_BATCH + kept.length);
});

test('the retention prunes at most once an hour by the clock, with its days; 0 keeps everything', async (t) => {
  const { s, clock } = await setup(t);
  await recordAt(s, clock, T0 - 45 * DAY_MS);
  await recordAt(s, clock, T0 - 30 * DAY_MS + 30 * MINUTE); // old enough within the hour
  await recordAt(s, clock, T0);

  const forever = new AuditRetention({ audit: s.audit, clock, days: 0, logger: recordingLogger().logger });
  assert.equal(await forever.run(), null);
  clock.advance(3650 * DAY_MS);
  assert.equal(await forever.run(), null);
  clock.set(T0);
  assert.equal(await count(s), 3, 'retention 0 removed nothing, ten years on');

  const { logger, lines } = recordingLogger();
  const r = new AuditRetention({ audit: s.audit, clock, days: 30, logger });
  assert.equal(await r.run(), 1);
  assert.deepEqual(await times(s), [T0 - 30 * DAY_MS + 30 * MINUTE, T0]);
  clock.advance(59 * MINUTE);
  assert.equal(await r.run(), null, 'less than an hour since the last pruning');
  assert.equal(await count(s), 2, 'the event that has since grown old is still there');
  clock.advance(MINUTE);
  assert.equal(await r.run(), 1);
  assert.deepEqual(await times(s), [T0]);
  assert.deepEqual(lines, [
    { level: 'info', msg: 'audit trail pruned', o: { removed: 1, days: 30, before: '2026-03-02T12:00:00Z' } },
    { level: 'info', msg: 'audit trail pruned', o: { removed: 1, days: 30, before: '2026-03-02T13:00:00Z' } },
  ]);
  await r.stop();
  clock.advance(DAY_MS);
  assert.equal(await r.run(), null, 'nothing after stop()');
});

test('a pruning that fails is logged without throwing, and tried again an hour later', async (t) => {
  const { s, clock } = await setup(t);
  await recordAt(s, clock, T0 - 100 * DAY_MS);
  await sql`alter table audit_event rename to audit_event_away`.execute(s.db);
  const { logger, lines } = recordingLogger();
  const r = new AuditRetention({ audit: s.audit, clock, days: 90, logger });
  assert.equal(await r.run(), null);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'error');
  assert.equal(lines[0]!.msg, 'audit trail not pruned');
  assert.match(String(lines[0]!.o.err), /audit_event/);
  assert.deepEqual(Object.keys(lines[0]!.o), ['err'], 'the message only');
  await sql`alter table audit_event_away rename to audit_event`.execute(s.db);
  assert.equal(await r.run(), null, 'not again within the hour');
  clock.advance(HOUR);
  assert.equal(await r.run(), 1);
});

test('the server prunes with MWAUTH_AUDIT_RETENTION_DAYS at start, then from its periodic maintenance', async (t) => {
  const { env, cleanup } = await database(t);
  const clock = new ManualClock(T0);
  const before = await services(env, { clock });
  await recordAt(before, clock, T0 - 400 * DAY_MS);
  await recordAt(before, clock, T0 - 21 * DAY_MS);
  await recordAt(before, clock, T0 - 20 * DAY_MS + 30 * MINUTE);
  await recordAt(before, clock, T0 - DAY_MS);
  await before.close(0);

  const { logger, lines } = recordingLogger();
  const start = async (maintenanceIntervalMs: number) => {
    const config = loadConfig({ ...env, MWAUTH_PORT: '0', MWAUTH_AUDIT_RETENTION_DAYS: '20' });
    const server = await startServer(config, { clock, logger, hasher: createPasswordHasher({ iterations: 1000 }), maintenanceIntervalMs });
    let closed: Promise<void> | undefined;
    const close = () => (closed ??= server.close());
    cleanup(close);
    return { services: server.services, close };
  };

  // A server whose maintenance would tick only an hour from now prunes at start all the same.
  const first = await start(HOUR);
  await waitFor('pruned at start', async () => (await count(first.services)) === 2);
  assert.deepEqual(await times(first.services), [T0 - 20 * DAY_MS + 30 * MINUTE, T0 - DAY_MS]);
  await first.close();

  // Another one, whose maintenance ticks every 10 ms: nothing is old at its start; an hour later by the
  // clock its next tick prunes what has grown old since.
  const second = await start(10);
  const s = second.services;
  clock.advance(HOUR);
  await waitFor('pruned an hour later', async () => (await count(s)) === 1);
  assert.deepEqual(await times(s), [T0 - DAY_MS]);
  const pruned = lines.filter((l) => l.msg === 'audit trail pruned').map((l) => l.o);
  assert.deepEqual(pruned, [
    { removed: 2, days: 20, before: '2026-03-12T12:00:00Z' },
    { removed: 1, days: 20, before: '2026-03-12T13:00:00Z' },
  ]);
  assert.deepEqual(lines.filter((l) => l.level === 'error'), []);
});
