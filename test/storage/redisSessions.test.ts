// What only the Redis session store has to show, beyond the SessionStore contract it passes with the
// database (test/contracts/sessions.test.ts): the raw session id is nowhere in Redis, expiry is Redis's
// own TTL, the per-user index cleans itself up, key prefixes keep sites apart, and the server keeps its
// sessions there when MWAUTH_REDIS_URL is set. Skips when no Redis answers, and fails under
// MWAUTH_REQUIRE_SERVICES=1.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { RedisSessionStore } from '../../src/storage/redis/sessions.js';
import { closeRedis, openRedis } from '../../src/storage/redis.js';
import { storageKey, type SessionData } from '../../src/sessions/store.js';
import { ManualClock } from '../helpers/clock.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { REDIS_URL, keysUnder, redisClient, redisPrefix, skipUnless } from '../helpers/services.js';

const SECRET = '0123456789abcdef0123456789abcdef';
const redisSkip = await skipUnless('redis');

type After = { after(fn: () => Promise<void> | void): void };

const data = (userId: number, extra: Partial<SessionData> = {}): SessionData => ({
  userId,
  secrets: { default: `secret-of-${userId}` },
  created: 1,
  ...extra,
});

async function redisStore(t: After, prefix?: string) {
  const p = prefix ?? (await redisPrefix(t));
  const client = await openRedis(REDIS_URL);
  t.after(() => closeRedis(client));
  const clock = new ManualClock();
  return { store: new RedisSessionStore(client, clock, new Keyring(SECRET), p), clock, client, prefix: p };
}

describe('RedisSessionStore in Redis', { skip: redisSkip }, () => {
  test('keys hold the HMAC of the id; the raw id is in no key and no value', async (t) => {
    const { store, clock, prefix } = await redisStore(t);
    const r = await redisClient(t);
    const ids = ['m'.repeat(32), 'n'.repeat(32), 'q'.repeat(32)];
    await store.put(ids[0]!, 21, data(21, { userGen: 'ut' }), clock.now() + 60_000);
    await store.put(ids[1]!, 21, data(21), clock.now() + 60_000);
    await store.put(ids[2]!, 0, data(0), clock.now() + 60_000);
    const keys = await keysUnder(r, prefix);
    assert.deepEqual(
      keys.sort(),
      [...ids.map((id) => `${prefix}session:${storageKey(SECRET, id)}`), `${prefix}user-sessions:21`].sort(),
      'one hash per session and one index for the logged-in user; anonymous sessions are not indexed',
    );
    const dump = await dumpAll(r, keys);
    for (const id of ids) assert.ok(!dump.includes(id), 'the raw id appears nowhere');
    assert.ok(dump.includes(storageKey(SECRET, ids[0]!)), 'the index lists storage keys');
  });

  test('expiry is Redis’s own TTL, taken from expiresAt; the user index lives as long as its longest session', async (t) => {
    const { store, clock, client, prefix } = await redisStore(t);
    const id = 'r'.repeat(32);
    await store.put(id, 22, data(22), clock.now() + 60_000);
    await store.put('s'.repeat(32), 22, data(22), clock.now() + 900);
    const sessionTtl = await client.pttl(`${prefix}session:${storageKey(SECRET, id)}`);
    assert.ok(sessionTtl > 55_000 && sessionTtl <= 60_000, `session TTL ${sessionTtl}`);
    const indexTtl = await client.pttl(`${prefix}user-sessions:22`);
    assert.ok(indexTtl >= sessionTtl - 1000 && indexTtl <= 60_000, `index TTL ${indexTtl}`);
    // The short one goes by itself, without any sweep.
    const short = `${prefix}session:${storageKey(SECRET, 's'.repeat(32))}`;
    await until(async () => (await client.exists(short)) === 0, 2500, 'the 900 ms session expired in Redis');
    assert.ok(await store.get(id));
  });

  test('entries of expired sessions leave the index on the next write; the index never outgrows the live sessions', async (t) => {
    const { store, clock, client, prefix } = await redisStore(t);
    for (let i = 0; i < 5; i++) await store.put(`t${i}`.padEnd(32, 'x'), 23, data(23), clock.now() + 10_000);
    assert.equal(await client.zcard(`${prefix}user-sessions:23`), 5);
    clock.advance(10_000);
    await store.put('u'.repeat(32), 23, data(23), clock.now() + 10_000);
    assert.deepEqual(await client.zrange(`${prefix}user-sessions:23`, '0', '-1'), [storageKey(SECRET, 'u'.repeat(32))]);
    await store.delete('u'.repeat(32));
    assert.equal(await client.exists(`${prefix}user-sessions:23`), 0, 'deleting the last session empties the index');
  });

  test('two prefixes on one Redis are two separate session spaces', async (t) => {
    const a = await redisStore(t);
    const b = await redisStore(t);
    const id = 'v'.repeat(32);
    await a.store.put(id, 24, data(24, { userGen: 'a' }), a.clock.now() + 60_000);
    assert.equal(await b.store.get(id), null, 'the other site does not see it');
    await b.store.put(id, 24, data(24, { userGen: 'b' }), b.clock.now() + 60_000);
    assert.equal(await b.store.deleteForUser(24), 1);
    assert.deepEqual(await a.store.get(id), data(24, { userGen: 'a' }), 'logging out everywhere on one site leaves the other');
    await a.store.delete(id);
    assert.deepEqual(await keysUnder(a.client, a.prefix), []);
  });
});

describe('the server with MWAUTH_REDIS_URL', { skip: redisSkip }, () => {
  test('keeps sessions in Redis (none in the session table), ends them on a password change and by idle time', async (t) => {
    const prefix = await redisPrefix(t);
    const dir = mkdtempSync(join(tmpdir(), 'mwauth-redis-sessions-'));
    const clock = new ManualClock();
    const s = await createServices(
      loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_REDIS_URL: REDIS_URL, MWAUTH_REDIS_PREFIX: prefix }),
      { clock, hasher: createPasswordHasher({ iterations: 1000 }) },
    );
    t.after(async () => {
      await s.close(0);
      rmSync(dir, { recursive: true, force: true });
    });
    const r = await redisClient(t);
    let user = await s.users.create({ name: 'Alice', email: 'alice@example.org', passwordHash: await s.hasher.hash('Pass-word-1') });
    const login = async () => {
      const session = await s.sessions.load(undefined);
      session.logIn(user, { remember: false });
      await s.sessions.save(session);
      return { session, cookie: `mwauth_session=${session.id}` };
    };
    const one = await login();
    const two = await login();
    assert.equal((await s.sessions.load(one.cookie)).userId, user.id);
    assert.equal((await s.db.selectFrom('session').selectAll().execute()).length, 0, 'nothing in the session table');
    const dump = await dumpAll(r, await keysUnder(r, prefix));
    assert.ok(!dump.includes(one.session.id!) && !dump.includes(two.session.id!), 'no raw id in Redis');

    // A password change kept on session one ends session two.
    user = await s.passwordChanges.change(user, 'Another-pass-1', { keepSessionId: one.session.id });
    assert.equal(await s.sessions.endAllFor(user.id, one.session.id!), 0, 'session two is already gone');
    assert.equal((await s.sessions.load(two.cookie)).userId, 0);

    // Idle expiry follows the server's clock.
    const fresh = await login();
    clock.advance(3600_000 - 1);
    assert.equal((await s.sessions.load(fresh.cookie)).userId, user.id);
    clock.advance(1);
    assert.equal((await s.sessions.load(fresh.cookie)).userId, 0);
  });
});

/** Every key's contents as one text: strings, hashes, sorted sets. */
async function dumpAll(r: Redis, keys: string[]): Promise<string> {
  const parts: string[] = [];
  for (const k of keys) {
    const type = await r.type(k);
    if (type === 'string') parts.push(String(await r.get(k)));
    else if (type === 'hash') parts.push(JSON.stringify(await r.hgetall(k)));
    else if (type === 'zset') parts.push(JSON.stringify(await r.zrange(k, '0', '-1', 'WITHSCORES')));
    else parts.push(`unexpected type ${type} of ${k}`);
  }
  return parts.join('\n') + '\n' + keys.join('\n');
}

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

