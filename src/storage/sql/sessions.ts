// Sessions in the database (one node, or several without Redis): one row per stored session, under the
// keyed hash of its id.
import type { Db } from '../db.js';
import type { Keyring } from '../../secrets/keyring.js';
import type { Clock } from '../../util/clock.js';
import { storageKey, storageKeys, type SessionData, type SessionStore } from '../../sessions/store.js';
import { onConflict } from './dialect.js';

export class SqlSessionStore implements SessionStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keys: Keyring,
  ) {}

  /** Written under the signing secret's key; found under any secret's (src/sessions/store.ts storageKeys). */
  private key(id: string): string {
    return storageKey(this.keys.signing, id);
  }

  async get(id: string): Promise<SessionData | null> {
    const [current, ...older] = storageKeys(this.keys, id);
    const rows = await this.db
      .selectFrom('session')
      .select(['s_key', 's_data', 's_expires'])
      .where('s_key', 'in', [current!, ...older])
      .execute();
    const row = rows.find((r) => r.s_key === current) ?? rows[0];
    if (!row || Number(row.s_expires) <= this.clock.now()) return null;
    return JSON.parse(row.s_data) as SessionData;
  }

  async put(id: string, userId: number, data: SessionData, expiresAt: number): Promise<void> {
    const values = { s_key: this.key(id), s_user: userId, s_data: JSON.stringify(data), s_expires: expiresAt };
    await onConflict(this.db.insertInto('session').values(values), this.db, ['s_key'], { s_user: userId, s_data: values.s_data, s_expires: expiresAt }).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('session').where('s_key', 'in', storageKeys(this.keys, id)).execute();
  }

  /** Counts the live sessions it ended (an expired row goes too, uncounted). */
  async deleteForUser(userId: number, exceptId?: string): Promise<number> {
    const now = this.clock.now();
    let q = this.db.deleteFrom('session').where('s_user', '=', userId);
    if (exceptId) q = q.where('s_key', 'not in', storageKeys(this.keys, exceptId));
    const live = await q.where('s_expires', '>', now).executeTakeFirst();
    await q.where('s_expires', '<=', now).execute();
    return Number(live.numDeletedRows);
  }

  async sweep(): Promise<void> {
    await this.db.deleteFrom('session').where('s_expires', '<=', this.clock.now()).execute();
  }
}
