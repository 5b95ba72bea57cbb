// The outbox table is the queue between request handling and delivery: a mail is enqueued in
// the same transaction as the change that caused it, and a DeliveryWorker sends it later.
//
// The table is the delivery worker's job queue (src/jobs/queue.ts). Columns: ob_status is queued →
// sending → sent, or failed; ob_attempts counts sends started; ob_next_attempt is when a queued mail is
// due; ob_lease_until and ob_lease_owner are how long and by which claim the worker sending it holds it;
// ob_processed is when it left the queue (sent, or failed for good); ob_last_error is the latest failure,
// in the server's words; ob_created and ob_sent are when it was queued and accepted. ob_raw is the message
// as it is sent, except for a message with secrets (a temporary password): sealed (see seal.ts) until it
// is sent, then emptied; its masked copy in outbox_masked is what stays.
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { Database, OutboxTable } from '../storage/schema.js';
import { insertReturningId } from '../storage/sql/dialect.js';
import { randomHex, type Clock, type Random } from '../util/clock.js';
import { composeMessage, maskMail, type OutgoingMail } from './compose.js';
import { maskedView, type ParsedMessage } from './inspect.js';
import { MailMetrics, type MailStats } from './metrics.js';
import { MailSeal } from './seal.js';
import { OUTBOX_STATUSES, type OutboxStatus } from './schema.js';

export { OUTBOX_STATUSES, type OutboxStatus };

export type OutboxRow = Selectable<OutboxTable>;
/** A row without the raw message, which may hold a temporary password. */
export type OutboxSummary = Omit<OutboxRow, 'ob_raw'>;

const SUMMARY_COLUMNS = [
  'ob_id', 'ob_created', 'ob_kind', 'ob_user', 'ob_to', 'ob_subject', 'ob_message_id',
  'ob_status', 'ob_attempts', 'ob_next_attempt', 'ob_lease_until', 'ob_lease_owner', 'ob_last_error', 'ob_sent', 'ob_processed',
] as const;

export interface OutboxDeps {
  db: Kysely<Database>;
  clock: Clock;
  random: Random;
  /** Sender address, used in the From header and (by the worker) as the envelope sender. */
  from: string;
  /** Display name in From: the site name. */
  fromName: string;
  /** Right-hand side of generated Message-IDs. */
  domain: string;
  /** Where the mail counters are kept; one is made when not given. */
  metrics?: MailMetrics;
  /** Seals the messages that carry secrets; the delivery worker opens them with the same key. */
  seal: MailSeal;
}

export interface ListOptions {
  status?: string;
  /** Recipient address, any case. */
  to?: string;
  userId?: number;
  limit?: number;
}

export interface MessageView {
  row: OutboxSummary;
  /** Headers and decoded parts, secrets masked. */
  message: ParsedMessage;
  /** Whether the secrets were recorded at enqueue (otherwise masked by their shape only). */
  secretsRecorded: boolean;
}

/** A message built by `Outbox.compose`, ready to be queued. */
export interface ComposedMail {
  mail: OutgoingMail;
  created: number;
  messageId: string;
  /** The message as it will be sent (in memory only when it carries a secret). */
  raw: string;
  /** What the outbox row keeps until it is sent: the message, or it sealed when it carries a secret. */
  stored: string;
  masked: string | null;
}

export type RetryResult = { ok: true; from: OutboxStatus } | { ok: false; reason: 'not-found' | 'sent' | 'sending' };

export class Outbox {
  readonly metrics: MailMetrics;

  constructor(private readonly deps: OutboxDeps) {
    this.metrics = deps.metrics ?? new MailMetrics();
  }

  /**
   * Composes and queues a mail; returns its ob_id. Pass the caller's transaction as `db` so
   * the mail exists exactly when the change that caused it is committed.
   */
  async enqueue(db: Kysely<Database>, mail: OutgoingMail): Promise<number> {
    return this.insert(db, await this.compose(mail));
  }

  /**
   * Builds the message (and its masked copy) without queueing it. Callers that hold a transaction
   * compose first, so nothing slow happens while it is open.
   */
  async compose(mail: OutgoingMail): Promise<ComposedMail> {
    const now = this.deps.clock.now();
    // Fixed here, not at send time: every retry carries the same Message-ID, so a receiver
    // that got a message whose acknowledgement was lost can discard the duplicate.
    const messageId = `<${randomHex(this.deps.random, 32)}@${this.deps.domain}>`;
    const opts = { from: this.deps.from, fromName: this.deps.fromName, messageId, date: new Date(now) };
    const raw = await composeMessage(mail, opts);
    const secrets = (mail.secrets ?? []).filter((s) => s.length > 0);
    const masked = secrets.length > 0 ? await composeMessage(maskMail(mail), opts) : null;
    const stored = secrets.length > 0 ? this.deps.seal.seal(raw, { messageId, to: mail.to }) : raw;
    return { mail, created: now, messageId, raw, stored, masked };
  }

  /** Queues a composed mail; returns its ob_id. */
  async insert(db: Kysely<Database>, c: ComposedMail): Promise<number> {
    const id = await insertReturningId(
      db,
      db.insertInto('outbox').values({
        ob_created: c.created,
        ob_kind: c.mail.kind,
        ob_user: c.mail.userId,
        ob_to: c.mail.to,
        ob_subject: c.mail.subject,
        ob_message_id: c.messageId,
        ob_raw: c.stored,
        ob_status: 'queued',
        ob_attempts: 0,
        ob_next_attempt: c.created,
        ob_lease_until: null,
        ob_lease_owner: null,
        ob_last_error: null,
        ob_sent: null,
        ob_processed: null,
      }),
      'ob_id',
    );
    if (c.masked !== null) await db.insertInto('outbox_masked').values({ om_outbox: id, om_raw: c.masked }).execute();
    return id;
  }

  /**
   * Rows queued before messages with secrets were sealed hold them in the clear: a sent one keeps only
   * its masked copy, the others are sealed. Run by the server at start; returns how many rows changed.
   */
  async sealOlderRows(): Promise<number> {
    const rows = await this.deps.db
      .selectFrom('outbox')
      .innerJoin('outbox_masked', 'om_outbox', 'ob_id')
      .select(['ob_id', 'ob_status', 'ob_raw', 'ob_message_id', 'ob_to'])
      .where('ob_raw', '!=', '')
      .where('ob_raw', 'not like', 'mwauth-sealed:%')
      .execute();
    let n = 0;
    for (const r of rows) {
      const ob_raw = r.ob_status === 'sent' ? '' : this.deps.seal.seal(r.ob_raw, { messageId: r.ob_message_id, to: r.ob_to });
      const u = await this.deps.db.updateTable('outbox').set({ ob_raw }).where('ob_id', '=', r.ob_id).where('ob_raw', '=', r.ob_raw).executeTakeFirst();
      n += Number(u.numUpdatedRows);
    }
    return n;
  }

  /** Newest first, without message bodies. */
  async list(opts: ListOptions = {}): Promise<OutboxSummary[]> {
    let q = this.deps.db.selectFrom('outbox').select(SUMMARY_COLUMNS).orderBy('ob_id', 'desc');
    if (opts.status) q = q.where('ob_status', '=', opts.status);
    if (opts.to) q = q.where((eb) => eb(eb.fn<string>('lower', ['ob_to']), '=', opts.to!.trim().toLowerCase()));
    if (opts.userId !== undefined) q = q.where('ob_user', '=', opts.userId);
    return q.limit(Math.max(1, Math.min(opts.limit ?? 50, 100_000))).execute();
  }

  /** One row including the stored message (sealed, or emptied once sent, when it carries a secret). */
  async get(id: number): Promise<OutboxRow | undefined> {
    return this.deps.db.selectFrom('outbox').selectAll().where('ob_id', '=', id).executeTakeFirst();
  }

  /** The ob_id for a number or a Message-ID (with or without angle brackets). */
  async resolve(ref: string): Promise<number | undefined> {
    const r = ref.trim();
    if (/^\d+$/.test(r)) return (await this.get(Number(r))) ? Number(r) : undefined;
    const messageId = r.startsWith('<') ? r : `<${r}>`;
    const row = await this.deps.db.selectFrom('outbox').select('ob_id').where('ob_message_id', '=', messageId).executeTakeFirst();
    return row ? Number(row.ob_id) : undefined;
  }

  /** What an operator may see of a message: its record, headers and text, secrets masked. */
  async view(id: number): Promise<MessageView | undefined> {
    const row = await this.get(id);
    if (!row) return undefined;
    const masked = await this.deps.db.selectFrom('outbox_masked').select('om_raw').where('om_outbox', '=', id).executeTakeFirst();
    const { ob_raw, ...summary } = row;
    return {
      row: summary,
      // The masked copy when there is one; the pattern masking runs over either.
      message: maskedView(masked?.om_raw ?? ob_raw),
      secretsRecorded: masked !== undefined,
    };
  }

  /**
   * Sends a failed mail again with a fresh set of attempts, or makes a queued one due now.
   * Sent mail is not sent twice (a user who lost it asks for a new reset), and mail being sent
   * is left to its worker.
   */
  async retry(id: number): Promise<RetryResult> {
    const row = await this.get(id);
    if (!row) return { ok: false, reason: 'not-found' };
    const now = this.deps.clock.now();
    if (row.ob_status === 'failed') {
      const r = await this.deps.db
        .updateTable('outbox')
        .set({ ob_status: 'queued', ob_attempts: 0, ob_next_attempt: now, ob_lease_until: null, ob_lease_owner: null, ob_processed: null })
        .where('ob_id', '=', id)
        .where('ob_status', '=', 'failed')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) return { ok: true, from: 'failed' };
    } else if (row.ob_status === 'queued') {
      await this.deps.db.updateTable('outbox').set({ ob_next_attempt: now }).where('ob_id', '=', id).where('ob_status', '=', 'queued').execute();
      return { ok: true, from: 'queued' };
    }
    const current = (await this.get(id))?.ob_status;
    return { ok: false, reason: current === 'sent' ? 'sent' : current === 'sending' ? 'sending' : 'not-found' };
  }

  /** Every failed mail back in the queue with fresh attempts; returns how many. */
  async retryFailed(): Promise<number> {
    const r = await this.deps.db
      .updateTable('outbox')
      .set({ ob_status: 'queued', ob_attempts: 0, ob_next_attempt: this.deps.clock.now(), ob_lease_until: null, ob_lease_owner: null, ob_processed: null })
      .where('ob_status', '=', 'failed')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * Deletes sent mail accepted before `before` and/or failed mail that failed before it; returns
   * how many. Queued mail is never purged.
   */
  async purge(opts: { sent?: boolean; failed?: boolean; before: number }): Promise<number> {
    if (!opts.sent && !opts.failed) return 0;
    const before = opts.before;
    const match = (eb: ExpressionBuilder<Database, 'outbox'>) =>
      eb.or([
        ...(opts.sent ? [eb.and([eb('ob_status', '=', 'sent'), eb('ob_processed', '<', before)])] : []),
        ...(opts.failed ? [eb.and([eb('ob_status', '=', 'failed'), eb('ob_processed', '<', before)])] : []),
      ]);
    return this.deps.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('outbox_masked')
        .where('om_outbox', 'in', trx.selectFrom('outbox').select('ob_id').where(match))
        .execute();
      const r = await trx.deleteFrom('outbox').where(match).executeTakeFirst();
      return Number(r.numDeletedRows);
    });
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

  /** The mail counters and queue figures (see metrics.ts). */
  stats(): Promise<MailStats> {
    return this.metrics.stats(this.deps.db, this.deps.clock.now());
  }

  /**
   * Queue latency (queued → accepted) of mail accepted since `since`, from the table: the
   * figure for every process together, unlike the process counters.
   */
  async sentLatencies(since: number, limit = 100_000): Promise<number[]> {
    const rows = await this.deps.db
      .selectFrom('outbox')
      .select(['ob_created', 'ob_sent'])
      .where('ob_status', '=', 'sent')
      .where('ob_sent', '>=', since)
      .orderBy('ob_sent', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => Number(r.ob_sent) - Number(r.ob_created));
  }
}
