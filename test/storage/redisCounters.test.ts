// What only RedisCounters has to show, beyond the Counters contract it passes with the other backends
// (test/contracts/counters.test.ts): windows kept by Redis's own clock (key expiry), every key expiring
// and under the prefix, and prefixes that keep sites apart. Skips when no Redis answers, and fails under
// MWAUTH_REQUIRE_SERVICES=1.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { RedisCounters } from '../../src/storage/redis/counters.js';
import { closeRedis, openRedis } from '../../src/storage/redis.js';
import { REDIS_URL, keysUnder, redisPrefix, skipUnless } from '../helpers/services.js';

const skip = await skipUnless('redis');

type After = { after(fn: () => Promise<void> | void): void };

async function subject(t: After, prefix?: string): Promise<{ counters: RedisCounters; redis: Redis; prefix: string; key: (k: string) => string }> {
  const p = prefix ?? (await redisPrefix(t));
  const redis = await openRedis(REDIS_URL);
  t.after(() => closeRedis(redis));
  return { counters: new RedisCounters(redis, p), redis, prefix: p, key: (k) => `${p}counter:${k}` };
}

/** Waits (at most 2.5 s) for Redis to expire a key. */
async function expired(redis: Redis, key: string): Promise<void> {
  const end = Date.now() + 2500;
  while ((await redis.exists(key)) === 1) {
    if (Date.now() > end) throw new Error(`${key} did not expire`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// The tests that wait for a window to end run side by side, each on its own prefix.
describe('RedisCounters: windows on Redis\'s clock', { skip, concurrency: true }, () => {
  test('the window is fixed from the first hit and resets when it ends', async (t) => {
    const { counters, redis, key } = await subject(t);
    assert.equal(await counters.hit('w', 1), 1);
    const first = await redis.pttl(key('w'));
    assert.ok(first > 0 && first <= 1000, `the window is the TTL (${first} ms)`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await counters.hit('w', 1), 2);
    const second = await redis.pttl(key('w'));
    assert.ok(second > 0 && second < first, `a later hit does not move the window (${first} → ${second} ms)`);
    assert.equal(await counters.peek('w'), 2);
    await expired(redis, key('w'));
    assert.equal(await counters.peek('w'), 0);
    assert.equal(await counters.hit('w', 1), 1, 'a new window starts');
    assert.ok((await redis.pttl(key('w'))) > second, 'with a TTL of its own');
  });

  test('each key keeps the window it started with', async (t) => {
    const { counters, redis, key } = await subject(t);
    await counters.hit('short', 1);
    await counters.hit('long', 3600);
    await counters.hit('long', 1);
    await expired(redis, key('short'));
    assert.equal(await counters.peek('short'), 0);
    assert.equal(await counters.peek('long'), 2);
    assert.ok((await redis.pttl(key('long'))) > 3_500_000, 'a hit with a shorter window does not shorten it');
  });

  test('a hit may count several; release gives hits back within the window, never below zero', async (t) => {
    const { counters, redis, key } = await subject(t);
    assert.equal(await counters.hit('m', 1, 3), 3, 'a first hit of 3');
    assert.equal(await counters.hit('m', 1, 2), 5);
    await counters.release('m', 2);
    assert.equal(await counters.peek('m'), 3);
    await counters.release('m');
    assert.equal(await counters.peek('m'), 2);
    await counters.release('m', 5);
    assert.equal(await counters.peek('m'), 0, 'never below zero');
    assert.ok((await redis.pttl(key('m'))) > 0, 'a release keeps the window');
    await counters.release('never-seen');
    assert.equal(await redis.exists(key('never-seen')), 0, 'a release makes no key');
    await expired(redis, key('m'));
    await counters.release('m');
    assert.equal(await redis.exists(key('m')), 0, 'a release after the window does not bring the key back');
    assert.equal(await counters.hit('m', 1), 1, 'nor reach into the next window');
  });

});

describe('RedisCounters in Redis', { skip }, () => {
  test('every counter key has an expiry and lives under the prefix', async (t) => {
    const { counters, redis, prefix } = await subject(t);
    await counters.hit('reset:ip:192.0.2.1', 3600);
    await counters.hit('login:Alice', 300, 2);
    await counters.release('login:Alice', 2);
    const keys = await keysUnder(redis, prefix);
    assert.deepEqual(keys.sort(), [`${prefix}counter:login:Alice`, `${prefix}counter:reset:ip:192.0.2.1`]);
    for (const k of keys) assert.ok((await redis.pttl(k)) > 0, `${k} expires`);
  });

  test('two prefixes on one Redis count separately', async (t) => {
    const a = await subject(t);
    const b = await subject(t);
    await a.counters.hit('same', 60);
    await a.counters.hit('same', 60);
    assert.equal(await b.counters.hit('same', 60), 1);
    await b.counters.clear('same');
    assert.equal(await a.counters.peek('same'), 2);
  });
});
