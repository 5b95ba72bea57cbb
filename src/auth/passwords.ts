// MediaWiki-compatible password hashes. Written from MediaWiki's documented behaviour
// (Pbkdf2Password, MWSaltedPassword "B", MWOldPassword "A", LayeredParameterizedPassword,
// BcryptPassword, Argon2Password, InvalidPassword), not from its code. New hashes are always
// ":pbkdf2:sha512:<iter>:64:<salt>:<key>"; the others are verify-only so databases imported
// from MediaWiki keep working, and a successful login replaces them (needsRehash). The bcrypt and argon2
// libraries (native code, over 10 MB resident) are loaded at the first such hash, not by every server.
import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
import { cryptoRandom, type Random } from '../util/clock.js';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  needsRehash(stored: string): boolean;
  close(): Promise<void>;
}

/** Longer passwords are refused: PBKDF2 cost grows with input, so this bounds CPU per request. */
export const MAX_PASSWORD_BYTES = 4096;
export const DEFAULT_PBKDF2_ITERATIONS = 30000;
const ALGO = 'sha512';
const KEY_BYTES = 64;
const SALT_BYTES = 16;
// Stored parameters come from (possibly imported) rows; bound them so one bad row cannot pin a thread.
const ALGOS = new Set(['sha1', 'sha224', 'sha256', 'sha384', 'sha512']);
const MAX_ITERATIONS = 5_000_000;
const MAX_KEY_BYTES = 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MD5HEX = /^[0-9a-f]{32}$/; // PHP md5() is lowercase and MediaWiki compares strings exactly
// bcrypt: cost 2^rounds. MediaWiki's default is 9; 15 takes about two seconds here, like the PBKDF2 bound.
const MIN_BCRYPT_ROUNDS = 4;
const MAX_BCRYPT_ROUNDS = 15;
// MediaWiki stores crypt()'s "$2y$<rounds>$<salt><hash>" as ":bcrypt:<rounds>$<salt>$<hash>", rounds
// without a leading zero. crypt() writes the salt back with its unused low bits cleared, so its 22nd
// character is one of ".Oeu"; MediaWiki compares the whole string, so any other spelling never matches.
const BCRYPT = /^([1-9]\d?)\$([./A-Za-z0-9]{21}[.Oeu])\$([./A-Za-z0-9]{31})$/;
// argon2: PHP's password_hash() string (PHC format, unpadded base64) inside ":argon2:". PHP's default
// is m=65536 (KiB), t=4, p=1. Bounds: 256 MiB per verification, 4 × PHP's default work (m·t), 16 lanes.
const ARGON2 = /^\$(argon2i|argon2id)\$v=(16|19)\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{6,})$/;
const MAX_ARGON2_MEMORY_KIB = 262_144;
const MAX_ARGON2_WORK = 4 * 65_536 * 4;
const MAX_ARGON2_LANES = 16;

interface Pbkdf2Params { algo: string; iterations: number; keyLen: number; salt: Buffer; key: Buffer }
type Parsed =
  | ({ kind: 'pbkdf2' } & Pbkdf2Params)
  | { kind: 'md5'; salt: string | null; hex: string }
  // pbkdf2 applied to the hex output of an A/B hash ("pbkdf2-legacyA/B" from wrapOldPasswords.php).
  | ({ kind: 'layered'; md5Salt: string | null } & Pbkdf2Params)
  /** crypt()'s own "$2y$NN$<salt><hash>", rebuilt from MediaWiki's ":bcrypt:" spelling. */
  | { kind: 'bcrypt'; crypt: string }
  /** password_hash()'s "$argon2i…" / "$argon2id…" string, as stored after ":argon2:". */
  | { kind: 'argon2'; phc: string }
  /**
   * ":null:" + anything (InvalidPassword; deleteLocalPasswords.php --prefix puts it before the old hash):
   * no password matches; the account logs in only after a reset by email.
   */
  | { kind: 'null' };

function parsePbkdf2(algo: string, iter: string, len: string, salt: string, key: string): Pbkdf2Params | null {
  if (!ALGOS.has(algo) || !/^[1-9]\d{0,8}$/.test(iter) || !/^[1-9]\d{0,4}$/.test(len)) return null;
  const iterations = Number(iter);
  const keyLen = Number(len);
  if (iterations > MAX_ITERATIONS || keyLen > MAX_KEY_BYTES) return null;
  if (!BASE64.test(salt) || !BASE64.test(key)) return null;
  const keyBuf = Buffer.from(key, 'base64');
  if (keyBuf.length !== keyLen) return null;
  return { algo, iterations, keyLen, salt: Buffer.from(salt, 'base64'), key: keyBuf };
}

function parse(stored: string): Parsed | null {
  if (typeof stored !== 'string') return null;
  const m = /^:([A-Za-z0-9-]+):(.*)$/s.exec(stored);
  if (!m) return null;
  const [, type, rest] = m;
  switch (type) {
    case 'pbkdf2': {
      const p = rest.split(':');
      if (p.length !== 5) return null;
      const params = parsePbkdf2(p[0], p[1], p[2], p[3], p[4]);
      return params && { kind: 'pbkdf2', ...params };
    }
    case 'B':
    case 'A': {
      // MediaWiki treats ":A:salt:hash" as salted too; ":B:" without a salt never verifies.
      const p = rest.split(':');
      if (p.length === 2 && MD5HEX.test(p[1])) return { kind: 'md5', salt: p[0], hex: p[1] };
      if (type === 'A' && p.length === 1 && MD5HEX.test(p[0])) return { kind: 'md5', salt: null, hex: p[0] };
      return null;
    }
    case 'pbkdf2-legacyB':
    case 'pbkdf2-legacyA': {
      // "!"-joined: <A/B params (none)>!<algo:iter:len>!<A/B salt>!<pbkdf2 salt>!<key>
      const p = rest.split('!');
      if (p.length !== 5 || p[0] !== '' || p[2].includes(':')) return null;
      const q = p[1].split(':');
      if (q.length !== 3) return null;
      const params = parsePbkdf2(q[0], q[1], q[2], p[3], p[4]);
      if (!params) return null;
      const md5Salt = p[2] === '' ? null : p[2];
      if (type === 'pbkdf2-legacyB' && md5Salt === null) return null;
      return { kind: 'layered', md5Salt, ...params };
    }
    case 'bcrypt': {
      const m = BCRYPT.exec(rest);
      if (!m) return null;
      const rounds = Number(m[1]);
      if (rounds < MIN_BCRYPT_ROUNDS || rounds > MAX_BCRYPT_ROUNDS) return null;
      return { kind: 'bcrypt', crypt: `$2y$${String(rounds).padStart(2, '0')}$${m[2]}${m[3]}` };
    }
    case 'argon2': {
      const m = ARGON2.exec(rest);
      if (!m) return null;
      const [memory, time, lanes] = [Number(m[3]), Number(m[4]), Number(m[5])];
      if (time < 1 || lanes < 1 || lanes > MAX_ARGON2_LANES || memory < 8 * lanes) return null;
      if (memory > MAX_ARGON2_MEMORY_KIB || memory * time > MAX_ARGON2_WORK) return null;
      return { kind: 'argon2', phc: rest };
    }
    case 'null':
      return { kind: 'null' };
    default:
      return null; // e.g. MediaWiki's encrypted types (":E:"), which need the wiki's key
  }
}

/** The formats a stored hash can have (MediaWiki's type names); "none" is MediaWiki's empty password. */
export type StoredHashFormat = 'pbkdf2' | 'A' | 'B' | 'pbkdf2-legacyA' | 'pbkdf2-legacyB' | 'bcrypt' | 'argon2' | 'null' | 'none';

/**
 * The format of a stored hash, or null when it is none this hasher can check: an unknown type, a malformed
 * string, or parameters beyond the bounds above. "null" and "none" never verify (no password matches).
 */
export function storedHashFormat(stored: string): StoredHashFormat | null {
  if (stored === '') return 'none';
  return parse(stored) ? (/^:([A-Za-z0-9-]+):/.exec(stored)![1] as StoredHashFormat) : null;
}

const md5hex = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

/** MediaWiki's B hash (and salted A): md5(salt + "-" + md5(password)), on UTF-8 bytes. */
function legacyMd5(password: Buffer, salt: string | null): string {
  const inner = md5hex(password);
  return salt === null ? inner : md5hex(Buffer.from(`${salt}-${inner}`, 'utf8'));
}

function derive(password: Buffer, salt: Buffer, iterations: number, keyLen: number, algo: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, keyLen, algo, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function tooLong(password: string): boolean {
  // A UTF-16 unit is at least one UTF-8 byte, so the length check short-circuits huge inputs.
  return password.length > MAX_PASSWORD_BYTES || Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES;
}

export function createPasswordHasher(
  opts: { iterations?: number; random?: Random; workers?: number } = {},
): PasswordHasher {
  const iterations = opts.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  const random = opts.random ?? cryptoRandom;
  // PBKDF2 runs on libuv's threadpool (4 threads by default), shared with fs and dns; capping
  // concurrent derivations keeps a login burst from starving them. Extra calls wait their turn.
  const workers = opts.workers ?? 2;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`iterations must be an integer in 1..${MAX_ITERATIONS}`);
  }
  if (!Number.isSafeInteger(workers) || workers < 1) throw new RangeError('workers must be a positive integer');

  let active = 0;
  let closed = false;
  const waiting: Array<() => void> = [];
  const inFlight = new Set<Promise<unknown>>();

  /** Runs one slow computation (PBKDF2, bcrypt, argon2: all on libuv's threadpool) within the cap. */
  async function limited<T>(work: () => Promise<T>): Promise<T> {
    if (active >= workers) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await work();
    } finally {
      active--;
      waiting.shift()?.();
    }
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    const done = () => inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  function checkOpen(): void {
    if (closed) throw new Error('password hasher is closed');
  }

  const STAND_IN_SALT = Buffer.alloc(SALT_BYTES);
  /**
   * The work of checking a current hash, result unused. A stored hash that costs (next to) nothing to
   * check — MD5 (:A:, :B:), :null:, or one we cannot read — still takes as long as a current one, so a
   * wrong password for such an imported account answers in the time of an unknown name.
   */
  async function standIn(pw: Buffer): Promise<false> {
    await limited(() => derive(pw, STAND_IN_SALT, iterations, KEY_BYTES, ALGO));
    return false;
  }

  async function verifyParsed(pw: Buffer, p: Parsed | null): Promise<boolean> {
    if (p === null || p.kind === 'null') return standIn(pw);
    switch (p.kind) {
      case 'md5': {
        const ok = timingSafeEqual(Buffer.from(legacyMd5(pw, p.salt)), Buffer.from(p.hex));
        await standIn(pw);
        return ok;
      }
      case 'bcrypt': {
        // crypt() reads the password as a C string: a NUL byte ends it (PHP's behaviour, so MediaWiki's).
        const nul = pw.indexOf(0);
        const input = nul === -1 ? pw : pw.subarray(0, nul);
        const { verify } = await import('@node-rs/bcrypt');
        return limited(() => verify(input, p.crypt));
      }
      case 'argon2': {
        const { verify } = await import('@node-rs/argon2');
        return limited(() => verify(p.phc, pw));
      }
      default: {
        const input = p.kind === 'layered' ? Buffer.from(legacyMd5(pw, p.md5Salt)) : pw;
        const key = await limited(() => derive(input, p.salt, p.iterations, p.keyLen, p.algo));
        return timingSafeEqual(key, p.key); // lengths equal: parse checked key.length === keyLen
      }
    }
  }

  return {
    async hash(password) {
      checkOpen();
      if (typeof password !== 'string') throw new TypeError('password must be a string');
      if (tooLong(password)) throw new Error(`password longer than ${MAX_PASSWORD_BYTES} bytes`);
      const salt = random.bytes(SALT_BYTES);
      const pw = Buffer.from(password, 'utf8');
      const key = await track(limited(() => derive(pw, salt, iterations, KEY_BYTES, ALGO)));
      return `:pbkdf2:${ALGO}:${iterations}:${KEY_BYTES}:${salt.toString('base64')}:${key.toString('base64')}`;
    },

    async verify(password, stored) {
      checkOpen();
      if (typeof password !== 'string' || tooLong(password)) return false;
      try {
        return await track(verifyParsed(Buffer.from(password, 'utf8'), parse(stored)));
      } catch {
        // e.g. a digest this OpenSSL build lacks, or an argon2 string its library refuses: no match, never throw
        return false;
      }
    },

    needsRehash(stored) {
      const p = parse(stored);
      return !(
        p?.kind === 'pbkdf2' &&
        p.algo === ALGO &&
        p.iterations === iterations &&
        p.keyLen === KEY_BYTES &&
        p.salt.length === SALT_BYTES
      );
    },

    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}
