// The audit trail on real services: what each step records, the query filters behind `mwauth audit`,
// detail keys that could hold a secret being dropped, the mail delivery events, and the migration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { createServices, type ServiceOverrides } from '../../src/services.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { loadPerformer } from '../../src/accounts/performer.js';
import { AUDIT_TYPES } from '../../src/audit/log.js';
import { parseSince } from '../../src/cli/audit.js';
import { TransportError, type MailTransport } from '../../src/mail/transport.js';
import { ManualClock } from '../helpers/clock.js';

const HOUR = 3600_000;

async function setup(t: { after(fn: () => Promise<void>): void }, o: ServiceOverrides = {}, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-audit-'));
  const clock = new ManualClock(Date.UTC(2026, 3, 1, 12));
  const s = await createServices(
    loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test', ...env }),
    { clock, hasher: createPasswordHasher({ iterations: 1000 }), ...o },
  );
  t.after(async () => {
    await s.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  return { s, clock, dir };
}

test('logins: success, failure, temporary password, bot password; a failure for an unknown name records no name', async (t) => {
  const { s } = await setup(t);
  const u = await s.users.create({ name: 'Alice', email: 'alice@example.org', passwordHash: await s.hasher.hash('Main-Pass-1') });
  await s.botPasswords.set(u.id, 'tool', 'a'.repeat(32), ['basic']);
  await s.users.setTemporaryPassword(u.id, await s.tempPasswords.hash('temp0temp1'));
  assert.equal((await s.auth.login('Alice', 'Main-Pass-1', '192.0.2.1')).status, 'PASS');
  assert.equal((await s.auth.login('alice', 'wrong', '192.0.2.2')).status, 'FAIL');
  assert.equal((await s.auth.login('Alice', 'temp0temp1', '192.0.2.3')).status, 'UI');
  assert.equal((await s.auth.login('Main-Pass-1', 'typed into the name field', '192.0.2.4')).status, 'FAIL');
  assert.equal((await s.auth.loginBot('Alice', 'tool', 'a'.repeat(32), '192.0.2.5')).status, 'PASS');
  assert.equal((await s.auth.loginBot('Alice', 'tool', 'b'.repeat(32), '192.0.2.6')).status, 'FAIL');
  const all = await s.audit.query();
  assert.deepEqual(
    all.map((e) => [e.type, e.userId, e.userName, e.ip, e.details]),
    [
      ['login.success', u.id, 'Alice', '192.0.2.1', {}],
      ['login.failure', u.id, 'Alice', '192.0.2.2', { reason: 'wrongpassword' }],
      ['login.temporary-password', u.id, 'Alice', '192.0.2.3', {}],
      ['login.failure', null, null, '192.0.2.4', { reason: 'wrongpassword' }],
      ['login.bot', u.id, 'Alice', '192.0.2.5', { app: 'tool' }],
      ['login.failure', u.id, 'Alice', '192.0.2.6', { reason: 'wrongpassword', bot: true, app: 'tool' }],
    ],
  );
  assert.ok(!JSON.stringify(all).includes('Main-Pass-1'), 'a name that matches no account is not kept: it may be a password');
  // Throttled attempts are failures with their reason.
  for (let i = 0; i < 6; i++) await s.auth.login('Alice', 'wrong', '192.0.2.9');
  const throttled = await s.audit.query({ type: 'login.failure', user: 'Alice' });
  assert.equal(throttled.at(-1)!.details.reason, 'login-throttled');
});

test('reset requests: the request names the requester and the route only; the outcome is a separate event per account', async (t) => {
  const { s } = await setup(t, {}, { MWAUTH_RESET_IP_LIMIT: '2/3600' });
  const bob = await s.users.create({ name: 'Bob', email: 'bob@example.org', passwordHash: 'x' });
  const p = await loadPerformer(s, 0, '198.51.100.9');
  await s.recovery.request(p, { user: 'Bob', email: null });
  await s.recovery.request(p, { user: null, email: 'nobody@example.org' });
  for (let i = 0; i < 5; i++) await s.recovery.request(p, { user: 'Bob', email: null }); // over the per-IP limit
  const requested = await s.audit.query({ type: 'reset.requested' });
  assert.deepEqual(requested.map((e) => [e.userId, e.userName, e.ip, e.details]), [
    [null, null, '198.51.100.9', { request: 1, route: 'username' }],
    [null, null, '198.51.100.9', { request: 2, route: 'email' }],
  ]);
  // The two requested events are alike whether they matched: same keys, same kinds of value.
  assert.deepEqual(Object.keys(requested[0]!.details), Object.keys(requested[1]!.details));
  assert.equal((await s.audit.query({ type: 'reset.ip-limited' })).length, 1, 'once per window, not per dropped request');
  await s.recoveryWorker.kick();
  // The worker handles two requests at a time: their outcomes may be recorded in either order.
  const outcomes = (await s.audit.query({ type: 'reset.outcome' })).sort((a, b) => Number(a.details.request) - Number(b.details.request));
  assert.deepEqual(outcomes.map((e) => [e.userId, e.details]), [
    [bob.id, { request: 1, outcome: 'queued' }],
    [null, { request: 2, outcome: 'nomatch', notified: false }],
  ]);
  const queued = await s.audit.query({ type: 'mail.queued' });
  assert.deepEqual(queued.map((e) => [e.userName, e.details.kind, e.details.request]), [['Bob', 'password-reset', 1]]);
  // Bob's own history: the outcome and the mail (the request was made by an anonymous address).
  assert.deepEqual((await s.audit.query({ user: 'Bob' })).map((e) => e.type), ['reset.outcome', 'mail.queued']);
});

test('mail.sent and mail.failed come from the delivery worker, with the account of the message', async (t) => {
  let fail = false;
  const transport: MailTransport = {
    async send() {
      if (fail) throw new TransportError('550 mailbox unavailable', false, 550);
    },
    async close() {},
  };
  const { s } = await setup(t, { transport });
  await s.users.create({ name: 'Cleo', email: 'cleo@example.org', passwordHash: 'x' });
  await s.users.create({ name: 'Dov', email: 'dov@example.org', passwordHash: 'x' });
  const p = await loadPerformer(s, 0, '192.0.2.1');
  await s.recovery.request(p, { user: 'Cleo', email: null });
  await s.recoveryWorker.kick();
  await s.delivery.runOnce();
  fail = true;
  await s.recovery.request(p, { user: 'Dov', email: null });
  await s.recoveryWorker.kick();
  await s.delivery.runOnce();
  await s.audit.flush();
  const sent = await s.audit.query({ type: 'mail.sent' });
  assert.deepEqual(sent.map((e) => [e.userName, e.details]), [['Cleo', { outbox: 1, kind: 'password-reset', attempt: 1 }]]);
  const failed = await s.audit.query({ type: 'mail.' });
  assert.deepEqual(failed.map((e) => [e.type, e.userName]), [['mail.queued', 'Cleo'], ['mail.sent', 'Cleo'], ['mail.queued', 'Dov'], ['mail.failed', 'Dov']]);
  assert.match(String(failed.at(-1)!.details.error), /550 mailbox unavailable/);
});

test('query: by user (name or id), since, exact type or prefix, newest N oldest first', async (t) => {
  const { s, clock } = await setup(t);
  const eve = await s.users.create({ name: 'Eve', passwordHash: 'x' });
  await s.audit.record({ type: 'login.success', userId: eve.id, userName: 'Eve', ip: '192.0.2.1' });
  clock.advance(HOUR);
  await s.audit.record({ type: 'login.failure', userId: null, userName: null, ip: '192.0.2.2', details: { reason: 'wrongpassword' } });
  clock.advance(HOUR);
  await s.audit.record({ type: 'password.changed', userId: eve.id, userName: 'Eve', details: { via: 'cli' } });
  await s.audit.record({ type: 'logout', userName: 'Eve' }); // a name without the id still matches
  const types = async (q: Parameters<typeof s.audit.query>[0]) => (await s.audit.query(q)).map((e) => e.type);
  assert.deepEqual(await types({ user: 'Eve' }), ['login.success', 'password.changed', 'logout']);
  assert.deepEqual(await types({ user: eve.id }), ['login.success', 'password.changed']);
  assert.deepEqual(await types({ since: clock.now() - HOUR }), ['login.failure', 'password.changed', 'logout']);
  assert.deepEqual(await types({ type: 'login.' }), ['login.success', 'login.failure']);
  assert.deepEqual(await types({ type: 'login.*' }), ['login.success', 'login.failure']);
  assert.deepEqual(await types({ type: 'login.failure' }), ['login.failure']);
  assert.deepEqual(await types({ type: 'nothing.' }), []);
  assert.deepEqual(await types({ limit: 2 }), ['password.changed', 'logout']);
  assert.deepEqual(await types({ user: 'Nobody' }), []);
});

test('detail keys that could hold a secret are dropped whatever the caller passes', async (t) => {
  const { s, dir } = await setup(t);
  await s.audit.record({
    type: 'login.success',
    details: { via: 'api', password: 'p1', newPassword: 'p2', temp_password: 'p3', token: 't1', csrfToken: 't2', sessionId: 's1', session_id: 's2', cookie: 'c1', secret: 'x' },
  });
  const [e] = await s.audit.query();
  assert.deepEqual(e!.details, { via: 'api' });
  const db = new SQLite(join(dir, 'mwauth.sqlite'), { readonly: true });
  try {
    const raw = JSON.stringify(db.prepare('select * from audit_event').all());
    for (const v of ['p1', 'p2', 'p3', 't1', 't2', 's1', 's2', 'c1', '"x"']) assert.ok(!raw.includes(v), v);
  } finally {
    db.close();
  }
});

test('the 0010_audit migration made the table; every event type is known to the CLI', async (t) => {
  const { s, dir } = await setup(t);
  const db = new SQLite(join(dir, 'mwauth.sqlite'), { readonly: true });
  try {
    const cols = (db.prepare("select name from pragma_table_info('audit_event')").all() as Array<{ name: string }>).map((c) => c.name);
    assert.deepEqual(cols, ['ae_id', 'ae_time', 'ae_type', 'ae_user', 'ae_user_name', 'ae_ip', 'ae_details']);
    const names = (db.prepare('select name from kysely_migration order by name').all() as Array<{ name: string }>).map((r) => r.name);
    assert.ok(names.includes('0010_audit'), names.join(','));
  } finally {
    db.close();
  }
  assert.equal(new Set(AUDIT_TYPES).size, AUDIT_TYPES.length);
  void s;
});

test('parseSince: durations back from now and ISO times (UTC when no zone is given)', () => {
  const now = Date.UTC(2026, 3, 2, 12);
  assert.equal(parseSince('24h', now), now - 24 * HOUR);
  assert.equal(parseSince('30m', now), now - 30 * 60_000);
  assert.equal(parseSince('7d', now), now - 7 * 24 * HOUR);
  assert.equal(parseSince('2w', now), now - 14 * 24 * HOUR);
  assert.equal(parseSince('90s', now), now - 90_000);
  assert.equal(parseSince('2026-04-01', now), Date.UTC(2026, 3, 1));
  assert.equal(parseSince('2026-04-01T10:30:00Z', now), Date.UTC(2026, 3, 1, 10, 30));
  assert.equal(parseSince('2026-04-01T10:30', now), Date.UTC(2026, 3, 1, 10, 30));
  assert.equal(parseSince('2026-04-01T12:30:00+02:00', now), Date.UTC(2026, 3, 1, 10, 30));
  for (const bad of ['yesterday', '24', 'h', '2026-13-45', '']) assert.throws(() => parseSince(bad, now), /--since takes/);
});
