// The audit trail: structured events an operator reads with `mwauth audit`. Only operators see it
// (no API module reads it), so it may record what the API must not reveal, such as whether a reset
// request matched an account. It never records a password, temporary password, token or session id:
// callers pass none, and record() drops detail keys that look like one all the same.
import type { Db } from '../storage/db.js';
import type { Clock } from '../util/clock.js';

export const AUDIT_TYPES = [
  /** A reset request was recorded (the requester is the event's user; says nothing about matches). */
  'reset.requested',
  /** An address went over the per-IP reset limit (once per window). */
  'reset.ip-limited',
  /** What the worker decided for a request: queued, nomatch, cooldown or limited (per account). */
  'reset.outcome',
  'reset.failed',
  'mail.queued',
  /** A mail not sent because its address had had its share (the "password changed" notice). */
  'mail.limited',
  'mail.sent',
  'mail.failed',
  'login.success',
  'login.failure',
  /** Logged in with a temporary password: the forced change follows. */
  'login.temporary-password',
  /** Logged in with a bot password. */
  'login.bot',
  'password.changed',
  /** Other sessions of the account ended (after a password change). */
  'sessions.revoked',
  /** An address went over the limit on stored sessions it may start (once per window). */
  'sessions.ip-limited',
  'logout',
  /** An account was made (API, page or command line): by whom, why, and whether its password was mailed. */
  'account.created',
  /** An address went over the account-creation throttle (once per window). */
  'account.throttled',
] as const;

export type AuditType = (typeof AUDIT_TYPES)[number];

export type AuditDetails = Record<string, string | number | boolean | null | string[] | number[]>;

export interface AuditInput {
  type: AuditType;
  userId?: number | null;
  userName?: string | null;
  ip?: string | null;
  details?: AuditDetails;
}

export interface AuditEvent {
  id: number;
  time: number;
  type: string;
  userId: number | null;
  userName: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  /** An account name (matches the recorded name, or the account's id when it exists) or an id. */
  user?: string | number;
  /** Milliseconds since the epoch: events at or after it. */
  since?: number;
  /** An event type, or a prefix ending in "." or "*" ("login." or "login.*" for every login event). */
  type?: string;
  /** The newest this many (default 1000); returned oldest first. */
  limit?: number;
}

/** Rows one pruning statement removes at most, so that none holds SQLite's write lock for long. */
export const PRUNE_BATCH = 5000;

/** Detail keys that could hold a secret: dropped whatever the caller meant. */
const SECRET_KEY = /password|token|secret|cookie|session_?id|sessionkey/i;

function clean(details: AuditDetails | undefined): AuditDetails {
  const out: AuditDetails = {};
  for (const [k, v] of Object.entries(details ?? {})) if (!SECRET_KEY.test(k) && v !== undefined) out[k] = v;
  return out;
}

export class AuditLog {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly d: { db: Db; clock: Clock; onError?: (err: Error) => void }) {}

  /** Records one event; pass the caller's transaction as `db` to commit it with the change it describes. */
  async record(e: AuditInput, db: Db = this.d.db): Promise<void> {
    await db
      .insertInto('audit_event')
      .values({
        ae_time: this.d.clock.now(),
        ae_type: e.type,
        ae_user: e.userId ?? null,
        ae_user_name: e.userName ?? null,
        ae_ip: e.ip ?? null,
        ae_details: JSON.stringify(clean(e.details)),
      })
      .execute();
  }

  /**
   * Records without making the caller wait (from a logger hook); failures go to onError. The user is
   * taken from an outbox row when `outboxId` is given. flush() waits for what is still being written.
   */
  recordLater(e: AuditInput & { outboxId?: number }): void {
    const p = (async () => {
      let { userId, userName } = e;
      if (e.outboxId !== undefined && userId === undefined) {
        const row = await this.d.db.selectFrom('outbox').select('ob_user').where('ob_id', '=', e.outboxId).executeTakeFirst();
        userId = row && Number(row.ob_user) > 0 ? Number(row.ob_user) : null;
        if (userId) {
          const u = await this.d.db.selectFrom('user').select('user_name').where('user_id', '=', userId).executeTakeFirst();
          userName = u?.user_name ?? null;
        }
      }
      await this.record({ ...e, userId, userName });
    })().catch((err: Error) => this.d.onError?.(err));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /**
   * Removes the events recorded before `before` (milliseconds since the epoch), oldest first and at most
   * PRUNE_BATCH per statement; returns how many went. An aborted `signal` stops it between statements.
   */
  async prune(before: number, signal?: AbortSignal): Promise<number> {
    if (!Number.isFinite(before)) throw new RangeError(`prune needs a time, got ${before}`);
    let removed = 0;
    for (;;) {
      // DELETE … LIMIT is not portable (PostgreSQL has none); a limited subquery of ids is.
      const r = await this.d.db
        .deleteFrom('audit_event')
        .where('ae_id', 'in', (eb) =>
          eb.selectFrom('audit_event').select('ae_id').where('ae_time', '<', before).orderBy('ae_time').limit(PRUNE_BATCH),
        )
        .executeTakeFirst();
      const n = Number(r.numDeletedRows);
      removed += n;
      if (n < PRUNE_BATCH || signal?.aborted) return removed;
      // better-sqlite3 runs each statement synchronously: let waiting requests in between two batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async query(q: AuditQuery = {}): Promise<AuditEvent[]> {
    const db = this.d.db;
    let sel = db.selectFrom('audit_event').selectAll();
    if (q.user !== undefined) {
      if (typeof q.user === 'number') sel = sel.where('ae_user', '=', q.user);
      else {
        const name = q.user;
        const u = await db.selectFrom('user').select('user_id').where('user_name', '=', name).executeTakeFirst();
        sel = sel.where((eb) => (u ? eb.or([eb('ae_user', '=', Number(u.user_id)), eb('ae_user_name', '=', name)]) : eb('ae_user_name', '=', name)));
      }
    }
    if (q.since !== undefined) sel = sel.where('ae_time', '>=', q.since);
    if (q.type) {
      const t = q.type.replace(/\*$/, '');
      const types: string[] = t.endsWith('.') ? AUDIT_TYPES.filter((k) => k.startsWith(t)) : [t];
      if (types.length === 0) return [];
      sel = sel.where('ae_type', 'in', types);
    }
    const limit = Math.max(1, Math.min(q.limit ?? 1000, 100_000));
    const rows = await sel.orderBy('ae_id', 'desc').limit(limit).execute();
    return rows
      .reverse()
      .map((r) => ({
        id: Number(r.ae_id),
        time: Number(r.ae_time),
        type: r.ae_type,
        userId: r.ae_user === null ? null : Number(r.ae_user),
        userName: r.ae_user_name,
        ip: r.ae_ip,
        details: JSON.parse(r.ae_details) as Record<string, unknown>,
      }));
  }
}
