// The job table port in SQL: one implementation for SQLite, PostgreSQL and MariaDB/MySQL. Every statement
// is plain Kysely without `returning` (MySQL has none): a claim marks the rows it wins with a random owner
// token in one conditional UPDATE, then reads back the rows that carry its token. Every later write names
// the token, so only the worker holding the lease changes the job.
//
// Why the claim is safe on each: SQLite runs one writer at a time; PostgreSQL (read committed) and InnoDB
// both evaluate an UPDATE's WHERE again on the newest version of a row another transaction changed, so of
// two claims that saw the same due row, the second finds it no longer due.
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { ClaimedRow, DueJob, Ending, JobTable, JobTx, Lease } from './queue.js';

export interface JobTableSpec {
  table: string;
  columns: {
    id: string;
    status: string;
    /** Attempts started. */
    attempts: string;
    /** When a waiting job is due. */
    nextAttempt: string;
    /** When the lease of a held job runs out (null: not held). */
    leaseUntil: string;
    /** The token of the claim that holds the job (null: not held). */
    leaseOwner: string;
    /** When the job finished, whatever its outcome (null: not yet). */
    processed: string;
    /** The latest failure, if the table records it. */
    lastError?: string;
  };
  statuses: {
    /** A job in one of these, without a lease, waits for its next attempt. */
    waiting: readonly string[];
    /** A held job's status. */
    working: string;
  };
  /** The columns a claimed job's row carries ('*': all of them). */
  select: readonly string[] | '*';
}

type AnyDb = Kysely<any>;
type Eb = ExpressionBuilder<any, any>;

export class SqlJobTable<R> implements JobTable<R> {
  private readonly db: AnyDb;

  constructor(
    db: Kysely<any>,
    private readonly spec: JobTableSpec,
  ) {
    this.db = db;
  }

  private get c() {
    return this.spec.columns;
  }

  /** Due now: waiting and its time has come, or held under a lease that ran out. */
  private due_(eb: Eb, now: number) {
    const { c } = this;
    const s = this.spec.statuses;
    return eb.or([
      eb.and([eb(c.status, 'in', [...s.waiting]), eb(c.leaseUntil, 'is', null), eb(c.nextAttempt, '<=', now)]),
      eb.and([eb(c.status, '=', s.working), eb(c.leaseUntil, '<', now)]),
    ]);
  }

  async due(now: number, limit: number): Promise<DueJob[]> {
    const { c } = this;
    const s = this.spec.statuses;
    // Two indexed look-ups rather than one OR: each reads only the rows it returns, so finding due jobs costs
    // the same with 10 or 100 000 waiting. Expired leases first: those jobs waited longest.
    const expired = await this.db
      .selectFrom(this.spec.table)
      .select(c.id)
      .where(c.status, '=', s.working)
      .where(c.leaseUntil, '<', now)
      .orderBy(c.id)
      .limit(limit)
      .execute();
    // Waiting jobs, soonest due first: one look-up per status, each in the order of its index on (status,
    // next attempt), so that none sorts a backlog of 100 000 rows to find the first few.
    const rest = limit - expired.length;
    const waiting: Array<{ id: number; at: number }> = [];
    if (rest > 0) {
      for (const status of s.waiting) {
        const rows = await this.db
          .selectFrom(this.spec.table)
          .select([c.id, c.nextAttempt])
          .where(c.status, '=', status)
          .where(c.leaseUntil, 'is', null)
          .where(c.nextAttempt, '<=', now)
          .orderBy(c.nextAttempt)
          .orderBy(c.id)
          .limit(rest)
          .execute();
        for (const r of rows) waiting.push({ id: Number(r[c.id]), at: Number(r[c.nextAttempt]) });
      }
      waiting.sort((a, b) => a.at - b.at || a.id - b.id);
    }
    return [...expired.map((r) => ({ id: Number(r[c.id]), expired: true })), ...waiting.slice(0, rest).map((w) => ({ id: w.id, expired: false }))];
  }

  async claim(ids: readonly number[], now: number, lease: Lease): Promise<Array<ClaimedRow<R>>> {
    if (ids.length === 0) return [];
    const { c } = this;
    await this.db
      .updateTable(this.spec.table)
      .set((eb: Eb) => ({
        [c.status]: this.spec.statuses.working,
        [c.leaseUntil]: lease.until,
        [c.leaseOwner]: lease.owner,
        [c.attempts]: eb(c.attempts, '+', 1),
      }))
      .where(c.id, 'in', [...ids])
      .where((eb: Eb) => this.due_(eb, now))
      .execute();
    const q = this.db.selectFrom(this.spec.table);
    const rows = await (this.spec.select === '*' ? q.selectAll() : q.select([...new Set([...this.spec.select, c.id, c.attempts])]))
      .where(c.id, 'in', [...ids])
      .where(c.leaseOwner, '=', lease.owner)
      .execute();
    return rows.map((row) => ({ id: Number(row[c.id]), attempts: Number(row[c.attempts]), row: row as R }));
  }

  async renew(id: number, owner: string, until: number): Promise<boolean> {
    const { c } = this;
    const r = await this.db
      .updateTable(this.spec.table)
      .set({ [c.leaseUntil]: until })
      .where(c.id, '=', id)
      .where(c.leaseOwner, '=', owner)
      .where(c.status, '=', this.spec.statuses.working)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async finish(id: number, owner: string | null, e: Ending, tx?: JobTx): Promise<boolean> {
    const { c } = this;
    const values: Record<string, unknown> = {
      ...e.values,
      [c.status]: e.status,
      [c.processed]: e.at,
      [c.leaseUntil]: null,
      [c.leaseOwner]: null,
    };
    if (c.lastError && e.error !== undefined) values[c.lastError] = e.error;
    let q = (tx ?? this.db).updateTable(this.spec.table).set(values).where(c.id, '=', id);
    if (owner !== null) q = q.where(c.leaseOwner, '=', owner);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async requeue(id: number, owner: string, r: { status: string; at: number; uncount?: boolean; error?: string | null }): Promise<boolean> {
    const { c } = this;
    const res = await this.db
      .updateTable(this.spec.table)
      .set((eb: Eb) => ({
        [c.status]: r.status,
        [c.nextAttempt]: r.at,
        [c.leaseUntil]: null,
        [c.leaseOwner]: null,
        ...(r.uncount ? { [c.attempts]: eb(c.attempts, '-', 1) } : {}),
        ...(c.lastError && r.error !== undefined ? { [c.lastError]: r.error } : {}),
      }))
      .where(c.id, '=', id)
      .where(c.leaseOwner, '=', owner)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async held(now: number): Promise<Array<ClaimedRow<R>>> {
    const { c } = this;
    const q = this.db.selectFrom(this.spec.table);
    const rows = await (this.spec.select === '*' ? q.selectAll() : q.select([...new Set([...this.spec.select, c.id, c.attempts])]))
      .where(c.status, '=', this.spec.statuses.working)
      .where(c.leaseUntil, '>=', now)
      .orderBy(c.id)
      .execute();
    return rows.map((row) => ({ id: Number(row[c.id]), attempts: Number(row[c.attempts]), row: row as R }));
  }
}
