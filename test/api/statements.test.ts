// What one request costs its backends, counted at the source: every statement the stores send to the
// database (src/storage/queryTap.ts) and, with Redis, every command under the site's key prefix (MONITOR).
// An anonymous request reads nothing; a logged-in one reads its session once and its account once, and
// writes nothing unless something changed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { Client, ManualClock, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { REDIS_URL, createPostgresDatabase, redisPrefix, skipUnless } from '../helpers/services.js';
import type { QueryEvent } from '../../src/storage/queryTap.js';

/** The tables of the server's own workers (reset requests and the mail queue), which poll while requests run. */
const WORKER_TABLES = new Set(['reset_request', 'outbox', 'outbox_masked']);

/** The statements seen while `fn` ran, as "kind table" (the workers' polls left out). */
async function statements(log: QueryEvent[], fn: () => Promise<unknown>): Promise<string[]> {
  const start = log.length;
  await fn();
  return log
    .slice(start)
    .filter((e) => !WORKER_TABLES.has(e.table))
    .map((e) => `${e.kind} ${e.table}`);
}

describe('on SQLite', () => {
  const log: QueryEvent[] = [];
  const clock = new ManualClock(Date.now());
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ clock, overrides: { onQuery: (e) => log.push(e) }, env: { MWAUTH_SESSION_IDLE: '3600' } });
    const alice = await addUser(srv.services, 'Alice', 'Secret-Pass-1', { groups: ['sysop'] });
    await addUser(srv.services, 'Bob', 'Secret-Pass-2');
    await srv.services.preferences.set(alice.id, 'language', 'fr');
  });
  after(() => srv.close());

  test('anonymous tokens, siteinfo and userinfo read nothing, with or without a session cookie', async () => {
    const c = new Client(srv.api);
    for (const params of <Array<Record<string, string>>>[
      { action: 'query', meta: 'tokens' },
      { action: 'query', meta: 'tokens', type: 'login|createaccount' },
      { action: 'query', meta: 'siteinfo' },
      { action: 'query', meta: 'userinfo', uiprop: 'groups|rights' },
      { action: 'query', meta: 'tokens|siteinfo|userinfo', assert: 'anon' },
    ]) {
      assert.deepEqual(await statements(log, () => c.get(params)), [], JSON.stringify(params));
    }
    // The anonymous session id the login token gave the client, and cookies this server never made.
    assert.ok(c.cookies.has('mwauth_session'));
    assert.deepEqual(await statements(log, () => c.get({ action: 'query', meta: 'tokens' })), []);
    const forged = new Client(srv.api, { cookie: 'mwauth_session=0123456789abcdefghijklmnopqrstuv; mwauthUserID=x; mwauthToken=' });
    assert.deepEqual(await statements(log, () => forged.get({ action: 'query', meta: 'userinfo' })), []);
  });

  test('a logged-in request reads its session once and its account once (groups and language with it), and writes nothing', async () => {
    const c = new Client(srv.api);
    assert.equal((await c.login('Alice', 'Secret-Pass-1')).result, 'Success');
    const expected = ['select session', 'select user'];
    for (const params of <Array<Record<string, string>>>[
      { action: 'query', meta: 'userinfo' },
      { action: 'query', meta: 'userinfo', uiprop: 'groups|rights|implicitgroups' },
      { action: 'query', meta: 'tokens', type: 'csrf|login' },
      { action: 'query', meta: 'tokens|userinfo|siteinfo', assert: 'user' },
    ]) {
      assert.deepEqual(await statements(log, () => c.get(params)), expected, JSON.stringify(params));
    }
    // What the one read brought is what the request used: the groups and the language preference (uselang=user).
    const r = await c.get({ action: 'query', meta: 'userinfo', uiprop: 'groups', responselanginfo: '1', formatversion: '2' });
    assert.equal(r.json.uselang, 'fr');
    assert.ok(r.json.query.userinfo.groups.includes('sysop'));
    const rights = await c.get({ action: 'query', meta: 'userinfo', uiprop: 'rights', formatversion: '2' });
    assert.ok(rights.json.query.userinfo.rights.includes('block'), 'the rights of the sysop group');
    // No Set-Cookie: nothing about the session changed.
    assert.deepEqual((await c.get({ action: 'query', meta: 'userinfo' })).headers.getSetCookie(), []);
  });

  test('an expired group membership and a removed language are seen at the next request, still in one read', async () => {
    const bob = (await srv.services.users.byName('Bob'))!;
    await srv.services.users.addGroup(bob.id, 'bureaucrat', clock.now() + 60_000);
    await srv.services.preferences.set(bob.id, 'language', 'ar');
    const c = new Client(srv.api);
    assert.equal((await c.login('Bob', 'Secret-Pass-2')).result, 'Success');
    let r = await c.get({ action: 'query', meta: 'userinfo', uiprop: 'groups', responselanginfo: '1', formatversion: '2' });
    assert.ok(r.json.query.userinfo.groups.includes('bureaucrat'));
    assert.equal(r.json.uselang, 'ar');
    clock.advance(61_000);
    await srv.services.preferences.set(bob.id, 'language', null);
    let seen: string[] = [];
    seen = await statements(log, async () => (r = await c.get({ action: 'query', meta: 'userinfo', uiprop: 'groups', responselanginfo: '1', formatversion: '2' })));
    assert.deepEqual(seen, ['select session', 'select user']);
    assert.ok(!r.json.query.userinfo.groups.includes('bureaucrat'));
    assert.equal(r.json.uselang, 'en');
  });

  test('the session is written again only once half its idle time has passed (sliding expiry), then not', async () => {
    const c = new Client(srv.api);
    assert.equal((await c.login('Alice', 'Secret-Pass-1')).result, 'Success');
    clock.advance(1_799_000);
    assert.deepEqual(await statements(log, () => c.get({ action: 'query', meta: 'userinfo' })), ['select session', 'select user']);
    clock.advance(2_000);
    assert.deepEqual(await statements(log, () => c.get({ action: 'query', meta: 'userinfo' })), ['select session', 'select user', 'insert session']);
    assert.deepEqual(await statements(log, () => c.get({ action: 'query', meta: 'userinfo' })), ['select session', 'select user']);
    // And it holds: 3,000 s after the write, within the new idle period, still logged in.
    clock.advance(3_000_000);
    assert.equal((await c.get({ action: 'query', meta: 'userinfo' })).json.query.userinfo.name, 'Alice');
  });

  test('a session whose account changed its password reads the account once and ends (the cookie goes)', async () => {
    const c = new Client(srv.api);
    assert.equal((await c.login('Bob', 'Secret-Pass-2')).result, 'Success');
    const bob = (await srv.services.users.byName('Bob'))!;
    await srv.services.users.rotateToken(bob.id);
    let r = await c.get({ action: 'query', meta: 'userinfo' });
    const seen = await statements(log, async () => (r = await c.get({ action: 'query', meta: 'userinfo' })));
    assert.equal(r.json.query.userinfo.id, 0);
    assert.deepEqual(seen, [], 'after the first answer the client holds no session cookie: nothing to read');
  });
});

describe('on PostgreSQL with Redis', { skip: await skipUnless('postgres', 'redis') }, () => {
  const log: QueryEvent[] = [];
  const commands: string[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  const scope = { after: (fn: () => Promise<void> | void) => void cleanups.push(fn) };
  let srv: TestServer;
  let monitor: Redis & { disconnect(): void };
  let prefix: string;
  before(async () => {
    const db = await createPostgresDatabase('hotpath_statements');
    scope.after(() => db.drop());
    prefix = await redisPrefix(scope);
    srv = await startTestServer({
      overrides: { onQuery: (e) => log.push(e) },
      env: { MWAUTH_DATABASE_URL: db.url, MWAUTH_REDIS_URL: REDIS_URL, MWAUTH_REDIS_PREFIX: prefix },
    });
    await addUser(srv.services, 'Alice', 'Secret-Pass-1', { groups: ['sysop'] });
    const { Redis } = await import('ioredis');
    // monitor() opens a connection of its own; the client it came from is not needed.
    const client = new Redis(REDIS_URL);
    monitor = (await client.monitor()) as Redis & { disconnect(): void };
    client.disconnect();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.startsWith(prefix))) commands.push(args[0]!.toLowerCase());
    });
  });
  after(async () => {
    monitor?.disconnect();
    await srv?.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  test('a logged-in request: one session read in Redis, one account read in PostgreSQL, no writes', async () => {
    const c = new Client(srv.api);
    assert.equal((await c.login('Alice', 'Secret-Pass-1')).result, 'Success');
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 3; i++) {
      commands.length = 0;
      const seen = await statements(log, () => c.get({ action: 'query', meta: 'userinfo', uiprop: 'groups' }));
      // MONITOR's lines come a moment after the commands.
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(seen, ['select user']);
      assert.deepEqual(commands, ['hmget']);
    }
    commands.length = 0;
    assert.deepEqual(await statements(log, () => new Client(srv.api).get({ action: 'query', meta: 'tokens' })), []);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(commands, []);
  });
});
