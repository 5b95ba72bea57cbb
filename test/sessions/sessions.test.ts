// Tokens, cookies and sessions: MediaWiki's token format, the anonymous "+\", what the session table
// holds, idle expiry, logout on user_token change and "remember me" — on a real SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { ANON_TOKEN, makeToken, matchToken, safeEqual } from '../../src/sessions/tokens.js';
import type { Session } from '../../src/sessions/session.js';
import { ManualClock } from '../helpers/clock.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { Client, startTestServer } from '../helpers/harness.js';

const SECRET = '0123456789abcdef0123456789abcdef';

async function setup(t: { after(fn: () => Promise<void>): void }, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-sessions-'));
  const clock = new ManualClock();
  const s = await createServices(loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', ...env }), {
    clock,
    hasher: createPasswordHasher({ iterations: 1000 }),
  });
  t.after(async () => {
    await s.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  const user = await s.users.create({ name: 'Alice', email: 'alice@example.org', passwordHash: await s.hasher.hash('Pass-word-1') });
  return { s, clock, user, mgr: s.sessions };
}

/** What a browser would send back after these Set-Cookie values (deletions applied). */
function jar(setCookies: string[], into = new Map<string, string>()): Map<string, string> {
  for (const line of setCookies) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq);
    if (/Max-Age=0(;|$)/.test(line)) into.delete(name);
    else into.set(name, decodeURIComponent(pair!.slice(eq + 1)));
  }
  return into;
}
const header = (j: Map<string, string>) => [...j].map(([k, v]) => `${k}=${v}`).join('; ');
const cookieNamed = (session: Session, name: string) => session.setCookies.find((c) => c.startsWith(`${name}=`));

test('token format: HMAC-MD5 of timestamp and salt, the timestamp in hex, then "+\\"', () => {
  const ts = 1767225600;
  const tok = makeToken(SECRET, 'patrol', ts);
  const hmac = createHmac('md5', SECRET).update(`${ts}patrol`).digest('hex');
  assert.equal(tok, `${hmac}${ts.toString(16)}+\\`);
  assert.match(tok, /^[0-9a-f]{32}[0-9a-f]+\+\\$/);
  assert.equal(ANON_TOKEN, '+\\');
});

test('matchToken accepts any timestamp and rejects every tampering', () => {
  for (const ts of [0, 1, 1_000_000_000, 1767225600, 2 ** 40]) {
    assert.ok(matchToken(makeToken(SECRET, '', ts), SECRET, ''), `timestamp ${ts}`);
  }
  const tok = makeToken(SECRET, '', 1767225600);
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === '0' ? '1' : '0') + s.slice(i + 1);
  const bad = [
    flip(tok, 0), // hmac
    flip(tok, 31),
    flip(tok, 33), // timestamp
    tok.slice(0, -2), // no suffix
    tok.slice(0, -2) + '+', // half a suffix
    tok.slice(0, 32) + '0' + tok.slice(32), // same time, spelled with a leading zero
    tok.toUpperCase(),
    tok + 'x',
    'x' + tok,
    '+\\',
    '',
  ];
  for (const b of bad) assert.equal(matchToken(b, SECRET, ''), false, JSON.stringify(b));
  assert.equal(matchToken(tok, SECRET.replace('0', '1'), ''), false, 'other secret');
  assert.equal(matchToken(tok, SECRET, 'patrol'), false, 'other salt');
  assert.equal(matchToken(makeToken(SECRET, 'patrol', 5), SECRET, 'patrol'), true);
});

test('safeEqual compares in constant time without throwing on length or encoding differences', () => {
  assert.equal(safeEqual('abc', 'abc'), true);
  assert.equal(safeEqual('abc', 'abd'), false);
  assert.equal(safeEqual('abc', 'abcd'), false);
  assert.equal(safeEqual('', 'a'), false);
  assert.equal(safeEqual('é', 'e\u0301'), false);
});

test('anonymous sessions: CSRF-type tokens are "+\\", login tokens are real and persist the session', async (t) => {
  const { mgr, clock } = await setup(t);
  const anon = await mgr.load(undefined);
  assert.equal(anon.token('csrf'), '+\\');
  assert.equal(anon.token('patrol'), '+\\');
  assert.ok(anon.checkToken('csrf', '+\\'));
  assert.ok(!anon.checkToken('csrf', makeToken(SECRET, '', 5)));
  assert.equal(anon.persisted, false, 'the "+\\" token needs no session');
  assert.deepEqual(await mgr.save(anon), []);

  const login = anon.token('login');
  assert.match(login, /^[0-9a-f]{32}[0-9a-f]+\+\\$/);
  assert.ok(anon.persisted);
  const cookies = await mgr.save(anon);
  assert.equal(cookies.length, 1);
  assert.match(cookies[0]!, /^mwauth_session=[0-9a-v]{32}; path=\/; HttpOnly; SameSite=Lax$/, 'a browser-session cookie, HttpOnly, Lax, not secure on http');

  clock.advance(30 * 60_000);
  const again = await mgr.load(header(jar(cookies)));
  assert.equal(again.id, anon.id);
  assert.ok(again.checkToken('login', login), 'an older token still matches');
  assert.ok(again.checkToken('login', again.token('login')));
  assert.ok(!again.checkToken('createaccount', login), 'another type has another secret');
});

test('session cookies get "secure" when the server is https', async (t) => {
  const { mgr } = await setup(t, { MWAUTH_SERVER: 'https://wiki.test' });
  const session = await mgr.load(undefined);
  session.token('login');
  assert.match((await mgr.save(session))[0]!, /; path=\/; secure; HttpOnly; SameSite=Lax$/);
});

test('the session table holds only a keyed hash of the id (HMAC with the server secret), never the id itself', async (t) => {
  const { s, mgr, user } = await setup(t);
  const session = await mgr.load(undefined);
  session.logIn(user, { remember: false });
  session.token('csrf');
  await mgr.save(session);
  const rows = await s.db.selectFrom('session').selectAll().execute();
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.s_key, createHmac('sha256', s.config.secrets[0]!).update(session.id!).digest('hex'));
  assert.equal(Number(rows[0]!.s_user), user.id);
  assert.ok(!JSON.stringify(rows).includes(session.id!), 'the id appears nowhere in the table');
});

test('idle expiry: a session ends after the idle time without use; use slides it on', async (t) => {
  const { mgr, clock, user } = await setup(t);
  const session = await mgr.load(undefined);
  session.logIn(user, { remember: false });
  const cookies = header(jar(await mgr.save(session)));

  clock.advance(1000);
  assert.equal((await mgr.load(cookies)).dirty, false, 'no write when recently touched');
  clock.advance(3600_000 - 1001);
  assert.equal((await mgr.load(cookies)).userId, user.id, 'one millisecond before the hour');
  clock.advance(1);
  const gone = await mgr.load(cookies);
  assert.equal(gone.userId, 0);
  assert.equal(gone.persisted, false);

  // Used after more than half the idle time: written again, so it lives on from there.
  clock.set(Date.UTC(2026, 1, 1));
  const fresh = await mgr.load(undefined);
  fresh.logIn(user, { remember: false });
  const c2 = header(jar(await mgr.save(fresh)));
  clock.advance(1801_000);
  const used = await mgr.load(c2);
  assert.equal(used.dirty, true);
  await mgr.save(used);
  clock.advance(3000_000);
  assert.equal((await mgr.load(c2)).userId, user.id, '4801 s after login, 3000 s after last use');
});

test('a changed user_token (password change, logout elsewhere) logs the session out', async (t) => {
  const { s, mgr, user } = await setup(t);
  for (const remember of [false, true]) {
    const u = (await s.users.byId(user.id))!;
    const session = await mgr.load(undefined);
    session.logIn(u, { remember });
    const cookies = jar(await mgr.save(session));
    assert.equal((await mgr.load(header(cookies))).userId, user.id);

    // The user_token change alone (a full password change also deletes the other sessions' rows).
    await s.users.setPassword(u.id, await s.hasher.hash(`Another-pass-${remember}`));
    const after = await mgr.load(header(cookies));
    assert.equal(after.userId, 0);
    assert.equal(after.persisted, false);
    const cleared = remember ? ['mwauth_session', 'mwauthUserID', 'mwauthToken'] : ['mwauth_session', 'mwauthUserID'];
    for (const name of cleared) {
      assert.match(cookieNamed(after, name) ?? '', /; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0;/, `${name} is deleted`);
    }
    assert.equal(after.token('csrf'), '+\\');
    await mgr.save(after);
    assert.equal((await s.db.selectFrom('session').selectAll().execute()).length, 0, 'the stored session is gone');
  }
});

test('a session stored before this version (it held the user_token; Redis keeps them up to an hour) logs nobody in, and goes', async (t) => {
  const { s, mgr, clock, user } = await setup(t);
  const { SqlSessionStore } = await import('../../src/storage/sql/sessions.js');
  const store = new SqlSessionStore(s.db, clock, new Keyring(s.config.secrets));
  const legacy = (extra: object) => ({ userId: user.id, secrets: {}, created: clock.now(), ...extra }) as never;
  // Its id is of the old form (no HMAC part): not one of ours any more, so not even looked up.
  const oldId = 'abcdefghijklmnopqrstuv0123456789';
  await store.put(oldId, user.id, legacy({ userToken: user.token }), clock.now() + 3600_000);
  const old = await mgr.load(`mwauth_session=${oldId}`);
  assert.equal(old.userId, 0);
  assert.equal(old.persisted, false, 'the old id is not taken as an anonymous id either');
  // Data of the old shape under a current id: logged out, and removed.
  const id = mgr.newId('stored');
  await store.put(id, user.id, legacy({ userToken: user.token }), clock.now() + 3600_000);
  const loaded = await mgr.load(`mwauth_session=${id}`);
  assert.equal(loaded.userId, 0);
  await mgr.save(loaded);
  assert.equal(await store.get(id), null);
  const bot = mgr.newId('stored');
  await store.put(bot, user.id, legacy({ bot: { appId: 'app', grants: ['basic'], token: 'x' } }), clock.now() + 3600_000);
  assert.equal((await mgr.load(`mwauth_BPsession=${bot}`)).userId, 0);
});

test('"remember me": UserID and Token cookies bring the login back after the session expired', async (t) => {
  const { s, mgr, clock, user } = await setup(t);
  const session = await mgr.load(undefined);
  session.logIn(user, { remember: true });
  const set = await mgr.save(session);
  const token = cookieNamed(session, 'mwauthToken')!;
  // The Token cookie carries a token of this login's own (32 hex digits, as MediaWiki's), not the user_token.
  assert.match(token, new RegExp(`^mwauthToken=[0-9a-f]{32}; expires=.+; Max-Age=${180 * 86400}; path=/; HttpOnly; SameSite=Lax$`));
  assert.ok(!token.includes(user.token));
  assert.match(cookieNamed(session, 'mwauthUserID')!, new RegExp(`^mwauthUserID=${user.id}; .*Max-Age=${180 * 86400};`));
  const cookies = jar(set);

  clock.advance(2 * 3600_000); // the server-side session is gone
  const restored = await mgr.load(header(cookies));
  assert.equal(restored.userId, user.id);
  assert.ok(restored.persisted && restored.id !== session.id, 'a new session id');
  assert.match((await mgr.save(restored))[0]!, new RegExp(`^mwauth_session=${restored.id};`));

  const forged = new Map(cookies);
  forged.set('mwauthToken', cookies.get('mwauthToken')!.replace(/./, (c) => (c === 'a' ? 'b' : 'a')));
  assert.equal((await mgr.load(header(forged))).userId, 0, 'a wrong token restores nothing');
  const other = new Map(cookies);
  other.set('mwauthUserID', String(user.id + 1));
  assert.equal((await mgr.load(header(other))).userId, 0, 'the token belongs to one user');

  await s.users.rotateToken(user.id);
  cookies.delete('mwauth_session');
  assert.equal((await mgr.load(header(cookies))).userId, 0, 'after a logout everywhere the Token cookie is dead');
});

test('without "remember me" there is no Token cookie, and nothing comes back after expiry', async (t) => {
  const { mgr, clock, user } = await setup(t);
  const session = await mgr.load(undefined);
  session.logIn(user, { remember: false });
  const set = await mgr.save(session);
  assert.equal(cookieNamed(session, 'mwauthToken'), undefined);
  assert.match(cookieNamed(session, 'mwauthUserID')!, new RegExp(`Max-Age=${30 * 86400};`));
  clock.advance(2 * 3600_000);
  assert.equal((await mgr.load(header(jar(set)))).userId, 0);
});

test('over HTTP: the login token request sets the session cookie with its attributes', async () => {
  const srv = await startTestServer();
  try {
    const c = new Client(srv.api);
    const r = await c.get({ action: 'query', meta: 'tokens', type: 'login' });
    const cookies = r.headers.getSetCookie();
    assert.equal(cookies.length, 1);
    assert.match(cookies[0]!, /^mwauth_session=[0-9a-v]{32}; path=\/; HttpOnly; SameSite=Lax$/);
    const csrf = await c.get({ action: 'query', meta: 'tokens' });
    assert.equal(csrf.json.query.tokens.csrftoken, '+\\');
  } finally {
    await srv.close();
  }
});
