import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, pbkdf2Sync } from 'node:crypto';
import { createPasswordHasher, MAX_PASSWORD_BYTES, storedHashFormat } from '../../src/auth/passwords.js';
import {
  generateBotPassword,
  generateTemporaryPassword,
  TEMP_PASSWORD_ALPHABET,
} from '../../src/auth/tempPassword.js';
import { cryptoRandom, type Random } from '../../src/util/clock.js';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');
const b64 = (b: Buffer) => b.toString('base64');

/** Deterministic Random: bytes 0,1,2,... continuing across calls. */
function counterRandom(start = 0): Random {
  let n = start;
  return { bytes: (len) => Buffer.from(Array.from({ length: len }, () => n++ & 0xff)) };
}
const fixedSalt = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

test('default hash has the MediaWiki pbkdf2 shape and verifies', async () => {
  const h = createPasswordHasher();
  const stored = await h.hash('correct horse');
  assert.match(stored, /^:pbkdf2:sha512:30000:64:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/]{86}==$/);
  assert.equal(await h.verify('correct horse', stored), true);
  assert.equal(h.needsRehash(stored), false);
  await h.close();
});

test('round trip, wrong password, unique salts, unicode', async () => {
  const h = createPasswordHasher({ iterations: 1000 });
  const a = await h.hash('hunter2');
  const b = await h.hash('hunter2');
  assert.notEqual(a, b, 'salts differ');
  assert.equal(await h.verify('hunter2', a), true);
  assert.equal(await h.verify('hunter2', b), true);
  assert.equal(await h.verify('hunter3', a), false);
  assert.equal(await h.verify('', a), false);
  const u = await h.hash('pässwörd ✓ 🔑');
  assert.equal(await h.verify('pässwörd ✓ 🔑', u), true);
  assert.equal(await h.verify('passwörd ✓ 🔑', u), false);
  await h.close();
});

test('hash with fixed Random equals an independently computed pbkdf2 string', async () => {
  const key = pbkdf2Sync(Buffer.from('secret', 'utf8'), fixedSalt, 1000, 64, 'sha512');
  const expected = `:pbkdf2:sha512:1000:64:${b64(fixedSalt)}:${b64(key)}`;
  const h = createPasswordHasher({ iterations: 1000, random: counterRandom() });
  assert.equal(await h.hash('secret'), expected);
  // A hasher with other settings still verifies using the stored parameters.
  const other = createPasswordHasher({ iterations: 7 });
  assert.equal(await other.verify('secret', expected), true);
  assert.equal(await other.verify('Secret', expected), false);
  assert.equal(other.needsRehash(expected), true);
});

test('needsRehash: true for every PBKDF2 parameter that differs from the hasher\'s, false for its own hashes', async () => {
  const h = createPasswordHasher({ iterations: 1000 });
  const make = (algo: string, iter: number, len: number, salt: Buffer) =>
    `:pbkdf2:${algo}:${iter}:${len}:${b64(salt)}:${b64(pbkdf2Sync('pw', salt, iter, len, algo))}`;
  assert.equal(h.needsRehash(make('sha512', 1000, 64, fixedSalt)), false, 'the same parameters, made elsewhere');
  assert.equal(h.needsRehash(await h.hash('pw')), false);
  for (const [what, stored] of [
    ['algorithm', make('sha256', 1000, 64, fixedSalt)],
    ['fewer iterations', make('sha512', 999, 64, fixedSalt)],
    ['more iterations', make('sha512', 1001, 64, fixedSalt)],
    ['key length', make('sha512', 1000, 32, fixedSalt)],
    ['salt length', make('sha512', 1000, 64, fixedSalt.subarray(0, 8))],
  ] as const) {
    assert.equal(await h.verify('pw', stored), true, what);
    assert.equal(h.needsRehash(stored), true, what);
  }
  await h.close();
});

test('pbkdf2 with other algorithms and lengths (incl. RFC 6070 vectors used by MediaWiki)', async () => {
  const h = createPasswordHasher({ iterations: 1000 });
  const salt = Buffer.from('NaCl');
  const k = pbkdf2Sync('pw', salt, 50, 32, 'sha256');
  const s256 = `:pbkdf2:sha256:50:32:${b64(salt)}:${b64(k)}`;
  assert.equal(await h.verify('pw', s256), true);
  assert.equal(await h.verify('px', s256), false);
  assert.equal(await h.verify('password', ':pbkdf2:sha1:1:20:c2FsdA==:DGDID5YfDnHzqbUkr2ASBi/gN6Y='), true);
  assert.equal(await h.verify('password', ':pbkdf2:sha1:2:20:c2FsdA==:6mwBTcctb4zNHtkqzh1B8NjeiVc='), true);
  assert.equal(await h.verify('pass\x00word', ':pbkdf2:sha1:4096:16:c2EAbHQ=:Vvpqp1VICZ3MN9fwNCXgww=='), true);
  assert.equal(await h.verify('password', ':pbkdf2:sha1:2:20:c2FsdA==:DGDID5YfDnHzqbUkr2ASBi/gN6Y='), false);
});

test(':B: and :A: legacy md5 hashes', async () => {
  const h = createPasswordHasher();
  const pw = 'Ünïcode pw';
  const bHash = md5(`abc123ef-${md5(pw)}`);
  assert.equal(await h.verify(pw, `:B:abc123ef:${bHash}`), true);
  assert.equal(await h.verify('other', `:B:abc123ef:${bHash}`), false);
  assert.equal(await h.verify(pw, `:B:abc123eg:${bHash}`), false);
  assert.equal(await h.verify(pw, `:A:${md5(pw)}`), true);
  assert.equal(await h.verify('other', `:A:${md5(pw)}`), false);
  assert.equal(await h.verify(pw, `:A:abc123ef:${bHash}`), true, 'MediaWiki accepts salted :A:');
  // MediaWiki's own published vectors
  assert.equal(await h.verify('password', ':B:salt:9842afc7cb949c440c51347ed809362f'), true);
  assert.equal(await h.verify('password', ':A:5f4dcc3b5aa765d61d8327deb882cf99'), true);
  assert.equal(h.needsRehash(`:B:abc123ef:${bHash}`), true);
  assert.equal(h.needsRehash(`:A:${md5(pw)}`), true);
});

test('pbkdf2-legacyB / pbkdf2-legacyA layered hashes', async () => {
  const h = createPasswordHasher();
  const pw = 'layered pw';
  const psalt = Buffer.from('fedcba98765432100123456789abcdef', 'hex');
  const overB = pbkdf2Sync(md5(`5eed-${md5(pw)}`), psalt, 100, 64, 'sha512');
  const legacyB = `:pbkdf2-legacyB:!sha512:100:64!5eed!${b64(psalt)}!${b64(overB)}`;
  assert.equal(await h.verify(pw, legacyB), true);
  assert.equal(await h.verify('nope', legacyB), false);
  const overA = pbkdf2Sync(md5(pw), psalt, 100, 64, 'sha512');
  const legacyA = `:pbkdf2-legacyA:!sha512:100:64!!${b64(psalt)}!${b64(overA)}`;
  assert.equal(await h.verify(pw, legacyA), true);
  assert.equal(await h.verify('nope', legacyA), false);
  assert.equal(h.needsRehash(legacyA), true);
  assert.equal(h.needsRehash(legacyB), true);
});

test('malformed or unsupported stored hashes are false and never throw', async () => {
  const h = createPasswordHasher({ iterations: 1000 });
  const good = await h.hash('pw');
  const [, , , , , salt, key] = good.split(':');
  const bad = [
    '', ':', '::', 'pw', good.slice(1), ':pbkdf2:', ':pbkdf2:sha512:1000:64:' + salt,
    `:pbkdf2:sha512:1000:64:${salt}:${key}:extra`,
    `:pbkdf2:md4:1000:64:${salt}:${key}`, `:pbkdf2:nope:1000:64:${salt}:${key}`,
    `:pbkdf2:sha512:0:64:${salt}:${key}`, `:pbkdf2:sha512:-5:64:${salt}:${key}`,
    `:pbkdf2:sha512:99999999999:64:${salt}:${key}`, `:pbkdf2:sha512:1e3:64:${salt}:${key}`,
    `:pbkdf2:sha512:1000:32:${salt}:${key}`, `:pbkdf2:sha512:1000:64:${salt}:${key!.slice(4)}`,
    `:pbkdf2:sha512:1000:64:!!notbase64!!:${key}`, `:PBKDF2:sha512:1000:64:${salt}:${key}`,
    ':B:salt', ':B:salt:xyz', ':B:salt:9842AFC7CB949C440C51347ED809362F', ':B:9842afc7cb949c440c51347ed809362f',
    ':A:', ':A:5f4dcc3b5aa765d61d8327deb882cf9', ':A:a:b:5f4dcc3b5aa765d61d8327deb882cf99',
    ':pbkdf2-legacyB:!sha512:100:64!!AAAA!AAAA', ':pbkdf2-legacyB:sha512:100:64!x!AAAA!AAAA',
    ':pbkdf2-legacyA:!sha512:100!!AAAA!AAAA',
    ':bcrypt:12$abcdefghijklmnopqrstuv$abcdefghijklmnopqrstuvwxyz01234', ':unknown:stuff',
  ];
  for (const s of bad) {
    assert.equal(await h.verify('pw', s), false, s);
    assert.equal(h.needsRehash(s), true, s);
  }
  for (const s of [null, undefined, 42, {}] as unknown as string[]) {
    assert.equal(await h.verify('pw', s), false);
  }
  assert.equal(await h.verify(null as unknown as string, good), false);
  assert.equal(await h.verify('pw', good), true, 'sanity');
});

// Made by MediaWiki 1.39's own PasswordFactory (BcryptPassword, Argon2Password) with the noted settings;
// test/import/mediawiki-passwords.test.ts checks the hashes a freshly installed MediaWiki stores as well.
const MW_BCRYPT_9 = ':bcrypt:9$dSvSJMO7i5ut2nSFHzIequ$iEN7l5sZMIlGs/Bz4QGTAvHjKNS6TS6'; // 'correct horse ✓', cost 9
const MW_BCRYPT_72 = ':bcrypt:4$VWv7iaNGdafXfqz7MVyOPe$V7osgdOFtUPDJpOn4Y9enxGLraKuAoi'; // 'x' × 72, cost 4
const MW_BCRYPT_NUL = ':bcrypt:5$zY6Z3uBabmgz58qqz32XP.$/hBA7YHenTKD4lfkeD.nF6G6xJk1wMC'; // 'pass\0word', cost 5
const MW_ARGON2I = ':argon2:$argon2i$v=19$m=1024,t=2,p=1$Z3dkaXhQQ2pvdVdCV1F3Wg$i8V1iRCVVErGZ5l1bY0UEkeb0etpfU6ajLvHu7zE6Zs';
const MW_ARGON2ID = ':argon2:$argon2id$v=19$m=2048,t=3,p=2$LjR3cFNEYkEwVGNpZUh2Wg$bcYVmGCWcK2Dr0y/OilvZbNfNe+QDKWKuH1XR1ZJAfE';
const MW_ARGON2ID_NUL = ':argon2:$argon2id$v=19$m=1024,t=1,p=1$cjRGZGpxcHBUTTNnVDB3Lg$dcAvjAejis02W/gsLiGrQl4qT+aGio46DEMH/auR4Ek';

test(':bcrypt: as MediaWiki stores it (rounds$salt$hash): the password verifies, others do not; always rehashed', async () => {
  const h = createPasswordHasher({ iterations: 1000 });
  assert.equal(await h.verify('correct horse ✓', MW_BCRYPT_9), true);
  for (const wrong of ['correct horse', 'Correct horse ✓', 'correct horse ✓ ', '']) {
    assert.equal(await h.verify(wrong, MW_BCRYPT_9), false, wrong);
  }
  assert.equal(h.needsRehash(MW_BCRYPT_9), true);
  // crypt() reads 72 bytes and stops at a NUL byte; MediaWiki's check (crypt again, compare) inherits both.
  assert.equal(await h.verify('x'.repeat(72), MW_BCRYPT_72), true);
  assert.equal(await h.verify('x'.repeat(72) + 'anything after', MW_BCRYPT_72), true);
  assert.equal(await h.verify('x'.repeat(71), MW_BCRYPT_72), false);
  assert.equal(await h.verify('pass\0word', MW_BCRYPT_NUL), true);
  assert.equal(await h.verify('pass', MW_BCRYPT_NUL), true, 'what crypt() hashed');
  assert.equal(await h.verify('pas', MW_BCRYPT_NUL), false);
  // PHP's own "$2y$" string is not MediaWiki's format.
  assert.equal(await h.verify('correct horse ✓', '$2y$09$dSvSJMO7i5ut2nSFHzIequiEN7l5sZMIlGs/Bz4QGTAvHjKNS6TS6'), false);
  await h.close();
});

test(':argon2: argon2i and argon2id as PHP writes them (any memory, passes, lanes) verify; always rehashed', async () => {
  const h = createPasswordHasher({ iterations: 1000 });
  for (const stored of [MW_ARGON2I, MW_ARGON2ID]) {
    assert.equal(await h.verify('correct horse ✓', stored), true, stored);
    assert.equal(await h.verify('correct horse', stored), false, stored);
    assert.equal(await h.verify('', stored), false, stored);
    assert.equal(h.needsRehash(stored), true, stored);
  }
  // password_verify() is binary-safe for argon2: the whole password counts.
  assert.equal(await h.verify('pass\0word', MW_ARGON2ID_NUL), true);
  assert.equal(await h.verify('pass', MW_ARGON2ID_NUL), false);
  // The type is part of the hash: the same string relabelled does not verify.
  assert.equal(await h.verify('correct horse ✓', MW_ARGON2I.replace('$argon2i$', '$argon2id$')), false);
  await h.close();
});

test(':null: (before any hash, as deleteLocalPasswords.php --prefix writes it) and "" never verify', async () => {
  const h = createPasswordHasher({ iterations: 1000 });
  const real = await h.hash('pw');
  for (const stored of [':null:', `:null:${real}`, `:null:${MW_BCRYPT_9}`, '']) {
    assert.equal(await h.verify('pw', stored), false, stored);
    assert.equal(await h.verify('correct horse ✓', stored), false, stored);
    assert.equal(await h.verify('', stored), false, stored);
    assert.equal(h.needsRehash(stored), true, stored);
  }
  await h.close();
});

test('bcrypt and argon2 cost parameters are bounded, so one imported row cannot pin a thread for long', async () => {
  const h = createPasswordHasher({ iterations: 1000 });
  // Each of these would take seconds to minutes, or gigabytes: refused as unreadable, no work started.
  const [, , bsalt, bhash] = /^:bcrypt:(\d+)\$(.{22})\$(.{31})$/.exec(MW_BCRYPT_9)!;
  const bcryptCost = (n: number) => `:bcrypt:${n}$${bsalt}$${bhash}`;
  const argon = (params: string, type = 'argon2id') =>
    `:argon2:$${type}$v=19$${params}$LjR3cFNEYkEwVGNpZUh2Wg$bcYVmGCWcK2Dr0y/OilvZbNfNe+QDKWKuH1XR1ZJAfE`;
  const refused = [
    bcryptCost(16), bcryptCost(31), bcryptCost(3), ':bcrypt:09$' + bsalt + '$' + bhash, ':bcrypt:99$' + bsalt + '$' + bhash,
    argon('m=262145,t=1,p=1'), argon('m=4194304,t=1,p=1'), argon('m=65536,t=17,p=1'), argon('m=131072,t=9,p=1'),
    argon('m=65536,t=4,p=17'), argon('m=65536,t=0,p=1'), argon('m=8,t=1,p=2'), argon('m=65536,t=4,p=0'),
    argon('m=65536,t=4,p=1', 'argon2d'), argon('m=99999999999,t=1,p=1'),
  ];
  for (const stored of refused) {
    assert.equal(storedHashFormat(stored), null, stored);
    assert.equal(await h.verify('correct horse ✓', stored), false, stored);
    assert.equal(h.needsRehash(stored), true, stored);
  }
  // The bounds themselves are readable: bcrypt 4 to 15, argon2 up to 256 MiB and 4 × PHP's default work.
  for (const stored of [bcryptCost(4), bcryptCost(15), argon('m=262144,t=1,p=1'), argon('m=65536,t=16,p=1'), argon('m=16,t=1,p=2'), argon('m=65536,t=4,p=16')]) {
    assert.ok(storedHashFormat(stored), stored);
  }
  assert.equal(await h.verify('x', bcryptCost(4)), false);
  await h.close();
});

test('storedHashFormat names every MediaWiki format, and null for what cannot be checked', () => {
  const cases: Array<[string, ReturnType<typeof storedHashFormat>]> = [
    [':pbkdf2:sha512:30000:64:' + 'A'.repeat(22) + '==:' + 'A'.repeat(86) + '==', 'pbkdf2'],
    [`:A:${md5('pw')}`, 'A'], [`:B:salt:${md5('x')}`, 'B'],
    [`:pbkdf2-legacyA:!sha512:100:64!!${'A'.repeat(24)}!${'A'.repeat(86)}==`, 'pbkdf2-legacyA'],
    [`:pbkdf2-legacyB:!sha512:100:64!5eed!${'A'.repeat(24)}!${'A'.repeat(86)}==`, 'pbkdf2-legacyB'],
    [MW_BCRYPT_9, 'bcrypt'], [MW_ARGON2I, 'argon2'], [MW_ARGON2ID, 'argon2'],
    [':null:', 'null'], [`:null:${MW_BCRYPT_9}`, 'null'], ['', 'none'],
    [':E:whatever', null], ['plain', null], [':pbkdf2:sha512:1:64:x:y', null],
  ];
  for (const [stored, format] of cases) assert.equal(storedHashFormat(stored), format, stored);
});

test('malformed :bcrypt: and :argon2: strings are false and never throw', async () => {
  const h = createPasswordHasher({ iterations: 1000 });
  const bad = [
    ':bcrypt:', ':bcrypt:9', ':bcrypt:9$', ':bcrypt:9$dSvSJMO7i5ut2nSFHzIequ', ':bcrypt:9$dSvSJMO7i5ut2nSFHzIequ$',
    MW_BCRYPT_9 + 'x', MW_BCRYPT_9.slice(0, -1), MW_BCRYPT_9.replace('equ$', 'eqv$'), MW_BCRYPT_9.replace('$', ':'),
    ':bcrypt:9$dSvSJMO7i5ut2nSFHzIe!u$iEN7l5sZMIlGs/Bz4QGTAvHjKNS6TS6', ':BCRYPT:9$dSvSJMO7i5ut2nSFHzIequ$iEN7l5sZMIlGs/Bz4QGTAvHjKNS6TS6',
    ':argon2:', ':argon2:$argon2id$', MW_ARGON2ID.replace('v=19', 'v=20'), MW_ARGON2ID.replace(',p=2', ''),
    MW_ARGON2ID.replace(/\$[^$]+$/, '$AAAA'), MW_ARGON2ID.replace(/\$[^$]+$/, '$!!!!notbase64'), MW_ARGON2ID + '=',
    MW_ARGON2ID.replace(':argon2:', ':argon2:x'), MW_ARGON2ID.replace(':argon2:', ''), MW_ARGON2ID.slice(0, 40),
  ];
  for (const s of bad) {
    assert.equal(await h.verify('correct horse ✓', s), false, s);
    assert.equal(h.needsRehash(s), true, s);
  }
  await h.close();
});

test('bcrypt and argon2 run off the event loop, within the hasher\'s worker cap', async () => {
  const h = createPasswordHasher({ iterations: 1000, workers: 1 });
  let ticks = 0;
  let running = true;
  const spin = () => {
    ticks++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  const order: string[] = [];
  const jobs = [
    h.verify('correct horse ✓', MW_BCRYPT_9).then((ok) => order.push(`bcrypt ${ok}`)),
    h.verify('correct horse ✓', MW_ARGON2ID).then((ok) => order.push(`argon2 ${ok}`)),
    h.verify('correct horse ✓', MW_BCRYPT_9).then((ok) => order.push(`bcrypt ${ok}`)),
  ];
  await Promise.all(jobs);
  running = false;
  assert.deepEqual(order, ['bcrypt true', 'argon2 true', 'bcrypt true'], 'one at a time, in turn');
  assert.ok(ticks > 10, `event loop ticked ${ticks} times`);
  await h.close();
});

test('a hash that costs nothing to check (:A:, :B:, :null:, "", unreadable) still takes a worker for a current hash\'s time', async () => {
  // With one worker busy on a hash, such a check waits its turn: it does the same work as a current hash,
  // so a wrong password for an imported MD5 or password-less account answers in the time of an unknown name.
  for (const stored of [`:A:${md5('pw')}`, `:B:salt:${md5(`salt-${md5('pw')}`)}`, ':null:', '', ':unknown:x']) {
    const h = createPasswordHasher({ iterations: 1000, workers: 1 });
    const order: string[] = [];
    const busy = h.hash('first').then(() => order.push('hash'));
    const check = h.verify('pw', stored).then((ok) => order.push(`check ${ok}`));
    await Promise.all([busy, check]);
    assert.deepEqual(order, ['hash', `check ${stored.startsWith(':A:') || stored.startsWith(':B:')}`], stored);
    await h.close();
  }
});

test('passwords over 4096 bytes: hash rejects, verify is false without hashing', async () => {
  const h = createPasswordHasher({ iterations: 1000 });
  const max = 'x'.repeat(MAX_PASSWORD_BYTES);
  assert.equal(await h.verify(max, await h.hash(max)), true);
  await assert.rejects(h.hash(max + 'x'), Error);
  await assert.rejects(h.hash('é'.repeat(2049)), Error, 'counts UTF-8 bytes, not characters');
  // A stored hash that would take seconds to check: the early return must skip it.
  const slow = `:pbkdf2:sha512:5000000:64:${b64(fixedSalt)}:${b64(Buffer.alloc(64))}`;
  const t0 = performance.now();
  assert.equal(await h.verify('x'.repeat(1_000_000), slow), false);
  assert.ok(performance.now() - t0 < 200);
});

test('hashing is async: the event loop keeps turning while 4 hashes run', async () => {
  const h = createPasswordHasher({ iterations: 100_000 });
  let ticks = 0;
  let running = true;
  const spin = () => {
    ticks++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  const hashes = await Promise.all([1, 2, 3, 4].map((i) => h.hash(`pw${i}`)));
  running = false;
  assert.equal(hashes.length, 4);
  assert.ok(ticks > 20, `event loop ticked ${ticks} times`);
  assert.equal(await h.verify('pw3', hashes[2]!), true);
});

test('workers cap and close()', async () => {
  const h = createPasswordHasher({ iterations: 2000, workers: 1 });
  const pending = [h.hash('a'), h.hash('b'), h.hash('c')];
  await h.close();
  const done = await Promise.all(pending);
  assert.equal(done.length, 3, 'close waits for in-flight work');
  await assert.rejects(h.hash('d'), /closed/);
  assert.throws(() => createPasswordHasher({ iterations: 0 }), RangeError);
  assert.throws(() => createPasswordHasher({ workers: 0 }), RangeError);
});

/** Base-32 by repeated division on Numbers: independent of BigInt#toString. */
function toBase32(n: number): string {
  let out = '';
  do {
    out = TEMP_PASSWORD_ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  } while (n > 0);
  return out;
}

test('temporary passwords: MediaWiki algorithm with a fixed Random', () => {
  assert.equal(TEMP_PASSWORD_ALPHABET, '0123456789abcdefghijklmnopqrstuv');
  // length 10 -> 13 hex chars from bytes 00 01 02 03 04 05 06 -> "0001020304050"
  const expected = toBase32(0x0001020304050).padStart(10, '0').slice(-10);
  assert.equal(generateTemporaryPassword(10, counterRandom()), expected);
  assert.equal(generateTemporaryPassword(10, counterRandom()), generateTemporaryPassword(10, counterRandom()));
  assert.equal(generateTemporaryPassword(10, { bytes: (n) => Buffer.alloc(n) }), '0000000000');
  assert.equal(generateTemporaryPassword(10, { bytes: (n) => Buffer.alloc(n, 0xff) }), 'v'.repeat(10));
  // length 3 -> 4 hex chars "abcd" = 43981 -> base32 "1aud", last 3 = "aud"
  assert.equal(generateTemporaryPassword(3, { bytes: () => Buffer.from([0xab, 0xcd]) }), 'aud');
  assert.throws(() => generateTemporaryPassword(0, counterRandom()), RangeError);
  assert.throws(() => generateTemporaryPassword(2.5, counterRandom()), RangeError);
  const bot = generateBotPassword(counterRandom(7));
  assert.equal(bot, generateTemporaryPassword(32, counterRandom(7)));
  assert.match(bot, /^[0-9a-v]{32}$/);
});

test('temporary passwords: length, alphabet and distribution over 2000 samples', () => {
  const counts = new Map<string, number>();
  const firsts = new Map<string, number>();
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const pw = generateTemporaryPassword(10, cryptoRandom);
    assert.match(pw, /^[0-9a-v]{10}$/);
    seen.add(pw);
    firsts.set(pw[0]!, (firsts.get(pw[0]!) ?? 0) + 1);
    for (const c of pw) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  assert.equal(seen.size, 2000, 'no repeats in a 2^50 space');
  assert.equal(counts.size, 32, 'every symbol appears');
  // 20000 chars / 32 = 625 expected per symbol, sd ~24.6: allow ~6 sd.
  for (const [c, n] of counts) assert.ok(n > 475 && n < 775, `${c}: ${n}`);
  // Leading position is not biased toward '0' (expected 62.5 of 2000).
  assert.ok((firsts.get('0') ?? 0) < 125);
  for (const len of [1, 7, 32, 64]) {
    assert.equal(generateTemporaryPassword(len, { bytes: (n) => Buffer.alloc(n, 0x5a) }).length, len);
  }
  assert.equal(generateBotPassword({ bytes: (n) => Buffer.alloc(n, 0x13) }).length, 32);
});
