// MediaWiki-compatible password hashes. Written from MediaWiki's documented behaviour
// (Pbkdf2Password, MWSaltedPassword "B", MWOldPassword "A", LayeredParameterizedPassword),
// not from its code. New hashes are always ":pbkdf2:sha512:<iter>:64:<salt>:<key>"; the
// others are verify-only so databases imported from MediaWiki keep working.
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

interface Pbkdf2Params { algo: string; iterations: number; keyLen: number; salt: Buffer; key: Buffer }
type Parsed =
  | ({ kind: 'pbkdf2' } & Pbkdf2Params)
  | { kind: 'md5'; salt: string | null; hex: string }
  // pbkdf2 applied to the hex output of an A/B hash ("pbkdf2-legacyA/B" from wrapOldPasswords.php).
  | ({ kind: 'layered'; md5Salt: string | null } & Pbkdf2Params);

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
    default:
      return null; // includes :bcrypt: and encrypted types, which we do not support
  }
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

  async function limited(password: Buffer, salt: Buffer, iter: number, len: number, algo: string): Promise<Buffer> {
    if (active >= workers) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await derive(password, salt, iter, len, algo);
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

  async function verifyParsed(pw: Buffer, p: Parsed): Promise<boolean> {
    if (p.kind === 'md5') {
      return timingSafeEqual(Buffer.from(legacyMd5(pw, p.salt)), Buffer.from(p.hex));
    }
    const input = p.kind === 'layered' ? Buffer.from(legacyMd5(pw, p.md5Salt)) : pw;
    const key = await limited(input, p.salt, p.iterations, p.keyLen, p.algo);
    return timingSafeEqual(key, p.key); // lengths equal: parse checked key.length === keyLen
  }

  return {
    async hash(password) {
      checkOpen();
      if (typeof password !== 'string') throw new TypeError('password must be a string');
      if (tooLong(password)) throw new Error(`password longer than ${MAX_PASSWORD_BYTES} bytes`);
      const salt = random.bytes(SALT_BYTES);
      const key = await track(limited(Buffer.from(password, 'utf8'), salt, iterations, KEY_BYTES, ALGO));
      return `:pbkdf2:${ALGO}:${iterations}:${KEY_BYTES}:${salt.toString('base64')}:${key.toString('base64')}`;
    },

    async verify(password, stored) {
      checkOpen();
      if (typeof password !== 'string' || tooLong(password)) return false;
      const parsed = parse(stored);
      if (!parsed) return false;
      try {
        return await track(verifyParsed(Buffer.from(password, 'utf8'), parsed));
      } catch {
        return false; // e.g. a digest this OpenSSL build lacks: treat as non-matching, never throw
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
