// The mail counters, in one place: what this process did (attempts, sent, failed, retries, queue
// latency of what it sent) and what the outbox holds (per status, age of the oldest waiting mail).
// The outbox is shared by every process, so the queue figures are the same wherever they are read.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { OUTBOX_STATUSES, type OutboxStatus } from './schema.js';

export interface MailProcessCounters {
  /** Sends started. */
  attempts: number;
  sent: number;
  /** Marked failed (permanent failure, or no attempts left). */
  failed: number;
  /** Temporary failures put back in the queue for a later attempt. */
  retries: number;
  /** Messages taken over from a worker whose lease ran out. */
  takeovers: number;
  /** Messages given back to the queue at shutdown, unfinished. */
  released: number;
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface MailStats {
  /** Messages per status in the outbox. */
  queue: Record<OutboxStatus, number>;
  /** Age in ms of the oldest message not yet sent or failed (0 when none). */
  oldestWaitingMs: number;
  /** Messages due now (queued, next attempt reached). */
  dueNow: number;
  /** Queued messages that already had at least one failed attempt. */
  retrying: number;
  /** Since this process started. */
  process: MailProcessCounters;
  /** Queue latency (enqueued → accepted by the server) of the last sends of this process. */
  latencyMs: LatencySummary;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null };
}

export class MailMetrics {
  readonly counters: MailProcessCounters = { attempts: 0, sent: 0, failed: 0, retries: 0, takeovers: 0, released: 0 };
  /** The latest latencies, a ring of `capacity` values. */
  private readonly ring: Float64Array;
  private ringNext = 0;
  private ringSize = 0;

  constructor(capacity = 10_000) {
    this.ring = new Float64Array(capacity);
  }

  count(name: keyof MailProcessCounters, n = 1): void {
    this.counters[name] += n;
  }

  observeLatency(ms: number): void {
    this.ring[this.ringNext] = ms;
    this.ringNext = (this.ringNext + 1) % this.ring.length;
    this.ringSize = Math.min(this.ringSize + 1, this.ring.length);
  }

  latency(): LatencySummary {
    return summarize(Array.from(this.ring.subarray(0, this.ringSize)));
  }

  /** The process counters plus the outbox figures, read now. */
  async stats(db: Kysely<Database>, now: number): Promise<MailStats> {
    const rows = await db
      .selectFrom('outbox')
      .select((eb) => [
        'ob_status',
        eb.fn.countAll<number | string | bigint>().as('n'),
        eb.fn.min<number | string | bigint | null>('ob_created').as('oldest'),
        eb.fn.sum<number | string | bigint | null>(sql`case when ob_next_attempt <= ${now} then 1 else 0 end`).as('due'),
        eb.fn.sum<number | string | bigint | null>(sql`case when ob_attempts > 0 then 1 else 0 end`).as('tried'),
      ])
      .groupBy('ob_status')
      .execute();
    const queue = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
    let oldest: number | null = null;
    let dueNow = 0;
    let retrying = 0;
    for (const r of rows) {
      if ((OUTBOX_STATUSES as readonly string[]).includes(r.ob_status)) queue[r.ob_status as OutboxStatus] = Number(r.n);
      if (r.ob_status === 'queued' || r.ob_status === 'sending') {
        if (r.oldest !== null) oldest = oldest === null ? Number(r.oldest) : Math.min(oldest, Number(r.oldest));
      }
      if (r.ob_status === 'queued') {
        dueNow = Number(r.due ?? 0);
        retrying = Number(r.tried ?? 0);
      }
    }
    return {
      queue,
      oldestWaitingMs: oldest === null ? 0 : Math.max(0, now - oldest),
      dueNow,
      retrying,
      process: { ...this.counters },
      latencyMs: this.latency(),
    };
  }
}

/** The stats in Prometheus' text format, for a metrics endpoint. */
export function prometheusText(s: MailStats): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
  };
  metric('mwauth_mail_outbox_messages', 'gauge', 'Messages in the outbox by status.', OUTBOX_STATUSES.map((st) => [`{status="${st}"}`, s.queue[st]]));
  metric('mwauth_mail_oldest_waiting_seconds', 'gauge', 'Age of the oldest message not yet sent or failed.', [['', s.oldestWaitingMs / 1000]]);
  metric('mwauth_mail_due_messages', 'gauge', 'Queued messages whose next attempt is due.', [['', s.dueNow]]);
  metric('mwauth_mail_retrying_messages', 'gauge', 'Queued messages that already failed at least once.', [['', s.retrying]]);
  for (const k of Object.keys(s.process) as Array<keyof MailProcessCounters>) {
    metric(`mwauth_mail_${k}_total`, 'counter', `Mail ${k} since the process started.`, [['', s.process[k]]]);
  }
  const q = (v: number | null) => (v === null ? Number.NaN : v / 1000);
  metric('mwauth_mail_queue_latency_seconds', 'summary', 'Enqueued to accepted by the server, latest sends.', [
    ['{quantile="0.5"}', q(s.latencyMs.p50)],
    ['{quantile="0.99"}', q(s.latencyMs.p99)],
    ['_count', s.latencyMs.count],
  ]);
  return lines.join('\n') + '\n';
}
