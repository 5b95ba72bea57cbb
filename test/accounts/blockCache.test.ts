// Block look-ups kept in memory (src/accounts/blockCache.ts): asked again of the database only after a
// change, and every change seen by the very next request — made in the server, by `mwauth block` in
// another process on the same SQLite file, or on another node sharing PostgreSQL and Redis; also an
// import's blocks written in a transaction, a block that runs out, and a Redis that goes away.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ManualClock, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { runCli } from '../helpers/process.js';
import { REDIS_URL, createPostgresDatabase, redisPrefix, skipUnless } from '../helpers/services.js';
import type { QueryEvent } from '../../src/storage/queryTap.js';
import { writeAccounts } from '../../src/accounts/bulk.js';

const blockLookups = (log: QueryEvent[], from: number) => log.slice(from).filter((e) => e.table === 'block' && e.kind === 'select').length;

/** Alice's blockinfo as the API gives it ('' when not blocked), and how many block look-ups it took. */
async function blockinfo(c: Client, log: QueryEvent[]): Promise<{ by: string; lookups: number }> {
  const from = log.length;
  const r = await c.get({ action: 'query', meta: 'userinfo', uiprop: 'blockinfo', formatversion: '2' });
  assert.equal(r.status, 200, r.text);
  return { by: r.json.query.userinfo.blockedby ?? '', lookups: blockLookups(log, from) };
}

describe('on SQLite, with command lines on the same file', () => {
  const log: QueryEvent[] = [];
  const clock = new ManualClock(Date.now());
  let srv: TestServer;
  let alice: Client;
  let cliVars: Record<string, string>;
  before(async () => {
    srv = await startTestServer({ clock, overrides: { onQuery: (e) => log.push(e) } });
    await addUser(srv.services, 'Alice', 'Secret-Pass-1');
    await addUser(srv.services, 'Bob', 'Secret-Pass-2');
    alice = new Client(srv.api);
    assert.equal((await alice.login('Alice', 'Secret-Pass-1')).result, 'Success');
    cliVars = { MWAUTH_DATA_DIR: srv.dataDir, MWAUTH_LOG_LEVEL: 'warn' };
  });
  after(() => srv.close());

  test('an answer is looked up once, then kept; a block made or lifted by `mwauth block` counts at the next request', async () => {
    assert.deepEqual(await blockinfo(alice, log), { by: '', lookups: 1 });
    for (let i = 0; i < 5; i++) assert.deepEqual(await blockinfo(alice, log), { by: '', lookups: 0 });
    let r = await runCli(['block', 'add', 'Alice', '--by', 'Oscar', '--reason', 'test'], cliVars);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await blockinfo(alice, log), { by: 'Oscar', lookups: 1 });
    assert.deepEqual(await blockinfo(alice, log), { by: 'Oscar', lookups: 0 });
    r = await runCli(['block', 'remove', 'Alice'], cliVars);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await blockinfo(alice, log), { by: '', lookups: 1 });
    // An address block made by a command line stops the server's next reset request from that address.
    r = await runCli(['block', 'add', '127.0.0.1', '--by', 'Oscar'], cliVars);
    assert.equal(r.code, 0, r.stderr);
    const anon = new Client(srv.api);
    const reset = await anon.post({ action: 'resetpassword', user: 'Bob', token: '+\\' });
    assert.equal(reset.json.error?.code, 'blocked-mailpassword', reset.text);
    assert.equal((await runCli(['block', 'remove', '127.0.0.1'], cliVars)).code, 0);
    assert.deepEqual(await blockinfo(alice, log), { by: '', lookups: 1 });
  });

  test('changes made in the server itself, and blocks an import writes in a transaction, count at once', async () => {
    const s = srv.services;
    assert.deepEqual(await blockinfo(alice, log), { by: '', lookups: 0 });
    const aliceId = (await s.users.byName('Alice'))!.id;
    await s.blocks.add({ userId: aliceId, target: 'Alice', by: 'Nina', reason: '' });
    assert.deepEqual(await blockinfo(alice, log), { by: 'Nina', lookups: 1 });
    await s.blocks.remove('Alice');
    assert.deepEqual(await blockinfo(alice, log), { by: '', lookups: 1 });
    assert.deepEqual(await blockinfo(alice, log), { by: '', lookups: 0 });
    await s.stores.transaction((tx) => tx.blocks.replaceForUsers([aliceId], [{ userId: aliceId, target: 'Alice', by: 'Importer', reason: '' }]));
    assert.deepEqual(await blockinfo(alice, log), { by: 'Importer', lookups: 1 });
    await s.stores.transaction(async (tx) => {
      await tx.blocks.replaceForUsers([aliceId], []);
      await writeAccounts(tx, []);
    });
    assert.deepEqual(await blockinfo(alice, log), { by: '', lookups: 1 });
  });

  test('a kept block that runs out is looked up again, and an address block under it then applies', async () => {
    const s = srv.services;
    const aliceId = (await s.users.byName('Alice'))!.id;
    await s.blocks.add({ userId: 0, target: '127.0.0.1', by: 'Address-Admin', reason: '' });
    await s.blocks.add({ userId: aliceId, target: 'Alice', by: 'Short', reason: '', expiry: clock.now() + 60_000 });
    assert.deepEqual(await blockinfo(alice, log), { by: 'Short', lookups: 1 });
    assert.deepEqual(await blockinfo(alice, log), { by: 'Short', lookups: 0 });
    clock.advance(60_000);
    assert.deepEqual(await blockinfo(alice, log), { by: 'Address-Admin', lookups: 1 });
    await s.blocks.remove('127.0.0.1');
    assert.deepEqual(await blockinfo(alice, log), { by: '', lookups: 1 });
  });

  test('many clients from many addresses at once: each answer is right, and the memory kept stays bounded', async () => {
    const s = srv.services;
    await s.blocks.add({ userId: 0, target: '192.0.2.77', by: 'Admin', reason: '' });
    const found = await Promise.all(
      Array.from({ length: 300 }, (_, i) => s.blocks.find(0, `192.0.2.${i % 100}`).then((b) => [i % 100, b?.by ?? ''] as const)),
    );
    for (const [host, by] of found) assert.equal(by, host === 77 ? 'Admin' : '', `192.0.2.${host}`);
    for (let i = 0; i < 12_000; i++) await s.blocks.find(0, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal((await s.blocks.find(0, '192.0.2.77'))?.by, 'Admin');
    await s.blocks.remove('192.0.2.77');
    assert.equal(await s.blocks.find(0, '192.0.2.77'), null);
  });
});

describe('two nodes sharing PostgreSQL and Redis', { skip: await skipUnless('postgres', 'redis') }, () => {
  const logA: QueryEvent[] = [];
  const logB: QueryEvent[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  const scope = { after: (fn: () => Promise<void> | void) => void cleanups.push(fn) };
  let a: TestServer;
  let b: TestServer;
  let onA: Client;
  let onB: Client;
  let env: Record<string, string>;
  before(async () => {
    const db = await createPostgresDatabase('hotpath_blocks');
    scope.after(() => db.drop());
    const prefix = await redisPrefix(scope);
    env = { MWAUTH_DATABASE_URL: db.url, MWAUTH_REDIS_URL: REDIS_URL, MWAUTH_REDIS_PREFIX: prefix, MWAUTH_SECRET: 'f'.repeat(64) };
    a = await startTestServer({ env, overrides: { onQuery: (e) => logA.push(e) } });
    b = await startTestServer({ env, overrides: { onQuery: (e) => logB.push(e) } });
    await addUser(a.services, 'Alice', 'Secret-Pass-1');
    onA = new Client(a.api);
    assert.equal((await onA.login('Alice', 'Secret-Pass-1')).result, 'Success');
    onB = new Client(b.api, {}, onA.jar);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  test('a block made or lifted on one node, or by a command line, counts on the other at its next request', async () => {
    const aliceId = (await a.services.users.byName('Alice'))!.id;
    for (const [c, log] of [[onA, logA], [onB, logB]] as const) {
      await blockinfo(c, log);
      assert.deepEqual(await blockinfo(c, log), { by: '', lookups: 0 }, 'kept');
    }
    await a.services.blocks.add({ userId: aliceId, target: 'Alice', by: 'NodeA', reason: '' });
    assert.equal((await blockinfo(onB, logB)).by, 'NodeA');
    assert.equal((await blockinfo(onA, logA)).by, 'NodeA');
    await b.services.blocks.remove('Alice');
    assert.equal((await blockinfo(onA, logA)).by, '');
    assert.equal((await blockinfo(onB, logB)).by, '');
    const cli = { ...env, MWAUTH_DATA_DIR: a.dataDir, MWAUTH_LOG_LEVEL: 'warn' };
    const r = await runCli(['block', 'add', 'Alice', '--by', 'Shell'], cli);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await blockinfo(onA, logA)).by, 'Shell');
    assert.equal((await blockinfo(onB, logB)).by, 'Shell');
    assert.equal((await runCli(['block', 'remove', 'Alice'], cli)).code, 0);
    assert.equal((await blockinfo(onA, logA)).by, '');
    assert.equal((await blockinfo(onB, logB)).by, '');
  });

  test('while a node cannot hear changes (its subscription is gone), it looks every block up', async () => {
    const aliceId = (await a.services.users.byName('Alice'))!.id;
    await blockinfo(onB, logB);
    assert.equal((await blockinfo(onB, logB)).lookups, 0);
    // Redis ends B's subscribed connection: until it is back, B keeps nothing.
    const { Redis } = await import('ioredis');
    const admin = new Redis(REDIS_URL);
    scope.after(() => void admin.disconnect());
    const clients = String(await admin.client('LIST')).split('\n').filter((l) => / cmd=(un)?subscribe|sub=1/.test(l));
    for (const line of clients) await admin.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
    assert.ok(clients.length >= 2, 'both nodes were subscribed');
    await a.services.blocks.add({ userId: aliceId, target: 'Alice', by: 'Unheard', reason: '' });
    assert.equal((await blockinfo(onB, logB)).by, 'Unheard');
    await a.services.blocks.remove('Alice');
    assert.equal((await blockinfo(onB, logB)).by, '');
    // Back (ioredis reconnects): kept again.
    const deadline = Date.now() + 10_000;
    while ((await blockinfo(onB, logB)).lookups > 0) {
      assert.ok(Date.now() < deadline, 'the subscription came back');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
