// Connection settings hold passwords: a malformed MWAUTH_DATABASE_URL, MWAUTH_REDIS_URL or MWAUTH_SMTP_URL
// is refused without repeating it, and a database that cannot be used stops start-up naming the setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { freePort, runCli } from '../helpers/process.js';
import { POSTGRES_ADMIN_URL, skipUnless } from '../helpers/services.js';

const SECRET = 'Pa55-Secret-77';
const load = (env: Record<string, string>) => loadConfig({ MWAUTH_DATA_DIR: '/tmp/mwauth-none', ...env }, { persistSecret: false });

test('a malformed URL setting is refused naming the variable, never repeating its password', () => {
  const cases: Array<[string, string]> = [
    ['MWAUTH_DATABASE_URL', `postgres://mwauth:${SECRET}@db.example:99999/mwauth`],
    ['MWAUTH_DATABASE_URL', `postgres://mwauth:${SECRET}@[db.example/mwauth`],
    ['MWAUTH_DATABASE_URL', `mwauth:${SECRET}@db.example/mwauth`],
    ['MWAUTH_REDIS_URL', `redis://:${SECRET}@cache.example:70000/0`],
    ['MWAUTH_REDIS_URL', `rediss://default:${SECRET}@cache example:6380`],
    ['MWAUTH_REDIS_URL', `:${SECRET}@cache.example`],
    ['MWAUTH_SMTP_URL', `smtp://mail:${SECRET}@smtp.example:99999`],
    ['MWAUTH_SMTP_URL', `smtps://mail:${SECRET}@smtp example`],
    ['MWAUTH_SERVER', `https://admin:${SECRET}@wiki example`],
  ];
  for (const [name, value] of cases) {
    assert.throws(
      () => load({ [name]: value }),
      (e: Error) => {
        assert.ok(e instanceof ConfigError, `${name}: ${e.message}`);
        assert.ok(e.message.includes(name), `${name}: the message names it: ${e.message}`);
        assert.ok(!e.message.includes(SECRET), `${name}: no password in "${e.message}"`);
        return true;
      },
    );
  }
  // The wrong scheme is named, and nothing else of the value.
  assert.throws(() => load({ MWAUTH_DATABASE_URL: `mongodb://u:${SECRET}@h/db` }), (e: Error) => /MWAUTH_DATABASE_URL must use postgres/.test(e.message) && !e.message.includes(SECRET));
  assert.throws(() => load({ MWAUTH_REDIS_URL: `http://u:${SECRET}@h/` }), (e: Error) => /MWAUTH_REDIS_URL must use redis/.test(e.message) && !e.message.includes(SECRET));
});

test('`mwauth serve` with a malformed MWAUTH_DATABASE_URL: a configuration error naming it, exit 2, no password', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-dburl-'));
  try {
    const r = await runCli(['serve'], { MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_DATABASE_URL: `postgres://mwauth:${SECRET}@127.0.0.1:99999/x` });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /configuration error: MWAUTH_DATABASE_URL is not a valid URL/);
    assert.ok(!r.stderr.includes(SECRET) && !r.stdout.includes(SECRET));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a PostgreSQL server that refuses the connection stops start-up naming MWAUTH_DATABASE_URL, its password masked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-dbdown-'));
  try {
    const port = await freePort(); // nothing listens there
    const r = await runCli(['serve'], { MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_DATABASE_URL: `postgres://mwauth:${SECRET}@127.0.0.1:${port}/mwauth` }, { timeoutMs: 30_000 });
    assert.equal(r.signal, null, `it stopped by itself:\n${r.stderr}`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot use the database at MWAUTH_DATABASE_URL \\(postgres://mwauth:\\*\\*\\*@127\\.0\\.0\\.1:${port}/mwauth\\): .*ECONNREFUSED`));
    assert.ok(!r.stderr.includes(SECRET) && !r.stdout.includes(SECRET));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database that does not exist on a running server: the same, with the server\'s reason', { skip: await skipUnless('postgres') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-dbmissing-'));
  try {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = '/mwauth_no_such_database';
    url.password = SECRET;
    const r = await runCli(['user', 'list'], { MWAUTH_DATA_DIR: dir, MWAUTH_DATABASE_URL: url.toString() }, { timeoutMs: 30_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot use the database at MWAUTH_DATABASE_URL \(postgres:\/\/[^)]*:\*\*\*@[^)]*\/mwauth_no_such_database\): .*does not exist/);
    assert.ok(!r.stderr.includes(SECRET));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PostgreSQL ending idle connections (a restart, pg_terminate_backend) does not end the process; the next request works', { skip: await skipUnless('postgres') }, async (t) => {
  const { createPostgresDatabase } = await import('../helpers/services.js');
  const { startTestServer, addUser, Client } = await import('../helpers/harness.js');
  const pg = await createPostgresDatabase();
  const srv = await startTestServer({ env: { MWAUTH_DATABASE_URL: pg.url } });
  t.after(async () => {
    await srv.close();
    await pg.drop();
  });
  await addUser(srv.services, 'Alice', 'Alice-Pass-123');
  // Several requests at once leave several idle connections in the pool.
  await Promise.all(Array.from({ length: 5 }, () => new Client(srv.api).get({ action: 'query', meta: 'siteinfo' })));
  const uncaught: Error[] = [];
  const onUncaught = (err: Error) => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  t.after(() => void process.off('uncaughtException', onUncaught));
  const admin = new (await import('pg')).default.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    const r = await admin.query('select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [pg.name]);
    assert.ok(r.rows.length > 0, 'there were connections to end');
  } finally {
    await admin.end();
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(uncaught.map((e) => e.message), []);
  assert.equal((await new Client(srv.api).login('Alice', 'Alice-Pass-123')).result, 'Success', 'new connections serve the next requests');
});
