// What every Counters implementation must do whatever keeps its clock (the injected one, or Redis's key
// expiry): exact counts, independent keys, no lost or doubled hit under concurrency; and a runner for
// the same hits from several processes at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Counters } from '../../src/limits/counters.js';
import { ROOT } from '../helpers/process.js';

type TestContext = { after(fn: () => Promise<void> | void): void };

/** Declares the clock-free part of the contract; `make` gives a fresh, empty Counters for each test. */
export function countingContract(make: (t: TestContext) => Promise<Counters>): void {
  test('hit counts up and returns the count; peek does not count', async (t) => {
    const counters = await make(t);
    assert.equal(await counters.peek('k'), 0);
    assert.deepEqual([await counters.hit('k', 60), await counters.hit('k', 60), await counters.hit('k', 60)], [1, 2, 3]);
    assert.equal(await counters.peek('k'), 3);
    assert.equal(await counters.peek('k'), 3);
  });

  test('keys are independent; clear forgets one key', async (t) => {
    const counters = await make(t);
    await counters.hit('a', 60);
    await counters.hit('a', 60);
    await counters.hit('b', 60);
    await counters.clear('a');
    assert.equal(await counters.peek('a'), 0);
    assert.equal(await counters.peek('b'), 1);
    assert.equal(await counters.hit('a', 60), 1);
    await counters.clear('never-seen');
  });

  test('50 parallel hit-or-give-back rounds against a limit of 7 let exactly 7 through', async (t) => {
    const counters = await make(t);
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

  test('200 parallel hits are all counted, each seeing a distinct count', async (t) => {
    const counters = await make(t);
    const results = await Promise.all(Array.from({ length: 200 }, () => counters.hit('burst', 60)));
    assert.equal(await counters.peek('burst'), 200);
    assert.deepEqual([...results].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
    // Parallel hits on many keys at once: nothing leaks between them.
    await Promise.all(Array.from({ length: 200 }, (_, i) => counters.hit(`k${i % 4}`, 60)));
    for (let i = 0; i < 4; i++) assert.equal(await counters.peek(`k${i}`), 50);
  });
}

/**
 * Runs `source` (an ES module that prints a JSON array of the counts its hits saw) in `processes` child
 * processes at once, and checks that every hit of all of them saw its own count: 1 … processes × 50.
 */
export async function hitsFromProcesses(source: string, env: Record<string, string>, processes = 4): Promise<void> {
  const runs = Array.from({ length: processes }, () =>
    new Promise<number[]>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { cwd: ROOT, env: { ...process.env, ...env } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`child failed (${code}): ${err}`))));
    }),
  );
  const all = (await Promise.all(runs)).flat();
  assert.deepEqual(all.sort((a, b) => a - b), Array.from({ length: processes * 50 }, (_, i) => i + 1), 'every hit saw its own count');
}
