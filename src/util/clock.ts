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

export const cryptoRandom: Random = { bytes: (n) => randomBytes(n) };

export function randomHex(random: Random, chars: number): string {
  return random.bytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars);
}

/** ISO 8601 without fractions, as the API prints times. */
export function isoTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
