// Outages answer as errors: a request that needs Redis or the database while it is unavailable gets an
// HTTP 503 with Retry-After and MediaWiki's internal_api_error_<Class> in the format it asked for (from
// the query string or the body), for every module and the pages; a failure that is not an outage is a
// 500 the same way; the node recovers by itself; and what survives a Redis that lost its data is, per
// kind of session, what docs/operations.md says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createRegistry } from '../../src/api/modules/index.js';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { SessionStore } from '../../src/sessions/store.js';
import { RedisUnavailableError } from '../../src/storage/redis.js';
import { Client, addUser } from '../helpers/harness.js';
import { POSTGRES_ADMIN_URL, postgresDatabase, skipUnless } from '../helpers/services.js';
import { PageClient } from '../web/helpers.js';
import { eventually, privateRedis, redisServerMissing, sample } from './helpers.js';

const BOT_PW = 'botpassbotpassbotpassbotpassbot1';
const SECRET = 'outage-secret-0123456789';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-outage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(t: { after(fn: () => Promise<void>): void }, env: Record<string, string>): Promise<RunningServer> {
  const srv = await startServer(
    loadConfig({ MWAUTH_PORT: '0', MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test', MWAUTH_SECRET: SECRET, ...env }),
  );
  t.after(() => srv.close());
  return srv;
}

/** Every module answers the outage as a 503 error in the format asked for in the body. */
async function assertEveryModuleFails(srv: RunningServer, c: Client, code: string): Promise<void> {
  const actions = [...createRegistry().actions.keys()];
  assert.ok(actions.length >= 12, actions.join());
  for (const action of actions) {
    const r = await c.post({ action, formatversion: '2', errorformat: 'plaintext' });
    assert.equal(r.status, 503, `${action}: ${r.text}`);
    assert.equal(r.headers.get('mediawiki-api-error'), code, action);
    assert.equal(r.headers.get('retry-after'), '5', action);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/, `${action}: the body's format=json`);
    assert.equal(r.json.errors[0].code, code, action);
    assert.equal(r.json.errors[0].data.errorclass, code.replace('internal_api_error_', ''), action);
  }
  // Other formats, from the body or the query string, and the bc error format.
  const xml = await c.post({ action: 'query', meta: 'userinfo', format: 'xml' });
  assert.equal(xml.status, 503);
  assert.match(xml.headers.get('content-type') ?? '', /^text\/xml/);
  assert.ok(xml.text.includes(`<error code="${code}"`), xml.text);
  const php = await c.request('POST', { format: 'php' }, { action: 'query', meta: 'userinfo' });
  assert.equal(php.status, 503);
  assert.ok(php.text.startsWith('a:1:{s:5:"error";'), php.text);
  const bc = await c.get({ action: 'query', meta: 'userinfo' });
  assert.equal(bc.status, 503);
  assert.equal(bc.json.error.code, code);
  assert.equal(bc.json.error.errorclass, code.replace('internal_api_error_', ''));
}

test('Redis stopped and started again: 503s in the asked format for every module and the pages, readiness says redis, it recovers without a restart, and each kind of session fares as documented', { skip: redisServerMissing() }, async (t) => {
  const redis = await privateRedis(t);
  await redis.start();
  const srv = await serve(t, { MWAUTH_DATA_DIR: tempDir(t), MWAUTH_REDIS_URL: redis.url });
  const api = `${srv.url}/w/api.php`;
  const alice = await addUser(srv.services, 'Alice', 'Alice-Pass-1', { email: 'alice@example.org' });
  await srv.services.botPasswords.set(alice.id, 'oracle', BOT_PW, ['basic']);
  await addUser(srv.services, 'Bob', 'Bob-Pass-1');

  const login = new Client(api); // action=login: always remembered
  assert.equal((await login.login('Alice', 'Alice-Pass-1')).result, 'Success');
  const clientLogin = async (remember: boolean) => {
    const c = new Client(api);
    const r = await c.post({ action: 'clientlogin', username: 'Bob', password: 'Bob-Pass-1', loginreturnurl: 'http://wiki.test/', logintoken: await c.token('login'), ...(remember ? { rememberMe: '1' } : {}) });
    assert.equal(r.json.clientlogin.status, 'PASS', r.text);
    return c;
  };
  const plain = await clientLogin(false);
  const remembered = await clientLogin(true);
  const bot = new Client(api);
  assert.equal((await bot.login('Alice@oracle', BOT_PW)).result, 'Success');
  const anon = new Client(api);
  const loginToken = await anon.token('login');
  // Special:UserLogin with and without "Keep me logged in".
  const keptPage = new PageClient(srv.url);
  assert.equal((await keptPage.submit('/wiki/Special:UserLogin', { wpName: 'Bob', wpPassword: 'Bob-Pass-1', wpRemember: '1' })).status, 303);
  const plainPage = new PageClient(srv.url);
  assert.equal((await plainPage.submit('/wiki/Special:UserLogin', { wpName: 'Bob', wpPassword: 'Bob-Pass-1' })).status, 303);
  for (const pc of [keptPage, plainPage]) assert.ok((await pc.get('/wiki/Main_Page')).html.includes(srv.services.i18n.text('en', 'web-mainpage-loggedin', 'Bob')));
  // A forced password change in progress (a login with a temporary password).
  const temp = 'Temp-Pass-0123456789';
  await srv.services.users.setTemporaryPassword(alice.id, await srv.services.tempPasswords.hash(temp));
  const forced = new Client(api);
  const fl = await forced.post({ action: 'clientlogin', username: 'Alice', password: temp, loginreturnurl: 'http://wiki.test/', logintoken: await forced.token('login') });
  assert.equal(fl.json.clientlogin.status, 'UI', fl.text);
  const page = new PageClient(srv.url);
  for (const [k, v] of plain.cookies) page.cookies.set(k, v);
  const ready = async () => (await fetch(`${srv.url}/readyz`)).status === 200;
  assert.ok(await ready());

  await redis.stop();
  await assertEveryModuleFails(srv, plain, 'internal_api_error_RedisUnavailableError');
  // A request that needs no session and no counter is still answered.
  const site = await new Client(api).get({ action: 'query', meta: 'siteinfo' });
  assert.equal(site.status, 200);
  // Pages: 503, Retry-After, "try again" in the page's language.
  const p = await page.get('/wiki/Special:ChangePassword?uselang=ar');
  assert.equal(p.status, 503, p.html);
  assert.equal(p.headers.get('retry-after'), '5');
  assert.match(p.html, /<html lang="ar" dir="rtl">/);
  assert.ok(p.html.includes(srv.services.i18n.text('ar', 'web-error-unavailable')), p.html);
  const anonPage = new PageClient(srv.url);
  const reset = await anonPage.submit('/wiki/Special:PasswordReset', { wpUsername: 'Alice' });
  assert.equal(reset.status, 503, 'the per-IP limit of a reset needs Redis');
  assert.ok(reset.html.includes(srv.services.i18n.text('en', 'web-error-unavailable')));
  // Readiness names Redis; liveness stays; the metrics count the failures.
  const rz = await fetch(`${srv.url}/readyz`);
  assert.equal(rz.status, 503);
  const body = await rz.json();
  assert.deepEqual(body.failing, ['redis']);
  assert.equal(body.checks.redis, 'unreachable');
  assert.equal(body.checks.database, 'ok');
  assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.ok(sample(metrics, 'mwauth_backend_errors_total{backend="redis"}')! > 12, metrics);
  assert.ok(sample(metrics, 'mwauth_api_requests_total{module="login",status="503"}')! >= 1);

  // Back, empty: served again without a restart.
  await redis.start();
  await eventually('readiness after Redis came back', ready);
  const me = async (c: Client) => (await c.get({ action: 'query', meta: 'userinfo' })).json.query.userinfo.name as string;
  assert.equal(await me(login), 'Alice', 'action=login (remembered): back by itself, in a new session');
  assert.equal(await me(remembered), 'Bob', 'clientlogin with rememberMe: back by itself');
  assert.equal(await me(plain), '127.0.0.1', 'clientlogin without rememberMe: logged out');
  assert.equal(await me(bot), '127.0.0.1', 'a bot-password session: logged out (its client logs in again)');
  const loggedIn = async (pc: PageClient) => (await pc.get('/wiki/Main_Page')).html.includes(srv.services.i18n.text('en', 'web-mainpage-loggedin', 'Bob'));
  assert.ok(await loggedIn(keptPage), 'Special:UserLogin with "Keep me logged in": back by itself');
  assert.ok(!(await loggedIn(plainPage)), 'Special:UserLogin without it: logged out');
  const cont = await forced.post({ action: 'clientlogin', logincontinue: '1', password: 'Alice-New-Pass-2', retype: 'Alice-New-Pass-2', logintoken: await forced.token('login') });
  assert.notEqual(cont.json.clientlogin?.status, 'PASS', 'a forced change in progress is gone…');
  const again = new Client(api);
  const fl2 = await again.post({ action: 'clientlogin', username: 'Alice', password: temp, loginreturnurl: 'http://wiki.test/', logintoken: await again.token('login') });
  assert.equal(fl2.json.clientlogin.status, 'UI', '… and the temporary password starts it again');
  assert.equal((await anon.post({ action: 'login', lgname: 'Bob', lgpassword: 'Bob-Pass-1', lgtoken: loginToken })).json.login.result, 'Success', 'an anonymous login token stored nothing and still works');
  assert.equal((await bot.login('Alice@oracle', BOT_PW)).result, 'Success');
});

test('PostgreSQL refusing connections: 503 DatabaseUnavailableError in the asked format, pages 503, readiness says database; back by itself', { skip: await skipUnless('postgres') }, async (t) => {
  const url = await postgresDatabase(t, 'mwauth_outage');
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  t.after(async () => {
    await admin.query(`alter database ${name} allow_connections true`).catch(() => {});
    await admin.end();
  });
  const srv = await serve(t, { MWAUTH_DATA_DIR: tempDir(t), MWAUTH_DATABASE_URL: url });
  const api = `${srv.url}/w/api.php`;
  await addUser(srv.services, 'Alice', 'Alice-Pass-1', { email: 'alice@example.org' });
  const c = new Client(api);
  assert.equal((await c.login('Alice', 'Alice-Pass-1')).result, 'Success');
  const page = new PageClient(srv.url);
  for (const [k, v] of c.cookies) page.cookies.set(k, v);

  await admin.query(`alter database ${name} allow_connections false`);
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
  await assertEveryModuleFails(srv, c, 'internal_api_error_DatabaseUnavailableError');
  const anon = await new Client(api).post({ action: 'resetpassword', user: 'Alice', token: '+\\' });
  assert.equal(anon.status, 503, anon.text);
  assert.equal(anon.json.error.code, 'internal_api_error_DatabaseUnavailableError');
  const p = await page.get('/wiki/Special:UserLogin');
  assert.equal(p.status, 503);
  assert.equal(p.headers.get('retry-after'), '5');
  const rz = await fetch(`${srv.url}/readyz`);
  assert.equal(rz.status, 503);
  assert.deepEqual((await rz.json()).failing, ['database']);
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.ok(sample(metrics, 'mwauth_backend_errors_total{backend="database"}')! > 12, 'counted, and the scrape itself still answers');
  assert.match(metrics, /process_resident_memory_bytes \d+/);

  await admin.query(`alter database ${name} allow_connections true`);
  await eventually('readiness after PostgreSQL came back', async () => (await fetch(`${srv.url}/readyz`)).status === 200);
  assert.equal((await c.get({ action: 'query', meta: 'userinfo' })).json.query.userinfo.name, 'Alice', 'the session was in the database all along');
  const r = await new Client(api).post({ action: 'resetpassword', user: 'Alice', token: '+\\' });
  assert.equal(r.json.resetpassword?.status, 'success', r.text);
});

test('a failure that is no outage is a 500 in the asked format; a session that cannot be saved fails the request in its format, with no cookie', async (t) => {
  const srv = await serve(t, { MWAUTH_DATA_DIR: tempDir(t) });
  const api = `${srv.url}/w/api.php`;
  await addUser(srv.services, 'Alice', 'Alice-Pass-1');
  const s = srv.services;

  // A fault in the handling (a bug): 500, internal_api_error_TypeError, the body's format.
  const byName = s.users.byName.bind(s.users);
  s.users.byName = async () => {
    throw new TypeError('a fault');
  };
  const c = new Client(api);
  const lgtoken = await c.token('login');
  const bug = await c.request('POST', {}, { action: 'login', lgname: 'Alice', lgpassword: 'Alice-Pass-1', lgtoken, format: 'json', formatversion: '2' });
  assert.equal(bug.status, 500, bug.text);
  assert.equal(bug.headers.get('mediawiki-api-error'), 'internal_api_error_TypeError');
  assert.equal(bug.headers.get('retry-after'), null, 'not an outage: no Retry-After');
  assert.equal(bug.json.error.code, 'internal_api_error_TypeError');
  assert.ok(!bug.text.includes('a fault'), 'the error\'s own words stay in the log');
  s.users.byName = byName;

  // The login succeeds but its session cannot be saved (Redis gone between the two): the answer is that
  // failure, as JSON from the body — not the module's Success, and not an HTML page.
  const c2 = new Client(api);
  const lgtoken2 = await c2.token('login');
  // The store behind the session manager (what Redis would be): only sessions that hold something are written.
  const store = (s.sessions as unknown as { d: { store: SessionStore } }).d.store;
  const put = store.put.bind(store);
  store.put = async () => {
    throw new RedisUnavailableError(new Error('connection lost'));
  };
  const lost = await c2.request('POST', {}, { action: 'login', lgname: 'Alice', lgpassword: 'Alice-Pass-1', lgtoken: lgtoken2, format: 'json' });
  assert.equal(lost.status, 503, lost.text);
  assert.match(lost.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(lost.json.error.code, 'internal_api_error_RedisUnavailableError');
  assert.equal(lost.json.login, undefined, 'no Success');
  assert.deepEqual(lost.headers.getSetCookie(), [], 'no cookie for a session that does not exist');
  // A page whose session cannot be saved (a login through Special:UserLogin): 503 as well.
  const pageReply = await new PageClient(srv.url).submit('/wiki/Special:UserLogin', { wpName: 'Alice', wpPassword: 'Alice-Pass-1' });
  assert.equal(pageReply.status, 503);
  assert.equal(pageReply.headers.get('retry-after'), '5');
  store.put = put;
  assert.equal((await c2.login('Alice', 'Alice-Pass-1')).result, 'Success');
});

test('PostgreSQL ending a connection in the middle of a transaction: that transaction fails, the process goes on', { skip: await skipUnless('postgres') }, async (t) => {
  const url = await postgresDatabase(t, 'mwauth_outage_trx');
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  t.after(() => admin.end());
  const srv = await serve(t, { MWAUTH_DATA_DIR: tempDir(t), MWAUTH_DATABASE_URL: url });
  const db = srv.services.db;
  const { sql } = await import('kysely');
  const uncaught: Error[] = [];
  const onUncaught = (err: Error) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  t.after(() => void process.off('uncaughtException', onUncaught));
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
      // The server's word arrives while no statement runs on the connection.
      await new Promise((r) => setTimeout(r, 300));
      await sql`select 1`.execute(trx);
    }),
  );
  assert.deepEqual(uncaught.map((e) => e.message), []);
  assert.equal((await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]!.one, 1, 'the next query gets a new connection');
  assert.equal((await fetch(`${srv.url}/readyz`)).status, 200);
});
