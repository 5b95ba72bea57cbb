// The recovery domain on real services and a real SQLite file, with a hand-moved clock:
// the per-IP limit, who is exempt, the shared-address cooldown, and the worker's lease takeover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { loadPerformer } from '../../src/accounts/performer.js';
import type { ResetInput } from '../../src/recovery/service.js';
import { ipLimitKey } from '../../src/util/clientAddress.js';
import { DomainError } from '../../src/util/errors.js';
import { ManualClock } from '../helpers/clock.js';
import { readMails } from '../helpers/harness.js';

const HOUR = 3600_000;

async function setup(t: { after(fn: () => Promise<void>): void }, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-recovery-'));
  const clock = new ManualClock();
  const s = await createServices(
    loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test', MWAUTH_SITENAME: 'TestWiki', ...env }),
    { clock, hasher: createPasswordHasher({ iterations: 1000 }) },
  );
  t.after(async () => {
    await s.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  const user = async (name: string, email = '', groups: string[] = []) => {
    const u = await s.users.create({ name, email, passwordHash: await s.hasher.hash('Pass-word-123') });
    for (const g of groups) await s.users.addGroup(u.id, g);
    return u;
  };
  const anon = (ip: string) => loadPerformer(s, 0, ip);
  return { s, clock, dir, user, anon };
}

const rows = (s: Services) => s.db.selectFrom('reset_request').selectAll().orderBy('rr_id').execute();
const outbox = (s: Services) => s.db.selectFrom('outbox').selectAll().orderBy('ob_id').execute();
const refusal = (key: string) => (e: unknown) => e instanceof DomainError && e.key === key;

/** Sends `n` valid requests; returns how many were recorded. */
async function burst(s: Services, p: Awaited<ReturnType<typeof loadPerformer>>, n: number, input: ResetInput = { user: 'Nobody', email: null }) {
  const before = (await rows(s)).length;
  for (let i = 0; i < n; i++) await s.recovery.request(p, input);
  return (await rows(s)).length - before;
}

test('ipLimitKey: IPv4 as is, IPv4-mapped unwrapped, IPv6 per /64 in one spelling', () => {
  assert.equal(ipLimitKey('198.51.100.7'), '198.51.100.7');
  assert.equal(ipLimitKey('::ffff:198.51.100.7'), '198.51.100.7');
  const key = '2001:db8:aa:bb::/64';
  for (const ip of ['2001:db8:aa:bb::1', '2001:DB8:AA:BB:0:0:0:9', '2001:0db8:00aa:00bb:ffff:ffff:ffff:ffff', '2001:db8:aa:bb::']) {
    assert.equal(ipLimitKey(ip), key, ip);
  }
  assert.equal(ipLimitKey('2001:db8:aa:bc::1'), '2001:db8:aa:bc::/64');
  assert.equal(ipLimitKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(ipLimitKey('::1'), '0:0:0:0::/64');
});

test('the per-IP limit counts invalid requests too, answers silently past the 5th, and resets after an hour', async (t) => {
  const { s, clock, anon } = await setup(t);
  const p = await anon('198.51.100.7');
  await assert.rejects(s.recovery.request(p, { user: null, email: null }), refusal('passwordreset-nodata'));
  await assert.rejects(s.recovery.request(p, { user: null, email: 'not-an-address' }), refusal('passwordreset-invalidemail'));
  assert.equal(await burst(s, p, 3), 3, 'requests 3-5 recorded');
  assert.equal(await burst(s, p, 1), 0, 'the 6th is dropped without an error');
  // Over the limit nothing is checked any more: even a wrong request gets the silent success (as MediaWiki).
  await s.recovery.request(p, { user: null, email: 'bad' });
  await s.recovery.request(p, { user: null, email: null });
  assert.equal(await s.counters.peek('reset:ip:198.51.100.7'), 8);
  assert.equal((await rows(s)).length, 3);
  assert.equal(await burst(s, await anon('198.51.100.8'), 1), 1, 'another address has its own count');

  clock.advance(HOUR - 1);
  assert.equal(await burst(s, p, 1), 0, 'still the same window');
  clock.advance(1);
  assert.equal(await burst(s, p, 5), 5, 'a new window after an hour');
  assert.equal(await burst(s, p, 1), 0);
});

test('IPv6 requesters share one count per /64', async (t) => {
  const { s, anon } = await setup(t);
  const ips = ['2001:db8:aa:bb::1', '2001:db8:aa:bb::2', '2001:DB8:AA:BB:0:0:0:3', '2001:db8:aa:bb:ffff::4', '2001:db8:aa:bb::5'];
  for (const ip of ips) assert.equal(await burst(s, await anon(ip), 1), 1, ip);
  assert.equal(await burst(s, await anon('2001:db8:aa:bb::77'), 1), 0, 'sixth address of the /64');
  assert.equal(await burst(s, await anon('2001:db8:aa:bc::1'), 1), 1, 'the next /64 is separate');
  // An IPv4-mapped address counts with the plain IPv4 one.
  assert.equal(await burst(s, await anon('::ffff:192.0.2.9'), 3), 3);
  assert.equal(await burst(s, await anon('192.0.2.9'), 3), 2);
});

test('noratelimit performers (sysop) are exempt and use up nothing', async (t) => {
  const { s, user, anon } = await setup(t);
  const admin = await user('Admin', '', ['sysop']);
  const p = await loadPerformer(s, admin.id, '203.0.113.1');
  assert.ok(p.can('noratelimit'));
  assert.equal(await burst(s, p, 12), 12);
  assert.equal(await s.counters.peek('reset:ip:203.0.113.1'), 0);
  assert.equal(await burst(s, await anon('203.0.113.1'), 6), 5, 'an anonymous user of that address still has the full five');
});

test('logged-in users without noratelimit share their address count, and are named in the mail', async (t) => {
  const { s, dir, user, anon } = await setup(t);
  await user('Alice', 'alice@example.org');
  const bob = await user('Bob', 'bob@example.org');
  const p = await loadPerformer(s, bob.id, '192.0.2.50');
  assert.ok(!p.anon && !p.can('noratelimit'));
  assert.equal(await burst(s, await anon('192.0.2.50'), 3), 3);
  assert.equal(await burst(s, p, 3, { user: 'Alice', email: null }), 2, 'the per-IP count includes logged-in requests');
  const mine = (await rows(s)).filter((r) => Number(r.rr_performer_id) === bob.id);
  assert.equal(mine.length, 2);
  assert.equal(mine[0]!.rr_performer_name, 'Bob');
  assert.equal(mine[0]!.rr_performer_ip, '192.0.2.50');

  await s.recoveryWorker.kick();
  await s.delivery.runOnce();
  const mails = await readMails(join(dir, 'mail'));
  assert.equal(mails.length, 1, 'second request for Alice fell in the cooldown');
  assert.match(mails[0]!.text, /The user Bob on TestWiki asked for a new password/);
  assert.doesNotMatch(mails[0]!.text, /192\.0\.2\.50/, 'a logged-in requester is named, its address is not shown');
});

test('a block that disables account creation refuses resets before counting; a softer block does not', async (t) => {
  const { s, anon } = await setup(t);
  await s.blocks.add({ userId: 0, target: '192.0.2.66', by: 'Admin', reason: 'spam' });
  const p = await anon('192.0.2.66');
  for (let i = 0; i < 7; i++) await assert.rejects(s.recovery.request(p, { user: 'X', email: null }), refusal('blocked-mailpassword'));
  assert.equal(await s.counters.peek('reset:ip:192.0.2.66'), 0);
  await s.blocks.add({ userId: 0, target: '192.0.2.66', by: 'Admin', reason: 'edits only', createAccount: false });
  assert.equal(await burst(s, await anon('192.0.2.66'), 1), 1);
});

test('an address shared by accounts: one account in its cooldown stops the mail to every account', async (t) => {
  const { s, clock, user, anon } = await setup(t);
  const ann = await user('Ann', 'shared@example.org');
  const ben = await user('Ben', 'Shared@Example.ORG');
  await s.recovery.request(await anon('192.0.2.1'), { user: 'Ann', email: null });
  await s.recoveryWorker.kick();
  assert.equal((await outbox(s)).length, 1);
  const annTime = (await s.users.byId(ann.id))!.newPassTime!;

  clock.advance(HOUR);
  await s.recovery.request(await anon('192.0.2.2'), { user: null, email: 'SHARED@example.org' });
  await s.recoveryWorker.kick();
  assert.equal((await rows(s)).at(-1)!.rr_status, 'cooldown');
  assert.equal((await outbox(s)).length, 1, 'no mail to Ben either');
  assert.equal((await s.users.byId(ben.id))!.newPassword, '', 'Ben got no temporary password');
  assert.equal((await s.users.byId(ann.id))!.newPassTime, annTime, "Ann's cooldown did not restart");

  clock.set(annTime + 24 * HOUR - 1);
  await s.recovery.request(await anon('192.0.2.3'), { user: null, email: 'shared@example.org' });
  await s.recoveryWorker.kick();
  assert.equal((await rows(s)).at(-1)!.rr_status, 'cooldown', 'one millisecond before the 24 h are over');
  clock.advance(1);
  await s.recovery.request(await anon('192.0.2.4'), { user: null, email: 'shared@example.org' });
  await s.recoveryWorker.kick();
  assert.equal((await rows(s)).at(-1)!.rr_status, 'queued');
  assert.deepEqual((await outbox(s)).slice(1).map((o) => [Number(o.ob_user), o.ob_to]), [[ann.id, 'shared@example.org'], [ben.id, 'Shared@Example.ORG']]);
});

test('a new password ends the cooldown', async (t) => {
  const { s, user, anon } = await setup(t);
  const cy = await user('Cy', 'cy@example.org');
  await s.recovery.request(await anon('192.0.2.1'), { user: 'Cy', email: null });
  await s.recoveryWorker.kick();
  await s.auth.changePassword((await s.users.byId(cy.id))!, 'Brand-new-pass-1');
  await s.recovery.request(await anon('192.0.2.1'), { user: 'Cy', email: null });
  await s.recoveryWorker.kick();
  assert.deepEqual((await rows(s)).map((r) => r.rr_status), ['queued', 'queued']);
});

test('requests that match nothing, or an account without an address, end as nomatch and send nothing', async (t) => {
  const { s, user, anon } = await setup(t);
  await user('Mailless');
  await user('Dora', 'dora@example.org');
  const p = await anon('192.0.2.9');
  await s.recovery.request(p, { user: 'Mailless', email: null });
  await s.recovery.request(p, { user: 'No such user', email: null });
  await s.recovery.request(p, { user: null, email: 'nobody@example.org' });
  // A "user" holding an "@" is an address (the API documentation's example).
  await s.recovery.request(p, { user: 'DORA@example.org', email: null });
  await s.recoveryWorker.kick();
  const r = await rows(s);
  assert.deepEqual(r.map((x) => x.rr_status), ['nomatch', 'nomatch', 'nomatch', 'queued']);
  assert.deepEqual([r[3]!.rr_username, r[3]!.rr_email], [null, 'DORA@example.org']);
  assert.equal((await outbox(s)).length, 1);
  assert.equal((await s.users.byName('Mailless'))!.newPassword, '');
});

test('with only the username route, an address alone is no data', async (t) => {
  const { s, anon } = await setup(t, { MWAUTH_RESET_ROUTES: 'username' });
  await assert.rejects(s.recovery.request(await anon('192.0.2.1'), { user: null, email: 'a@example.org' }), refusal('passwordreset-nodata'));
});

test('the worker takes over a request whose lease ran out, and not before', async (t) => {
  const { s, clock, user } = await setup(t);
  const eve = await user('Eve', 'eve@example.org');
  await user('Fay', 'fay@example.org');
  const now = clock.now();
  const base = { rr_created: now - 5000, rr_performer_id: 0, rr_performer_name: '192.0.2.1', rr_performer_ip: '192.0.2.1', rr_email: null };
  // Left by a worker that died: one still inside its lease, one whose lease ran out, one never claimed.
  await s.db.insertInto('reset_request').values([
    { ...base, rr_username: 'Eve', rr_status: 'processing', rr_lease_until: now + 30_000, rr_lease_owner: 'dead-worker-1', rr_processed: null },
    { ...base, rr_username: 'Fay', rr_status: 'processing', rr_lease_until: now - 1, rr_lease_owner: 'dead-worker-2', rr_processed: null },
    { ...base, rr_username: 'Nobody', rr_status: 'pending', rr_processed: null },
  ]).execute();
  await s.recoveryWorker.kick();
  assert.deepEqual((await rows(s)).map((r) => r.rr_status), ['processing', 'queued', 'nomatch']);
  assert.deepEqual((await outbox(s)).map((o) => o.ob_to), ['fay@example.org']);

  clock.advance(30_000);
  await s.recoveryWorker.kick();
  assert.equal((await rows(s))[0]!.rr_status, 'processing', 'a lease ending now is still held');
  clock.advance(1);
  await s.recoveryWorker.kick();
  const r = await rows(s);
  assert.equal(r[0]!.rr_status, 'queued');
  assert.equal(Number(r[0]!.rr_processed), clock.now());
  assert.deepEqual((await outbox(s)).map((o) => o.ob_to), ['fay@example.org', 'eve@example.org']);
  assert.ok((await s.users.byId(eve.id))!.newPassword);
});
