// Sends queued outbox rows. Several workers (processes or instances) may poll one database:
// rows are claimed by a conditional UPDATE, and only the worker whose UPDATE changed a row sends
// it. A claim is a lease, renewed while the send runs; a worker that dies mid-send stops renewing,
// the lease runs out and another worker (or this one after a restart) sends the row again
// (at-least-once; the fixed Message-ID lets receivers drop a duplicate).
import type { ExpressionBuilder, Kysely, Updateable } from 'kysely';
import type { Database, OutboxTable } from '../storage/schema.js';
import { cryptoRandom, type Clock, type Random } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
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

interface Claimed {
  ob_id: number;
  ob_kind: string;
  ob_to: string;
  ob_message_id: string;
  ob_raw: string;
  ob_attempts: number;
  ob_created: number;
  ob_status_before: 'queued' | 'sending';
}

/** A send in progress: the lease it holds now (renewals move it). */
interface Active {
  lease: number;
  released: boolean;
}

export class DeliveryWorker {
  readonly metrics: MailMetrics;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly leaseMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxPauseMs: number;
  private readonly concurrency: number;
  private readonly random: Random;

  private timer: NodeJS.Timeout | null = null;
  private timerImmediate = false;
  private looping = false;
  private loopBusy = false;
  private rerun = false;
  private intervalMs = 1000;
  /** Bumped by stop(): runs started before it claim no further rows. */
  private generation = 0;
  private readonly runs = new Set<Promise<number>>();
  private readonly active = new Map<number, Active>();
  /** After a transport failure no row is claimed before this time. */
  private pausedUntil = 0;
  private transportFailures = 0;

  constructor(private readonly deps: DeliveryWorkerDeps) {
    this.logger = deps.logger ?? silentLogger;
    this.metrics = deps.metrics ?? new MailMetrics();
    this.maxAttempts = deps.maxAttempts ?? 10;
    this.leaseMs = deps.leaseMs ?? 30_000;
    this.baseDelayMs = deps.baseDelayMs ?? 5_000;
    this.maxDelayMs = deps.maxDelayMs ?? 3_600_000;
    this.maxPauseMs = deps.maxPauseMs ?? 60_000;
    this.concurrency = Math.max(1, deps.concurrency ?? deps.transport.concurrency ?? 1);
    this.random = deps.random ?? cryptoRandom;
  }

  /** Sends what is due now, `concurrency` at a time, until nothing is due; returns how many it handled. */
  runOnce(): Promise<number> {
    const p = this.run(this.generation);
    this.runs.add(p);
    const done = () => this.runs.delete(p);
    p.then(done, done);
    return p;
  }

  /** Whether the worker holds off after a transport failure, and until when. */
  get pausedUntilMs(): number {
    return this.pausedUntil;
  }

  private async run(gen: number): Promise<number> {
    let handled = 0;
    const lanes = new Set<Promise<void>>();
    let drained = false;
    let failure: unknown = null;
    for (;;) {
      const open = gen === this.generation && !drained && this.deps.clock.now() >= this.pausedUntil;
      // After a transport failure one message at a time probes whether the way out works again.
      const free = (this.transportFailures > 0 ? 1 : this.concurrency) - lanes.size;
      if (open && free > 0) {
        let claimed: { rows: Claimed[]; more: boolean };
        try {
          claimed = await this.claim(free);
        } catch (err) {
          // The database failed: finish the sends under way, then report it.
          failure = err;
          drained = true;
          continue;
        }
        const { rows, more } = claimed;
        if (!more) drained = true;
        for (const row of rows) {
          handled++;
          const lane: Promise<void> = this.deliver(row).finally(() => lanes.delete(lane));
          lanes.add(lane);
        }
        // `more` with no rows: another worker won the race for them; look again.
        if (rows.length > 0 || more) continue;
      }
      if (lanes.size === 0) break;
      await Promise.race(lanes);
    }
    if (failure) throw failure;
    return handled;
  }

  // Due: queued and its time has come, or claimed by a worker whose lease ran out.
  private dueCondition(eb: ExpressionBuilder<Database, 'outbox'>, now: number) {
    return eb.or([
      eb.and([eb('ob_status', '=', 'queued'), eb('ob_next_attempt', '<=', now)]),
      eb.and([eb('ob_status', '=', 'sending'), eb('ob_lease_until', '<', now)]),
    ]);
  }

  /**
   * Claims up to `n` due rows with one UPDATE. The due condition is repeated in the UPDATE: of
   * two workers that picked the same rows, only the first UPDATE matches them (PostgreSQL checks
   * the condition again on the row it waited for), the other gets fewer or none back.
   */
  private async claim(n: number): Promise<{ rows: Claimed[]; more: boolean }> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const lease = now + this.leaseMs;
    // Two indexed look-ups rather than one OR: each reads only the rows it returns, so a claim
    // costs the same with 10 or 100 000 messages waiting. Expired leases first: they waited longest.
    const expired = await db
      .selectFrom('outbox')
      .select('ob_id')
      .where('ob_status', '=', 'sending')
      .where('ob_lease_until', '<', now)
      .orderBy('ob_id')
      .limit(n)
      .execute();
    const queued =
      expired.length < n
        ? await db
            .selectFrom('outbox')
            .select('ob_id')
            .where('ob_status', '=', 'queued')
            .where('ob_next_attempt', '<=', now)
            .orderBy('ob_next_attempt')
            .orderBy('ob_id')
            .limit(n - expired.length)
            .execute()
        : [];
    const due = [...expired.map((r) => ({ ob_id: r.ob_id, ob_status: 'sending' })), ...queued.map((r) => ({ ob_id: r.ob_id, ob_status: 'queued' }))];
    if (due.length === 0) return { rows: [], more: false };
    const before = new Map(due.map((r) => [Number(r.ob_id), r.ob_status as 'queued' | 'sending']));
    const rows = await db
      .updateTable('outbox')
      .set((eb) => ({ ob_status: 'sending', ob_lease_until: lease, ob_attempts: eb('ob_attempts', '+', 1) }))
      .where('ob_id', 'in', [...before.keys()])
      .where((eb) => this.dueCondition(eb, now))
      .returning(['ob_id', 'ob_kind', 'ob_to', 'ob_message_id', 'ob_raw', 'ob_attempts', 'ob_created'])
      .execute();
    const claimed = rows
      .map((r) => ({
        ...r,
        ob_id: Number(r.ob_id),
        ob_attempts: Number(r.ob_attempts),
        ob_created: Number(r.ob_created),
        ob_status_before: before.get(Number(r.ob_id)) ?? 'queued',
      }))
      .sort((a, b) => a.ob_id - b.ob_id)
      .map((r) => {
        this.active.set(r.ob_id, { lease, released: false });
        return r;
      });
    return { rows: claimed, more: due.length === n };
  }

  private async deliver(row: Claimed): Promise<void> {
    try {
      await this.deliverClaimed(row);
    } catch (err) {
      // Bookkeeping failed (the database went away): the lease runs out and the row is retried.
      this.logger.warn({ id: row.ob_id, error: String((err as Error)?.message ?? err) }, 'mail delivery bookkeeping failed');
    } finally {
      this.active.delete(row.ob_id);
    }
  }

  private async deliverClaimed(row: Claimed): Promise<void> {
    const { db, clock, transport } = this.deps;
    const id = row.ob_id;
    const state = this.active.get(id)!;
    // ob_attempts counts tries started, so a message that crashes its worker cannot loop forever.
    const ctx = { id, kind: row.ob_kind, messageId: row.ob_message_id, attempt: row.ob_attempts };
    const finish = (values: Updateable<OutboxTable>) => this.finish(id, state, values);

    if (row.ob_status_before === 'sending') {
      this.metrics.count('takeovers');
      this.logger.warn(ctx, 'mail lease expired: taking the message over');
    }
    if (row.ob_attempts > this.maxAttempts) {
      const reason = 'delivery interrupted (lease expired) and no attempts left';
      await finish({ ob_status: 'failed', ob_lease_until: null, ob_next_attempt: clock.now(), ob_last_error: reason });
      this.metrics.count('failed');
      this.logger.warn({ ...ctx, error: reason }, 'mail delivery failed permanently');
      this.outcome(ctx, 'failed', reason);
      return;
    }

    // A message with a secret is opened here, in memory, just before it leaves.
    const sealed = MailSeal.isSealed(row.ob_raw);
    let raw = row.ob_raw;
    if (sealed) {
      try {
        if (!this.deps.seal) throw new SealError('this worker has no key to open sealed messages');
        raw = this.deps.seal.open(row.ob_raw, { messageId: row.ob_message_id, to: row.ob_to });
      } catch (err) {
        // Another key sealed it: no attempt can succeed here. `mwauth mail retry` once the secret is right.
        const reason = (err as Error).message;
        await finish({ ob_status: 'failed', ob_lease_until: null, ob_next_attempt: clock.now(), ob_last_error: reason });
        this.metrics.count('failed');
        this.logger.warn({ ...ctx, error: reason }, 'mail delivery failed permanently');
        this.outcome(ctx, 'failed', reason);
        return;
      }
    }

    this.metrics.count('attempts');
    const renewal = setInterval(() => void this.renew(id, state).catch(() => {}), Math.max(10, Math.floor(this.leaseMs / 3)));
    renewal.unref();
    try {
      await transport.send({
        from: this.deps.envelopeFrom ?? headerFromAddress(raw),
        to: row.ob_to,
        raw,
        messageId: row.ob_message_id,
      });
    } catch (err) {
      clearInterval(renewal);
      const te = err instanceof TransportError ? err : new TransportError(String((err as Error)?.message ?? err), true);
      const reason = te.message.slice(0, 1000);
      const exhausted = row.ob_attempts >= this.maxAttempts;
      const log = { ...ctx, error: reason, responseCode: te.responseCode, scope: te.scope };
      if (te.scope === 'transport') this.pause();
      if (!te.temporary || exhausted) {
        await finish({ ob_status: 'failed', ob_lease_until: null, ob_next_attempt: clock.now(), ob_last_error: reason });
        this.metrics.count('failed');
        this.logger.warn({ ...log, exhausted }, 'mail delivery failed permanently');
        this.outcome(ctx, 'failed', reason);
      } else {
        const delay = this.backoff(row.ob_attempts);
        await finish({ ob_status: 'queued', ob_lease_until: null, ob_next_attempt: clock.now() + delay, ob_last_error: reason });
        this.metrics.count('retries');
        this.logger.warn({ ...log, retryInMs: delay }, 'mail delivery failed, will retry');
        this.outcome(ctx, 'retry', reason);
      }
      return;
    }
    clearInterval(renewal);
    this.transportFailures = 0;
    this.pausedUntil = 0;
    const sentAt = clock.now();
    // Recorded even if the lease was lost or given back meanwhile: the message did go out. A sent message
    // with a secret keeps only its masked copy: the secret leaves the database with it.
    await db
      .updateTable('outbox')
      .set({ ob_status: 'sent', ob_sent: sentAt, ob_lease_until: null, ...(sealed ? { ob_raw: '' } : {}) })
      .where('ob_id', '=', id)
      .execute();
    this.metrics.count('sent');
    this.metrics.observeLatency(sentAt - row.ob_created);
    this.logger.info(ctx, 'mail sent');
    this.outcome(ctx, 'sent');
  }

  private outcome(ctx: { id: number; kind: string; messageId: string; attempt: number }, status: DeliveryOutcome['status'], error?: string): void {
    try {
      this.deps.onOutcome?.({ ...ctx, status, ...(error !== undefined ? { error } : {}) });
    } catch (err) {
      this.logger.warn({ id: ctx.id, error: String((err as Error)?.message ?? err) }, 'mail outcome listener failed');
    }
  }

  /** Moves the lease on while the send runs; stops once the row is no longer ours. */
  private async renew(id: number, state: Active): Promise<void> {
    if (state.released) return;
    const lease = this.deps.clock.now() + this.leaseMs;
    const r = await this.deps.db
      .updateTable('outbox')
      .set({ ob_lease_until: lease })
      .where('ob_id', '=', id)
      .where('ob_status', '=', 'sending')
      .where('ob_lease_until', '=', state.lease)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) state.lease = lease;
  }

  // Only while the row is still ours (status 'sending' with the lease we hold): a slow worker
  // whose lease expired must not overwrite the outcome recorded by the one that took over.
  private async finish(id: number, state: Active, values: Updateable<OutboxTable>): Promise<void> {
    if (state.released) return;
    await this.deps.db
      .updateTable('outbox')
      .set(values)
      .where('ob_id', '=', id)
      .where('ob_status', '=', 'sending')
      .where('ob_lease_until', '=', state.lease)
      .execute();
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
    const exp = this.baseDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
    const jitter = this.random.bytes(4).readUInt32BE(0) / 0x1_0000_0000;
    return Math.round(Math.min(this.maxDelayMs, exp * (1 + 0.5 * jitter)));
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
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.runs.size === 0) return true;
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      t = setTimeout(() => resolve(false), graceMs);
    });
    const drained = Promise.allSettled([...this.runs]).then(() => true as const);
    const result = await Promise.race([drained, timeout]);
    clearTimeout(t);
    if (!result) await this.releaseActive();
    return result;
  }

  private async releaseActive(): Promise<void> {
    const now = this.deps.clock.now();
    for (const [id, state] of this.active) {
      if (state.released) continue;
      state.released = true;
      try {
        const r = await this.deps.db
          .updateTable('outbox')
          .set({ ob_status: 'queued', ob_lease_until: null, ob_next_attempt: now, ob_last_error: 'interrupted by shutdown' })
          .where('ob_id', '=', id)
          .where('ob_status', '=', 'sending')
          .where('ob_lease_until', '=', state.lease)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 1) {
          this.metrics.count('released');
          this.logger.warn({ id }, 'mail delivery unfinished at shutdown: left queued');
        }
      } catch (err) {
        this.logger.warn({ id, error: String((err as Error)?.message ?? err) }, 'could not give an unfinished mail back to the queue');
      }
    }
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
