// Sends queued outbox rows. Several workers (processes or instances) may poll one database:
// each row is claimed by a conditional UPDATE, and only the worker whose UPDATE changed the
// row sends it. A worker that dies mid-send leaves a lease that expires, and the row is
// retried (at-least-once; the fixed Message-ID lets receivers drop a duplicate).
import type { ExpressionBuilder, Kysely, Updateable } from 'kysely';
import type { Database, OutboxTable } from '../storage/schema.js';
import { cryptoRandom, type Clock, type Random } from '../util/clock.js';
import { TransportError, type MailTransport } from './transport.js';

export interface WorkerLogger {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export interface DeliveryWorkerDeps {
  db: Kysely<Database>;
  clock: Clock;
  transport: MailTransport;
  logger?: WorkerLogger;
  /** Attempts before a temporarily failing mail is given up (default 8). */
  maxAttempts?: number;
  /** How long a claim protects a row being sent from other workers (default 60 s). */
  leaseMs?: number;
  /** First retry delay; doubles per attempt (default 5 s). */
  baseDelayMs?: number;
  /** Upper bound of the retry delay (default 1 h). */
  maxDelayMs?: number;
  /** Rows looked at per run (default 20). */
  batchSize?: number;
  /** Source of retry jitter (default crypto). */
  random?: Random;
  /** Envelope sender; by default the address in the message's From header. */
  envelopeFrom?: string;
}

const noLogger: WorkerLogger = { info() {}, warn() {} };

/** The address of the From header: the envelope sender when none is configured. */
export function headerFromAddress(raw: string): string {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const m = /^From:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(head);
  const value = (m?.[1] ?? '').replace(/\r?\n[ \t]+/g, ' ').trim();
  return /<([^<>]+)>\s*$/.exec(value)?.[1] ?? value;
}

export class DeliveryWorker {
  private readonly logger: WorkerLogger;
  private readonly maxAttempts: number;
  private readonly leaseMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly batchSize: number;
  private readonly random: Random;

  private timer: NodeJS.Timeout | null = null;
  private timerImmediate = false;
  private looping = false;
  private loopBusy = false;
  private rerun = false;
  private intervalMs = 1000;
  /** Bumped by stop(): runs started before it claim no further rows. */
  private generation = 0;
  private readonly inflight = new Set<Promise<number>>();

  constructor(private readonly deps: DeliveryWorkerDeps) {
    this.logger = deps.logger ?? noLogger;
    this.maxAttempts = deps.maxAttempts ?? 8;
    this.leaseMs = deps.leaseMs ?? 60_000;
    this.baseDelayMs = deps.baseDelayMs ?? 5_000;
    this.maxDelayMs = deps.maxDelayMs ?? 3_600_000;
    this.batchSize = deps.batchSize ?? 20;
    this.random = deps.random ?? cryptoRandom;
  }

  /** Claims and sends the rows due now, one at a time; returns how many it handled. */
  runOnce(): Promise<number> {
    const p = this.run(this.generation);
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  private async run(gen: number): Promise<number> {
    const now = this.deps.clock.now();
    const due = await this.deps.db
      .selectFrom('outbox')
      .select('ob_id')
      .where((eb) => this.dueCondition(eb, now))
      .orderBy('ob_next_attempt')
      .orderBy('ob_id')
      .limit(this.batchSize)
      .execute();
    let handled = 0;
    for (const { ob_id } of due) {
      if (gen !== this.generation) break;
      if (await this.deliverOne(ob_id)) handled++;
    }
    return handled;
  }

  // Due: queued and its time has come, or claimed by a worker whose lease ran out.
  private dueCondition(eb: ExpressionBuilder<Database, 'outbox'>, now: number) {
    return eb.or([
      eb.and([eb('ob_status', '=', 'queued'), eb('ob_next_attempt', '<=', now)]),
      eb.and([eb('ob_status', '=', 'sending'), eb('ob_lease_until', '<', now)]),
    ]);
  }

  /** Returns false when another worker claimed the row first. */
  private async deliverOne(id: number): Promise<boolean> {
    const { db, clock, transport } = this.deps;
    const now = clock.now();
    const lease = now + this.leaseMs;
    // The due condition is repeated in the UPDATE: of two workers that both saw the row,
    // only the first UPDATE matches, the second changes nothing and gets no row back.
    const row = await db
      .updateTable('outbox')
      .set((eb) => ({ ob_status: 'sending', ob_lease_until: lease, ob_attempts: eb('ob_attempts', '+', 1) }))
      .where('ob_id', '=', id)
      .where((eb) => this.dueCondition(eb, now))
      .returning(['ob_id', 'ob_kind', 'ob_to', 'ob_message_id', 'ob_raw', 'ob_attempts'])
      .executeTakeFirst();
    if (!row) return false;
    // ob_attempts counts tries started, so a message that crashes its worker cannot loop forever.
    const ctx = { id: row.ob_id, kind: row.ob_kind, messageId: row.ob_message_id, attempt: row.ob_attempts };

    const finish = (values: Updateable<OutboxTable>) => this.finish(id, lease, values);

    if (row.ob_attempts > this.maxAttempts) {
      const reason = 'delivery interrupted (lease expired) and no attempts left';
      await finish({ ob_status: 'failed', ob_lease_until: null, ob_last_error: reason });
      this.logger.warn({ ...ctx, error: reason }, 'mail delivery failed permanently');
      return true;
    }

    try {
      await transport.send({
        from: this.deps.envelopeFrom ?? headerFromAddress(row.ob_raw),
        to: row.ob_to,
        raw: row.ob_raw,
        messageId: row.ob_message_id,
      });
    } catch (err) {
      const te = err instanceof TransportError ? err : new TransportError(String((err as Error)?.message ?? err), true);
      const reason = te.message.slice(0, 1000);
      const exhausted = row.ob_attempts >= this.maxAttempts;
      const log = { ...ctx, error: reason, responseCode: te.responseCode };
      if (!te.temporary || exhausted) {
        await finish({ ob_status: 'failed', ob_lease_until: null, ob_last_error: reason });
        this.logger.warn({ ...log, exhausted }, 'mail delivery failed permanently');
      } else {
        const delay = this.backoff(row.ob_attempts);
        await finish({ ob_status: 'queued', ob_lease_until: null, ob_next_attempt: clock.now() + delay, ob_last_error: reason });
        this.logger.warn({ ...log, retryInMs: delay }, 'mail delivery failed, will retry');
      }
      return true;
    }
    // Recorded even if the lease was lost meanwhile: the message did go out.
    await db
      .updateTable('outbox')
      .set({ ob_status: 'sent', ob_sent: clock.now(), ob_lease_until: null })
      .where('ob_id', '=', id)
      .execute();
    this.logger.info(ctx, 'mail sent');
    return true;
  }

  // Only while the row is still ours (status 'sending' with the lease we wrote): a slow worker
  // whose lease expired must not overwrite the outcome recorded by the one that took over.
  private async finish(id: number, lease: number, values: Updateable<OutboxTable>): Promise<void> {
    await this.deps.db
      .updateTable('outbox')
      .set(values)
      .where('ob_id', '=', id)
      .where('ob_status', '=', 'sending')
      .where('ob_lease_until', '=', lease)
      .execute();
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

  /** Stops polling and waits up to graceMs for sends in progress; true if they finished. */
  async stop(graceMs = 10_000): Promise<boolean> {
    this.looping = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inflight.size === 0) return true;
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      t = setTimeout(() => resolve(false), graceMs);
    });
    const drained = Promise.allSettled([...this.inflight]).then(() => true as const);
    const result = await Promise.race([drained, timeout]);
    clearTimeout(t);
    return result;
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
    let handled = 0;
    try {
      handled = await this.runOnce();
    } catch (err) {
      this.logger.warn({ error: String((err as Error)?.message ?? err) }, 'mail delivery run failed');
    } finally {
      this.loopBusy = false;
    }
    // A full batch suggests more rows are due: go on without waiting.
    const again = this.rerun || handled >= this.batchSize;
    this.rerun = false;
    this.schedule(again ? 0 : this.intervalMs);
  }
}
