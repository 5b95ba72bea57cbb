// What the server records for other processes (site_settings): one JSON value per name.
import type { Db } from '../db.js';
import type { SiteSettingsStore } from '../../mail/site.js';
import { onConflict } from './dialect.js';

export class SqlSiteSettingsStore implements SiteSettingsStore {
  constructor(private readonly db: Db) {}

  async get(name: string): Promise<{ value: string; updated: number } | null> {
    const row = await this.db.selectFrom('site_settings').select(['ss_value', 'ss_updated']).where('ss_name', '=', name).executeTakeFirst();
    return row ? { value: row.ss_value, updated: Number(row.ss_updated) } : null;
  }

  async put(name: string, value: string, updated: number): Promise<void> {
    await onConflict(this.db.insertInto('site_settings').values({ ss_name: name, ss_value: value, ss_updated: updated }), this.db, ['ss_name'], {
      ss_value: value,
      ss_updated: updated,
    }).execute();
  }

  async add(name: string, value: string, updated: number): Promise<boolean> {
    const before = await this.get(name);
    if (before) return false;
    await onConflict(this.db.insertInto('site_settings').values({ ss_name: name, ss_value: value, ss_updated: updated }), this.db, ['ss_name'], null).execute();
    const after = await this.get(name);
    return after !== null && after.value === value && after.updated === updated;
  }
}
