// Two real `mwauth serve` processes on one database — PostgreSQL, and again MariaDB — and one Redis, as
// behind a load balancer: a client may reach either node with the same cookies. Logins, tokens, logouts,
// the login throttle, the per-IP reset limit and password-reset mail all behave as on one node. Skips
// when the database or Redis does not answer, and fails under MWAUTH_REQUIRE_SERVICES=1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, readMails } from '../helpers/harness.js';
import { freePort, runCli, startServe, type ServeProcess } from '../helpers/process.js';
import { storageKey } from '../../src/sessions/store.js';
import { REDIS_URL, createMariadbDatabase, createPostgresDatabase, redisClient, redisPrefix, skipUnless } from '../helpers/services.js';

/** Reads rows of the shared database, as an operator's client would. */
interface Reader {
  rows(q: string): Promise<Array<Record<string, unknown>>>;
  end(): Promise<void>;
}

const databases = [
  {
    name: 'PostgreSQL',
    skip: await skipUnless('postgres', 'redis'),
    create: () => createPostgresDatabase('mwauth_multinode'),
    async reader(url: string): Promise<Reader> {
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return { rows: async (q) => (await c.query(q)).rows, end: () => c.end() };
    },
  },
  {
    name: 'MariaDB',
    skip: await skipUnless('mariadb', 'redis'),
    create: () => createMariadbDatabase('mwauth_multinode'),
    async reader(url: string): Promise<Reader> {
      const mysql = (await import('mysql2/promise')).default;
      const c = await mysql.createConnection({ uri: url });
      return { rows: async (q) => (await c.query(q))[0] as Array<Record<string, unknown>>, end: () => c.end() };
    },
  },
];

for (const shared of databases) describe(`two nodes sharing ${shared.name} and Redis`, { skip: shared.skip }, () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  const scope = { after: (fn: () => Promise<void> | void) => void cleanups.push(fn) };
  let nodeA: ServeProcess;
  let nodeB: ServeProcess;
  let apiA: string;
  let apiB: string;
  let prefix: string;
  let db: Reader;
  let mailDir: string;
  let cliVars: Record<string, string>;
  const secret = randomBytes(32).toString('hex');

  before(async () => {
    const database = await shared.create();
    scope.after(() => database.drop());
    prefix = await redisPrefix(scope);
    const dir = mkdtempSync(join(tmpdir(), 'mwauth-multinode-'));
    scope.after(() => rmSync(dir, { recursive: true, force: true }));
    mailDir = join(dir, 'mail');
    const common = {
      MWAUTH_DATABASE_URL: database.url,
      MWAUTH_REDIS_URL: REDIS_URL,
      MWAUTH_REDIS_PREFIX: prefix,
      MWAUTH_SECRET: secret,
      MWAUTH_MAIL_DIR: mailDir,
      MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
      MWAUTH_RESET_IP_LIMIT: '4/3600',
      MWAUTH_LOG_LEVEL: 'warn',
    };
    cliVars = { ...common, MWAUTH_DATA_DIR: join(dir, 'cli') };
    const [portA, portB] = [await freePort(), await freePort()];
    // Both start at once on the new database: its schema is made once.
    [nodeA, nodeB] = await Promise.all([
      startServe({ ...common, MWAUTH_DATA_DIR: join(dir, 'a'), MWAUTH_PORT: String(portA) }),
      startServe({ ...common, MWAUTH_DATA_DIR: join(dir, 'b'), MWAUTH_PORT: String(portB) }),
    ]);
    cleanups.push(async () => {
      await Promise.all([nodeA.stop(), nodeB.stop()]);
    });
    apiA = `http://127.0.0.1:${portA}/w/api.php`;
    apiB = `http://127.0.0.1:${portB}/w/api.php`;
    db = await shared.reader(database.url);
    cleanups.push(() => db.end());
    const added = await Promise.all([
      runCli(['user', 'add', 'Alice', '--password', 'Alice-Pass-1'], cliVars),
      runCli(['user', 'add', 'Carol', '--password', 'Carol-Pass-1'], cliVars),
      runCli(['user', 'add', 'Dave', '--email', 'dave@example.org', '--password', 'Dave-Pass-1'], cliVars),
      runCli(['user', 'add', 'Erin', '--email', 'erin@example.org', '--password', 'Erin-Pass-1'], cliVars),
    ]);
    for (const r of added) assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    // Last made, first gone: the servers, then the database, the Redis keys and the folder.
    for (const fn of cleanups.reverse()) await fn();
  });

  /** A client on node B with the same cookie jar as `a`. */
  const sameBrowserOn = (api: string, a: Client): Client => new Client(api, {}, a.jar);
  const count = async (q: string) => Number((await db.rows(q))[0]!.n);

  test('a login on A is seen on B; a CSRF token from A works on B; a logout on B ends the session on A', async () => {
    const a = new Client(apiA);
    const b = sameBrowserOn(apiB, a);
    assert.equal((await a.login('Alice', 'Alice-Pass-1')).result, 'Success');
    const onB = await b.get({ action: 'query', meta: 'userinfo' });
    assert.equal(onB.json.query.userinfo.name, 'Alice', 'node B knows the session made on A');
    // The session lives in Redis under the keyed hash of its id, not in the database.
    const r = await redisClient(scope);
    const sessionKey = `${prefix}session:${storageKey(secret, a.cookies.get('mwauth_session')!)}`;
    assert.equal(await r.exists(sessionKey), 1);
    assert.equal(await count('select count(*) as n from session'), 0);

    const csrf = await a.token('csrf');
    assert.notEqual(csrf, '+\\');
    const forged = await b.post({ action: 'logout', token: csrf.replace(/^./, (c) => (c === '0' ? '1' : '0')) });
    assert.equal(forged.json.error.code, 'badtoken', 'node B checks tokens, it does not wave them through');
    const held = new Map(a.cookies);
    const out = await b.post({ action: 'logout', token: csrf });
    assert.deepEqual(out.json, {}, out.text);
    assert.equal(await r.exists(sessionKey), 0, 'the logout on B deleted the session from Redis');
    const onA = await a.get({ action: 'query', meta: 'userinfo' });
    assert.equal(onA.json.query.userinfo.id, 0, 'the session is over on A too');
    // Cookies kept from before the logout (another tab, a copy) bring nothing back on A.
    const replay = new Client(apiA);
    for (const [k, v] of held) replay.cookies.set(k, v);
    assert.equal((await replay.get({ action: 'query', meta: 'userinfo' })).json.query.userinfo.id, 0);
  });

  test('the login throttle counts attempts on both nodes together', async () => {
    const a = new Client(apiA);
    const b = sameBrowserOn(apiB, a);
    const lgtoken = await a.token('login');
    const attempt = (c: Client, lgpassword: string) =>
      c.post({ action: 'login', lgname: 'Carol', lgpassword, lgtoken, formatversion: '2', errorformat: 'plaintext' });
    const nodes = [a, b, a, b, a];
    for (let i = 0; i < 5; i++) {
      const r = await attempt(nodes[i]!, `wrong-${i}`);
      assert.equal(r.json.login.reason?.code, 'wrongpassword', `attempt ${i + 1}: ${r.text}`);
    }
    assert.equal((await attempt(b, 'wrong-5')).json.login.reason?.code, 'login-throttled', 'the 6th, on B');
    assert.equal((await attempt(a, 'Carol-Pass-1')).json.login.reason?.code, 'login-throttled', 'then on A, even the right password');
    assert.equal(await count('select count(*) as n from counter'), 0, 'the counters are in Redis, not in the database');
  });

  test('resets asked on A and B at once are each mailed exactly once, though both nodes run both workers', async () => {
    // Each request wakes its node's reset worker, and each worker takes every pending request it finds:
    // the two race for both requests.
    const asked = await Promise.all([
      new Client(apiA).post({ action: 'resetpassword', user: 'Dave', token: '+\\' }),
      new Client(apiB).post({ action: 'resetpassword', user: 'Erin', token: '+\\' }),
    ]);
    for (const r of asked) assert.deepEqual(r.json, { resetpassword: { status: 'success' } });
    const end = Date.now() + 30_000;
    while (
      (await count(`select count(*) as n from reset_request where rr_status in ('pending', 'processing')`)) > 0 ||
      (await count(`select count(*) as n from outbox where ob_status <> 'sent'`)) > 0 ||
      (await count('select count(*) as n from outbox')) < 2
    ) {
      assert.ok(Date.now() < end, 'the resets were not mailed within 30 s');
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(await count(`select count(*) as n from outbox where ob_kind = 'password-reset'`), 2);
    const mails = await readMails(mailDir);
    assert.deepEqual(mails.map((m) => m.to).sort(), ['"Dave" <dave@example.org>', '"Erin" <erin@example.org>'], 'one mail each, written once');
    for (const m of mails) assert.ok(m.tempPassword, 'each mail holds a temporary password');
  });

  test('the per-IP reset limit (4 an hour here) counts requests on both nodes together', async () => {
    // The two resets of the test before counted already (same address, same hour).
    const before = await count('select count(*) as n from reset_request');
    const nodes = [apiB, apiA, apiB, apiA];
    for (const [i, api] of nodes.entries()) {
      const r = await new Client(api).post({ action: 'resetpassword', user: `Nobody${i}`, token: '+\\' });
      assert.deepEqual(r.json, { resetpassword: { status: 'success' } }, 'over the limit the answer is the same');
    }
    const recorded = (await db.rows('select rr_username from reset_request')).map((row) => row.rr_username as string);
    assert.equal(before, 2);
    assert.deepEqual(recorded.sort(), ['Dave', 'Erin', 'Nobody0', 'Nobody1'], 'the 5th and 6th requests from this address were dropped');
  });
});
