// MWAUTH_DATABASE_POOL: the most connections one process keeps to PostgreSQL or MariaDB, however many
// requests arrive at once (they wait their turn); a value that is not a count from 1 to 1000 is a
// configuration error naming the setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.js';
import { Client, addUser, startTestServer } from '../helpers/harness.js';
import { MARIADB_ADMIN_URL, POSTGRES_ADMIN_URL, createMariadbDatabase, createPostgresDatabase, skipUnless } from '../helpers/services.js';

test('MWAUTH_DATABASE_POOL: 10 by default; 1 to 1000; anything else is refused naming it', () => {
  assert.equal(loadConfig({ MWAUTH_DATA_DIR: '/tmp/mwauth-pool-test' }, { persistSecret: false }).databasePool, 10);
  assert.equal(loadConfig({ MWAUTH_DATA_DIR: '/tmp/mwauth-pool-test', MWAUTH_DATABASE_POOL: '3' }, { persistSecret: false }).databasePool, 3);
  for (const bad of ['0', '1001', 'ten', '-2', '2.5']) {
    assert.throws(() => loadConfig({ MWAUTH_DATA_DIR: '/tmp/mwauth-pool-test', MWAUTH_DATABASE_POOL: bad }, { persistSecret: false }), (e: Error) => e instanceof ConfigError && e.message.includes('MWAUTH_DATABASE_POOL'));
  }
});

const servers = [
  {
    name: 'PostgreSQL',
    skip: await skipUnless('postgres'),
    create: () => createPostgresDatabase('mwauth_pool'),
    async connections(database: string): Promise<number> {
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      try {
        return Number((await c.query('select count(*) as n from pg_stat_activity where datname = $1', [database])).rows[0].n);
      } finally {
        await c.end();
      }
    },
  },
  {
    name: 'MariaDB',
    skip: await skipUnless('mariadb'),
    create: () => createMariadbDatabase('mwauth_pool'),
    async connections(database: string): Promise<number> {
      const mysql = (await import('mysql2/promise')).default;
      const c = await mysql.createConnection({ uri: MARIADB_ADMIN_URL });
      try {
        const [rows] = (await c.query('select count(*) as n from information_schema.processlist where db = ?', [database])) as [Array<{ n: number }>, unknown];
        return Number(rows[0]!.n);
      } finally {
        await c.end();
      }
    },
  },
];

for (const s of servers) {
  test(`${s.name}: with MWAUTH_DATABASE_POOL=2, 30 requests at once are all answered, over at most 2 connections`, { skip: s.skip }, async (t) => {
    const database = await s.create();
    const srv = await startTestServer({ env: { MWAUTH_DATABASE_URL: database.url, MWAUTH_DATABASE_POOL: '2' } });
    t.after(async () => {
      await srv.close();
      await database.drop();
    });
    await addUser(srv.services, 'Alice', 'Alice-Pass-123');
    let most = 0;
    let done = false;
    const watch = (async () => {
      while (!done) {
        most = Math.max(most, await s.connections(database.name));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // Each answer counts the accounts in the database (siteinfo's statistics).
    const answers = await Promise.all(Array.from({ length: 30 }, () => new Client(srv.api).get({ action: 'query', meta: 'siteinfo', siprop: 'statistics', formatversion: '2' })));
    done = true;
    await watch;
    most = Math.max(most, await s.connections(database.name));
    assert.deepEqual(new Set(answers.map((a) => a.json?.query?.statistics?.users)), new Set([1]));
    assert.ok(most >= 1 && most <= 2, `${most} connections`);
  });
}
