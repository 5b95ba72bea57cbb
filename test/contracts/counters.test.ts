// The Counters contract, on the database (SQLite, PostgreSQL, MariaDB), Redis and memory: exact counts,
// independent keys, no lost or doubled hit under concurrency, within one process and from several at
// once; and fixed windows on the backends that follow the injected clock (Redis keeps windows by its own
// key expiry: test/storage/redisCounters.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Counters } from '../../src/limits/counters.js';
import { RedisCounters } from '../../src/storage/redis/counters.js';
import { MemoryCounters } from '../helpers/memoryCounters.js';
import { ROOT } from '../helpers/process.js';
import { REDIS_URL } from '../helpers/services.js';
import { contract, onDatabases, type Makers, type Subject } from './backends.js';

const sql = onDatabases((s) => s.counters);
const redis: Makers<Counters> = { redis: (env) => new RedisCounters(env.redis!, env.prefix) };
const memory: Makers<Counters> = { memory: (env) => new MemoryCounters(env.clock) };

contract<Counters>('Counters', { ...sql, ...redis, ...memory }, (subject) => {
  test('hit counts up and returns the count; peek does not count', async () => {
    const counters = subject().store;
    assert.equal(await counters.peek('k'), 0);
    assert.deepEqual([await counters.hit('k', 60), await counters.hit('k', 60), await counters.hit('k', 60)], [1, 2, 3]);
    assert.equal(await counters.peek('k'), 3);
    assert.equal(await counters.peek('k'), 3);
  });

  test('keys are independent; clear forgets one key', async () => {
    const counters = subject().store;
    await counters.hit('a', 60);
    await counters.hit('a', 60);
    await counters.hit('b', 60);
    await counters.clear('a');
    assert.equal(await counters.peek('a'), 0);
    assert.equal(await counters.peek('b'), 1);
    assert.equal(await counters.hit('a', 60), 1);
    await counters.clear('never-seen');
  });

  test('keys differ by case and by trailing space', async () => {
    const counters = subject().store;
    await counters.hit('login:Alice', 60);
    await counters.hit('login:alice', 60, 2);
    await counters.hit('login:Alice ', 60, 4);
    assert.deepEqual([await counters.peek('login:Alice'), await counters.peek('login:alice'), await counters.peek('login:Alice ')], [1, 2, 4]);
  });

  test('50 parallel hit-or-give-back rounds against a limit of 7 let exactly 7 through', async () => {
    const counters = subject().store;
    const admitted = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const n = await counters.hit('lim', 60);
        if (n <= 7) return true;
        await counters.release('lim');
        return false;
      }),
    );
    assert.equal(admitted.filter(Boolean).length, 7);
    assert.equal(await counters.peek('lim'), 7, 'the refused rounds left nothing behind');
  });

  test('200 parallel hits are all counted, each seeing a distinct count', async () => {
    const counters = subject().store;
    const results = await Promise.all(Array.from({ length: 200 }, () => counters.hit('burst', 60)));
    assert.equal(await counters.peek('burst'), 200);
    assert.deepEqual([...results].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
    // Parallel hits on many keys at once: nothing leaks between them.
    await Promise.all(Array.from({ length: 200 }, (_, i) => counters.hit(`k${i % 4}`, 60)));
    for (let i = 0; i < 4; i++) assert.equal(await counters.peek(`k${i}`), 50);
  });

  test('a hit of several counts them all; a release never goes below zero', async () => {
    const counters = subject().store;
    assert.equal(await counters.hit('m', 60, 3), 3);
    assert.equal(await counters.hit('m', 60, 2), 5);
    await counters.release('m', 2);
    assert.equal(await counters.peek('m'), 3);
    await counters.release('m', 5);
    assert.ok((await counters.peek('m')) >= 0 && (await counters.peek('m')) <= 3, 'never below zero');
    await counters.release('never-seen');
    assert.equal(await counters.peek('never-seen'), 0);
  });
});

contract<Counters>('Counters on the injected clock', { ...sql, ...memory }, (subject) => {
  test('the window is fixed from the first hit and resets when it ends', async () => {
    const { store: counters, clock } = subject();
    assert.equal(await counters.hit('w', 10), 1);
    clock.advance(9_999);
    assert.equal(await counters.hit('w', 10), 2, 'a later hit does not move the window');
    assert.equal(await counters.peek('w'), 2);
    clock.advance(1);
    assert.equal(await counters.peek('w'), 0, 'expired exactly at first hit + window');
    assert.equal(await counters.hit('w', 10), 1, 'a new window starts');
    clock.advance(9_999);
    assert.equal(await counters.hit('w', 10), 2);
    clock.advance(10_001);
    assert.equal(await counters.hit('w', 10), 1);
  });

  test('each key keeps the window it started with', async () => {
    const { store: counters, clock } = subject();
    await counters.hit('short', 1);
    await counters.hit('long', 3600);
    clock.advance(1000);
    assert.equal(await counters.peek('short'), 0);
    assert.equal(await counters.peek('long'), 1);
  });

  test('a hit may count several; release gives hits back within the window only', async () => {
    const { store: counters, clock } = subject();
    assert.equal(await counters.hit('m', 10, 3), 3, 'a first hit of 3');
    assert.equal(await counters.hit('m', 10, 2), 5);
    await counters.release('m', 2);
    assert.equal(await counters.peek('m'), 3);
    await counters.release('m');
    assert.equal(await counters.peek('m'), 2);
    clock.advance(10_000);
    await counters.release('m');
    assert.equal(await counters.hit('m', 10), 1, 'a release after the window does not reach into the next one');
  });

  test('sweep drops the counters whose window is over and keeps the others', async () => {
    const { store: counters, clock } = subject();
    await counters.hit('old', 10, 4);
    await counters.hit('new', 3600, 2);
    clock.advance(10_000);
    await counters.sweep();
    assert.equal(await counters.peek('old'), 0);
    assert.equal(await counters.peek('new'), 2);
    assert.equal(await counters.hit('old', 10), 1);
  });
});

// Real concurrency: processes of their own, each with its own connections (one process serialises its
// own SQLite calls). The children also open a new SQLite file at the same moment: its schema is made once.
function child(backend: string): string {
  const open =
    backend === 'redis'
      ? `const { openRedis, closeRedis } = await import('./src/storage/redis.ts');
         const { RedisCounters } = await import('./src/storage/redis/counters.ts');
         const redis = await openRedis(process.env.REDIS_URL);
         const counters = new RedisCounters(redis, process.env.PREFIX);
         const close = () => closeRedis(redis);`
      : `const { openDatabase } = await import('./src/storage/db.ts');
         const { SqlCounters } = await import('./src/storage/sql/counters.ts');
         const handle = await openDatabase({ databaseUrl: process.env.URL, dataDir: '/tmp' });
         const counters = new SqlCounters(handle.db, { now: () => Date.now() });
         const close = () => handle.close();`;
  return `${open}
const seen = await Promise.all(Array.from({ length: 50 }, () => counters.hit('shared', 3600)));
await close();
process.stdout.write(JSON.stringify(seen));`;
}

async function hitsFromProcesses(s: Subject<Counters>, processes = 4): Promise<void> {
  const env = { URL: s.url ?? '', REDIS_URL, PREFIX: s.prefix ?? '' };
  const runs = Array.from({ length: processes }, () =>
    new Promise<number[]>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child(s.backend)], { cwd: ROOT, env: { ...process.env, ...env } });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`child failed (${code}): ${err}`))));
    }),
  );
  const all = (await Promise.all(runs)).flat();
  assert.deepEqual(all.sort((a, b) => a - b), Array.from({ length: processes * 50 }, (_, i) => i + 1), 'every hit saw its own count');
}

contract<Counters>('Counters shared by processes', { ...sql, ...redis }, (subject) => {
  test('4 processes × 50 parallel hits on one key count to exactly 200', async () => {
    const s = subject();
    // The children count on the real clock.
    s.clock.set(Date.now());
    await hitsFromProcesses(s);
    assert.equal(await s.store.peek('shared'), 200);
  });
});
