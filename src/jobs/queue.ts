// A leased job queue in a database table, shared by every worker process and node that polls it.
//
// A job row is in one of three states, told apart by its columns:
//   waiting   no lease: due once its next attempt has come;
//   held      a lease (an owner token and an expiry): one worker is working on it; once the lease runs
//             out without being renewed (its worker died or hangs), the job is due again;
//   finished  its completion time is set, with a status that says how it ended.
// A worker claims due jobs with one conditional UPDATE (the due condition repeated in it), so of two workers
// that pick the same job only one gets it, across processes and nodes. It renews the lease while it works
// and ends the job (complete), puts it back for a later attempt (retry, after an exponential back-off with
// jitter and a maximum), or gives it up after `maxAttempts` attempts (a hook records that). Attempts count
// tries started: a job whose worker dies every time is given up when it is claimed once too often.
// Every ending is conditional on the lease still being this worker's: a worker whose lease ran out and
// was taken over cannot overwrite the outcome of the one that took over.
//
// The table itself is behind the JobTable port (see sqlTable.ts for the SQL one); the work is the
// handler's: the queue knows nothing of mail or passwords.
import type { Kysely } from 'kysely';
import { cryptoRandom, randomHex, type Clock, type Random } from '../util/clock.js';

/** A lease: who holds the job (a random token per claim) and until when. */
export interface Lease {
  owner: string;
  until: number;
}

export interface DueJob {
  id: number;
  /** Due because the lease of another worker ran out (a takeover), not because it was waiting. */
  expired: boolean;
}

export interface ClaimedRow<R> {
  id: number;
  /** Attempts started, this one included. */
  attempts: number;
  row: R;
}

/** How a job ends: its status, when, and the worker's own values for the row (kept out of the queue). */
export interface Ending {
  status: string;
  at: number;
  /** The reason, for a table that records the last error (null clears it, undefined leaves it). */
  error?: string | null;
  values?: Record<string, unknown>;
}

/** A transaction (or the database) of the worker's: a job can end in the same commit as its work. */
export type JobTx = Kysely<any>;

/** The storage of one queue. */
export interface JobTable<R> {
  /** Up to `limit` jobs due at `now`: held jobs whose lease ran out first, then waiting ones, oldest first. */
  due(now: number, limit: number): Promise<DueJob[]>;
  /** Takes those of `ids` that are still due, in one conditional update; returns the ones now held under `lease`. */
  claim(ids: readonly number[], now: number, lease: Lease): Promise<Array<ClaimedRow<R>>>;
  /** Moves the lease on; false once the job is no longer `owner`'s. */
  renew(id: number, owner: string, until: number): Promise<boolean>;
  /** Ends the job while `owner` holds it (null: whoever holds it, or nobody); false if it is not `owner`'s. */
  finish(id: number, owner: string | null, ending: Ending, tx?: JobTx): Promise<boolean>;
  /**
   * Puts a job `owner` holds back to waiting, due at `at`, with `status`. `uncount`: the attempt it was
   * claimed for is given back (a postponement, not a failure).
   */
  requeue(id: number, owner: string, r: { status: string; at: number; uncount?: boolean; error?: string | null }): Promise<boolean>;
  /** Jobs held at `now` under a lease that has not run out. */
  held(now: number): Promise<Array<ClaimedRow<R>>>;
}

/** Timers, injected so that tests of renewals and grace times never sleep. */
export interface Timers {
  /** Calls `fn` once after `ms`; returns what cancels it. */
  after(ms: number, fn: () => void): () => void;
  /** Calls `fn` every `ms`; returns what cancels it. */
  every(ms: number, fn: () => void): () => void;
}

export const realTimers: Timers = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

/** Exponential back-off: base·2^(n−1), capped at max, plus up to `jitter`·100 % at random. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
  /** 0 (none) … 1; 0.5 adds up to half the delay. */
  jitter?: number;
}

/** How long after its `attempt`-th try a job is tried again (the cap applies after the jitter). */
export function backoffDelay(b: Backoff, attempt: number, random: Random = cryptoRandom): number {
  const exp = b.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const jitter = b.jitter ? b.jitter * (random.bytes(4).readUInt32BE(0) / 0x1_0000_0000) : 0;
  return Math.round(Math.min(b.maxMs, exp * (1 + jitter)));
}

export type JobState = 'running' | 'done' | 'retry' | 'failed' | 'postponed' | 'released' | 'lost';

export type RetryResult = { outcome: 'retry'; delayMs: number } | { outcome: 'gave-up' } | { outcome: 'lost' };

/** A claimed job, as its handler sees it. */
export interface Job<R> {
  readonly id: number;
  readonly row: R;
  /** Attempts started, this one included. */
  readonly attempt: number;
  /** Taken over from a worker whose lease ran out. */
  readonly takeover: boolean;
  readonly state: JobState;
  /** Ends it with `status` (in the worker's transaction `tx` when given); false if the lease was lost. */
  complete(status: string, values?: Record<string, unknown>, tx?: JobTx): Promise<boolean>;
  /** Ends it with `status` even if the lease was lost or given back meanwhile (the work did happen). */
  completeAnyway(status: string, values?: Record<string, unknown>): Promise<void>;
  /** Gives it up now, whatever attempts are left (a failure no attempt can cure). */
  fail(reason: string, details?: object): Promise<boolean>;
  /** Tries again after the back-off, or gives it up when this was its last attempt. */
  retry(reason: string, details?: object): Promise<RetryResult>;
  /** Puts it back, due after `delayMs`, without using up an attempt. */
  postpone(delayMs: number): Promise<boolean>;
  /** Moves the lease on now (the queue also renews it every `renewEveryMs` while the handler runs). */
  renew(): Promise<boolean>;
}

export interface QueueHooks<R> {
  /** A job was taken over from a worker whose lease ran out (before its handler runs). */
  onTakeover?(job: Job<R>): void;
  /** A job was put back for another attempt after `delayMs`. */
  onRetry?(job: Job<R>, reason: string, delayMs: number, details?: object): void | Promise<void>;
  /** A job was given up: out of attempts, or failed for good. Must not throw (it is caught if it does). */
  onGiveUp?(job: Job<R>, reason: string, details?: object): void | Promise<void>;
  /** A job still running when the grace time of stop() ended was given back to the queue. */
  onRelease?(job: Job<R>): void;
  /** A handler threw, or its bookkeeping failed; the job is retried (or its lease runs out). */
  onError?(job: Job<R>, err: Error): void;
}

export interface JobQueueOptions<R> extends QueueHooks<R> {
  table: JobTable<R>;
  clock: Clock;
  /** The back-off's jitter (default crypto). Owner tokens always come from crypto, whatever a test injects. */
  random?: Random;
  timers?: Timers;
  /** How long a claim protects a job from other workers. */
  leaseMs: number;
  /** Renews the lease this often while the handler runs (default: never). */
  renewEveryMs?: number;
  /** Attempts before a job is given up. */
  maxAttempts: number;
  backoff: Backoff;
  /** Jobs handled at once (a function: read before every claim). */
  concurrency: number | (() => number);
  /**
   * While jobs are running, claim only once this many lanes are free (default 1): fewer, larger claims,
   * for jobs so quick that the claim's own queries are a good part of their cost.
   */
  claimBatch?: number;
  /** While false nothing is claimed (a pause after an outage, say). */
  open?: () => boolean;
  /** A pass claims nothing more once a job of it was put back for a retry (its failure would hit the next job too). */
  endPassOnRetry?: boolean;
  /** What stop() does: keep claiming due jobs until the grace time ends (`drain`) or claim nothing more; at the end, wait for jobs still running or give them back. */
  stop: { drain: boolean; atDeadline: 'wait' | 'release' };
  /** Status of a job waiting for another attempt (and of one given back at stop). */
  retryStatus: string;
  /** Status of a job given up. */
  failedStatus: string;
  /** The reason recorded for a job given up when claimed: its earlier attempts all ended with the lease running out. */
  interruptedReason?: string;
  /** The reason recorded for a job given back at stop. */
  releaseReason?: string;
  handler: (job: Job<R>) => Promise<void>;
}

/** What one pass (or kick) did. */
export interface PassCounts {
  /** Jobs claimed. */
  claimed: number;
  /** Jobs completed by their handler. */
  done: number;
}

const none = (): PassCounts => ({ claimed: 0, done: 0 });
const add = (a: PassCounts, b: PassCounts): PassCounts => ({ claimed: a.claimed + b.claimed, done: a.done + b.done });

class ClaimedJob<R> implements Job<R> {
  state: JobState = 'running';
  /** Completed inside the worker's transaction: a rollback after it undoes the completion. */
  completedInTx = false;
  constructor(
    private readonly q: JobQueue<R>,
    readonly id: number,
    readonly row: R,
    readonly attempt: number,
    readonly takeover: boolean,
    readonly lease: Lease,
  ) {}

  private get table(): JobTable<R> {
    return this.q.table;
  }

  private get owned(): boolean {
    return this.state === 'running';
  }

  async complete(status: string, values?: Record<string, unknown>, tx?: JobTx): Promise<boolean> {
    if (!this.owned) return false;
    const ok = await this.table.finish(this.id, this.lease.owner, { status, at: this.q.clock.now(), values }, tx);
    this.state = ok ? 'done' : 'lost';
    this.completedInTx = ok && tx !== undefined;
    return ok;
  }

  async completeAnyway(status: string, values?: Record<string, unknown>): Promise<void> {
    await this.table.finish(this.id, null, { status, at: this.q.clock.now(), values });
    this.state = 'done';
  }

  async fail(reason: string, details?: object): Promise<boolean> {
    if (!this.owned) return false;
    const ok = await this.table.finish(this.id, this.lease.owner, { status: this.q.failedStatus, at: this.q.clock.now(), error: reason });
    this.state = ok ? 'failed' : 'lost';
    if (ok) await this.q.gaveUp(this, reason, details);
    return ok;
  }

  async retry(reason: string, details?: object): Promise<RetryResult> {
    if (!this.owned) return { outcome: 'lost' };
    if (this.attempt >= this.q.maxAttempts) {
      try {
        if (await this.fail(reason, details)) return { outcome: 'gave-up' };
        if (this.state === 'lost') return { outcome: 'lost' };
      } catch {
        // The database itself is failing: the lease runs out, and the claim after it gives the job up.
      }
      this.state = 'retry';
      const delayMs = Math.max(0, this.lease.until - this.q.clock.now());
      await this.q.hook(() => this.q.o.onRetry?.(this, reason, delayMs, details));
      return { outcome: 'retry', delayMs };
    }
    const delayMs = this.q.delay(this.attempt);
    try {
      const ok = await this.table.requeue(this.id, this.lease.owner, { status: this.q.retryStatus, at: this.q.clock.now() + delayMs, error: reason });
      if (!ok) {
        this.state = 'lost';
        return { outcome: 'lost' };
      }
    } catch {
      // The database itself is failing: the lease runs out and the job is taken again then.
    }
    this.state = 'retry';
    await this.q.hook(() => this.q.o.onRetry?.(this, reason, delayMs, details));
    return { outcome: 'retry', delayMs };
  }

  async postpone(delayMs: number): Promise<boolean> {
    if (!this.owned) return false;
    const ok = await this.table.requeue(this.id, this.lease.owner, { status: this.q.retryStatus, at: this.q.clock.now() + delayMs, uncount: true });
    this.state = ok ? 'postponed' : 'lost';
    return ok;
  }

  async renew(): Promise<boolean> {
    if (!this.owned) return false;
    const until = this.q.clock.now() + this.q.leaseMs;
    const ok = await this.table.renew(this.id, this.lease.owner, until);
    if (ok) this.lease.until = Math.max(this.lease.until, until);
    return ok;
  }

  /** At the end of stop()'s grace time: back to the queue, due at once, if still ours. */
  async release(): Promise<boolean> {
    if (!this.owned) return false;
    this.state = 'released';
    const at = this.q.clock.now();
    return this.table.requeue(this.id, this.lease.owner, { status: this.q.retryStatus, at, error: this.q.o.releaseReason ?? 'interrupted by shutdown' });
  }
}

export class JobQueue<R> {
  readonly table: JobTable<R>;
  readonly clock: Clock;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly retryStatus: string;
  readonly failedStatus: string;
  private readonly random: Random;
  private readonly timers: Timers;
  /** Claims nothing more (stop() ran); passes still running finish their jobs. */
  private stopped = false;
  /** During a draining stop(): due jobs are claimed until this time. */
  private deadline: number | null = null;
  private readonly passes = new Set<Promise<PassCounts>>();
  private readonly active = new Set<ClaimedJob<R>>();
  private kicked: Promise<PassCounts> | null = null;
  private again = false;

  constructor(readonly o: JobQueueOptions<R>) {
    this.table = o.table;
    this.clock = o.clock;
    this.leaseMs = o.leaseMs;
    this.maxAttempts = o.maxAttempts;
    this.retryStatus = o.retryStatus;
    this.failedStatus = o.failedStatus;
    this.random = o.random ?? cryptoRandom;
    this.timers = o.timers ?? realTimers;
  }

  /** How long after its `attempt`-th try a job waits (with this queue's jitter). */
  delay(attempt: number): number {
    return backoffDelay(this.o.backoff, attempt, this.random);
  }

  /** Jobs being handled by this process now. */
  get running(): number {
    return this.active.size;
  }

  /** Whether stop() has begun. */
  get stopping(): boolean {
    return this.stopped || this.deadline !== null;
  }

  /** Handles every job due now, `concurrency` at a time, until none is due (or stop() says otherwise). */
  runOnce(): Promise<PassCounts> {
    if (this.stopped) return Promise.resolve(none());
    const p = this.pass();
    this.passes.add(p);
    const forget = () => this.passes.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Runs a pass now, or once more right after the current one: a signal is never lost. */
  kick(): Promise<PassCounts> {
    if (this.stopped) return Promise.resolve(none());
    if (this.kicked) {
      this.again = true;
      return this.kicked;
    }
    this.kicked = (async () => {
      let total = none();
      try {
        do {
          this.again = false;
          total = add(total, await this.runOnce());
        } while (this.again && !this.stopped);
      } finally {
        this.kicked = null;
      }
      return total;
    })();
    return this.kicked;
  }

  /**
   * Stops within `graceMs`. Draining, due jobs are still claimed until the grace time ends; otherwise
   * nothing more is claimed. Then jobs still running are waited for ('wait') or given back to the queue,
   * due at once, for the next start ('release'; their handlers go on, and an outcome they record without
   * the lease, such as a mail that did go out, still counts). Jobs not claimed stay queued. Resolves true
   * when everything running finished in time.
   */
  async stop(graceMs: number): Promise<boolean> {
    const { drain, atDeadline } = this.o.stop;
    let work: Promise<unknown>;
    if (drain && !this.stopped) {
      this.deadline = this.clock.now() + graceMs;
      work = this.kick()
        .catch(() => none())
        .then(() => {
          this.stopped = true;
          return Promise.allSettled([...this.passes]);
        });
    } else {
      this.stopped = true;
      work = Promise.allSettled([...this.passes]);
    }
    if (atDeadline === 'wait') {
      await work;
      this.stopped = true;
      return true;
    }
    let cancel = () => {};
    const timeout = new Promise<false>((resolve) => {
      cancel = this.timers.after(Math.max(0, graceMs), () => resolve(false));
    });
    const finished = await Promise.race([work.then(() => true as const), timeout]);
    cancel();
    this.stopped = true;
    if (finished) return true;
    for (const job of [...this.active]) {
      try {
        if (await job.release()) this.o.onRelease?.(job);
      } catch (err) {
        this.o.onError?.(job, err as Error);
      }
    }
    return false;
  }

  /** Jobs other workers (or this one) hold under a lease that has not run out. */
  held(): Promise<Array<ClaimedRow<R>>> {
    return this.table.held(this.clock.now());
  }

  private claimable(): boolean {
    if (this.stopped) return false;
    if (this.deadline !== null && this.clock.now() >= this.deadline) return false;
    return this.o.open?.() ?? true;
  }

  private concurrency(): number {
    const c = this.o.concurrency;
    return Math.max(1, typeof c === 'function' ? c() : c);
  }

  private async pass(): Promise<PassCounts> {
    const counts = none();
    const lanes = new Set<Promise<void>>();
    let drained = false;
    let failure: unknown = null;
    let retried = false;
    for (;;) {
      const concurrency = this.concurrency();
      const free = concurrency - lanes.size;
      const enough = free >= Math.min(this.o.claimBatch ?? 1, concurrency) || lanes.size === 0;
      if (!drained && !(this.o.endPassOnRetry && retried) && free > 0 && enough && this.claimable()) {
        let claimed: { jobs: Array<ClaimedJob<R>>; more: boolean };
        try {
          claimed = await this.claim(free);
        } catch (err) {
          // The database failed: finish the jobs under way, then report it.
          failure = err;
          drained = true;
          continue;
        }
        if (!claimed.more) drained = true;
        for (const job of claimed.jobs) {
          counts.claimed++;
          const lane: Promise<void> = this.work(job)
            .then((state) => {
              if (state === 'done') counts.done++;
              if (state === 'retry') retried = true;
            })
            .finally(() => lanes.delete(lane));
          lanes.add(lane);
        }
        // `more` with no jobs: another worker won the race for them; look again.
        if (claimed.jobs.length > 0 || claimed.more) continue;
      }
      if (lanes.size === 0) break;
      await Promise.race(lanes);
    }
    if (failure) throw failure;
    return counts;
  }

  private async claim(n: number): Promise<{ jobs: Array<ClaimedJob<R>>; more: boolean }> {
    const now = this.clock.now();
    const due = await this.table.due(now, n);
    if (due.length === 0) return { jobs: [], more: false };
    const lease: Lease = { owner: randomHex(cryptoRandom, 32), until: now + this.leaseMs };
    const rows = await this.table.claim(
      due.map((d) => d.id),
      now,
      lease,
    );
    const expired = new Set(due.filter((d) => d.expired).map((d) => d.id));
    const jobs = rows
      .sort((a, b) => a.id - b.id)
      .map((r) => {
        // Each job keeps its own copy of the lease: renewals move one job's only.
        const job = new ClaimedJob(this, r.id, r.row, r.attempts, expired.has(r.id), { ...lease });
        this.active.add(job);
        return job;
      });
    return { jobs, more: due.length === n };
  }

  private async work(job: ClaimedJob<R>): Promise<JobState> {
    let stopRenewing = () => {};
    try {
      if (job.takeover) this.o.onTakeover?.(job);
      if (job.attempt > this.maxAttempts) {
        // Its earlier attempts all ended with the lease running out (a worker that crashed on it, say).
        await job.fail(this.o.interruptedReason ?? 'interrupted (its lease ran out) with no attempts left');
        return job.state;
      }
      if (this.o.renewEveryMs) stopRenewing = this.timers.every(this.o.renewEveryMs, () => void job.renew().catch(() => {}));
      try {
        await this.o.handler(job);
      } finally {
        stopRenewing();
      }
      return job.state;
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      // A completion inside the worker's transaction was rolled back with it: the job is still held.
      if (job.state === 'done' && job.completedInTx) job.state = 'running';
      this.o.onError?.(job, e);
      if (job.state === 'running') await job.retry(e.message).catch(() => {});
      return job.state;
    } finally {
      this.active.delete(job);
    }
  }

  /** @internal */
  async gaveUp(job: Job<R>, reason: string, details?: object): Promise<void> {
    await this.hook(() => this.o.onGiveUp?.(job, reason, details));
  }

  /** @internal Runs a hook; a hook that throws does not change what happened to the job. */
  async hook(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch {
      // Hooks record and report; their failure is theirs.
    }
  }
}
