// The login throttle: per address and name (IPv6 per /64), and per account from every address
// (MediaWiki's allIPs condition), for action=login (main account and bot passwords), clientlogin and
// Special:UserLogin, on the database's counters and on Redis. The test client is a trusted proxy
// (127.0.0.1) so that X-Forwarded-For gives each request the address it names.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.js';
import { addUser, Client, startTestServer, type TestServer } from '../helpers/harness.js';
import { msg } from '../helpers/api.js';
import { REDIS_URL, redisPrefix, skipUnless } from '../helpers/services.js';
import { PageClient } from '../web/helpers.js';

type Ctx = { after(fn: () => Promise<void> | void): void };

async function server(t: Ctx, env: Record<string, string> = {}): Promise<TestServer> {
  const srv = await startTestServer({ env: { MWAUTH_TRUSTED_PROXIES: '127.0.0.1', ...env } });
  t.after(() => srv.close());
  return srv;
}

const from = (srv: TestServer, ip: string) => new Client(srv.api, { 'x-forwarded-for': ip });
const throttled = (srv: TestServer, duration: { key: string; params: number[] }) => ({ result: 'Failed', reason: msg(srv, 'login-throttled', duration) });
const redisSkip = await skipUnless('redis');
const HOUR = { key: 'duration-hours', params: [1] };
const FIVE_MINUTES = { key: 'duration-minutes', params: [5] };

/**
 * 100 distinct IPv4 sources, one wrong password each, against one account: with the default levels the
 * first 50 are tried and the rest refused for an hour — the right password too, from an address never
 * seen. An unknown name is answered the same way; another account is not touched.
 */
async function hundredSources(srv: TestServer): Promise<void> {
  await addUser(srv.services, 'Alice', 'Alice-Pass-123');
  await addUser(srv.services, 'Bob', 'Bob-Pass-1234');
  for (const name of ['Alice', 'Nobody']) {
    const answers: string[] = [];
    for (let i = 1; i <= 100; i++) {
      const r = await from(srv, `198.51.${name === 'Alice' ? 100 : 101}.${i}`).login(name, `wrong-${i}`);
      assert.equal(r.result, 'Failed');
      answers.push(r.reason);
    }
    assert.deepEqual(answers.slice(0, 50), Array(50).fill(msg(srv, 'wrongpassword')), `${name}: the first 50 are tried`);
    assert.deepEqual(answers.slice(50), Array(50).fill(throttled(srv, HOUR).reason), `${name}: the other 50 are refused`);
  }
  assert.deepEqual(await from(srv, '203.0.113.7').login('Alice', 'Alice-Pass-123'), throttled(srv, HOUR), 'the right password, from a new address');
  assert.equal((await from(srv, '198.51.100.1').login('Bob', 'Bob-Pass-1234')).result, 'Success', 'another account from the same addresses');
  const events = await srv.services.audit.query({ user: 'Alice', type: 'login.failure' });
  assert.equal(events.filter((e) => e.details.reason === 'wrongpassword').length, 50);
  assert.equal(events.filter((e) => e.details.reason === 'login-throttled').length, 51);
}

describe('login throttle per account', () => {
  test('100 IPv4 sources against one account: 50 guesses are tried, then the account is throttled for an hour (database counters)', async (t) => {
    const srv = await server(t);
    assert.deepEqual(srv.services.config.loginThrottle, [
      { count: 5, seconds: 300 },
      { count: 150, seconds: 172800 },
      { count: 50, seconds: 3600, allIPs: true },
    ]);
    await hundredSources(srv);
  });

  test('100 IPv4 sources against one account, with the counters in Redis', { skip: redisSkip }, async (t) => {
    const srv = await server(t, { MWAUTH_REDIS_URL: REDIS_URL, MWAUTH_REDIS_PREFIX: await redisPrefix(t) });
    await hundredSources(srv);
  });

  test('action=login, clientlogin, Special:UserLogin and bot passwords count against the account from every address', async (t) => {
    const srv = await server(t, { MWAUTH_LOGIN_ACCOUNT_THROTTLE: '8/600' });
    const carol = await addUser(srv.services, 'Carol', 'Carol-Pass-123');
    const tenMinutes = { key: 'duration-minutes', params: [10] };
    let n = 0;
    const ip = () => `192.0.2.${++n}`;
    const clientlogin = async (c: Client, password: string) =>
      (await c.post({ action: 'clientlogin', username: 'Carol', password, loginreturnurl: 'http://wiki.test/', logintoken: await c.token('login') })).json.clientlogin;
    const page = (password: string) => {
      const p = new PageClient(srv.url, { 'x-forwarded-for': ip() });
      return p.submit('/wiki/Special:UserLogin', { wpName: 'Carol', wpPassword: password });
    };
    // Eight wrong passwords by three doors, each from its own address: all are tried.
    for (let i = 0; i < 3; i++) assert.equal((await from(srv, ip()).login('Carol', `wrong-${n}`)).reason, msg(srv, 'wrongpassword'));
    for (let i = 0; i < 3; i++) assert.equal((await clientlogin(from(srv, ip()), `wrong-${n}`)).messagecode, 'wrongpassword');
    for (let i = 0; i < 2; i++) {
      const r = await page(`wrong-${n}`);
      assert.equal(r.status, 200);
      assert.ok(r.html.includes(msg(srv, 'wrongpassword').split('\n')[0]!), 'the page says the password is wrong');
    }
    // The ninth, by any door and from any address, is refused, even with the right password.
    assert.deepEqual(await from(srv, ip()).login('Carol', 'Carol-Pass-123'), throttled(srv, tenMinutes));
    const cl = await clientlogin(from(srv, ip()), 'Carol-Pass-123');
    assert.equal(cl.status, 'FAIL');
    assert.equal(cl.messagecode, 'login-throttled');
    const p = await page('Carol-Pass-123');
    assert.equal(p.status, 200, 'not logged in');
    assert.ok(p.html.includes(msg(srv, 'login-throttled', tenMinutes)));

    // A bot password has its own counters ("Carol@tool"), with the same levels.
    const botPassword = 'b'.repeat(32);
    await srv.services.botPasswords.set(carol.id, 'tool', botPassword, ['basic']);
    for (let i = 0; i < 8; i++) assert.equal((await from(srv, ip()).login('Carol@tool', 'w'.repeat(32))).reason, msg(srv, 'wrongpassword'));
    assert.deepEqual(await from(srv, ip()).login('Carol@tool', botPassword), throttled(srv, tenMinutes));
    // Per address too: five from one address are the limit there, whatever the account level allows.
    await srv.services.botPasswords.set(carol.id, 'other', botPassword, ['basic']);
    for (let i = 0; i < 5; i++) assert.equal((await from(srv, '192.0.2.200').login('Carol@other', 'w'.repeat(32))).reason, msg(srv, 'wrongpassword'));
    assert.deepEqual(await from(srv, '192.0.2.200').login('Carol@other', botPassword), throttled(srv, FIVE_MINUTES));
    assert.equal((await from(srv, '192.0.2.201').login('Carol@other', botPassword)).result, 'Success');
  });

  test('a successful login clears the account level, as it clears the address level', async (t) => {
    const srv = await server(t, { MWAUTH_LOGIN_ACCOUNT_THROTTLE: '4/3600' });
    await addUser(srv.services, 'Dana', 'Dana-Pass-123');
    for (let i = 1; i <= 3; i++) assert.equal((await from(srv, `192.0.2.${i}`).login('Dana', 'wrong')).reason, msg(srv, 'wrongpassword'));
    assert.equal((await from(srv, '192.0.2.4').login('Dana', 'Dana-Pass-123')).result, 'Success', 'the fourth attempt, under the level');
    // Counted afresh: four more are tried, the fifth is refused.
    for (let i = 1; i <= 4; i++) assert.equal((await from(srv, `192.0.2.${10 + i}`).login('Dana', 'wrong')).reason, msg(srv, 'wrongpassword'), `after the success, attempt ${i}`);
    assert.deepEqual(await from(srv, '192.0.2.20').login('Dana', 'Dana-Pass-123'), throttled(srv, HOUR));
  });

  test('MWAUTH_LOGIN_ACCOUNT_THROTTLE "none" turns the account level off; MWAUTH_LOGIN_THROTTLE sets the address levels', async (t) => {
    const srv = await server(t, { MWAUTH_LOGIN_ACCOUNT_THROTTLE: 'none', MWAUTH_LOGIN_THROTTLE: '3/60' });
    assert.deepEqual(srv.services.config.loginThrottle, [{ count: 3, seconds: 60 }]);
    await addUser(srv.services, 'Erin', 'Erin-Pass-123');
    for (let i = 1; i <= 60; i++) assert.equal((await from(srv, `192.0.2.${i}`).login('Erin', 'wrong')).reason, msg(srv, 'wrongpassword'));
    for (let i = 0; i < 3; i++) await from(srv, '192.0.2.100').login('Erin', 'wrong');
    assert.deepEqual(await from(srv, '192.0.2.100').login('Erin', 'Erin-Pass-123'), throttled(srv, { key: 'duration-minutes', params: [1] }));
  });

  test('configuration: each setting takes COUNT/SECONDS conditions; a wrong value names its variable', () => {
    const load = (env: Record<string, string>) => loadConfig({ MWAUTH_DATA_DIR: '/tmp/mwauth-none', ...env }, { persistSecret: false });
    assert.deepEqual(load({ MWAUTH_LOGIN_THROTTLE: '10/60, 100/86400', MWAUTH_LOGIN_ACCOUNT_THROTTLE: '20/600,200/86400' }).loginThrottle, [
      { count: 10, seconds: 60 },
      { count: 100, seconds: 86400 },
      { count: 20, seconds: 600, allIPs: true },
      { count: 200, seconds: 86400, allIPs: true },
    ]);
    for (const [name, value] of [['MWAUTH_LOGIN_THROTTLE', '5'], ['MWAUTH_LOGIN_THROTTLE', '0/300'], ['MWAUTH_LOGIN_ACCOUNT_THROTTLE', '50/0'], ['MWAUTH_LOGIN_ACCOUNT_THROTTLE', 'many']] as const) {
      assert.throws(() => load({ [name]: value }), (e: Error) => e instanceof ConfigError && e.message.startsWith(name), `${name}=${value}`);
    }
  });
});

describe('login throttle per IPv6 /64', () => {
  test('ten addresses in one /64 share one bucket; another /64 has its own', async (t) => {
    const srv = await server(t);
    await addUser(srv.services, 'Fay', 'Fay-Pass-1234');
    const answers: string[] = [];
    for (let i = 1; i <= 10; i++) answers.push((await from(srv, `2001:db8:1:2::${i.toString(16)}`).login('Fay', `wrong-${i}`)).reason);
    assert.deepEqual(answers, [...Array(5).fill(msg(srv, 'wrongpassword')), ...Array(5).fill(throttled(srv, FIVE_MINUTES).reason)]);
    // Any spelling of an address in that /64 is in the bucket, the right password too.
    assert.deepEqual(await from(srv, '2001:DB8:1:2:ffff:ffff:ffff:ffff').login('Fay', 'Fay-Pass-1234'), throttled(srv, FIVE_MINUTES));
    assert.equal((await from(srv, '2001:db8:1:3::1').login('Fay', 'wrong')).reason, msg(srv, 'wrongpassword'), 'the next /64 is tried');
    assert.equal((await from(srv, '2001:db8:1:3::2').login('Fay', 'Fay-Pass-1234')).result, 'Success');
    // IPv4 addresses, and IPv4-mapped IPv6 ones, count one by one.
    await addUser(srv.services, 'Gus', 'Gus-Pass-1234');
    for (let i = 1; i <= 6; i++) assert.equal((await from(srv, `::ffff:192.0.2.${i}`).login('Gus', 'wrong')).reason, msg(srv, 'wrongpassword'));
  });
});
