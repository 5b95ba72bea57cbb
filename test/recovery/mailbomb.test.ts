// Abuse of mail: a thousand accounts made with someone's address, then one reset by that address, must not
// mail them a thousand times, nor spend the site's mail budget; one network cannot spend more than its
// share of the budget; every mail — the "password changed" notice too — counts against its address. All
// silent: the answer is the same `success` whatever was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPerformer } from '../../src/accounts/performer.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { loadConfig } from '../../src/config.js';
import { networkKey } from '../../src/util/clientAddress.js';
import { createServices, type Services } from '../../src/services.js';
import { ManualClock } from '../helpers/clock.js';
import { ANON, SUCCESS, deliverAll } from '../helpers/api.js';
import { Client, readMails, startTestServer } from '../helpers/harness.js';

const DAY = 86_400_000;

async function setup(t: { after(fn: () => Promise<void>): void }, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-bomb-'));
  const clock = new ManualClock();
  const s = await createServices(
    loadConfig({
      MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test', MWAUTH_SITENAME: 'TestWiki',
      MWAUTH_RESET_IP_LIMIT: '100000/3600', ...env,
    }),
    { clock, hasher: createPasswordHasher({ iterations: 1000 }) },
  );
  t.after(async () => {
    await s.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  return { s, clock };
}

async function reset(s: Services, ip: string, input: { user?: string; email?: string }): Promise<void> {
  await s.recovery.request(await loadPerformer(s, 0, ip), { user: input.user ?? null, email: input.email ?? null });
}

const mailsTo = async (s: Services, to: string) =>
  (await s.db.selectFrom('outbox').select(['ob_kind', 'ob_user']).where('ob_to', '=', to).orderBy('ob_id').execute()).map((r) => [r.ob_kind, Number(r.ob_user)]);

test('the bomb: 1,000 accounts on one address, one reset by email: the victim gets the cap (the oldest accounts, theirs first), and the others still get mail', async (t) => {
  const clock = new ManualClock();
  // Behind a trusted proxy, so that the test can speak for clients of several networks.
  const srv = await startTestServer({ clock, env: { MWAUTH_RESET_IP_LIMIT: '1000/3600', MWAUTH_TRUSTED_PROXIES: '127.0.0.1' } });
  t.after(() => srv.close());
  const s = srv.services;
  const victim = await s.users.create({ name: 'Victim', email: 'victim@example.org', passwordHash: 'x' });
  const ann = await s.users.create({ name: 'Ann', email: 'ann@example.net', passwordHash: 'x' });
  const bob = await s.users.create({ name: 'Bob', email: 'bob@example.com', passwordHash: 'x' });
  clock.advance(DAY);
  // The attacker's thousand accounts (no throttle on account creation, no confirmation of addresses).
  await s.stores.transaction(async (tx) => {
    for (let i = 0; i < 1000; i++) await tx.users.create({ name: `Bomb ${i}`, email: i % 2 ? 'VICTIM@example.org' : 'victim@example.org', passwordHash: 'x' });
  });
  assert.equal((await s.users.byEmail('victim@example.org')).length, 1001);

  const attacker = new Client(srv.api, { 'x-forwarded-for': '203.0.113.66' });
  assert.equal((await attacker.post({ action: 'resetpassword', email: 'victim@example.org', token: ANON })).text, SUCCESS);
  await deliverAll(srv);
  let mails = await readMails(srv.mailDir);
  const cap = s.config.resetMaxAccounts;
  assert.equal(cap, 5, 'the default cap');
  assert.equal(mails.length, cap, 'one request mails the victim the cap, not 1,001 times');
  assert.ok(mails.every((m) => /victim@example\.org/i.test(m.to)));
  const names = mails.map((m) => /^"?([^"<]+?)"? </.exec(m.to)![1]).sort();
  assert.deepEqual(names, ['Bomb 0', 'Bomb 1', 'Bomb 2', 'Bomb 3', 'Victim'], 'the oldest accounts: the owner\'s own is mailed');
  const outcome = (await s.audit.query({ user: 'Victim', type: 'reset.outcome' }))[0]!;
  assert.deepEqual(outcome.details, { request: 1, outcome: 'queued', capped: true }, 'operators see the cap');
  // The budget is not spent: genuine users, from other networks, still get mail.
  assert.equal(await s.counters.peek('reset:mail-budget'), cap);
  for (const [name, ip] of [['Ann', '198.51.100.7'], ['Bob', '2001:db8:77::1']] as const) {
    assert.equal((await new Client(srv.api, { 'x-forwarded-for': ip }).post({ action: 'resetpassword', user: name, token: ANON })).text, SUCCESS);
  }
  await deliverAll(srv);
  mails = await readMails(srv.mailDir);
  assert.equal(mails.length, cap + 2);
  assert.ok(mails.some((m) => m.to.includes(ann.email)) && mails.some((m) => m.to.includes(bob.email)));
  // More requests for the address send nothing more that day: the five are in their cooldown, and the
  // address has had its five mails.
  for (let i = 0; i < 3; i++) await attacker.post({ action: 'resetpassword', email: 'victim@example.org', token: ANON });
  await deliverAll(srv);
  assert.equal((await readMails(srv.mailDir)).length, cap + 2);
  assert.equal(victim.id, 1);
});

test('the reserve: requests from one network spend at most its share of the budget; other networks keep the rest', async (t) => {
  const { s } = await setup(t, { MWAUTH_MAIL_BUDGET: '20/3600', MWAUTH_MAIL_BUDGET_PER_NETWORK: '8/3600' });
  // Accounts the attacker made, each with an address of its own (past the per-address limit).
  for (let i = 0; i < 30; i++) await s.users.create({ name: `Spray ${i}`, email: `spray${i}@victims.example`, passwordHash: 'x' });
  for (const n of ['Ann', 'Bob', 'Cat', 'Dan']) await s.users.create({ name: n, email: `${n.toLowerCase()}@example.org`, passwordHash: 'x' });
  // One IPv4 /24 (a new address for every request, so the per-IP limit does not stop it) and one IPv6 /48
  // (a new /64 for every request).
  for (let i = 0; i < 15; i++) await reset(s, `203.0.113.${i + 1}`, { email: `spray${i}@victims.example` });
  for (let i = 15; i < 30; i++) await reset(s, `2001:db8:1:${(i + 1).toString(16)}::1`, { email: `spray${i}@victims.example` });
  await s.recoveryWorker.kick();
  const outcomes = await s.audit.query({ type: 'reset.outcome' });
  assert.equal(outcomes.filter((e) => e.details.outcome === 'queued').length, 16, '8 for each network');
  assert.equal(outcomes.filter((e) => e.details.limit === 'network').length, 14);
  assert.equal(await s.counters.peek('reset:network:203.0.113.0/24'), 8);
  assert.equal(await s.counters.peek('reset:network:2001:db8:1::/48'), 8);
  // Genuine users elsewhere: the budget still has 4.
  await reset(s, '198.51.100.7', { user: 'Ann' });
  await reset(s, '192.0.2.50', { email: 'bob@example.org' });
  await reset(s, '2001:db8:2::9', { user: 'Cat' });
  await reset(s, '2001:db8:3:1::9', { user: 'Dan' });
  await s.recoveryWorker.kick();
  for (const n of ['ann', 'bob', 'cat', 'dan']) assert.deepEqual(await mailsTo(s, `${n}@example.org`), [['password-reset', (await s.users.byEmail(`${n}@example.org`))[0]!.id]], n);
  assert.equal(await s.counters.peek('reset:mail-budget'), 20);
});

test('networkKey: IPv4 per /24, IPv6 per /48 in one spelling, IPv4-mapped as IPv4', () => {
  assert.equal(networkKey('203.0.113.77'), '203.0.113.0/24');
  assert.equal(networkKey('::ffff:203.0.113.77'), '203.0.113.0/24');
  assert.equal(networkKey('2001:db8:1:ff::1'), '2001:db8:1::/48');
  assert.equal(networkKey('2001:0DB8:0001:0000:0000:0000:0000:0001'), '2001:db8:1::/48');
  assert.equal(networkKey('2001:db8::1'), '2001:db8:0::/48');
  assert.equal(networkKey('::1'), '0:0:0::/48');
});

test('"password changed" notices count against the address: past twice its limit they are not sent, and they use up what reset mail may have', async (t) => {
  const { s } = await setup(t, { MWAUTH_RESET_ADDRESS_LIMIT: '3/86400', MWAUTH_RESET_COOLDOWN_HOURS: '0', MWAUTH_RESET_ACCOUNT_LIMIT: '100/86400' });
  // Someone changing the passwords of accounts they own, made with another person's address, over and over.
  const pat = await s.users.create({ name: 'Pat', email: 'pat@example.org', passwordHash: 'x' });
  for (let i = 0; i < 8; i++) await s.passwordChanges.change((await s.users.byId(pat.id))!, `Pat-pass-${i}-long`, { ip: '203.0.113.9', via: 'api' });
  assert.equal((await mailsTo(s, 'pat@example.org')).length, 6, 'twice the limit of 3, then no more');
  const limited = await s.audit.query({ user: 'Pat', type: 'mail.limited' });
  assert.deepEqual(limited.map((e) => e.details), [{ kind: 'password-changed', limit: 'address' }, { kind: 'password-changed', limit: 'address' }]);
  assert.equal((await s.audit.query({ user: 'Pat', type: 'password.changed' })).length, 8, 'the changes themselves all went through');

  // Notices use up what reset mail may have: three notices, then a reset for the address sends nothing.
  const quinn = await s.users.create({ name: 'Quinn', email: 'quinn@example.org', passwordHash: 'x' });
  for (let i = 0; i < 3; i++) await s.passwordChanges.change((await s.users.byId(quinn.id))!, `Quinn-pass-${i}-long`, { ip: null, via: 'cli' });
  await reset(s, '198.51.100.1', { user: 'Quinn' });
  await s.recoveryWorker.kick();
  assert.deepEqual((await mailsTo(s, 'quinn@example.org')).map((m) => m[0]), ['password-changed', 'password-changed', 'password-changed']);
  assert.deepEqual((await s.audit.query({ user: 'Quinn', type: 'reset.outcome' }))[0]!.details, { request: 1, outcome: 'limited', limit: 'address' });

  // Reset mail fills an address up to the limit only: the notice of a change still gets through.
  const rae = await s.users.create({ name: 'Rae', email: 'rae@example.org', passwordHash: 'x' });
  for (let i = 0; i < 5; i++) await reset(s, `198.51.100.${20 + i}`, { user: 'Rae' });
  await s.recoveryWorker.kick();
  assert.equal((await mailsTo(s, 'rae@example.org')).length, 3);
  await s.passwordChanges.change((await s.users.byId(rae.id))!, 'Rae-pass-new-long', { ip: '198.51.100.20', via: 'forced' });
  assert.deepEqual((await mailsTo(s, 'rae@example.org')).map((m) => m[0]), ['password-reset', 'password-reset', 'password-reset', 'password-changed']);
});

test('the notice to an address that no account uses counts against that address too', async (t) => {
  const { s } = await setup(t, { MWAUTH_NOTIFY_UNKNOWN_ADDRESS: 'true', MWAUTH_RESET_ADDRESS_LIMIT: '1/86400' });
  await reset(s, '198.51.100.1', { email: 'stranger@example.org' });
  await s.recoveryWorker.kick();
  assert.deepEqual(await mailsTo(s, 'stranger@example.org'), [['reset-unknown-address', 0]]);
  // The address's one mail of the day is spent: a reset for an account made with it afterwards sends nothing.
  await s.users.create({ name: 'Sam', email: 'stranger@example.org', passwordHash: 'x' });
  await reset(s, '198.51.100.2', { user: 'Sam' });
  await s.recoveryWorker.kick();
  assert.equal((await mailsTo(s, 'stranger@example.org')).length, 1);
  assert.deepEqual((await s.audit.query({ user: 'Sam', type: 'reset.outcome' }))[0]!.details, { request: 2, outcome: 'limited', limit: 'address' });
});
