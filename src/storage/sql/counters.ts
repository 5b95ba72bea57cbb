// Counters in the database: one atomic upsert per hit, so concurrent hits are never lost.
import { sql } from 'kysely';
import type { Db } from '../db.js';
import type { Counters } from '../../limits/counters.js';
import type { Clock } from '../../util/clock.js';
import { intParam, upsertReturningInt } from './dialect.js';

export class SqlCounters implements Counters {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async hit(key: string, windowSeconds: number, amount = 1): Promise<number> {
    const now = this.clock.now();
    const expires = now + windowSeconds * 1000;
    const n = intParam(this.db, amount);
    // c_count is assigned first: on MariaDB/MySQL, where assignments see the ones before them, its test
    // still reads the old c_expires.
    return upsertReturningInt(this.db, this.db.insertInto('counter').values({ c_key: key, c_count: amount, c_expires: expires }), {
      keys: ['c_key'],
      set: {
        c_count: sql`case when counter.c_expires <= ${now} then ${n} else counter.c_count + ${n} end`,
        c_expires: sql`case when counter.c_expires <= ${now} then ${expires} else counter.c_expires end`,
      },
      column: 'c_count',
      inserted: amount,
    });
  }

  /** One conditional UPDATE: never below zero, and nothing once the window is over. */
  async release(key: string, amount = 1): Promise<void> {
    await this.db
      .updateTable('counter')
      .set({ c_count: sql`c_count - ${intParam(this.db, amount)}` })
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
