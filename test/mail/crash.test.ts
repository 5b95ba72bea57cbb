// The process killed (SIGKILL) in the middle of a burst of 200 password resets, with mail going out
// over SMTP, then started again on the same data folder: every reset that was answered "success"
// ends with its mail delivered — none lost; a resend after the kill keeps its Message-ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { messageIdOf, startSmtp } from './helpers.js';
import { count, createUsers, freePort, openDb, requestReset, serve, smtpServerEnv, type Serve } from './proc.js';

// With MWAUTH_TEST_REAL_LEASES=1 the restarted server waits for the dead process's leases (mail
// 30 s, reset requests 60 s) to run out; by default they are expired by hand before the restart.
const REAL_LEASES = process.env.MWAUTH_TEST_REAL_LEASES === '1';
const N = 200;

test('SIGKILL during a burst of 200 resets: after a restart every accepted reset has its mail', { timeout: REAL_LEASES ? 240_000 : 120_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mwauth-mailcrash-'));
  // A server that takes 60 ms to answer DATA: there is nearly always a message in flight.
  const smtp = await startSmtp({ delayMs: 60 });
  const port = await freePort();
  const env = smtpServerEnv(dataDir, port, smtp.port);
  let server: Serve | null = null;
  t.after(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await smtp.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const users = Array.from({ length: N }, (_, i) => ({ name: `Burst ${i + 1}`, email: `burst${i + 1}@example.org` }));
  await createUsers(env, users);
  server = await serve(env);
  const first = server;
  const api = `http://127.0.0.1:${port}/w/api.php`;

  // The burst: 4 clients; the kill comes once 100 resets were answered and mail is being sent
  // (a message in the middle of DATA), or at the latest when the burst is over.
  const result: Array<'success' | 'lost' | null> = new Array(N).fill(null);
  let next = 0;
  let successes = 0;
  let killed = false;
  let killState = '';
  const kill = () => {
    if (killed) return;
    killed = true;
    killState = `successes=${successes} delivered=${smtp.received.length} inDATA=${smtp.inData}`;
    first.child.kill('SIGKILL');
  };
  const watcher = setInterval(() => {
    if (successes >= 100 && smtp.received.length >= 5 && smtp.inData > 0) kill();
  }, 2);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < N && !killed) {
        const i = next++;
        result[i] = await requestReset(api, users[i]!.name);
        if (result[i] === 'success') successes++;
        await sleep(5);
      }
    }),
  );
  if (!killed) {
    // Everything was answered before the watcher fired: kill while the mail is still going out.
    const deadline = Date.now() + 20_000;
    while (!(smtp.inData > 0 && smtp.received.length >= 5) && Date.now() < deadline) await sleep(1);
    kill();
  }
  clearInterval(watcher);
  assert.equal((await first.exited).signal, 'SIGKILL');
  const accepted = users.filter((_, i) => result[i] === 'success');
  assert.ok(accepted.length >= 100, `accepted ${accepted.length}`);

  const receivedAtKill = smtp.received.length;
  {
    const db = openDb(dataDir, REAL_LEASES);
    const pending = count(db, `select count(*) n from reset_request where rr_status in ('pending','processing')`);
    const queued = count(db, `select count(*) n from outbox where ob_status = 'queued'`);
    const sending = count(db, `select count(*) n from outbox where ob_status = 'sending'`);
    t.diagnostic(`at the kill (${killState}): ${accepted.length} accepted, ${pending} requests unprocessed, ${queued} mails queued, ${sending} being sent, ${receivedAtKill} received`);
    assert.ok(pending + queued + sending > 0, 'the kill interrupted accepted work (otherwise this test proves nothing)');
    if (!REAL_LEASES) {
      // As if the dead process's leases had run out (lease takeover itself is tested with a
      // ManualClock in worker.test.ts); nothing else changes.
      const past = Date.now() - 1;
      db.prepare(`update reset_request set rr_lease_until = ? where rr_status = 'processing' and rr_lease_until is not null`).run(past);
      db.prepare(`update outbox set ob_lease_until = ? where ob_status = 'sending'`).run(past);
    }
    db.close();
  }

  // Restart on the same folder and wait until nothing is left to do.
  server = await serve(env);
  const deadline = Date.now() + (REAL_LEASES ? 180_000 : 90_000);
  for (;;) {
    const db = openDb(dataDir);
    const open = count(db, `select count(*) n from reset_request where rr_status in ('pending','processing')`);
    const unsent = count(db, `select count(*) n from outbox where ob_status <> 'sent'`);
    db.close();
    if (open === 0 && unsent === 0) break;
    assert.ok(Date.now() < deadline, `work still open: ${open} requests, ${unsent} mails`);
    await sleep(100);
  }
  await sleep(300); // anything sent twice would arrive now
  server.child.kill('SIGTERM');
  assert.deepEqual((await server.exited).code, 0);

  // Every accepted reset: its mail arrived, as one message (one Message-ID).
  const byAddress = new Map<string, string[]>();
  for (const r of smtp.received) byAddress.set(r.to[0]!, [...(byAddress.get(r.to[0]!) ?? []), messageIdOf(r.raw)]);
  const missing = accepted.filter((u) => !byAddress.has(u.email));
  assert.deepEqual(missing.map((u) => u.email), [], 'no accepted reset lost its mail');
  let duplicates = 0;
  for (const u of accepted) {
    const ids = byAddress.get(u.email)!;
    assert.equal(new Set(ids).size, 1, `${u.email}: one message (Message-IDs ${ids.join(', ')})`);
    duplicates += ids.length - 1;
  }
  // Unanswered requests (cut off by the kill) may have been recorded; at most one message each.
  for (const [addr, ids] of byAddress) assert.equal(new Set(ids).size, 1, `${addr}: one message`);
  const db = openDb(dataDir);
  const rows = db.prepare(`select ob_to, ob_message_id, ob_status, ob_attempts from outbox`).all() as Array<{ ob_to: string; ob_message_id: string; ob_status: string; ob_attempts: number }>;
  db.close();
  assert.equal(new Set(rows.map((r) => r.ob_to)).size, rows.length, 'one outbox row per address');
  for (const r of rows) assert.deepEqual(byAddress.get(r.ob_to) && new Set(byAddress.get(r.ob_to)), new Set([r.ob_message_id]), `${r.ob_to}: the stored message arrived`);
  const resent = rows.filter((r) => r.ob_attempts > 1).length;
  t.diagnostic(`after the restart: ${accepted.length} accepted resets, ${smtp.received.length} deliveries for ${byAddress.size} addresses, ${duplicates} duplicate deliveries (same Message-ID), ${resent} messages needed a second attempt`);
});
