// Client addresses behind a load balancer (MWAUTH_TRUSTED_PROXIES): X-Forwarded-For counts only when the
// connection comes from a trusted proxy, and is walked from the right past trusted proxies. The local test
// client always connects from 127.0.0.1, so trusting 127.0.0.1 makes the test client "the proxy".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { addUser, Client, type ReadMail, startTestServer, type TestServer } from '../helpers/harness.js';
import { ANON, SUCCESS, assertError, bcError, msg, newMails, normalizeNewlines, resetMailText } from '../helpers/api.js';
import { runCli } from '../helpers/process.js';
import { PageClient } from '../web/helpers.js';

type Ctx = { after(fn: () => Promise<void>): void };

async function server(t: Ctx, env: Record<string, string> = {}): Promise<TestServer> {
  const srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '1000/3600', ...env } });
  t.after(() => srv.close());
  return srv;
}

const xff = (value: string) => ({ 'x-forwarded-for': value });

/** One anonymous reset request for `user`, sent with the given X-Forwarded-For (none: null). */
async function reset(srv: TestServer, forwarded: string | null, user = 'Nobody') {
  return new Client(srv.api, forwarded === null ? {} : xff(forwarded)).post({ action: 'resetpassword', user, token: ANON });
}

/** The address the server took for a request sent with this X-Forwarded-For: read back from the audit trail. */
async function addressOf(srv: TestServer, forwarded: string | null): Promise<string | null> {
  const before = (await srv.services.audit.query({ type: 'reset.requested' })).length;
  assert.equal((await reset(srv, forwarded)).text, SUCCESS);
  const events = await srv.services.audit.query({ type: 'reset.requested' });
  assert.equal(events.length, before + 1, 'one event per request');
  return events.at(-1)!.ip;
}

const performerIps = async (srv: TestServer) =>
  (await srv.services.db.selectFrom('reset_request').select('rr_performer_ip').orderBy('rr_id').execute()).map((r) => r.rr_performer_ip);

test('no trusted proxies (the default): a forged X-Forwarded-For changes nothing — limit, mail, audit trail and throttle all see 127.0.0.1', async (t) => {
  const srv = await server(t, { MWAUTH_RESET_IP_LIMIT: '2/3600' });
  assert.deepEqual(srv.services.config.trustedProxies, []);
  await addUser(srv.services, 'Alice', 'Alice-Pass-123', { email: 'alice@example.org' });
  const seen: ReadMail[] = [];

  // Three requests, each claiming another address: one count for 127.0.0.1, the third is dropped.
  assert.equal((await reset(srv, '203.0.113.1', 'Alice')).text, SUCCESS);
  assert.equal((await reset(srv, '203.0.113.2, 198.51.100.2')).text, SUCCESS);
  assert.equal((await reset(srv, '127.0.0.1, 203.0.113.3')).text, SUCCESS);
  const c = srv.services.counters;
  assert.equal(await c.peek('reset:ip:127.0.0.1'), 3);
  for (const ip of ['203.0.113.1', '203.0.113.2', '198.51.100.2', '203.0.113.3']) assert.equal(await c.peek(`reset:ip:${ip}`) ?? 0, 0, ip);
  assert.deepEqual(await performerIps(srv), ['127.0.0.1', '127.0.0.1'], 'the third was over the limit');

  const [m, ...rest] = await newMails(srv, seen);
  assert.equal(rest.length, 0);
  assert.equal(normalizeNewlines(m!.text), resetMailText(srv, { requester: '127.0.0.1', ip: true, user: 'Alice', temp: m!.tempPassword! }));
  assert.ok(!m!.text.includes('203.0.113') && !m!.html.includes('203.0.113'), 'the forged address is nowhere in the mail');

  const events = (await srv.services.audit.query({ type: 'reset.' })).filter((e) => e.type !== 'reset.outcome');
  assert.deepEqual(events.map((e) => [e.type, e.ip]), [['reset.requested', '127.0.0.1'], ['reset.requested', '127.0.0.1'], ['reset.ip-limited', '127.0.0.1']]);

  // The login throttle: five wrong passwords "from" five addresses are five from 127.0.0.1.
  for (let i = 1; i <= 5; i++) assert.equal((await new Client(srv.api, xff(`203.0.113.${10 + i}`)).login('Alice', `wrong-${i}`)).reason, msg(srv, 'wrongpassword'));
  const sixth = await new Client(srv.api, xff('203.0.113.99')).login('Alice', 'Alice-Pass-123');
  assert.deepEqual(sixth, { result: 'Failed', reason: msg(srv, 'login-throttled', { key: 'duration-minutes', params: [5] }) });
  const logins = await srv.services.audit.query({ type: 'login.' });
  assert.equal(logins.length, 6);
  for (const e of logins) assert.equal(e.ip, '127.0.0.1');
});

test('a trusted proxy (127.0.0.1): two forwarded clients get separate reset limits; mail, audit trail and request name the client', async (t) => {
  const srv = await server(t, { MWAUTH_TRUSTED_PROXIES: '127.0.0.1', MWAUTH_RESET_IP_LIMIT: '2/3600' });
  assert.deepEqual(srv.services.config.trustedProxies, ['127.0.0.1/32']);
  await addUser(srv.services, 'Alice', 'Alice-Pass-123', { email: 'alice@example.org' });
  const seen: ReadMail[] = [];

  assert.equal((await reset(srv, '203.0.113.10', 'Alice')).text, SUCCESS);
  for (let i = 0; i < 3; i++) assert.equal((await reset(srv, '203.0.113.20')).text, SUCCESS);
  assert.equal((await reset(srv, '203.0.113.10')).text, SUCCESS);
  const c = srv.services.counters;
  assert.equal(await c.peek('reset:ip:203.0.113.10'), 2);
  assert.equal(await c.peek('reset:ip:203.0.113.20'), 3);
  assert.equal(await c.peek('reset:ip:127.0.0.1') ?? 0, 0, 'the proxy itself is not counted');
  assert.deepEqual(await performerIps(srv), ['203.0.113.10', '203.0.113.20', '203.0.113.20', '203.0.113.10'], 'the 3rd of 203.0.113.20 was dropped, 203.0.113.10 was not');

  const [m, ...rest] = await newMails(srv, seen);
  assert.equal(rest.length, 0);
  assert.equal(normalizeNewlines(m!.text), resetMailText(srv, { requester: '203.0.113.10', ip: true, user: 'Alice', temp: m!.tempPassword! }));
  assert.ok(!m!.text.includes('127.0.0.1'), 'not the proxy');

  const events = (await srv.services.audit.query({ type: 'reset.' })).filter((e) => e.type !== 'reset.outcome');
  assert.deepEqual(events.map((e) => [e.type, e.ip]), [
    ['reset.requested', '203.0.113.10'],
    ['reset.requested', '203.0.113.20'],
    ['reset.requested', '203.0.113.20'],
    ['reset.ip-limited', '203.0.113.20'],
    ['reset.requested', '203.0.113.10'],
  ]);
  // A request straight from the proxy (no header) is the proxy's own.
  assert.equal(await addressOf(srv, null), '127.0.0.1');
});

test('a trusted proxy: separate login throttles per forwarded client, and the audit trail names each', async (t) => {
  const srv = await server(t, { MWAUTH_TRUSTED_PROXIES: '127.0.0.1' });
  await addUser(srv.services, 'Bob', 'Bob-Pass-1234');
  const a = () => new Client(srv.api, xff('203.0.113.30'));
  const b = () => new Client(srv.api, xff('203.0.113.31'));
  for (let i = 1; i <= 5; i++) assert.equal((await a().login('Bob', `wrong-${i}`)).reason, msg(srv, 'wrongpassword'), `attempt ${i}`);
  const throttled = { result: 'Failed', reason: msg(srv, 'login-throttled', { key: 'duration-minutes', params: [5] }) };
  assert.deepEqual(await a().login('Bob', 'Bob-Pass-1234'), throttled, 'the first client is throttled');
  // The other client has its own count: a wrong password is tried (not throttled), the right one works.
  assert.equal((await b().login('Bob', 'wrong-b')).reason, msg(srv, 'wrongpassword'));
  assert.equal((await b().login('Bob', 'Bob-Pass-1234')).result, 'Success');
  assert.deepEqual(await a().login('Bob', 'Bob-Pass-1234'), throttled, 'still throttled');
  const events = await srv.services.audit.query({ type: 'login.' });
  assert.deepEqual(events.map((e) => [e.type, e.ip, e.details.reason ?? null]), [
    ...Array.from({ length: 5 }, () => ['login.failure', '203.0.113.30', 'wrongpassword']),
    ['login.failure', '203.0.113.30', 'login-throttled'],
    ['login.failure', '203.0.113.31', 'wrongpassword'],
    ['login.success', '203.0.113.31', null],
    ['login.failure', '203.0.113.30', 'login-throttled'],
  ]);
});

test('a trusted proxy: a block of the forwarded address applies to it, and to no one else', async (t) => {
  const srv = await server(t, { MWAUTH_TRUSTED_PROXIES: '127.0.0.1' });
  await srv.services.blocks.add({ userId: 0, target: '203.0.113.40', by: 'Admin', reason: 'abuse', createAccount: true });
  await srv.services.blocks.add({ userId: 0, target: '2001:db8:40::1', by: 'Admin', reason: 'abuse', createAccount: true });
  const blocked = bcError(srv, 1, 'blocked-mailpassword', msg(srv, 'blocked-mailpassword'));
  for (const forwarded of ['203.0.113.40', '198.51.100.1, 203.0.113.40', '203.0.113.40:61000', '::ffff:203.0.113.40', '[2001:DB8:40:0::1]:443']) {
    assertError(await reset(srv, forwarded), 'blocked-mailpassword', blocked);
  }
  assert.equal((await reset(srv, '203.0.113.41')).text, SUCCESS, 'a neighbour');
  assert.equal((await reset(srv, '203.0.113.40, 203.0.113.41')).text, SUCCESS, 'the blocked address further left is not the client');
  assert.equal((await reset(srv, null)).text, SUCCESS, 'the proxy itself');
  assert.deepEqual(await performerIps(srv), ['203.0.113.41', '203.0.113.41', '127.0.0.1']);
});

test('a chain through two trusted proxies: the walk from the right skips them and stops at the first address that is not one', async (t) => {
  const srv = await server(t, { MWAUTH_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8, 2001:db8:ffff::/48' });
  assert.deepEqual(srv.services.config.trustedProxies, ['127.0.0.1/32', '10.0.0.0/8', '2001:db8:ffff::/48']);
  const cases: Array<[string, string]> = [
    // spoofed, real client, trusted proxy 2
    ['198.51.100.66, 203.0.113.44, 10.1.2.3', '203.0.113.44'],
    ['198.51.100.66, 203.0.113.44, 2001:db8:ffff::7, 10.9.9.9', '203.0.113.44'],
    // a hop that is not trusted ends the walk, even with trusted addresses left of it
    ['10.0.0.1, 198.51.100.77, 10.1.2.3', '198.51.100.77'],
    // every entry a trusted proxy: the leftmost
    ['10.0.0.1, 10.0.0.2', '10.0.0.1'],
  ];
  for (const [forwarded, client] of cases) assert.equal(await addressOf(srv, forwarded), client, forwarded);

  // The header sent as several lines is one list, in order: the last line holds the rightmost entries.
  const lines = (values: string[]) =>
    new Promise<number>((resolve, reject) => {
      const body = new URLSearchParams({ action: 'resetpassword', user: 'Nobody', token: ANON, format: 'json' }).toString();
      const req = http.request(srv.api, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': values } }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode ?? 0)).on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  assert.equal(await lines(['198.51.100.66, 203.0.113.45', '10.1.2.3']), 200);
  assert.equal((await srv.services.audit.query({ type: 'reset.requested' })).at(-1)!.ip, '203.0.113.45');
  assert.equal(await lines(['203.0.113.46', '198.51.100.67, 10.1.2.3']), 200);
  assert.equal((await srv.services.audit.query({ type: 'reset.requested' })).at(-1)!.ip, '198.51.100.67');
});

test('garbage in X-Forwarded-For ends the walk at the last trusted hop; ports and IPv4-mapped addresses are read', async (t) => {
  const srv = await server(t, { MWAUTH_TRUSTED_PROXIES: '127.0.0.1,10.0.0.0/8' });
  const cases: Array<[string, string]> = [
    ['garbage', '127.0.0.1'],
    ['203.0.113.50, unknown', '127.0.0.1'],
    ['203.0.113.50, _hidden', '127.0.0.1'],
    ['203.0.113.50, evil.example', '127.0.0.1'],
    ['203.0.113.50, 203.0.113.256', '127.0.0.1'],
    ['203.0.113.50, 203.0.113.050', '127.0.0.1'],
    ['203.0.113.50, fe80::1%eth0', '127.0.0.1'],
    ['203.0.113.50, 203.0.113.51:99999', '127.0.0.1'],
    ['203.0.113.50, [203.0.113.51]:80', '127.0.0.1'],
    ['203.0.113.50, ', '127.0.0.1'],
    ['', '127.0.0.1'],
    // behind the second proxy: that proxy counts as the client
    ['203.0.113.50, garbage, 10.1.2.3', '10.1.2.3'],
    ['203.0.113.50, , 10.1.2.3', '10.1.2.3'],
    // garbage left of the client is never read
    ['garbage, 203.0.113.52', '203.0.113.52'],
    ['garbage, 203.0.113.52, 10.1.2.3', '203.0.113.52'],
    // ports go; brackets for IPv6; IPv4-mapped IPv6 is IPv4; one spelling for IPv6
    ['203.0.113.53:5678', '203.0.113.53'],
    ['[2001:db8:53::1]:443', '2001:db8:53::1'],
    ['[2001:db8:53::1]', '2001:db8:53::1'],
    ['2001:0DB8:0053:0000:0000:0000:0000:0001', '2001:db8:53::1'],
    ['::ffff:203.0.113.54', '203.0.113.54'],
    ['[::ffff:203.0.113.54]:80', '203.0.113.54'],
    ['::ffff:203.0.113.55, ::ffff:10.1.2.3', '203.0.113.55'],
    ['198.51.100.1, [::ffff:10.1.2.3]:8080', '198.51.100.1'],
  ];
  for (const [forwarded, client] of cases) assert.equal(await addressOf(srv, forwarded), client, JSON.stringify(forwarded));
  // Nothing but addresses was ever recorded.
  for (const ip of await performerIps(srv)) assert.match(ip, /^(\d+\.\d+\.\d+\.\d+|[0-9a-f:]+)$/);
});

test('an IPv6 client forwarded by a trusted proxy is limited per /64, as before', async (t) => {
  const srv = await server(t, { MWAUTH_TRUSTED_PROXIES: '127.0.0.1', MWAUTH_RESET_IP_LIMIT: '2/3600' });
  for (const forwarded of ['2001:db8:1:2::a', '[2001:db8:1:2:ffff::b]:443', '2001:DB8:1:2::c']) assert.equal((await reset(srv, forwarded)).text, SUCCESS);
  assert.equal((await reset(srv, '2001:db8:1:3::a')).text, SUCCESS);
  const c = srv.services.counters;
  assert.equal(await c.peek('reset:ip:2001:db8:1:2::/64'), 3);
  assert.equal(await c.peek('reset:ip:2001:db8:1:3::/64'), 1);
  assert.deepEqual(await performerIps(srv), ['2001:db8:1:2::a', '2001:db8:1:2:ffff::b', '2001:db8:1:3::a'], 'the third of one /64 was dropped');
});

test('Special:PasswordReset takes the same address: the header ignored without trusted proxies, the forwarded client with them', async (t) => {
  for (const [env, client] of [[{}, '127.0.0.1'], [{ MWAUTH_TRUSTED_PROXIES: '127.0.0.0/8' }, '203.0.113.60']] as const) {
    const srv = await server(t, env);
    await addUser(srv.services, 'Alice', 'Alice-Pass-123', { email: 'alice@example.org' });
    const page = new PageClient(srv.url, xff('198.51.100.9, 203.0.113.60'));
    const r = await page.submit('/wiki/Special:PasswordReset', { wpUsername: 'Alice' });
    assert.equal(r.location, '/wiki/Special:PasswordReset?sent=1');
    assert.deepEqual(await performerIps(srv), [client]);
    const [m] = await newMails(srv, []);
    assert.equal(normalizeNewlines(m!.text), resetMailText(srv, { requester: client, ip: true, user: 'Alice', temp: m!.tempPassword! }));
    const [e] = await srv.services.audit.query({ type: 'reset.requested' });
    assert.equal(e!.ip, client);

    // A block of the forwarded address closes the page to that client only.
    await srv.services.blocks.add({ userId: 0, target: '203.0.113.60', by: 'Admin', reason: 'abuse', createAccount: true });
    const again = await new PageClient(srv.url, xff('203.0.113.60')).get('/wiki/Special:PasswordReset');
    assert.equal(again.status, client === '127.0.0.1' ? 200 : 403);
    if (again.status === 403) assert.ok(again.html.includes(msg(srv, 'blocked-mailpassword')));
    assert.equal((await new PageClient(srv.url, xff('203.0.113.61')).get('/wiki/Special:PasswordReset')).status, 200);
  }
});

test('MWAUTH_TRUSTED_PROXIES: addresses and ranges, IPv4 and IPv6, one spelling; a bad entry stops start-up naming the setting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-proxy-'));
  try {
    const base = { MWAUTH_DATA_DIR: dir, MWAUTH_SECRET: 'x'.repeat(32) };
    const load = (v: string) => loadConfig({ ...base, MWAUTH_TRUSTED_PROXIES: v }, { persistSecret: false }).trustedProxies;
    assert.deepEqual(loadConfig(base, { persistSecret: false }).trustedProxies, []);
    assert.deepEqual(load(''), []);
    assert.deepEqual(load(' 10.0.0.7/8 , 192.0.2.1,2001:DB8::/32, ::1, ::ffff:198.51.100.0/120, 10.0.0.0/8,'), [
      '10.0.0.0/8', '192.0.2.1/32', '2001:db8::/32', '::1/128', '198.51.100.0/24',
    ]);
    const bad: Array<[string, RegExp]> = [
      ['localhost', /^MWAUTH_TRUSTED_PROXIES: "localhost" is not an IP address or a range/],
      ['10.0.0.1, proxy.internal', /^MWAUTH_TRUSTED_PROXIES: "proxy.internal" is not an IP address/],
      ['10.0.0.1:8080', /^MWAUTH_TRUSTED_PROXIES: "10.0.0.1:8080" is not an IP address/],
      ['[2001:db8::1]', /^MWAUTH_TRUSTED_PROXIES: "\[2001:db8::1\]" is not an IP address/],
      ['300.1.1.1', /^MWAUTH_TRUSTED_PROXIES: "300.1.1.1" is not an IP address/],
      ['10.0.0.0/33', /^MWAUTH_TRUSTED_PROXIES: "10.0.0.0\/33": the prefix length must be 1 to 32$/],
      ['2001:db8::/129', /^MWAUTH_TRUSTED_PROXIES: "2001:db8::\/129": the prefix length must be 1 to 128$/],
      ['10.0.0.0/', /prefix length/],
      ['10.0.0.0/x', /prefix length/],
      ['0.0.0.0/0', /^MWAUTH_TRUSTED_PROXIES: "0.0.0.0\/0" would trust every client to name its own address/],
      ['::/0', /"::\/0" would trust every client/],
      ['::ffff:0:0/96', /would trust every client/],
    ];
    for (const [v, re] of bad) assert.throws(() => load(v), (e: unknown) => e instanceof ConfigError && re.test(e.message), v);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The real command: exit code 2, one line naming the setting.
  const dir2 = mkdtempSync(join(tmpdir(), 'mwauth-proxy-'));
  try {
    const r = await runCli(['serve'], { MWAUTH_DATA_DIR: dir2, MWAUTH_PORT: '0', MWAUTH_TRUSTED_PROXIES: '10.0.0.1,lb.internal' }, { timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^mwauth: configuration error: MWAUTH_TRUSTED_PROXIES: "lb\.internal" is not an IP address or a range like 10\.0\.0\.0\/8 or 2001:db8::\/32$/m);
  } finally {
    rmSync(dir2, { recursive: true, force: true });
  }
});
