// How a temporary password is stored. It is 50 random bits that live a week at most, mailed by the
// server itself, so a slow hash buys nothing a key cannot do better: it is stored as an HMAC keyed with
// a key derived from the server secret (MWAUTH_SECRET, never in the database). Without the secret the
// stored value cannot be checked at all, so a stolen database gives no way to try guesses offline;
// with it, checking costs one HMAC instead of a PBKDF2, which is what lets the reset worker issue
// thousands a second and a login check one slow hash only.
//
//   :hmac:sha256:<key id>:<salt>:<mac>
//
// The key id (16 hex digits, a keyed fingerprint of the secret that made it) picks which secret of the
// keyring checks it, so a rotation ("NEW,OLD") keeps pending ones working and dropping OLD ends them.
// Temporary passwords stored before (a slow hash, or imported from MediaWiki) still verify through the
// slow hasher until they expire.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../secrets/keyring.js';
import { cryptoRandom, type Random } from '../util/clock.js';
import type { PasswordHasher } from './passwords.js';

export const TEMP_HMAC_PREFIX = ':hmac:sha256:';
const SALT_BYTES = 16;
const MAC_BYTES = 32;
const KEYED = /^:hmac:sha256:([0-9a-f]{16}):([A-Za-z0-9+/]{22}==):([A-Za-z0-9+/]{43}=)$/;
// Never more than a password's worth of input is MACed (the slow hasher refuses longer ones too).
const MAX_PASSWORD_BYTES = 4096;

interface Key {
  id: string;
  key: Buffer;
}

export interface TemporaryPasswordHasher {
  /** The stored form of a new temporary password: keyed with the signing secret. */
  hash(password: string): Promise<string>;
  /** Whether a stored value is in the keyed format (a stored slow hash is not). */
  isKeyed(stored: string): boolean;
  /**
   * Checks a keyed value: one HMAC and a constant-time comparison, whatever `stored` is — a value of
   * another format, a key this keyring no longer has, or a malformed one does the same work and is false.
   */
  verifyKeyed(password: string, stored: string): boolean;
  /** Either format: keyed values here, anything else by the slow hasher (pending ones from before). */
  verify(password: string, stored: string): Promise<boolean>;
}

function keyOf(secret: string): Key {
  // Keys of their own: what checks a temporary password signs no token and opens no sealed mail.
  const key = createHmac('sha256', secret).update('mwauth temporary password v1').digest();
  const id = createHmac('sha256', secret).update('mwauth temporary password key id v1').digest('hex').slice(0, 16);
  return { id, key };
}

function canonicalBase64(s: string): boolean {
  return Buffer.from(s, 'base64').toString('base64') === s;
}

function mac(key: Buffer, salt: Buffer, password: string): Buffer {
  return createHmac('sha256', key).update(salt).update(password, 'utf8').digest();
}

export function createTemporaryPasswordHasher(opts: { keys: Keyring; slow: PasswordHasher; random?: Random }): TemporaryPasswordHasher {
  const keys = opts.keys.secrets.map(keyOf);
  const random = opts.random ?? cryptoRandom;
  const signing = keys[0]!;
  // Checked instead when a value is not keyed or its key is gone, so such a check costs the same.
  const standInSalt = Buffer.alloc(SALT_BYTES);
  const standInMac = Buffer.alloc(MAC_BYTES);

  function verifyKeyed(password: string, stored: string): boolean {
    const pw = typeof password === 'string' && Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES ? password : '';
    const m = typeof stored === 'string' ? KEYED.exec(stored) : null;
    // Only the one spelling: base64's last digit has spare bits, and a value differing there is not ours.
    const canonical = m !== null && canonicalBase64(m[2]!) && canonicalBase64(m[3]!);
    const key = canonical ? keys.find((k) => k.id === m[1]) : undefined;
    const salt = key ? Buffer.from(m![2]!, 'base64') : standInSalt;
    const expected = key ? Buffer.from(m![3]!, 'base64') : standInMac;
    const ok = timingSafeEqual(mac((key ?? signing).key, salt, pw), expected);
    return ok && key !== undefined && pw === password;
  }

  return {
    async hash(password) {
      if (typeof password !== 'string' || password === '') throw new TypeError('a temporary password must be a non-empty string');
      if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) throw new Error(`password longer than ${MAX_PASSWORD_BYTES} bytes`);
      const salt = random.bytes(SALT_BYTES);
      return `${TEMP_HMAC_PREFIX}${signing.id}:${salt.toString('base64')}:${mac(signing.key, salt, password).toString('base64')}`;
    },
    isKeyed: (stored) => typeof stored === 'string' && stored.startsWith(TEMP_HMAC_PREFIX),
    verifyKeyed,
    async verify(password, stored) {
      if (typeof stored === 'string' && stored.startsWith(TEMP_HMAC_PREFIX)) return verifyKeyed(password, stored);
      return opts.slow.verify(password, stored);
    },
  };
}

/**
 * Whether a typed password has the shape of a generated temporary password (base-32 digits, MediaWiki's
 * and ours, at least 10 of them). Only such a password can match a temporary password stored as a slow
 * hash, so a login checks one of those only for such input (see Authenticator.login).
 */
export function looksTemporary(password: string): boolean {
  return /^[0-9a-v]{10,64}$/.test(password);
}
