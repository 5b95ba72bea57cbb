// Preferences in the database: user_properties, one row per account and name.
import type { Db } from '../db.js';
import type { PreferenceStore, StoredPreferences } from '../../accounts/preferences.js';
import { distinct, slices } from './batches.js';
import { onConflict } from './dialect.js';

export class SqlPreferenceStore implements PreferenceStore {
  constructor(private readonly db: Db) {}

  async get(userId: number): Promise<StoredPreferences> {
    const rows = await this.db.selectFrom('user_properties').select(['up_property', 'up_value']).where('up_user', '=', userId).execute();
    return Object.fromEntries(rows.map((r) => [r.up_property, r.up_value]));
  }

  async set(userId: number, name: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.db.deleteFrom('user_properties').where('up_user', '=', userId).where('up_property', '=', name).execute();
      return;
    }
    await onConflict(this.db.insertInto('user_properties').values({ up_user: userId, up_property: name, up_value: value }), this.db, ['up_user', 'up_property'], {
      up_value: value,
    }).execute();
  }

  async getMany(userIds: readonly number[]): Promise<Map<number, StoredPreferences>> {
    const out = new Map<number, StoredPreferences>();
    for (const part of slices(distinct(userIds))) {
      const rows = await this.db
        .selectFrom('user_properties')
        .select(['up_user', 'up_property', 'up_value'])
        .where('up_user', 'in', part)
        .orderBy('up_user')
        .orderBy('up_property')
        .execute();
      for (const r of rows) {
        const id = Number(r.up_user);
        const prefs = out.get(id) ?? {};
        Object.defineProperty(prefs, r.up_property, { value: r.up_value, enumerable: true, writable: true, configurable: true });
        out.set(id, prefs);
      }
    }
    return out;
  }

  async replaceMany(prefs: ReadonlyMap<number, StoredPreferences>): Promise<void> {
    for (const part of slices([...prefs.keys()])) await this.db.deleteFrom('user_properties').where('up_user', 'in', part).execute();
    const rows = [...prefs].flatMap(([id, p]) => Object.entries(p).map(([name, value]) => ({ up_user: id, up_property: name, up_value: value })));
    for (const part of slices(rows, 3)) await this.db.insertInto('user_properties').values(part).execute();
  }
}
