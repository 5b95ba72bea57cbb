// The audit trail: structured events an operator reads with `mwauth audit`. Only operators see it
// (no API module reads it), so it may record what the API must not reveal, such as whether a reset
// request matched an account. It never records a password, temporary password, token or session id:
// callers pass none, and record() drops detail keys that look like one all the same.
// The events are kept by an AuditStore (src/storage/sql/audit.ts; test/contracts/audit.test.ts is what
// it must do).
import type { UserStore } from '../accounts/users.js';
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

/** An event as stored: its details already cleaned of anything that looks like a secret. */
export interface AuditRecord {
  time: number;
  type: string;
  userId: number | null;
  userName: string | null;
  ip: string | null;
  details: AuditDetails;
}

/** Which events a query wants; every condition given must hold. */
export interface AuditFilter {
  /** Events about this account id, or recorded with this name (either matches). */
  user?: { id?: number; name?: string };
  /** At or after this time (ms). */
  since?: number;
  /** One of these types. */
  types?: readonly string[];
  /** The newest this many, returned oldest first. */
  limit: number;
}

export interface AuditStore {
  add(e: AuditRecord): Promise<void>;
  query(f: AuditFilter): Promise<AuditEvent[]>;
  /** Removes at most `max` of the oldest events recorded before `before`; returns how many went. */
  pruneBatch(before: number, max: number): Promise<number>;
}

/** Detail keys that could hold a secret: dropped whatever the caller meant. */
const SECRET_KEY = /password|token|secret|cookie|session_?id|sessionkey/i;

function clean(details: AuditDetails | undefined): AuditDetails {
  const out: AuditDetails = {};
  for (const [k, v] of Object.entries(details ?? {})) if (!SECRET_KEY.test(k) && v !== undefined) out[k] = v;
  return out;
}

export interface AuditLogDeps {
  store: AuditStore;
  /** To find an account's id from a name given to query(), and the name of a mail's account. */
  users: Pick<UserStore, 'byName' | 'byId'>;
  clock: Clock;
  /** The account a queued mail is for (0 or null: none), for recordLater's `outboxId`. */
  mailAccount?: (outboxId: number) => Promise<number | null>;
  onError?: (err: Error) => void;
}

export class AuditLog {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly d: AuditLogDeps) {}

  /**
   * Records one event. Inside a unit of work (src/storage/stores.ts) pass it as `tx`: the event is then
   * committed, or not, with the change it describes.
   */
  async record(e: AuditInput, tx?: { audit: AuditStore }): Promise<void> {
    await (tx?.audit ?? this.d.store).add({
      time: this.d.clock.now(),
      type: e.type,
      userId: e.userId ?? null,
      userName: e.userName ?? null,
      ip: e.ip ?? null,
      details: clean(e.details),
    });
  }

  /**
   * Records without making the caller wait (from a logger hook); failures go to onError. The user is
   * taken from an outbox row when `outboxId` is given. flush() waits for what is still being written.
   */
  recordLater(e: AuditInput & { outboxId?: number }): void {
    const p = (async () => {
      let { userId, userName } = e;
      if (e.outboxId !== undefined && userId === undefined && this.d.mailAccount) {
        const owner = await this.d.mailAccount(e.outboxId);
        userId = owner && owner > 0 ? owner : null;
        if (userId) userName = (await this.d.users.byId(userId))?.name ?? null;
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
      const n = await this.d.store.pruneBatch(before, PRUNE_BATCH);
      removed += n;
      if (n < PRUNE_BATCH || signal?.aborted) return removed;
      // better-sqlite3 runs each statement synchronously: let waiting requests in between two batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async query(q: AuditQuery = {}): Promise<AuditEvent[]> {
    const f: AuditFilter = { limit: Math.max(1, Math.min(q.limit ?? 1000, 100_000)) };
    if (q.user !== undefined) {
      if (typeof q.user === 'number') f.user = { id: q.user };
      else {
        const u = await this.d.users.byName(q.user);
        f.user = u ? { id: u.id, name: q.user } : { name: q.user };
      }
    }
    if (q.since !== undefined) f.since = q.since;
    if (q.type) {
      const t = q.type.replace(/\*$/, '');
      const types: string[] = t.endsWith('.') ? AUDIT_TYPES.filter((k) => k.startsWith(t)) : [t];
      if (types.length === 0) return [];
      f.types = types;
    }
    return this.d.store.query(f);
  }
}
