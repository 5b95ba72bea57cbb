// The outbox table is the queue between request handling and delivery: a mail is enqueued in
// the same transaction as the change that caused it, and a DeliveryWorker sends it later.
import type { Kysely, Selectable } from 'kysely';
import type { Database, OutboxTable } from '../storage/schema.js';
import { randomHex, type Clock, type Random } from '../util/clock.js';
import { composeMessage, type OutgoingMail } from './compose.js';

export type OutboxRow = Selectable<OutboxTable>;
/** A row without the raw message, which may hold a temporary password. */
export type OutboxSummary = Omit<OutboxRow, 'ob_raw'>;
export type OutboxStatus = 'queued' | 'sending' | 'sent' | 'failed';

export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['queued', 'sending', 'sent', 'failed'];

const SUMMARY_COLUMNS = [
  'ob_id', 'ob_created', 'ob_kind', 'ob_user', 'ob_to', 'ob_subject', 'ob_message_id',
  'ob_status', 'ob_attempts', 'ob_next_attempt', 'ob_lease_until', 'ob_last_error', 'ob_sent',
] as const;

export interface OutboxDeps {
  db: Kysely<Database>;
  clock: Clock;
  random: Random;
  /** Sender address, used in the From header and (by the worker) as the envelope sender. */
  from: string;
  fromName: string;
  /** Right-hand side of generated Message-IDs. */
  domain: string;
}

export class Outbox {
  constructor(private readonly deps: OutboxDeps) {}

  /**
   * Composes and queues a mail; returns its ob_id. Pass the caller's transaction as `db` so
   * the mail exists exactly when the change that caused it is committed.
   */
  async enqueue(db: Kysely<Database>, mail: OutgoingMail): Promise<number> {
    const now = this.deps.clock.now();
    // Fixed here, not at send time: every retry carries the same Message-ID, so a receiver
    // that got a message whose acknowledgement was lost can discard the duplicate.
    const messageId = `<${randomHex(this.deps.random, 32)}@${this.deps.domain}>`;
    const raw = await composeMessage(mail, {
      from: this.deps.from,
      fromName: this.deps.fromName,
      messageId,
      date: new Date(now),
    });
    const row = await db
      .insertInto('outbox')
      .values({
        ob_created: now,
        ob_kind: mail.kind,
        ob_user: mail.userId,
        ob_to: mail.to,
        ob_subject: mail.subject,
        ob_message_id: messageId,
        ob_raw: raw,
        ob_status: 'queued',
        ob_attempts: 0,
        ob_next_attempt: now,
        ob_lease_until: null,
        ob_last_error: null,
        ob_sent: null,
      })
      .returning('ob_id')
      .executeTakeFirstOrThrow();
    return Number(row.ob_id);
  }

  /** Newest first, without message bodies. */
  async list(opts: { status?: string; limit?: number } = {}): Promise<OutboxSummary[]> {
    let q = this.deps.db.selectFrom('outbox').select(SUMMARY_COLUMNS).orderBy('ob_id', 'desc');
    if (opts.status) q = q.where('ob_status', '=', opts.status);
    return q.limit(Math.max(1, Math.min(opts.limit ?? 50, 5000))).execute();
  }

  /** One row including the raw message (which may contain a temporary password). */
  async get(id: number): Promise<OutboxRow | undefined> {
    return this.deps.db.selectFrom('outbox').selectAll().where('ob_id', '=', id).executeTakeFirst();
  }

  /** Number of rows per status; every known status is present, zero when empty. */
  async counts(): Promise<Record<OutboxStatus, number> & Record<string, number>> {
    const rows = await this.deps.db
      .selectFrom('outbox')
      .select((eb) => ['ob_status', eb.fn.countAll<number | string | bigint>().as('n')])
      .groupBy('ob_status')
      .execute();
    const out = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number> & Record<string, number>;
    for (const r of rows) out[r.ob_status] = Number(r.n);
    return out;
  }
}
