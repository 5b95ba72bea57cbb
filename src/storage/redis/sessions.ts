// Sessions in Redis, for several nodes sharing one session space. Keys hold only the keyed hash of a
// session id, as in the SQL store.
import type { Redis } from 'ioredis';
import type { Keyring } from '../../secrets/keyring.js';
import { redisCall } from '../redis.js';
import type { Clock } from '../../util/clock.js';
import { storageKey, storageKeys, type SessionData, type SessionStore } from '../../sessions/store.js';

// One session is a hash: u (user id), e (expiry, ms), d (the data as JSON), expiring by Redis TTL.
// Each user with sessions has a sorted set of their storage keys scored by expiry, so that "log out
// everywhere" finds them; entries past their expiry go whenever the set is written, and the set itself
// expires with its longest-lived session. Anonymous sessions (user 0) are not indexed.
const PUT = `
local old = redis.call('HGET', KEYS[1], 'u')
if old and old ~= ARGV[2] and old ~= '0' then redis.call('ZREM', ARGV[7] .. old, ARGV[1]) end
redis.call('HSET', KEYS[1], 'u', ARGV[2], 'e', ARGV[4], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if ARGV[2] ~= '0' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
end
return 1`;

const DELETE = `
local u = redis.call('HGET', KEYS[1], 'u')
if u and u ~= '0' then redis.call('ZREM', ARGV[2] .. u, ARGV[1]) end
return redis.call('DEL', KEYS[1])`;

// Deletes the user's sessions but one; an entry whose session now belongs to someone else is only
// unlisted. Counts the sessions still live by the node's clock (ARGV[4]), as the SQL store does.
const DELETE_FOR_USER = `
local n = 0
local now = tonumber(ARGV[4])
for _, k in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if k ~= ARGV[2] then
    local sk = ARGV[1] .. k
    local owner = redis.call('HMGET', sk, 'u', 'e')
    if owner[1] == ARGV[3] then
      redis.call('DEL', sk)
      if tonumber(owner[2]) > now then n = n + 1 end
    end
    redis.call('ZREM', KEYS[1], k)
  end
end
return n`;

type ScriptedRedis = Redis & {
  mwauthSessionPut(session: string, userSet: string, key: string, userId: string, data: string, expires: string, ttl: string, now: string, userSetPrefix: string): Promise<number>;
  mwauthSessionDelete(session: string, key: string, userSetPrefix: string): Promise<number>;
  mwauthSessionDeleteForUser(userSet: string, sessionPrefix: string, exceptKey: string, userId: string, now: string): Promise<number>;
};

export class RedisSessionStore implements SessionStore {
  private readonly redis: ScriptedRedis;
  private readonly sessionPrefix: string;
  private readonly userSetPrefix: string;

  /** `prefix` starts every key this store writes (MWAUTH_REDIS_PREFIX), so sites can share one Redis. */
  constructor(
    redis: Redis,
    private readonly clock: Clock,
    private readonly keys: Keyring,
    prefix = 'mwauth:',
  ) {
    redis.defineCommand('mwauthSessionPut', { numberOfKeys: 2, lua: PUT });
    redis.defineCommand('mwauthSessionDelete', { numberOfKeys: 1, lua: DELETE });
    redis.defineCommand('mwauthSessionDeleteForUser', { numberOfKeys: 1, lua: DELETE_FOR_USER });
    this.redis = redis as ScriptedRedis;
    this.sessionPrefix = `${prefix}session:`;
    this.userSetPrefix = `${prefix}user-sessions:`;
  }

  private key(id: string): string {
    return storageKey(this.keys.signing, id);
  }

  async get(id: string): Promise<SessionData | null> {
    // Under the signing secret's key, else under an older secret's (see storageKeys).
    let data: string | null = null;
    let expires: string | null = null;
    for (const key of storageKeys(this.keys, id)) {
      [data, expires] = await redisCall(() => this.redis.hmget(this.sessionPrefix + key, 'd', 'e'));
      if (data != null) break;
    }
    // The node's clock decides too, as in the SQL store; the TTL only removes what is over.
    if (data == null || expires == null || Number(expires) <= this.clock.now()) return null;
    return JSON.parse(data) as SessionData;
  }

  async put(id: string, userId: number, data: SessionData, expiresAt: number): Promise<void> {
    const now = this.clock.now();
    const ttl = expiresAt - now;
    if (ttl <= 0) return this.delete(id);
    const key = this.key(id);
    await redisCall(() =>
      this.redis.mwauthSessionPut(
        this.sessionPrefix + key,
        this.userSetPrefix + userId,
        key,
        String(userId),
        JSON.stringify(data),
        String(expiresAt),
        String(ttl),
        String(now),
        this.userSetPrefix,
      ),
    );
  }

  async delete(id: string): Promise<void> {
    for (const key of storageKeys(this.keys, id)) {
      await redisCall(() => this.redis.mwauthSessionDelete(this.sessionPrefix + key, key, this.userSetPrefix));
    }
  }

  /** Counts the live sessions it ended (by the node's clock; Redis has already dropped most expired ones). */
  async deleteForUser(userId: number, exceptId?: string): Promise<number> {
    const except = exceptId ? this.key(exceptId) : '';
    return Number(
      await redisCall(() => this.redis.mwauthSessionDeleteForUser(this.userSetPrefix + userId, this.sessionPrefix, except, String(userId), String(this.clock.now()))),
    );
  }

  /** Nothing to do: Redis drops expired sessions by itself. */
  async sweep(): Promise<void> {}
}
