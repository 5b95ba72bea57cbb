// One contract for both Counters implementations: fixed windows, independent keys, exact counts
// under concurrency. SqlCounters runs on a real SQLite file, and also from several processes at once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCounters, SqlCounters, type Counters } from '../../src/limits/counters.js';
import { openDatabase } from '../../src/storage/db.js';
import { ManualClock } from '../helpers/clock.js';
import { countingContract, hitsFromProcesses } from './contract.js';

interface Subject {
  counters: Counters;
  clock: ManualClock;
  close(): Promise<void>;
}

function contract(name: string, make: () => Promise<Subject>): void {
  describe(`${name} (Counters contract)`, () => {
    countingContract(async (t) => {
      const s = await make();
      t.after(() => s.close());
      return s.counters;
    });

    const withSubject = (fn: (s: Subject) => Promise<void>) => async () => {
      const s = await make();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    };

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
    await hitsFromProcesses(CHILD, { DIR: dir });
    const handle = await openDatabase({ databaseUrl: null, dataDir: dir });
    const counters = new SqlCounters(handle.db, { now: () => Date.now() });
    assert.equal(await counters.peek('shared'), 200);
    await handle.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
