// Fixed-window counters in Redis, shared by every node: one key per counter, living as long as its window.
import type { Redis } from 'ioredis';
import { redisCall } from '../redis.js';
import type { Counters } from '../../limits/counters.js';

// The window starts with the first hit: only a key without an expiry gets one (PEXPIRE NX, spelled
// out so that Redis before 7 runs it too). One script, so no hit ever sees a counter without its window.
const HIT = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;

// Never below zero, and a key whose window is over stays gone (DECRBY would make a new one, without expiry).
const RELEASE = `
local c = tonumber(redis.call('GET', KEYS[1]))
if c and c > 0 then redis.call('DECRBY', KEYS[1], math.min(c, tonumber(ARGV[1]))) end
return 0`;

type ScriptedRedis = Redis & {
  mwauthCounterHit(key: string, amount: number, windowMs: number): Promise<number>;
  mwauthCounterRelease(key: string, amount: number): Promise<number>;
};

/**
 * Windows follow Redis's clock (key expiry), one clock for all nodes; the injected clock plays no part.
 * `prefix` starts every key (MWAUTH_REDIS_PREFIX).
 */
export class RedisCounters implements Counters {
  private readonly redis: ScriptedRedis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix = 'mwauth:') {
    redis.defineCommand('mwauthCounterHit', { numberOfKeys: 1, lua: HIT });
    redis.defineCommand('mwauthCounterRelease', { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as ScriptedRedis;
    this.prefix = `${prefix}counter:`;
  }

  async hit(key: string, windowSeconds: number, amount = 1): Promise<number> {
    const windowMs = Math.max(1, Math.round(windowSeconds * 1000));
    return Number(await redisCall(() => this.redis.mwauthCounterHit(this.prefix + key, amount, windowMs)));
  }

  async release(key: string, amount = 1): Promise<void> {
    await redisCall(() => this.redis.mwauthCounterRelease(this.prefix + key, amount));
  }

  async peek(key: string): Promise<number> {
    return Number((await redisCall(() => this.redis.get(this.prefix + key))) ?? 0);
  }

  async clear(key: string): Promise<void> {
    await redisCall(() => this.redis.del(this.prefix + key));
  }

  /** Nothing to do: Redis drops a counter when its window ends. */
  async sweep(): Promise<void> {}
}
