// Fixed-window counters behind one small interface: rate limits and login throttles use them.
import { sql } from 'kysely';
import type { Db } from '../storage/db.js';
import type { Clock } from '../util/clock.js';

export interface Counters {
  /** Adds `amount` hits (default one) to `key` and returns the number of hits in its current window. */
  hit(key: string, windowSeconds: number, amount?: number): Promise<number>;
  /** Takes back `amount` hits made in the current window (a limit that let a request through after all refused it). */
  release(key: string, amount?: number): Promise<void>;
  /** Hits in the current window, without adding one. */
  peek(key: string): Promise<number>;
  clear(key: string): Promise<void>;
}

export class MemoryCounters implements Counters {
  private readonly map = new Map<string, { count: number; expires: number }>();
  constructor(private readonly clock: Clock) {}

  async hit(key: string, windowSeconds: number, amount = 1): Promise<number> {
    const now = this.clock.now();
    const cur = this.map.get(key);
    if (!cur || cur.expires <= now) {
      this.map.set(key, { count: amount, expires: now + windowSeconds * 1000 });
      if (this.map.size > 100_000) this.sweep(now);
      return amount;
    }
    cur.count += amount;
    return cur.count;
  }

  async release(key: string, amount = 1): Promise<void> {
    const cur = this.map.get(key);
    if (cur && cur.expires > this.clock.now()) cur.count = Math.max(0, cur.count - amount);
  }

  async peek(key: string): Promise<number> {
    const cur = this.map.get(key);
    return cur && cur.expires > this.clock.now() ? cur.count : 0;
  }

  async clear(key: string): Promise<void> {
    this.map.delete(key);
  }

  private sweep(now: number): void {
    for (const [k, v] of this.map) if (v.expires <= now) this.map.delete(k);
  }
}

/** Counters in the database; one atomic upsert per hit, so concurrent hits are never lost. */
export class SqlCounters implements Counters {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async hit(key: string, windowSeconds: number, amount = 1): Promise<number> {
    const now = this.clock.now();
    const expires = now + windowSeconds * 1000;
    const row = await this.db
      .insertInto('counter')
      .values({ c_key: key, c_count: amount, c_expires: expires })
      .onConflict((oc) =>
        oc.column('c_key').doUpdateSet({
          c_count: sql`case when counter.c_expires <= ${now} then cast(${amount} as integer) else counter.c_count + cast(${amount} as integer) end`,
          c_expires: sql`case when counter.c_expires <= ${now} then ${expires} else counter.c_expires end`,
        }),
      )
      .returning('c_count')
      .executeTakeFirstOrThrow();
    return Number(row.c_count);
  }

  /** One conditional UPDATE: never below zero, and nothing once the window is over. */
  async release(key: string, amount = 1): Promise<void> {
    await this.db
      .updateTable('counter')
      .set({ c_count: sql`c_count - cast(${amount} as integer)` })
      .where('c_key', '=', key)
      .where('c_expires', '>', this.clock.now())
      .where('c_count', '>=', amount)
      .execute();
  }

  async peek(key: string): Promise<number> {
    const row = await this.db
      .selectFrom('counter')
      .select(['c_count', 'c_expires'])
      .where('c_key', '=', key)
      .executeTakeFirst();
    return row && Number(row.c_expires) > this.clock.now() ? Number(row.c_count) : 0;
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('counter').where('c_key', '=', key).execute();
  }

  /** Drops expired rows; called from time to time by the server. */
  async sweep(): Promise<void> {
    await this.db.deleteFrom('counter').where('c_expires', '<=', this.clock.now()).execute();
  }
}
