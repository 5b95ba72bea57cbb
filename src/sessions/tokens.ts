// MediaWiki's token format: 32 hex digits of HMAC-MD5(timestamp . salt, secret), the timestamp in hex, "+\".
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOKEN_SUFFIX = '+\\';
/** The CSRF-type token of every anonymous user. */
export const ANON_TOKEN = TOKEN_SUFFIX;

export function makeToken(secret: string, salt: string, unixSeconds: number): string {
  const hmac = createHmac('md5', secret).update(`${unixSeconds}${salt}`).digest('hex');
  return hmac + unixSeconds.toString(16) + TOKEN_SUFFIX;
}

/** How far a token's time may lie ahead of this node's clock (another node's clock may be ahead). */
const FUTURE_SKEW_SECONDS = 300;

/**
 * Constant-time check of a token against a secret and salt. Without `window` a token has no maximum age
 * (MediaWiki's API tokens live as long as their session); with it, the token must have been made in the
 * last `maxAge` seconds before `now` (unix seconds).
 */
export function matchToken(token: string, secret: string, salt: string, window?: { now: number; maxAge: number }): boolean {
  if (token.length <= 34 || !token.endsWith(TOKEN_SUFFIX)) return false;
  const body = token.slice(0, -2);
  if (!/^[0-9a-f]+$/.test(body)) return false;
  const t = parseInt(body.slice(32), 16);
  if (!Number.isSafeInteger(t)) return false;
  const good = safeEqual(makeToken(secret, salt, t), token);
  if (!window) return good;
  return good && t > window.now - window.maxAge && t <= window.now + FUTURE_SKEW_SECONDS;
}

/**
 * The UNIX time a well-formed token was made at (its hex part after the 32 HMAC digits), or null when
 * the value is not shaped like a token ("+\\" alone, wrong characters, no suffix).
 */
export function tokenTimestamp(token: string): number | null {
  if (token.length <= 34 || !token.endsWith(TOKEN_SUFFIX)) return null;
  const body = token.slice(0, -2);
  if (!/^[0-9a-f]+$/.test(body)) return null;
  return parseInt(body.slice(32), 16);
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

// Token types of action=query&meta=tokens: the session secret's key and the salt.
export const TOKEN_TYPES: Record<string, { key: string; salt: string; anonReal: boolean }> = {
  createaccount: { key: 'createaccount', salt: '', anonReal: true },
  csrf: { key: 'default', salt: '', anonReal: false },
  login: { key: 'login', salt: '', anonReal: true },
  patrol: { key: 'default', salt: 'patrol', anonReal: false },
  rollback: { key: 'default', salt: 'rollback', anonReal: false },
  userrights: { key: 'default', salt: 'userrights', anonReal: false },
  watch: { key: 'default', salt: 'watch', anonReal: false },
};
