// Two reset workers on one database (two server instances, or the server and a CLI command, which
// also runs the worker): a worker whose lease ran out while it was still working must not commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { RecoveryWorker } from '../../src/recovery/worker.js';
import { ManualClock } from '../helpers/clock.js';

test('a worker that lost its lease mid-request rolls back: one mail, and the mailed password is the one that works', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-lease-'));
  const clock = new ManualClock();
  const base = createPasswordHasher({ iterations: 1000 });
  const s = await createServices(loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' }), { clock, hasher: base });
  t.after(async () => {
    await s.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  const gil = await s.users.create({ name: 'Gil', email: 'gil@example.org', passwordHash: await base.hash('Pass-word-1') });
  // Recorded directly: going through s.recovery would also wake the services' own worker.
  await s.db.insertInto('reset_request').values({
    rr_created: clock.now(), rr_performer_id: 0, rr_performer_name: '192.0.2.1', rr_performer_ip: '192.0.2.1',
    rr_username: 'Gil', rr_email: null, rr_status: 'pending', rr_processed: null,
  }).execute();

  // Worker A's hashing waits (as behind a long queue of logins) until the test lets it go on.
  const issued: Record<'a' | 'b', string[]> = { a: [], b: [] };
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const recording = (who: 'a' | 'b', wait?: Promise<void>) => ({
    async hash(pw: string) {
      issued[who].push(pw);
      if (wait) await wait;
      return s.tempPasswords.hash(pw);
    },
  });
  const config = { server: 'http://wiki.test', articlePath: '/wiki', language: 'en', tempPasswordLength: 10, newPasswordExpiry: 7 * 86400, resendHours: 24 };
  const worker = (who: 'a' | 'b', wait?: Promise<void>) =>
    new RecoveryWorker({ db: s.db, stores: s.stores, users: s.users, preferences: s.preferences, tempPasswords: recording(who, wait), outbox: s.outbox, i18n: s.i18n, clock, random: s.random, config });

  const a = worker('a', gate).runOnce();
  while (issued.a.length === 0) await sleep(1);
  assert.equal((await s.db.selectFrom('reset_request').select('rr_status').executeTakeFirstOrThrow()).rr_status, 'processing');

  clock.advance(60_001); // A's lease is over: B takes the request and finishes it
  assert.equal(await worker('b').runOnce(), 1);
  release();
  await a;

  const outbox = await s.db.selectFrom('outbox').selectAll().execute();
  assert.equal(outbox.length, 1, 'one mail, not two');
  const rr = await s.db.selectFrom('reset_request').selectAll().executeTakeFirstOrThrow();
  assert.equal(rr.rr_status, 'queued');
  const held = (await s.users.byId(gil.id))!.newPassword;
  assert.ok(await s.tempPasswords.verify(issued.b[0]!, held), "the password B mailed is the account's");
  assert.equal(await s.tempPasswords.verify(issued.a[0]!, held), false, "A's never-mailed password is not");
});
