// Credentials at rest: a stolen copy of every table (SQLite, PostgreSQL, MariaDB) and of every Redis key and value
// holds nothing that works as a credential. Each value is tried as a session cookie, a bot-password
// session cookie, a "remember me" Token cookie (with every UserID) and as a token secret, and fails;
// meanwhile "remember me" keeps working, and a password change or a logout voids remembered logins.
// PostgreSQL, MariaDB and Redis runs skip when the server does not answer (fail under MWAUTH_REQUIRE_SERVICES=1).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { makeToken } from '../../src/sessions/tokens.js';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { REDIS_URL, keysUnder, mariadbDatabase, postgresDatabase, redisClient, redisPrefix, skipUnless } from '../helpers/services.js';

const PW32 = 'abcdefghijklmnopqrstuvw012345678';
const PW_REQ = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';
type After = { after(fn: () => Promise<void> | void): void };

const pgSkip = await skipUnless('postgres');
const mariadbSkip = await skipUnless('mariadb');
const redisSkip = await skipUnless('redis');

const BACKENDS: Array<{ name: string; skip: string | false; env: (t: After) => Promise<Record<string, string>>; redis: boolean }> = [
  { name: 'SQLite', skip: false, env: async () => ({}), redis: false },
  { name: 'PostgreSQL', skip: pgSkip, env: async (t) => ({ MWAUTH_DATABASE_URL: await postgresDatabase(t, 'mwauth_atrest') }), redis: false },
  {
    name: 'PostgreSQL and Redis',
    skip: pgSkip || redisSkip,
    env: async (t) => ({ MWAUTH_DATABASE_URL: await postgresDatabase(t, 'mwauth_atrest'), MWAUTH_REDIS_URL: REDIS_URL, MWAUTH_REDIS_PREFIX: await redisPrefix(t) }),
    redis: true,
  },
  { name: 'MariaDB', skip: mariadbSkip, env: async (t) => ({ MWAUTH_DATABASE_URL: await mariadbDatabase(t, 'mwauth_atrest') }), redis: false },
];

/** Every value of every table, as text. */
async function dumpTables(srv: TestServer): Promise<string[]> {
  const db = srv.services.db;
  const tables =
    srv.services.dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows.map((r) => r.name)
      : srv.services.dialect === 'mysql'
        ? (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = database()`.execute(db)).rows.map((r) => r.name)
        : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db)).rows.map((r) => r.name);
  assert.ok(tables.includes('session') && tables.includes('user') && tables.includes('remember_token'), tables.join(','));
  const out: string[] = [];
  for (const table of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows;
    for (const row of rows) for (const v of Object.values(row)) if (v !== null) out.push(String(v));
  }
  return out;
}

/** Every key and value under the prefix, as text. */
async function dumpRedis(t: After, prefix: string): Promise<string[]> {
  const r = await redisClient(t);
  const out: string[] = [];
  for (const key of await keysUnder(r, prefix)) {
    out.push(key, key.slice(prefix.length), ...key.split(':'));
    const type = await r.type(key);
    if (type === 'hash') out.push(...Object.values(await r.hgetall(key)));
    else if (type === 'zset') out.push(...(await r.zrange(key, '0', '-1')));
    else if (type === 'string') out.push(String(await r.get(key)));
  }
  return out;
}

/** The pieces a thief would try: whole values, every string inside JSON, every long run of letters and digits. */
function candidates(values: string[]): string[] {
  const out = new Set<string>();
  const add = (v: string) => {
    if (v.length >= 16 && v.length <= 200) out.add(v);
    for (const m of v.matchAll(/[0-9A-Za-z_-]{16,}/g)) out.add(m[0]);
  };
  const walk = (x: unknown): void => {
    if (typeof x === 'string') add(x);
    else if (x && typeof x === 'object') for (const v of Object.values(x)) walk(v);
  };
  for (const v of values) {
    add(v);
    try {
      walk(JSON.parse(v));
    } catch {
      // not JSON
    }
  }
  return [...out];
}

for (const backend of BACKENDS) {
  describe(`credentials at rest: ${backend.name}`, { skip: backend.skip }, () => {
    test('a copy of every stored value works as no cookie and no token; remember me still works', async (t) => {
      const env = await backend.env(t);
      const srv = await startTestServer({ env: { ...env, MWAUTH_RESET_IP_LIMIT: '1000/3600' } });
      try {
        await stolenCopyFails(t, srv, backend.redis);
      } finally {
        // Before the database is dropped (after-hooks registered earlier run first).
        await srv.close();
      }
    });
  });
}

async function stolenCopyFails(t: After, srv: TestServer, redis: boolean): Promise<void> {
  const s = srv.services;
  const prefix = s.config.cookiePrefix;
  const alice = await addUser(s, 'Alice', 'Alice-Pass-1', { email: 'alice@example.org' });
  const tess = await addUser(s, 'Tess', 'Tess-Pass-1');
  await s.botPasswords.set(alice.id, 'app', PW32, ['basic']);
  await s.users.setTemporaryPassword(tess.id, await s.tempPasswords.hash('tmp0atrest'));
  const whoami = async (c: Client) => (await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id as number;

  // Every kind of session there is: remembered (clientlogin, action=login), plain, a bot password,
  // a forced change half done, and anonymous ones holding a login token.
  const remembered = new Client(srv.api);
  const r1 = await remembered.post({ action: 'clientlogin', username: 'Alice', password: 'Alice-Pass-1', rememberMe: '1', loginreturnurl: 'http://wiki.test/', logintoken: await remembered.token('login') });
  assert.equal(r1.json.clientlogin.status, 'PASS');
  const viaLogin = new Client(srv.api);
  assert.equal((await viaLogin.login('Alice', 'Alice-Pass-1')).result, 'Success');
  const bot = new Client(srv.api);
  assert.equal((await bot.login('Alice@app', PW32)).result, 'Success');
  const pending = new Client(srv.api);
  const ui = await pending.post({ action: 'clientlogin', username: 'Tess', password: 'tmp0atrest', loginreturnurl: 'http://wiki.test/', logintoken: await pending.token('login') });
  assert.equal(ui.json.clientlogin.status, 'UI');
  const anon = new Client(srv.api);
  await anon.token('login');
  for (const c of [remembered, viaLogin]) await c.token('csrf');
  const live = [remembered, viaLogin, bot, pending, anon];
  const cookieValues = live.flatMap((c) => [...c.cookies].filter(([k]) => !/UserID$|UserName$/.test(k)).map(([, v]) => v));
  assert.ok(cookieValues.length >= 8, 'session ids, the bot session id and two Token cookies');

  const stolen = [...(await dumpTables(srv)), ...(redis ? await dumpRedis(t, s.config.redisPrefix) : [])];
  const text = stolen.join('\n');
  for (const v of cookieValues) assert.ok(!text.includes(v), `a live cookie value is stored: ${v.slice(0, 6)}…`);
  if (redis) assert.equal(Number((await sql<{ n: number }>`select count(*) as n from session`.execute(s.db)).rows[0]!.n), 0, 'the sessions are in Redis');

  const tries = candidates(stolen);
  assert.ok(tries.length > 20, `${tries.length} values to try`);
  const ids = [alice.id, tess.id];
  const probe = new Client(srv.api);
  await probe.token('login'); // a session cookie, so that a wrong token is WrongToken
  const now = Math.floor(s.clock.now() / 1000);
  for (const v of tries) {
    // A client of its own per try: its jar stays empty, so the Cookie header is exactly the one tried.
    const as = async (cookie: string) => {
      const r = await new Client(srv.api).request('GET', { action: 'query', meta: 'userinfo', format: 'json', formatversion: '2' }, undefined, { cookie });
      return r.json.query.userinfo.id as number;
    };
    assert.equal(await as(`${prefix}_session=${v}`), 0, `as a session id: ${v.slice(0, 8)}…`);
    assert.equal(await as(`${prefix}_BPsession=${v}`), 0, `as a bot session id: ${v.slice(0, 8)}…`);
    for (const id of ids) assert.equal(await as(`${prefix}UserID=${id}; ${prefix}Token=${v}`), 0, `as a Token cookie: ${v.slice(0, 8)}…`);
    // As a token secret: a login token made with it is not one of this session's.
    const lg = await probe.post({ action: 'login', lgname: 'Alice', lgpassword: 'Alice-Pass-1', lgtoken: makeToken(v, '', now) });
    assert.equal(lg.json.login.result, 'WrongToken', `as a token secret: ${v.slice(0, 8)}…`);
  }
  assert.equal(await whoami(probe), 0);

  // The real clients are unharmed; the remembered login comes back without its session cookie.
  assert.equal(await whoami(remembered), alice.id);
  assert.notEqual(await whoami(bot), 0);
  const back = new Client(srv.api);
  for (const name of ['UserID', 'Token']) back.cookies.set(`${prefix}${name}`, remembered.cookies.get(`${prefix}${name}`)!);
  assert.equal(await whoami(back), alice.id, 'remember me works');
  const pass = await pending.post({ action: 'clientlogin', logincontinue: '1', password: 'Tess-New-Pass-1', retype: 'Tess-New-Pass-1', logintoken: await pending.token('login'), formatversion: '2' });
  assert.equal(pass.json.clientlogin.status, 'PASS', pass.text);
}

describe('remembered logins', () => {
  test('each login has its own Token; a password change voids every one, the changing session gets a new one; logout voids them too', async (t) => {
    const srv = await startTestServer();
    t.after(() => srv.close());
    const s = srv.services;
    const prefix = s.config.cookiePrefix;
    const user = await addUser(s, 'Rita', 'Rita-Pass-1');
    const whoami = async (c: Client) => (await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id as number;
    const rememberedLogin = async (password: string) => {
      const c = new Client(srv.api);
      const r = await c.post({ action: 'clientlogin', username: 'Rita', password, rememberMe: '1', loginreturnurl: 'http://wiki.test/', logintoken: await c.token('login') });
      assert.equal(r.json.clientlogin.status, 'PASS', r.text);
      return c;
    };
    /** A browser that kept only UserID and Token (its session expired or was dropped). */
    const fromToken = (c: Client) => {
      const b = new Client(srv.api);
      for (const name of ['UserID', 'Token']) b.cookies.set(`${prefix}${name}`, c.cookies.get(`${prefix}${name}`)!);
      return b;
    };
    const one = await rememberedLogin('Rita-Pass-1');
    const two = await rememberedLogin('Rita-Pass-1');
    assert.notEqual(one.cookies.get(`${prefix}Token`), two.cookies.get(`${prefix}Token`), 'a token per login');
    assert.equal(await whoami(fromToken(one)), user.id);
    assert.equal(await whoami(fromToken(two)), user.id);
    const rows = await s.db.selectFrom('remember_token').selectAll().where('rt_user', '=', user.id).execute();
    assert.ok(rows.length >= 2);
    for (const r of rows) for (const c of [one, two]) assert.notEqual(r.rt_key, c.cookies.get(`${prefix}Token`));

    // A password change by session one: two's remembered login is void; one stays, with a new Token that works.
    const oldOne = one.cookies.get(`${prefix}Token`)!;
    const ch = await one.post({ action: 'changeauthenticationdata', changeauthrequest: PW_REQ, password: 'Rita-Pass-2', retype: 'Rita-Pass-2', changeauthtoken: await one.token() });
    assert.equal(ch.text, '{"changeauthenticationdata":{"status":"success"}}');
    assert.equal(await whoami(two), 0, 'the other session ended');
    assert.equal(await whoami(fromToken(two)), 0, 'its remembered login is void');
    const stale = new Client(srv.api);
    stale.cookies.set(`${prefix}UserID`, String(user.id));
    stale.cookies.set(`${prefix}Token`, oldOne);
    assert.equal(await whoami(stale), 0, 'the changing session\'s old Token is void too');
    assert.notEqual(one.cookies.get(`${prefix}Token`), oldOne);
    assert.equal(await whoami(fromToken(one)), user.id, 'its new Token works');

    // A logout voids every remembered login of the account.
    const three = await rememberedLogin('Rita-Pass-2');
    const keep = fromToken(three);
    const out = await one.post({ action: 'logout', token: await one.token() });
    assert.equal(out.text, '{}');
    assert.equal(await whoami(keep), 0);
    assert.equal(await whoami(three), 0);
    assert.equal((await s.db.selectFrom('remember_token').selectAll().where('rt_user', '=', user.id).execute()).length, 0, 'and forgets them');
  });

  test('at most 20 remembered logins per account: action=login (which always remembers) cannot grow the table without end', async (t) => {
    const srv = await startTestServer();
    t.after(() => srv.close());
    const s = srv.services;
    const user = await addUser(s, 'Bobby', 'Bobby-Pass-1');
    const clients: Client[] = [];
    for (let i = 0; i < 25; i++) {
      const c = new Client(srv.api);
      assert.equal((await c.login('Bobby', 'Bobby-Pass-1')).result, 'Success');
      clients.push(c);
    }
    const rows = await s.db.selectFrom('remember_token').selectAll().where('rt_user', '=', user.id).execute();
    assert.equal(rows.length, 20);
    const prefix = s.config.cookiePrefix;
    const restore = async (c: Client) => {
      const b = new Client(srv.api);
      for (const name of ['UserID', 'Token']) b.cookies.set(`${prefix}${name}`, c.cookies.get(`${prefix}${name}`)!);
      return (await b.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id;
    };
    assert.equal(await restore(clients[24]!), user.id, 'the newest is remembered');
    assert.equal(await restore(clients[0]!), 0, 'the oldest is forgotten');
  });
});

describe('a database from before this version', () => {
  test('stored sessions (which held the user_token) are removed, and a Token cookie holding the user_token restores nothing', async (t) => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Kysely, Migrator, SqliteDialect } = await import('kysely');
    const { default: SQLite } = await import('better-sqlite3');
    const { migrations } = await import('../../src/storage/migrations.js');
    const dir = mkdtempSync(join(tmpdir(), 'mwauth-oldschema-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // The schema as it was: every migration before the remember tokens.
    const old = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'mwauth.sqlite')) }) });
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0012'));
    await new Migrator({ db: old, provider: { getMigrations: async () => before }, allowUnorderedMigrations: true }).migrateToLatest();
    const userToken = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    await old.insertInto('user').values({ user_name: 'Olga', user_email: '', user_email_lc: '', user_password: '', user_newpassword: '', user_token: userToken, user_registration: 1 }).execute();
    await old.insertInto('session').values({ s_key: 'k'.repeat(64), s_user: 1, s_data: JSON.stringify({ userId: 1, userToken, secrets: {}, created: 1 }), s_expires: Date.now() + 3600_000 }).execute();
    await old.destroy();

    const srv = await startTestServer({ env: { MWAUTH_DATABASE_URL: `sqlite:${join(dir, 'mwauth.sqlite')}` } });
    t.after(() => srv.close());
    assert.equal((await srv.services.db.selectFrom('session').selectAll().execute()).length, 0, 'the old sessions are gone');
    const c = new Client(srv.api);
    c.cookies.set('mwauthUserID', '1');
    c.cookies.set('mwauthToken', userToken);
    assert.equal((await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.id, 0);
  });
});
