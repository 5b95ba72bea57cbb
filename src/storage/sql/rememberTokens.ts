// Remembered logins in the database (remember_token), under the keyed hash of their token.
import type { Db } from '../db.js';
import type { RememberedLogin, RememberTokenStore } from '../../sessions/rememberTokens.js';
import type { Clock } from '../../util/clock.js';

export class SqlRememberTokenStore implements RememberTokenStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async add(login: RememberedLogin, keep: number): Promise<void> {
    await this.db
      .insertInto('remember_token')
      .values({ rt_key: login.key, rt_user: login.userId, rt_generation: login.generation, rt_created: login.created, rt_expires: login.expires })
      .execute();
    // The newest `keep` stay; a few beyond them are read, enough for the one just added and races.
    const rows = await this.db
      .selectFrom('remember_token')
      .select('rt_key')
      .where('rt_user', '=', login.userId)
      .orderBy('rt_created', 'desc')
      .orderBy('rt_key')
      .limit(keep + 50)
      .execute();
    const extra = rows.slice(keep).map((r) => r.rt_key);
    if (extra.length) await this.db.deleteFrom('remember_token').where('rt_key', 'in', extra).execute();
  }

  async find(key: string): Promise<RememberedLogin | null> {
    const r = await this.db.selectFrom('remember_token').selectAll().where('rt_key', '=', key).executeTakeFirst();
    return r ? { key: r.rt_key, userId: Number(r.rt_user), generation: r.rt_generation, created: Number(r.rt_created), expires: Number(r.rt_expires) } : null;
  }

  async removeAll(userId: number): Promise<number> {
    const r = await this.db.deleteFrom('remember_token').where('rt_user', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async rekey(from: string[], to: string, generation: string): Promise<void> {
    await this.db.updateTable('remember_token').set({ rt_key: to, rt_generation: generation }).where('rt_key', 'in', from).execute();
  }

  async sweep(): Promise<void> {
    await this.db.deleteFrom('remember_token').where('rt_expires', '<=', this.clock.now()).execute();
  }
}
