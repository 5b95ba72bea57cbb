// One contract for both Counters implementations: fixed windows, independent keys, exact counts
// under concurrency. SqlCounters runs on a real SQLite file, and also from several processes at once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCounters, SqlCounters, type Counters } from '../../src/limits/counters.js';
import { openDatabase } from '../../src/storage/db.js';
import { ManualClock } from '../../src/util/clock.js';
import { ROOT } from '../helpers/process.js';

interface Subject {
  counters: Counters;
  clock: ManualClock;
  close(): Promise<void>;
}

function contract(name: string, make: () => Promise<Subject>): void {
  describe(`${name} (Counters contract)`, () => {
    const withSubject = (fn: (s: Subject) => Promise<void>) => async () => {
      const s = await make();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    };

    test('hit counts up and returns the count; peek does not count', withSubject(async ({ counters }) => {
      assert.equal(await counters.peek('k'), 0);
      assert.deepEqual([await counters.hit('k', 60), await counters.hit('k', 60), await counters.hit('k', 60)], [1, 2, 3]);
      assert.equal(await counters.peek('k'), 3);
      assert.equal(await counters.peek('k'), 3);
    }));

    test('keys are independent; clear forgets one key', withSubject(async ({ counters }) => {
      await counters.hit('a', 60);
      await counters.hit('a', 60);
      await counters.hit('b', 60);
      await counters.clear('a');
      assert.equal(await counters.peek('a'), 0);
      assert.equal(await counters.peek('b'), 1);
      assert.equal(await counters.hit('a', 60), 1);
      await counters.clear('never-seen');
    }));

    test('the window is fixed from the first hit and resets when it ends', withSubject(async ({ counters, clock }) => {
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
    }));

    test('each key keeps the window it started with', withSubject(async ({ counters, clock }) => {
      await counters.hit('short', 1);
      await counters.hit('long', 3600);
      clock.advance(1000);
      assert.equal(await counters.peek('short'), 0);
      assert.equal(await counters.peek('long'), 1);
    }));

    test('a hit may count several; release gives hits back within the window, never below zero', withSubject(async ({ counters, clock }) => {
      assert.equal(await counters.hit('m', 10, 3), 3, 'a first hit of 3');
      assert.equal(await counters.hit('m', 10, 2), 5);
      await counters.release('m', 2);
      assert.equal(await counters.peek('m'), 3);
      await counters.release('m');
      assert.equal(await counters.peek('m'), 2);
      await counters.release('m', 5);
      assert.ok((await counters.peek('m')) >= 0 && (await counters.peek('m')) <= 2, 'never below zero');
      await counters.release('never-seen');
      assert.equal(await counters.peek('never-seen'), 0);
      clock.advance(10_000);
      await counters.release('m');
      assert.equal(await counters.hit('m', 10), 1, 'a release after the window does not reach into the next one');
    }));

    test('50 parallel hit-or-give-back rounds against a limit of 7 let exactly 7 through', withSubject(async ({ counters }) => {
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
    }));

    test('200 parallel hits are all counted, each seeing a distinct count', withSubject(async ({ counters }) => {
      const results = await Promise.all(Array.from({ length: 200 }, () => counters.hit('burst', 60)));
      assert.equal(await counters.peek('burst'), 200);
      assert.deepEqual([...results].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
      // Parallel hits on many keys at once: nothing leaks between them.
      await Promise.all(Array.from({ length: 200 }, (_, i) => counters.hit(`k${i % 4}`, 60)));
      for (let i = 0; i < 4; i++) assert.equal(await counters.peek(`k${i}`), 50);
    }));
  });
}

contract('MemoryCounters', async () => {
  const clock = new ManualClock();
  return { counters: new MemoryCounters(clock), clock, close: async () => {} };
});

contract('SqlCounters', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-counters-'));
  const clock = new ManualClock();
  const handle = await openDatabase({ databaseUrl: null, dataDir: dir });
  return {
    counters: new SqlCounters(handle.db, clock),
    clock,
    async close() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

// One process serialises its own SQLite calls; real concurrency needs separate processes.
const CHILD = `
import { openDatabase } from './src/storage/db.ts';
import { SqlCounters } from './src/limits/counters.ts';
const handle = await openDatabase({ databaseUrl: null, dataDir: process.env.DIR });
const counters = new SqlCounters(handle.db, { now: () => Date.now() });
const seen = await Promise.all(Array.from({ length: 50 }, () => counters.hit('shared', 3600)));
await handle.close();
process.stdout.write(JSON.stringify(seen));
`;

test('SqlCounters: 4 processes × 50 hits on one database file count to exactly 200', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-counters-mp-'));
  try {
    // The children also open the new file at the same moment: its schema is created exactly once.
    const runs = Array.from({ length: 4 }, () =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: ROOT, env: { ...process.env, DIR: dir } });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`child failed (${code}): ${err}`))));
      }),
    );
    const all = (await Promise.all(runs)).flat();
    assert.deepEqual(all.sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1), 'every hit saw its own count');
    const handle = await openDatabase({ databaseUrl: null, dataDir: dir });
    const counters = new SqlCounters(handle.db, { now: () => Date.now() });
    assert.equal(await counters.peek('shared'), 200);
    await handle.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
