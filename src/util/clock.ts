// Time and randomness are injected so that expiry and cooldown tests never sleep.
import { randomBytes } from 'node:crypto';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Random {
  bytes(n: number): Buffer;
}

// Small requests (ids, salts, temporary passwords) are served from a pool the system's generator fills
// 4 KiB at a time: one call into OpenSSL per request cost the reset worker more than its hashing does.
// Every byte is handed out once, as a copy, so no two callers ever share one.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

export const cryptoRandom: Random = {
  bytes(n) {
    if (n > 256) return randomBytes(n);
    if (used + n > pool.length) {
      pool = randomBytes(POOL_BYTES);
      used = 0;
    }
    const out = Buffer.from(pool.subarray(used, used + n));
    pool.fill(0, used, used + n);
    used += n;
    return out;
  },
};

export function randomHex(random: Random, chars: number): string {
  return random.bytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars);
}

/** ISO 8601 without fractions, as the API prints times. */
export function isoTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
