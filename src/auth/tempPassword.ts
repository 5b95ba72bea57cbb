// Temporary and bot passwords, generated the way MediaWiki's
// PasswordFactory::generateRandomPasswordString does, so they look the same to users.
import { randomHex, type Random } from '../util/clock.js';

/** Base-32 digits as BigInt#toString(32) (and PHP base_convert) emit them. */
export const TEMP_PASSWORD_ALPHABET = '0123456789abcdefghijklmnopqrstuv';

export const BOT_PASSWORD_LENGTH = 32;

export function generateTemporaryPassword(length: number, random: Random): string {
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError('length must be a positive integer');
  // 1.25 hex chars per output char = 5 bits per char, so the kept low digits are uniform.
  const hex = randomHex(random, Math.ceil(length * 1.25));
  return BigInt(`0x${hex}`).toString(32).padStart(length, '0').slice(-length);
}

/** MediaWiki's BotPassword::generatePassword: a 32-char temporary-style password. */
export function generateBotPassword(random: Random): string {
  return generateTemporaryPassword(BOT_PASSWORD_LENGTH, random);
}
