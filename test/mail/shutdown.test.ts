// SIGTERM: the server stops taking requests, lets the deliveries in progress finish (within the
// grace period), leaves the rest queued, and the next start sends them — each exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { messageIdOf, startSmtp, until, type SmtpStub } from './helpers.js';
import { count, createUsers, freePort, openDb, requestReset, serve, smtpServerEnv, type Serve } from './proc.js';

async function setup(t: { after(fn: () => Promise<void>): void }, smtp: SmtpStub, extra: Record<string, string>, users: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'mwauth-mailterm-'));
  const port = await freePort();
  const env = smtpServerEnv(dataDir, port, smtp.port, extra);
  const list = Array.from({ length: users }, (_, i) => ({ name: `Term ${i + 1}`, email: `term${i + 1}@example.org` }));
  await createUsers(env, list);
  const state = { server: null as Serve | null };
  t.after(async () => {
    const s = state.server;
    if (s && s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGKILL');
      await s.exited;
    }
    await smtp.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { env, dataDir, api: `http://127.0.0.1:${port}/w/api.php`, users: list, state };
}

function statuses(dataDir: string) {
  const db = openDb(dataDir);
  const rows = db.prepare(`select ob_to, ob_status, ob_message_id, ob_last_error, ob_attempts from outbox order by ob_id`).all() as Array<{
    ob_to: string; ob_status: string; ob_message_id: string; ob_last_error: string | null; ob_attempts: number;
  }>;
  db.close();
  return rows;
}

test('SIGTERM: in-flight deliveries finish, the rest stays queued, the next start sends it once', { timeout: 90_000 }, async (t) => {
  // Each DATA answered after 1.5 s; two connections: two messages in flight at a time.
  const smtp = await startSmtp({ delayMs: 1500 });
  const { env, dataDir, api, users, state } = await setup(t, smtp, { MWAUTH_SMTP_POOL_SIZE: '2', MWAUTH_MAIL_SHUTDOWN_GRACE: '10' }, 8);
  state.server = await serve(env);
  const first = state.server;
  for (const u of users) assert.equal(await requestReset(api, u.name), 'success');
  // All eight reset mails queued, two of them in DATA.
  await until(() => {
    const db = openDb(dataDir);
    const n = count(db, `select count(*) n from outbox`);
    db.close();
    return n === 8 && smtp.inData === 2;
  }, 30_000, 'eight mails queued, two in flight');

  const before = smtp.received.length;
  const inFlight = smtp.inData;
  const sigterm = Date.now();
  first.child.kill('SIGTERM');
  // It stops taking requests at once, while the two deliveries are still running.
  await until(async () => (await requestReset(api, users[0]!.name)) === 'lost', 3000, 'requests refused');
  assert.equal(first.child.exitCode, null, 'still draining');
  assert.ok(smtp.inData > 0, 'deliveries still in flight');
  const { code, at } = await first.exited;
  assert.equal(code, 0);
  const took = at - sigterm;
  assert.ok(took < 8000, `exited when the deliveries finished, not at the 10 s bound (${took} ms)`);
  t.diagnostic(`exit ${took} ms after SIGTERM; ${before} sent before it, ${inFlight} in flight`);

  assert.equal(inFlight, 2);
  assert.equal(smtp.received.length, before + 2, 'the two in-flight messages were accepted');
  assert.equal(smtp.dataCount, before + 2, 'nothing new was started after SIGTERM');
  const sent = smtp.received.length;
  assert.ok(sent < 8, `something was left to send (${sent} sent)`);
  let rows = statuses(dataDir);
  assert.equal(rows.filter((r) => r.ob_status === 'sent').length, sent);
  assert.equal(rows.filter((r) => r.ob_status === 'queued').length, 8 - sent, 'the rest stays queued');
  assert.equal(rows.filter((r) => r.ob_status === 'sending').length, 0, 'no lease left behind');
  assert.ok(rows.filter((r) => r.ob_status === 'queued').every((r) => r.ob_attempts === 0));
  assert.deepEqual(
    new Set(rows.filter((r) => r.ob_status === 'sent').map((r) => r.ob_message_id)),
    new Set(smtp.received.map((r) => messageIdOf(r.raw))),
  );

  // Next start: the rest goes out, nothing twice.
  smtp.setDelay(0);
  state.server = await serve(env);
  await until(() => statuses(dataDir).every((r) => r.ob_status === 'sent'), 30_000, 'all sent after the restart');
  state.server.child.kill('SIGTERM');
  assert.equal((await state.server.exited).code, 0);
  rows = statuses(dataDir);
  assert.equal(smtp.received.length, 8);
  assert.equal(new Set(smtp.received.map((r) => messageIdOf(r.raw))).size, 8, 'each message once');
  assert.deepEqual(new Set(smtp.received.map((r) => r.to[0])), new Set(users.map((u) => u.email)));
});

test('SIGTERM with a stalled server: exit at the grace bound, the stalled mail given back to the queue', { timeout: 90_000 }, async (t) => {
  const smtp = await startSmtp({ delayMs: 60_000 }); // never answers in time
  const { env, dataDir, api, users, state } = await setup(t, smtp, { MWAUTH_SMTP_POOL_SIZE: '1', MWAUTH_MAIL_SHUTDOWN_GRACE: '1' }, 2);
  state.server = await serve(env);
  const first = state.server;
  for (const u of users) assert.equal(await requestReset(api, u.name), 'success');
  await until(() => smtp.inData === 1, 30_000, 'one message in flight');
  const sigterm = Date.now();
  first.child.kill('SIGTERM');
  const { code, at } = await first.exited;
  assert.equal(code, 0);
  const took = at - sigterm;
  t.diagnostic(`exit ${took} ms after SIGTERM (grace 1 s)`);
  assert.ok(took >= 900 && took < 6000, `bounded by the grace period (${took} ms)`);
  const rows = statuses(dataDir);
  assert.equal(rows.length, 2);
  assert.ok(rows.every((r) => r.ob_status === 'queued'), JSON.stringify(rows));
  assert.deepEqual(rows.map((r) => r.ob_last_error).sort(), ['interrupted by shutdown', null]);
  await sleep(50);
  assert.equal(smtp.received.length, 0, 'the cut-off message was not accepted');
  // (That queued mail goes out at the next start: shown by the test above.)
});
