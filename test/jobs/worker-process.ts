// One worker process of the cross-process claim test (queue.test.ts): opens the database named by KIND
// and WHERE, says "ready", waits for "go" on stdin so that every process starts claiming at once, handles
// every due job of TABLE (logging it in the same transaction as its completion), and prints its counts.
import { JobQueue } from '../../src/jobs/queue.js';
import { SqlJobTable } from '../../src/jobs/sqlTable.js';
import { systemClock } from '../../src/util/clock.js';
import { jobSpec, openBackend, type JobRow, type Kind } from './backends.js';

const { KIND, WHERE, TABLE, WORKER } = process.env as Record<string, string>;
const { db, close } = await openBackend(KIND as Kind, WHERE);
const queue = new JobQueue<JobRow>({
  table: new SqlJobTable<JobRow>(db, jobSpec(TABLE)),
  clock: systemClock,
  leaseMs: 60_000,
  maxAttempts: 3,
  backoff: { baseMs: 1000, maxMs: 1000 },
  concurrency: 4,
  stop: { drain: false, atDeadline: 'wait' },
  retryStatus: 'queued',
  failedStatus: 'failed',
  handler: async (job) => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto(`${TABLE}_log`).values({ job_id: job.id, worker: WORKER }).execute();
      if (!(await job.complete('done', {}, trx))) throw new Error('lease lost');
    });
  },
});
process.stdout.write('ready');
await new Promise((resolve) => process.stdin.once('data', resolve));
const counts = await queue.runOnce();
await close();
process.stdout.write(JSON.stringify(counts));
