// Sends queued outbox rows: the jobs of a leased queue (src/jobs/queue.ts) that several workers
// (processes or instances) may poll on one database. Rows are claimed by a conditional UPDATE, and only
// the worker whose UPDATE took a row sends it. A claim is a lease, renewed while the send runs; a worker
// that dies mid-send stops renewing, the lease runs out and another worker (or this one after a restart)
// sends the row again (at-least-once; the fixed Message-ID lets receivers drop a duplicate). This file
// keeps the mail's own work: opening sealed messages, the transport, the pause after it failed, metrics.
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { cryptoRandom, type Clock, type Random } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { JobQueue, backoffDelay, type Backoff, type Job } from '../jobs/queue.js';
import { SqlJobTable } from '../jobs/sqlTable.js';
import { MailMetrics } from './metrics.js';
import { MailSeal, SealError } from './seal.js';
import { TransportError, type MailTransport } from './transport.js';

/** What became of one attempt, once it is recorded. */
export interface DeliveryOutcome {
  id: number;
  kind: string;
  messageId: string;
  attempt: number;
  /** sent; failed (for good); retry (queued again with a backoff). */
  status: 'sent' | 'failed' | 'retry';
  /** The reason, in the server's words, when not sent. */
  error?: string;
}

export interface DeliveryWorkerDeps {
  db: Kysely<Database>;
  clock: Clock;
  transport: MailTransport;
  logger?: Logger;
  /** Where the counters go (share the Outbox's); one is made when not given. */
  metrics?: MailMetrics;
  /** Attempts before a temporarily failing mail is given up (default 10). */
  maxAttempts?: number;
  /** How long a claim protects a row from other workers; renewed every third of it (default 30 s). */
  leaseMs?: number;
  /** First retry delay; doubles per attempt (default 5 s). */
  baseDelayMs?: number;
  /** Upper bound of the retry delay (default 1 h). */
  maxDelayMs?: number;
  /** Upper bound of the pause after the transport itself failed (default 60 s). */
  maxPauseMs?: number;
  /** Sends at once (default: the transport's concurrency, else 1). */
  concurrency?: number;
  /** Source of retry jitter (default crypto). */
  random?: Random;
  /** Envelope sender; by default the address in the message's From header. */
  envelopeFrom?: string;
  /** Opens the messages the outbox sealed (those that carry a secret); without it they fail. */
  seal?: MailSeal;
  /** Called after each attempt's outcome is recorded (an audit trail, say); must not throw. */
  onOutcome?: (o: DeliveryOutcome) => void;
}

/** The address of the From header: the envelope sender when none is configured. */
export function headerFromAddress(raw: string): string {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const m = /^From:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(head);
  const value = (m?.[1] ?? '').replace(/\r?\n[ \t]+/g, ' ').trim();
  return /<([^<>]+)>\s*$/.exec(value)?.[1] ?? value;
}

/** What a send needs of its row. */
interface OutboxJob {
  ob_id: number;
  ob_kind: string;
  ob_to: string;
  ob_message_id: string;
  ob_raw: string;
  ob_attempts: number;
  ob_created: number;
}

/** The outbox as a job table: queued rows are due at their next attempt, held ones are 'sending'. */
export function outboxJobs(db: Kysely<Database>): SqlJobTable<OutboxJob> {
  return new SqlJobTable<OutboxJob>(db, {
    table: 'outbox',
    columns: {
      id: 'ob_id',
      status: 'ob_status',
      attempts: 'ob_attempts',
      nextAttempt: 'ob_next_attempt',
      leaseUntil: 'ob_lease_until',
      leaseOwner: 'ob_lease_owner',
      processed: 'ob_processed',
      lastError: 'ob_last_error',
    },
    statuses: { waiting: ['queued'], working: 'sending' },
    select: ['ob_id', 'ob_kind', 'ob_to', 'ob_message_id', 'ob_raw', 'ob_attempts', 'ob_created'],
  });
}

type Ctx = { id: number; kind: string; messageId: string; attempt: number };

export class DeliveryWorker {
  readonly metrics: MailMetrics;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly maxPauseMs: number;
  private readonly concurrency: number;
  private readonly random: Random;
  private readonly retry: Backoff;
  /** The queue its mail waits in (readiness follows its passes). */
  readonly queue: JobQueue<OutboxJob>;

  private timer: NodeJS.Timeout | null = null;
  private timerImmediate = false;
  private looping = false;
  private loopBusy = false;
  private rerun = false;
  private intervalMs = 1000;
  /** After a transport failure no row is claimed before this time. */
  private pausedUntil = 0;
  private transportFailures = 0;

  constructor(private readonly deps: DeliveryWorkerDeps) {
    this.logger = deps.logger ?? silentLogger;
    this.metrics = deps.metrics ?? new MailMetrics();
    this.maxAttempts = deps.maxAttempts ?? 10;
    const leaseMs = deps.leaseMs ?? 30_000;
    this.maxPauseMs = deps.maxPauseMs ?? 60_000;
    this.concurrency = Math.max(1, deps.concurrency ?? deps.transport.concurrency ?? 1);
    this.random = deps.random ?? cryptoRandom;
    // Up to 50 % random jitter, so that retries of many mails spread out.
    this.retry = { baseMs: deps.baseDelayMs ?? 5_000, maxMs: deps.maxDelayMs ?? 3_600_000, jitter: 0.5 };
    this.queue = new JobQueue<OutboxJob>({
      table: outboxJobs(deps.db),
      clock: deps.clock,
      random: this.random,
      leaseMs,
      renewEveryMs: Math.max(10, Math.floor(leaseMs / 3)),
      maxAttempts: this.maxAttempts,
      backoff: this.retry,
      // After a transport failure one message at a time probes whether the way out works again.
      concurrency: () => (this.transportFailures > 0 ? 1 : this.concurrency),
      open: () => this.deps.clock.now() >= this.pausedUntil,
      // At stop nothing new is claimed; sends still running when the grace time ends go back to the queue.
      stop: { drain: false, atDeadline: 'release' },
      retryStatus: 'queued',
      failedStatus: 'failed',
      interruptedReason: 'delivery interrupted (lease expired) and no attempts left',
      releaseReason: 'interrupted by shutdown',
      handler: (job) => this.deliver(job),
      onTakeover: (job) => {
        this.metrics.count('takeovers');
        this.logger.warn(this.ctx(job), 'mail lease expired: taking the message over');
      },
      onRetry: (job, reason, delayMs, details) => {
        this.metrics.count('retries');
        this.logger.warn({ ...this.ctx(job), error: reason, ...details, retryInMs: delayMs }, 'mail delivery failed, will retry');
        this.outcome(this.ctx(job), 'retry', reason);
      },
      onGiveUp: (job, reason, details) => {
        this.metrics.count('failed');
        this.logger.warn({ ...this.ctx(job), error: reason, ...details }, 'mail delivery failed permanently');
        this.outcome(this.ctx(job), 'failed', reason);
      },
      onRelease: (job) => {
        this.metrics.count('released');
        this.logger.warn({ id: job.id }, 'mail delivery unfinished at shutdown: left queued');
      },
      // Bookkeeping failed (the database went away): the row is retried, or its lease runs out.
      onError: (job, err) => this.logger.warn({ id: job.id, error: String(err?.message ?? err) }, 'mail delivery bookkeeping failed'),
    });
  }

  /** Sends what is due now, `concurrency` at a time, until nothing is due; returns how many it handled. */
  async runOnce(): Promise<number> {
    return (await this.queue.runOnce()).claimed;
  }

  /** Whether the worker holds off after a transport failure, and until when. */
  get pausedUntilMs(): number {
    return this.pausedUntil;
  }

  private ctx(job: Job<OutboxJob>): Ctx {
    // ob_attempts counts tries started, so a message that crashes its worker cannot loop forever.
    return { id: job.id, kind: job.row.ob_kind, messageId: job.row.ob_message_id, attempt: job.attempt };
  }

  private async deliver(job: Job<OutboxJob>): Promise<void> {
    const { clock, transport } = this.deps;
    const row = job.row;
    const ctx = this.ctx(job);

    // A message with a secret is opened here, in memory, just before it leaves.
    const sealed = MailSeal.isSealed(row.ob_raw);
    let raw = row.ob_raw;
    if (sealed) {
      try {
        if (!this.deps.seal) throw new SealError('this worker has no key to open sealed messages');
        raw = this.deps.seal.open(row.ob_raw, { messageId: row.ob_message_id, to: row.ob_to });
      } catch (err) {
        // Another key sealed it: no attempt can succeed here. `mwauth mail retry` once the secret is right.
        await job.fail((err as Error).message);
        return;
      }
    }

    this.metrics.count('attempts');
    try {
      await transport.send({
        from: this.deps.envelopeFrom ?? headerFromAddress(raw),
        to: row.ob_to,
        raw,
        messageId: row.ob_message_id,
      });
    } catch (err) {
      const te = err instanceof TransportError ? err : new TransportError(String((err as Error)?.message ?? err), true);
      const reason = te.message.slice(0, 1000);
      const exhausted = job.attempt >= this.maxAttempts;
      const details = { responseCode: te.responseCode, scope: te.scope };
      if (te.scope === 'transport') this.pause();
      if (!te.temporary || exhausted) await job.fail(reason, { ...details, exhausted });
      else await job.retry(reason, details);
      return;
    }
    this.transportFailures = 0;
    this.pausedUntil = 0;
    const sentAt = clock.now();
    // Recorded even if the lease was lost or given back meanwhile: the message did go out. A sent message
    // with a secret keeps only its masked copy: the secret leaves the database with it.
    await job.completeAnyway('sent', { ob_sent: sentAt, ...(sealed ? { ob_raw: '' } : {}) });
    this.metrics.count('sent');
    this.metrics.observeLatency(sentAt - row.ob_created);
    this.logger.info(ctx, 'mail sent');
    this.outcome(ctx, 'sent');
  }

  private outcome(ctx: Ctx, status: DeliveryOutcome['status'], error?: string): void {
    try {
      this.deps.onOutcome?.({ ...ctx, status, ...(error !== undefined ? { error } : {}) });
    } catch (err) {
      this.logger.warn({ id: ctx.id, error: String((err as Error)?.message ?? err) }, 'mail outcome listener failed');
    }
  }

  /** After a transport failure: hold off claiming, longer each time in a row, up to maxPauseMs. */
  private pause(): void {
    // Sends that were running side by side fail together: one outage, one step of backoff.
    if (this.pausedUntil > this.deps.clock.now()) return;
    this.transportFailures++;
    const delay = Math.min(this.maxPauseMs, this.backoff(this.transportFailures));
    this.pausedUntil = Math.max(this.pausedUntil, this.deps.clock.now() + delay);
  }

  /** base·2^(n−1), plus up to 50 % random jitter so retries of many mails spread out. */
  backoff(attempt: number): number {
    return backoffDelay(this.retry, attempt, this.random);
  }

  /** Polls every intervalMs until stop(). The timer does not keep the process alive. */
  start(intervalMs = 1000): void {
    if (this.looping) return;
    this.looping = true;
    this.intervalMs = intervalMs;
    this.schedule(0);
  }

  /** Runs as soon as possible (after mail was enqueued); many kicks make one run. */
  kick(): void {
    if (!this.looping) return;
    if (this.loopBusy) this.rerun = true;
    else if (!this.timerImmediate) this.schedule(0);
  }

  /**
   * Stops claiming and waits up to graceMs for the sends in progress; true if they finished.
   * Sends still running then are given back to the queue (due at once), so the next start sends
   * them without waiting for their lease to run out; if one completes after all, it is recorded
   * as sent.
   */
  async stop(graceMs = 10_000): Promise<boolean> {
    this.looping = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.queue.stop(graceMs);
  }

  private schedule(delay: number): void {
    if (!this.looping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerImmediate = delay === 0;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerImmediate = false;
      void this.tick();
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.loopBusy = true;
    try {
      await this.runOnce();
    } catch (err) {
      this.logger.warn({ error: String((err as Error)?.message ?? err) }, 'mail delivery run failed');
    } finally {
      this.loopBusy = false;
    }
    const again = this.rerun;
    this.rerun = false;
    // While paused, wake up when the pause ends rather than at the next poll.
    const pause = this.pausedUntil - this.deps.clock.now();
    this.schedule(pause > 0 ? Math.min(this.intervalMs, pause) : again ? 0 : this.intervalMs);
  }
}
