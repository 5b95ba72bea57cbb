// The leased job queue (src/jobs/queue.ts) on each database it runs on — SQLite, PostgreSQL and MariaDB:
// claims that two workers race for (in one process, and in two processes), a lease that runs out and is
// taken over, renewals, the back-off schedule, giving up, postponing, and stopping within a grace time.
// Time is a ManualClock and timers are driven by hand: nothing here sleeps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { JobQueue, backoffDelay, type Job, type JobQueueOptions, type JobTable, type Timers } from '../../src/jobs/queue.js';
import { SqlJobTable } from '../../src/jobs/sqlTable.js';
import type { Random } from '../../src/util/clock.js';
import { ManualClock } from '../helpers/clock.js';
import { ROOT } from '../helpers/process.js';
import { addJobs, createBackend, createJobTable, jobSpec, openBackend, skipUnlessBackend, type JobRow, type Kind, type Opened } from './backends.js';

/** Timers that fire only when the test moves them on. */
class ManualTimers implements Timers {
  private t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; every: number | null; fn: () => void }>();
  after(ms: number, fn: () => void): () => void {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, every: null, fn });
    return () => this.pending.delete(id);
  }
  every(ms: number, fn: () => void): () => void {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, every: ms, fn });
    return () => this.pending.delete(id);
  }
  get count(): number {
    return this.pending.size;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.pending.entries()].filter(([, p]) => p.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      const [id, p] = next;
      this.t = p.at;
      if (p.every === null) this.pending.delete(id);
      else p.at += p.every;
      p.fn();
    }
    this.t = end;
  }
}

/** A job table that remembers the writes it was asked for, so a test can wait for the ones timers start. */
class Watched<R> implements JobTable<R> {
  readonly renewals: Array<Promise<boolean>> = [];
  constructor(private readonly inner: JobTable<R>) {}
  due: JobTable<R>['due'] = (...a) => this.inner.due(...a);
  claim: JobTable<R>['claim'] = (...a) => this.inner.claim(...a);
  finish: JobTable<R>['finish'] = (...a) => this.inner.finish(...a);
  requeue: JobTable<R>['requeue'] = (...a) => this.inner.requeue(...a);
  held: JobTable<R>['held'] = (...a) => this.inner.held(...a);
  renew: JobTable<R>['renew'] = (...a) => {
    const p = this.inner.renew(...a);
    this.renewals.push(p);
    return p;
  };
}

/** A gate a handler waits at until the test opens it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** Randomness that always draws the same bytes: the back-off's jitter is then known. */
const fixedRandom = (byte: number): Random => ({ bytes: (n) => Buffer.alloc(n, byte) });

const LEASE = 60_000;
let tableSeq = 0;

for (const kind of ['sqlite', 'postgres', 'mariadb'] as const satisfies readonly Kind[]) {
  const skip = await skipUnlessBackend(kind);
  describe(`the job queue on ${kind}`, { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), `mwauth-jobs-${kind}-`));
    let backend: { where: string; drop(): Promise<void> };
    let main: Opened;
    let second: Opened;

    before(async () => {
      backend = await createBackend(kind, dir);
      main = await openBackend(kind, backend.where);
      // A second set of connections: a second worker process sees the database only through its own. Not
      // for SQLite within one process: better-sqlite3 waits for a lock synchronously, so a second connection
      // waiting for the first would block the very thread that has to release it. SQLite's second worker
      // here shares the handle (its claims still interleave at every await); the two-process test below
      // gives it a connection of its own.
      second = kind === 'sqlite' ? { db: main.db, close: async () => {} } : await openBackend(kind, backend.where);
    });
    after(async () => {
      await second?.close();
      await main?.close();
      await backend?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A fresh job table with `n` due jobs, and a queue factory on it. */
    async function fixture(n: number, clock = new ManualClock()) {
      const name = `job_${process.pid}_${++tableSeq}`;
      await createJobTable(main.db, kind, name);
      await addJobs(main.db, name, n, clock.now());
      const spec = jobSpec(name);
      const timers = new ManualTimers();
      const queue = (
        o: Partial<JobQueueOptions<JobRow>> & { handler: JobQueueOptions<JobRow>['handler'] },
        db: Kysely<any> = main.db,
      ) =>
        new JobQueue<JobRow>({
          table: new SqlJobTable<JobRow>(db, spec),
          clock,
          timers,
          leaseMs: LEASE,
          maxAttempts: 5,
          backoff: { baseMs: 1000, maxMs: 10_000 },
          concurrency: 1,
          stop: { drain: true, atDeadline: 'wait' },
          retryStatus: 'queued',
          failedStatus: 'failed',
          ...o,
        });
      const rows = () => main.db.selectFrom(name).selectAll().orderBy('id').execute() as Promise<Array<Record<string, any>>>;
      const row = async (id: number) => (await main.db.selectFrom(name).selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as Record<string, any>;
      const log = async () => (await main.db.selectFrom(`${name}_log`).select(['job_id', 'worker']).execute()).map((r) => ({ id: Number(r.job_id), worker: String(r.worker) }));
      /** Completes the job and logs which worker did it, in one transaction: the log holds committed work only. */
      const commit = (worker: string, db: Kysely<any> = main.db) => async (job: Job<JobRow>) => {
        await db.transaction().execute(async (trx) => {
          await trx.insertInto(`${name}_log`).values({ job_id: job.id, worker }).execute();
          if (!(await job.complete('done', {}, trx))) throw new Error('lease lost');
        });
      };
      return { name, spec, clock, timers, queue, rows, row, log, commit };
    }

    test('two workers racing on their own connections claim every job exactly once', async () => {
      const f = await fixture(200);
      const a = f.queue({ handler: f.commit('a'), concurrency: 3 });
      const b = f.queue({ handler: f.commit('b', second.db), concurrency: 3 }, second.db);
      const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
      assert.equal(ra.claimed + rb.claimed, 200, `a ${ra.claimed}, b ${rb.claimed}`);
      assert.equal(ra.done + rb.done, 200);
      const log = await f.log();
      assert.equal(log.length, 200);
      assert.equal(new Set(log.map((l) => l.id)).size, 200, 'no job committed twice');
      const rows = await f.rows();
      assert.ok(rows.every((r) => r.status === 'done' && Number(r.attempts) === 1 && r.lease_owner === null && r.lease_until === null));
      assert.ok(rows.every((r) => Number(r.processed) === f.clock.now()));
    });

    test('claimBatch: while jobs run, claims wait until that many lanes are free; every job is still done once', async () => {
      for (const [batch, most] of [[1, 1], [4, 4]] as const) {
        const f = await fixture(40);
        const table = new SqlJobTable<JobRow>(main.db, f.spec);
        const sizes: number[] = [];
        const counted: JobTable<JobRow> = new Watched(table);
        counted.claim = (ids, now, lease) => (sizes.push(ids.length), table.claim(ids, now, lease));
        const q = f.queue({ handler: f.commit('a'), concurrency: 8, claimBatch: batch, table: counted });
        const r = await q.runOnce();
        assert.deepEqual([r.claimed, r.done], [40, 40]);
        const log = await f.log();
        assert.equal(new Set(log.map((l) => l.id)).size, 40, 'each job once');
        // The first claim fills every lane; after it, claims are at least `batch` (the last may be what is left).
        assert.equal(sizes[0], 8);
        assert.ok(sizes.slice(1, -1).every((n) => n >= most), `${batch}: ${sizes.join(' ')}`);
        if (batch > 1) assert.ok(sizes.length <= 1 + Math.ceil(32 / batch) + 1, `${batch}: ${sizes.length} claims`);
      }
    });

    test('two processes started at the same moment claim every job exactly once', { timeout: 120_000 }, async (t) => {
      const f = await fixture(300);
      const child = (worker: string) => {
        const p = spawn(process.execPath, ['--import', 'tsx', 'test/jobs/worker-process.ts'], {
          cwd: ROOT,
          env: { ...process.env, KIND: kind, WHERE: backend.where, TABLE: f.name, WORKER: worker },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const ready = new Promise<void>((resolve, reject) => {
          p.stdout.on('data', () => out.includes('ready') && resolve());
          p.on('exit', () => reject(new Error(`worker ${worker} ended early: ${err}`)));
        });
        const done = new Promise<{ claimed: number; done: number }>((resolve, reject) =>
          p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice(out.indexOf('ready') + 5))) : reject(new Error(`worker ${worker}: ${code} ${err}`)))),
        );
        return { p, ready, done };
      };
      const workers = [child('p1'), child('p2')];
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.p.stdin.end('go\n');
      const [r1, r2] = await Promise.all(workers.map((w) => w.done));
      t.diagnostic(`process 1 claimed ${r1!.claimed}, process 2 claimed ${r2!.claimed}`);
      assert.equal(r1!.claimed + r2!.claimed, 300);
      assert.equal(r1!.done + r2!.done, 300);
      const log = await f.log();
      assert.equal(log.length, 300);
      assert.equal(new Set(log.map((l) => l.id)).size, 300, 'no job committed twice');
      assert.ok(r1!.claimed > 0 && r2!.claimed > 0, 'both processes took part');
      assert.ok((await f.rows()).every((r) => r.status === 'done' && Number(r.attempts) === 1));
    });

    test('a lease that runs out is taken over; the late worker can no longer end the job', async () => {
      const f = await fixture(1);
      const g = gate();
      let late: boolean | null = null;
      const a = f.queue({
        handler: async (job) => {
          await g.opened;
          late = await job.complete('done by a');
        },
      });
      const takeovers: number[] = [];
      const b = f.queue({ handler: async (job) => void (await job.complete('done by b')), onTakeover: (job) => takeovers.push(job.attempt) });
      const runA = a.runOnce();
      while (a.running === 0) await new Promise((r) => setImmediate(r));
      const [held] = await f.rows();
      assert.equal(held!.status, 'working');
      assert.equal(Number(held!.lease_until), f.clock.now() + LEASE);

      f.clock.advance(LEASE);
      assert.deepEqual(await b.runOnce(), { claimed: 0, done: 0 }, 'a lease ending now is still held');
      f.clock.advance(1);
      assert.deepEqual(await b.runOnce(), { claimed: 1, done: 1 }, 'taken over once it ran out');
      assert.deepEqual(takeovers, [2], 'the takeover is the second attempt');

      g.open();
      assert.deepEqual(await runA, { claimed: 1, done: 0 });
      assert.equal(late, false, 'the late worker is told its lease is gone');
      const [r] = await f.rows();
      assert.equal(r!.status, 'done by b');
      assert.equal(Number(r!.attempts), 2);
      assert.equal(Number(r!.processed), f.clock.now());
    });

    test('a worker renews its lease while it works: nobody takes the job over until it stops renewing', async () => {
      const f = await fixture(1);
      const g = gate();
      const table = new Watched(new SqlJobTable<JobRow>(main.db, f.spec));
      const a = f.queue({ table, renewEveryMs: LEASE / 3, handler: async (job) => void (await g.opened, await job.complete('done by a')) });
      const b = f.queue({ handler: async (job) => void (await job.complete('done by b')) }, second.db);
      const runA = a.runOnce();
      while (a.running === 0) await new Promise((r) => setImmediate(r));
      const start = f.clock.now();

      // Three renewals a lease, for two leases' time: the lease keeps moving ahead of the clock.
      for (let i = 1; i <= 6; i++) {
        f.clock.advance(LEASE / 3);
        f.timers.advance(LEASE / 3);
        assert.deepEqual(await Promise.all(table.renewals.splice(0)), [true]);
        const [r] = await f.rows();
        assert.equal(Number(r!.lease_until), start + (i * LEASE) / 3 + LEASE);
        assert.equal((await b.runOnce()).claimed, 0, `still held after ${i} renewals`);
      }
      g.open();
      assert.deepEqual(await runA, { claimed: 1, done: 1 });
      assert.equal(f.timers.count, 0, 'renewals end with the handler');
      const [r] = await f.rows();
      assert.equal(r!.status, 'done by a');
      assert.equal(Number(r!.attempts), 1);

      // Explicit renewal, and a worker that stops renewing loses the job.
      await addJobs(main.db, f.name, 1, f.clock.now());
      const h = gate();
      let renewedLate: boolean | null = null;
      const c = f.queue({
        handler: async (job) => {
          assert.equal(await job.renew(), true);
          await h.opened;
          renewedLate = await job.renew();
        },
      });
      const runC = c.runOnce();
      while (c.running === 0) await new Promise((r) => setImmediate(r));
      f.clock.advance(LEASE + 1);
      assert.deepEqual(await b.runOnce(), { claimed: 1, done: 1 });
      h.open();
      await runC;
      assert.equal(renewedLate, false, 'a lease taken over cannot be renewed');
    });

    test('a failing job is retried on the back-off schedule, then given up after maxAttempts and recorded once', async () => {
      const f = await fixture(1);
      const retries: Array<[number, number, string]> = [];
      const givenUp: Array<[number, string]> = [];
      const q = f.queue({
        maxAttempts: 5,
        backoff: { baseMs: 1000, maxMs: 6000 },
        handler: async () => {
          throw new Error('disk I/O error');
        },
        onRetry: (job, reason, delay) => void retries.push([job.attempt, delay, reason]),
        onGiveUp: (job, reason) => void givenUp.push([job.attempt, reason]),
      });
      const waits: number[] = [];
      for (let attempt = 1; attempt < 5; attempt++) {
        assert.deepEqual(await q.runOnce(), { claimed: 1, done: 0 });
        const [r] = await f.rows();
        const wait = Number(r!.next_attempt) - f.clock.now();
        waits.push(wait);
        assert.equal(r!.status, 'queued');
        assert.equal(Number(r!.attempts), attempt);
        assert.equal(r!.last_error, 'disk I/O error');
        assert.equal(r!.lease_until, null);
        assert.equal(r!.processed, null);
        f.clock.advance(wait - 1);
        assert.equal((await q.runOnce()).claimed, 0, 'not due before its back-off is over');
        f.clock.advance(1);
      }
      // base·2^(n−1), capped at the maximum.
      assert.deepEqual(waits, [1000, 2000, 4000, 6000]);
      assert.deepEqual(retries.map((r) => r[1]), waits);
      assert.deepEqual(await q.runOnce(), { claimed: 1, done: 0 });
      assert.deepEqual(givenUp, [[5, 'disk I/O error']]);
      const [r] = await f.rows();
      assert.equal(r!.status, 'failed');
      assert.equal(Number(r!.attempts), 5);
      assert.equal(Number(r!.processed), f.clock.now());
      assert.equal(r!.last_error, 'disk I/O error');
      f.clock.advance(86_400_000);
      assert.equal((await q.runOnce()).claimed, 0, 'a job given up is never taken again');
      assert.equal(givenUp.length, 1);
    });

    test('the back-off jitter stays within its share, and the cap holds after it', async () => {
      assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay({ baseMs: 5000, maxMs: 3_600_000 }, n)), [5000, 10_000, 20_000, 40_000]);
      const b = { baseMs: 5000, maxMs: 30_000, jitter: 0.5 };
      assert.deepEqual([1, 2, 3].map((n) => backoffDelay(b, n, fixedRandom(0))), [5000, 10_000, 20_000], 'no jitter drawn');
      assert.deepEqual([1, 2, 3].map((n) => backoffDelay(b, n, fixedRandom(0xff))), [7500, 15_000, 30_000], 'almost 50 % more, capped');
      assert.equal(backoffDelay(b, 100, fixedRandom(0x80)), 30_000, 'huge attempt numbers stay at the cap');
      // The queue uses its jitter: a retry lands within [d, 1.5·d).
      const f = await fixture(1);
      const q = f.queue({ random: fixedRandom(0x80), backoff: b, handler: async (job) => void (await job.retry('451 later')) });
      await q.runOnce();
      const [r] = await f.rows();
      assert.equal(Number(r!.next_attempt) - f.clock.now(), backoffDelay(b, 1, fixedRandom(0x80)));
      assert.ok(Number(r!.next_attempt) - f.clock.now() >= 5000 && Number(r!.next_attempt) - f.clock.now() < 7500);
    });

    test('a job whose workers all died holding it is given up when claimed once too often, without running it', async () => {
      const f = await fixture(1);
      const table = new SqlJobTable<JobRow>(main.db, f.spec);
      const [{ id }] = (await f.rows()) as Array<{ id: number }>;
      // Five workers claim it in turn and die: each lease runs out.
      for (let i = 0; i < 5; i++) {
        const due = await table.due(f.clock.now(), 10);
        assert.deepEqual(due.map((d) => d.id), [Number(id)]);
        assert.equal((await table.claim([Number(id)], f.clock.now(), { owner: `dead-${i}`, until: f.clock.now() + LEASE })).length, 1);
        f.clock.advance(LEASE + 1);
      }
      let ran = false;
      const gaveUp: string[] = [];
      const q = f.queue({ maxAttempts: 5, interruptedReason: 'interrupted too often', handler: async () => void (ran = true), onGiveUp: (_job, reason) => void gaveUp.push(reason) });
      assert.deepEqual(await q.runOnce(), { claimed: 1, done: 0 });
      assert.equal(ran, false);
      assert.deepEqual(gaveUp, ['interrupted too often']);
      const [r] = await f.rows();
      assert.equal(r!.status, 'failed');
      assert.equal(Number(r!.attempts), 6);
      assert.equal(r!.last_error, 'interrupted too often');
    });

    test('a postponed job gives its attempt back and is due after the delay', async () => {
      const f = await fixture(1);
      let postponed = 0;
      const q = f.queue({
        handler: async (job) => {
          if (postponed++ === 0) assert.equal(await job.postpone(5000), true);
          else await job.complete('done');
        },
      });
      assert.deepEqual(await q.runOnce(), { claimed: 1, done: 0 });
      let [r] = await f.rows();
      assert.equal(r!.status, 'queued');
      assert.equal(Number(r!.attempts), 0, 'no attempt used');
      assert.equal(Number(r!.next_attempt), f.clock.now() + 5000);
      f.clock.advance(4999);
      assert.equal((await q.runOnce()).claimed, 0);
      f.clock.advance(1);
      assert.deepEqual(await q.runOnce(), { claimed: 1, done: 1 });
      [r] = await f.rows();
      assert.equal(r!.status, 'done');
      assert.equal(Number(r!.attempts), 1);
    });

    test('stop, draining: what runs finishes, due jobs are handled until the grace time ends, the rest stays queued', async () => {
      const f = await fixture(10);
      // Each job takes 100 ms of the clock; stop(350) keeps claiming while the clock is short of the deadline.
      const q = f.queue({ handler: async (job) => (f.clock.advance(100), void (await job.complete('done'))) });
      const start = f.clock.now();
      assert.equal(await q.stop(350), true);
      const rows = await f.rows();
      assert.deepEqual(rows.map((r) => r.status), ['done', 'done', 'done', 'done', ...Array(6).fill('queued')]);
      assert.ok(rows.slice(4).every((r) => Number(r.attempts) === 0 && r.lease_until === null), 'never claimed');
      assert.equal(f.clock.now(), start + 400, 'the last job claimed before the deadline finished after it');
      assert.deepEqual(await q.runOnce(), { claimed: 0, done: 0 }, 'a stopped queue claims nothing');
      assert.deepEqual(await q.kick(), { claimed: 0, done: 0 });

      // A job running when stop() is called finishes, even past the grace time.
      const h = await fixture(2);
      const gt = gate();
      const q2 = h.queue({ handler: async (job) => void (await gt.opened, await job.complete('done')) });
      const run = q2.runOnce();
      while (q2.running === 0) await new Promise((r) => setImmediate(r));
      const stopped = q2.stop(0);
      h.clock.advance(10_000);
      gt.open();
      assert.equal(await stopped, true);
      assert.deepEqual(await run, { claimed: 1, done: 1 });
      assert.deepEqual((await h.rows()).map((r) => r.status), ['done', 'queued']);
    });

    test('stop, giving back: nothing new is claimed, and jobs still running at the end of the grace time go back to the queue', async () => {
      const f = await fixture(3);
      const g = gate();
      const late: Record<number, boolean | string> = {};
      const released: number[] = [];
      let n = 0;
      const q = f.queue({
        concurrency: 2,
        stop: { drain: false, atDeadline: 'release' },
        releaseReason: 'interrupted by shutdown',
        onRelease: (job) => void released.push(job.id),
        handler: async (job) => {
          await g.opened;
          // The first records its outcome anyway (a mail that did go out); the second is told it lost the job.
          if (n++ === 0) {
            await job.completeAnyway('sent');
            late[job.id] = 'recorded';
          } else late[job.id] = await job.complete('done');
        },
      });
      const run = q.runOnce();
      while (q.running < 2) await new Promise((r) => setImmediate(r));
      const stopping = q.stop(1000);
      f.timers.advance(999);
      await new Promise((r) => setImmediate(r));
      assert.equal(released.length, 0, 'not before the grace time is over');
      f.timers.advance(1);
      assert.equal(await stopping, false, 'not everything finished in time');
      const rows = await f.rows();
      assert.deepEqual(released.sort((a, b) => a - b), rows.slice(0, 2).map((r) => Number(r.id)));
      for (const r of rows.slice(0, 2)) {
        assert.equal(r.status, 'queued', 'due again at once, no lease to wait for');
        assert.equal(r.lease_until, null);
        assert.equal(r.lease_owner, null);
        assert.equal(Number(r.next_attempt), f.clock.now());
        assert.equal(r.last_error, 'interrupted by shutdown');
        assert.equal(Number(r.attempts), 1);
      }
      assert.equal(rows[2]!.status, 'queued');
      assert.equal(Number(rows[2]!.attempts), 0, 'never claimed');

      g.open();
      assert.deepEqual(await run, { claimed: 2, done: 1 });
      const after = await f.rows();
      assert.deepEqual(Object.values(late).sort(), [false, 'recorded'].sort());
      assert.deepEqual(after.slice(0, 2).map((r) => r.status).sort(), ['queued', 'sent']);
    });

    test('jobs held under a live lease are listed; released, finished and expired ones are not', async () => {
      const f = await fixture(3);
      const table = new SqlJobTable<JobRow>(main.db, f.spec);
      const now = f.clock.now();
      const ids = (await f.rows()).map((r) => Number(r.id));
      await table.claim([ids[0]!], now, { owner: 'x', until: now + 1000 });
      await table.claim([ids[1]!], now, { owner: 'y', until: now + 10 });
      assert.deepEqual((await table.held(now + 10)).map((h) => [h.id, h.row.payload]), [[ids[0], 'job 1'], [ids[1], 'job 2']]);
      assert.deepEqual((await table.held(now + 11)).map((h) => h.id), [ids[0]], 'a lease that ran out holds nothing');
      assert.equal(await table.finish(ids[0]!, 'someone else', { status: 'done', at: now }), false, 'only the owner ends a job');
      assert.equal(await table.finish(ids[0]!, 'x', { status: 'done', at: now }), true);
      assert.deepEqual(await table.held(now), [{ id: ids[1], attempts: 1, row: { id: ids[1], payload: 'job 2', attempts: 1 } }]);
    });
  });
}
