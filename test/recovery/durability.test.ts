// "A crash between request and delivery loses nothing": the real server, SIGKILLed in the middle of a
// burst of reset requests, restarted on the same data folder, ends with exactly one mail per account.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { createTemporaryPasswordHasher } from '../../src/auth/tempPasswordHash.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { readMails } from '../helpers/harness.js';
import { freePort, startServe, type ServeProcess } from '../helpers/process.js';

// With MWAUTH_TEST_REAL_LEASES=1 the test waits for the killed process's leases (60 s) to run out
// instead of expiring them by hand; the default keeps the suite fast.
const REAL_LEASES = process.env.MWAUTH_TEST_REAL_LEASES === '1';
const FINAL = ['queued', 'nomatch', 'cooldown'];

interface Req {
  key: string;
  params: Record<string, string>;
  /** The address a mail must reach, or null when nothing may be sent. */
  mailTo: string | null;
  result: 'success' | 'lost' | null;
}

/** One reset request; 'lost' when the connection failed (the server died), throws on any other answer. */
async function sendReset(api: string, params: Record<string, string>): Promise<'success' | 'lost'> {
  let text: string;
  try {
    const res = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'resetpassword', format: 'json', token: '+\\', ...params }),
      signal: AbortSignal.timeout(10_000),
    });
    text = await res.text();
  } catch {
    return 'lost';
  }
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    return 'lost'; // cut off mid-body by the kill
  }
  assert.deepEqual(json, { resetpassword: { status: 'success' } }, `unexpected answer for ${JSON.stringify(params)}`);
  return 'success';
}

function openDb(dir: string, readonly = false) {
  return new SQLite(join(dir, 'mwauth.sqlite'), { readonly, fileMustExist: true });
}

test('SIGKILL in the middle of a reset burst: after a restart every account gets exactly one mail', { timeout: REAL_LEASES ? 180_000 : 60_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mwauth-durable-'));
  const env = {
    MWAUTH_DATA_DIR: dataDir,
    MWAUTH_SERVER: 'http://wiki.test',
    MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
    MWAUTH_RESET_IP_LIMIT: '100000/3600',
    MWAUTH_MAIL_BUDGET_PER_NETWORK: '100000/3600',
    MWAUTH_LOG_LEVEL: 'warn',
  };
  let server: ServeProcess | null = null;
  t.after(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  // 80 accounts with an address, 10 without, 10 unknown addresses: 100 requests, each account named once.
  const reqs: Req[] = [];
  {
    const s = await createServices(loadConfig(env), { hasher: createPasswordHasher({ iterations: 1000 }) });
    const hash = await s.hasher.hash('Initial-Pass-1');
    for (let i = 1; i <= 80; i++) {
      const email = `durable${i}@example.org`;
      await s.users.create({ name: `Durable ${i}`, email, passwordHash: hash });
      const params: Record<string, string> = i % 2 ? { user: `Durable_${i}` } : { email: email.toUpperCase() };
      reqs.push({ key: `Durable ${i}`, params, mailTo: email, result: null });
    }
    for (let i = 1; i <= 10; i++) {
      await s.users.create({ name: `Mailless ${i}`, passwordHash: hash });
      reqs.push({ key: `Mailless ${i}`, params: { user: `Mailless ${i}` }, mailTo: null, result: null });
      reqs.push({ key: `nobody${i}`, params: { email: `nobody${i}@example.org` }, mailTo: null, result: null });
    }
    await s.close(0);
  }
  // A fixed shuffle, so the kill lands among all three kinds.
  for (let i = reqs.length - 1; i > 0; i--) {
    const j = (i * 7919 + 13) % (i + 1);
    [reqs[i], reqs[j]] = [reqs[j]!, reqs[i]!];
  }

  const port = await freePort();
  const api = `http://127.0.0.1:${port}/w/api.php`;
  server = await startServe({ ...env, MWAUTH_PORT: String(port) });

  // The burst: 8 clients at once; the server is killed right after the 40th success.
  const KILL_AFTER = 40;
  let successes = 0;
  let killed = false;
  let next = 0;
  const first = server;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < reqs.length) {
        const r = reqs[next++]!;
        r.result = await sendReset(api, r.params);
        if (r.result === 'success' && ++successes === KILL_AFTER && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    }),
  );
  assert.ok(killed, 'the server was killed mid-burst');
  assert.equal((await first.exited).signal, 'SIGKILL');
  const lost = reqs.filter((r) => r.result !== 'success');
  assert.ok(lost.length >= 40, `requests after the kill failed (${lost.length})`);

  // What the crash left behind: work that was accepted but not yet finished.
  {
    const db = openDb(dataDir);
    const count = (q: string) => (db.prepare(q).get() as { n: number }).n;
    const pending = count(`select count(*) n from reset_request where rr_status in ('pending','processing')`);
    const undelivered = count(`select count(*) n from outbox where ob_status <> 'sent'`);
    const leased = [
      count(`select count(*) n from reset_request where rr_status = 'processing'`),
      count(`select count(*) n from outbox where ob_status = 'sending'`),
    ];
    t.diagnostic(`at the kill: ${successes} successes, ${pending} requests unprocessed, ${undelivered} mails undelivered, leases held ${leased}`);
    assert.ok(pending + undelivered > 0, 'the kill interrupted accepted work (otherwise this test proves nothing)');
    if (!REAL_LEASES) {
      // As if the 60 s leases of the dead process had run out (the takeover itself is tested with a
      // ManualClock in service.test.ts); nothing else in the data changes.
      const past = Date.now() - 1;
      db.prepare(`update reset_request set rr_lease_until = ? where rr_status = 'processing' and rr_lease_until is not null`).run(past);
      db.prepare(`update outbox set ob_lease_until = ? where ob_status = 'sending'`).run(past);
    }
    db.close();
  }

  // Restart on the same folder; clients retry what got no answer (some of those were recorded).
  server = await startServe({ ...env, MWAUTH_PORT: String(port) });
  await Promise.all(
    Array.from({ length: 8 }, (_, w) =>
      (async () => {
        for (let i = w; i < lost.length; i += 8) {
          const r = lost[i]!;
          for (let attempt = 0; attempt < 3 && r.result !== 'success'; attempt++) r.result = await sendReset(api, r.params);
          assert.equal(r.result, 'success', `retry of ${r.key}`);
        }
      })(),
    ),
  );

  // Wait until every request is decided and every mail is out.
  const deadline = Date.now() + (REAL_LEASES ? 120_000 : 30_000);
  for (;;) {
    const db = openDb(dataDir, true);
    const open = (db.prepare(`select count(*) n from reset_request where rr_status not in ('queued','nomatch','cooldown')`).get() as { n: number }).n;
    const unsent = (db.prepare(`select count(*) n from outbox where ob_status <> 'sent'`).get() as { n: number }).n;
    db.close();
    if (open === 0 && unsent === 0) break;
    assert.ok(Date.now() < deadline, `work still open: ${open} requests, ${unsent} mails`);
    await sleep(100);
  }
  server.child.kill('SIGTERM');
  const { code, signal } = await server.exited;
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, 'graceful shutdown on SIGTERM');

  // Exactly one .eml per account with an address; none for anything else.
  const mails = await readMails(join(dataDir, 'mail'));
  const byAddress = new Map<string, typeof mails>();
  for (const m of mails) {
    const addr = /<([^<>]+)>\s*$/.exec(m.to)?.[1] ?? m.to;
    byAddress.set(addr, [...(byAddress.get(addr) ?? []), m]);
  }
  const expected = reqs.filter((r) => r.mailTo !== null);
  for (const r of expected) {
    const got = byAddress.get(r.mailTo!) ?? [];
    assert.equal(got.length, 1, `${r.key}: ${got.length} mails`);
    assert.match(got[0]!.text, new RegExp(`User name: ${r.key}\\b`));
  }
  assert.equal(mails.length, expected.length, `no other mail: ${[...byAddress.keys()].filter((a) => !expected.some((r) => r.mailTo === a))}`);

  const db = openDb(dataDir, true);
  const rows = db.prepare(`select rr_username u, rr_email e, rr_status s from reset_request order by rr_id`).all() as Array<{ u: string | null; e: string | null; s: string }>;
  const outbox = db.prepare(`select ob_user, ob_status, ob_to from outbox`).all() as Array<{ ob_user: number; ob_status: string; ob_to: string }>;
  const users = db.prepare(`select user_name, user_email, user_newpassword from user`).all() as Array<{ user_name: string; user_email: string; user_newpassword: string }>;
  db.close();

  // Every request recorded ends final: one 'queued' per account, retries of recorded requests in 'cooldown'.
  assert.ok(rows.length >= reqs.length, `${rows.length} rows for ${reqs.length} distinct requests`);
  for (const row of rows) assert.ok(FINAL.includes(row.s), `final status, got ${row.s}`);
  const target = (row: { u: string | null; e: string | null }) =>
    row.u ?? reqs.find((r) => r.params.email?.toLowerCase() === row.e!.toLowerCase())!.key;
  for (const r of reqs) {
    const statuses = rows.filter((row) => target(row) === r.key).map((row) => row.s);
    assert.ok(statuses.length >= 1 && statuses.length <= 3, `${r.key}: ${statuses}`);
    if (r.mailTo) {
      assert.equal(statuses.filter((s) => s === 'queued').length, 1, `${r.key}: ${statuses}`);
      assert.ok(statuses.every((s) => s === 'queued' || s === 'cooldown'), `${r.key}: ${statuses}`);
    } else {
      assert.ok(statuses.every((s) => s === 'nomatch'), `${r.key}: ${statuses}`);
    }
  }
  assert.equal(outbox.length, expected.length);
  assert.equal(new Set(outbox.map((o) => o.ob_user)).size, expected.length, 'one outbox row per account');
  assert.ok(outbox.every((o) => o.ob_status === 'sent'));

  // The password each mail carries is the one the account holds (no later, unmailed overwrite).
  const hasher = createPasswordHasher();
  // Keyed with the server's secret (generated into the data folder at its first start).
  const temps = createTemporaryPasswordHasher({ keys: new Keyring(loadConfig(env).secrets), slow: hasher });
  for (const r of expected) {
    const mail = byAddress.get(r.mailTo!)![0]!;
    const u = users.find((x) => x.user_name === r.key)!;
    assert.ok(mail.tempPassword, `${r.key}: temporary password in the mail`);
    assert.ok(await temps.verify(mail.tempPassword!, u.user_newpassword), `${r.key}: mailed password works`);
  }
  await hasher.close();
  for (const u of users.filter((x) => !x.user_email)) assert.equal(u.user_newpassword, '', `${u.user_name} got no password`);
});
