// Every password format MediaWiki stores, made by MediaWiki 1.39 itself (test/import/mediawiki-fixture.ts):
// the hasher verifies the right password and refuses a wrong one, and an account carrying such a hash logs
// in to mwauth with its MediaWiki password and gets a current hash on that first login.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPasswordHasher, DEFAULT_PBKDF2_ITERATIONS, storedHashFormat } from '../../src/auth/passwords.js';
import { MediaWikiReader } from '../../src/import/mediawiki/reader.js';
import type { AccountRecord } from '../../src/import/record.js';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { BOT_PASSWORD, createMediaWikiFixture, fixtureSkip, PASSWORD_FORMATS, type MediaWikiFixture } from './mediawiki-fixture.js';

const skip = await fixtureSkip('sqlite');
const CURRENT = new RegExp(`^:pbkdf2:sha512:${DEFAULT_PBKDF2_ITERATIONS}:64:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/]{86}==$`);

let fixture: MediaWikiFixture;
let records: Map<string, AccountRecord>;
let srv: TestServer;
before(async () => {
  if (skip) return;
  fixture = await createMediaWikiFixture({ kind: 'sqlite' });
  const reader = await MediaWikiReader.open(fixture.source);
  records = new Map();
  for await (const r of reader.accounts()) records.set(r.name, r);
  await reader.close();
  srv = await startTestServer();
});
after(async () => {
  await srv?.close();
  await fixture?.close();
});

test('MediaWiki stored each format it was told to (the fixture is what it claims)', { skip }, () => {
  for (const a of fixture.accounts) {
    const stored = records.get(a.name)!.password;
    assert.ok(stored.startsWith(a.prefix), `${a.name}: ${stored.slice(0, 50)}`);
  }
  const seen = new Set([...records.values()].map((r) => storedHashFormat(r.password)));
  for (const f of ['pbkdf2', 'A', 'B', 'pbkdf2-legacyA', 'pbkdf2-legacyB', 'bcrypt', 'argon2', 'null', 'none']) {
    assert.ok(seen.has(f as never), `a ${f} hash`);
  }
});

test('every hash MediaWiki made verifies with its password and not with a wrong one; all but MediaWiki\'s own default need a rehash', { skip }, async () => {
  const h = createPasswordHasher();
  for (const a of fixture.accounts) {
    const stored = records.get(a.name)!.password;
    if (a.password === null) {
      assert.equal(await h.verify('', stored), false, a.name);
      continue;
    }
    assert.equal(await h.verify(a.password, stored), a.usable !== false, `${a.name}: the right password`);
    for (const wrong of [a.password.slice(0, -1), `${a.password}x`, a.password.toUpperCase(), '']) {
      assert.equal(await h.verify(wrong, stored), false, `${a.name}: ${JSON.stringify(wrong)}`);
    }
    // MediaWiki 1.39's default (sha512, 30000 iterations, 64 bytes, 16-byte salt) is mwauth's too.
    assert.equal(h.needsRehash(stored), !CURRENT.test(stored), a.name);
  }
  assert.equal(records.get('Argon2i user')!.password.startsWith(':argon2:$argon2i$'), true);
  assert.equal(records.get('Argon2id user')!.password.startsWith(':argon2:$argon2id$'), true);
  await h.close();
});

test('the temporary password MediaWiki issued and its bot passwords verify', { skip }, async () => {
  const h = createPasswordHasher();
  const legacyA = records.get('Legacy A')!;
  const temp = fixture.temporaryPasswords['Legacy A']!;
  assert.ok(legacyA.temporaryPassword);
  assert.equal(await h.verify(temp, legacyA.temporaryPassword.hash), true);
  assert.equal(await h.verify(`${temp}x`, legacyA.temporaryPassword.hash), false);
  for (const [name, app] of [['Pbkdf2 default', 'cli'], ['Legacy B', 'restricted']]) {
    const bp = records.get(name)!.botPasswords.find((b) => b.appId === app)!;
    assert.equal(await h.verify(BOT_PASSWORD, bp.password), true, `${name}@${app}`);
    assert.equal(await h.verify(BOT_PASSWORD.slice(1), bp.password), false, `${name}@${app}`);
  }
  await h.close();
});

test('an account carrying each MediaWiki hash logs in to mwauth with its MediaWiki password, and the first login rehashes it', { skip }, async () => {
  const s = srv.services;
  for (const f of PASSWORD_FORMATS) {
    const mwHash = records.get(f.name)!.password;
    const user = await addUser(s, f.name, 'Placeholder-Pass-1!');
    await s.db.updateTable('user').set({ user_password: mwHash }).where('user_id', '=', user.id).execute();

    assert.equal((await new Client(srv.api).login(f.name, `${f.password}x`)).result, 'Failed', `${f.type}: a wrong password`);
    assert.equal((await s.users.byId(user.id))!.password, mwHash, `${f.type}: a failed login leaves the hash`);

    assert.equal((await new Client(srv.api).login(f.name, f.password)).result, 'Success', `${f.type}: the MediaWiki password`);
    const now = (await s.users.byId(user.id))!.password;
    assert.match(now, CURRENT, f.name);
    if (s.hasher.needsRehash(mwHash)) assert.notEqual(now, mwHash, `${f.name}: rehashed`);
    assert.equal((await new Client(srv.api).login(f.name, f.password)).result, 'Success', `${f.type}: again, on the new hash`);
  }
});

test('an account whose MediaWiki hash is ":null:…" or empty does not log in, with any password', { skip }, async () => {
  const s = srv.services;
  for (const a of fixture.accounts.filter((x) => x.usable === false)) {
    const stored = records.get(a.name)!.password;
    const user = await addUser(s, a.name, 'Placeholder-Pass-2!');
    await s.db.updateTable('user').set({ user_password: stored }).where('user_id', '=', user.id).execute();
    for (const pw of [a.password ?? 'anything', 'Placeholder-Pass-2!', stored, ':null:']) {
      assert.equal((await new Client(srv.api).login(a.name, pw)).result, 'Failed', `${a.name}: ${pw}`);
    }
    assert.equal((await s.users.byId(user.id))!.password, stored, 'left as it was');
  }
});
