// The stores alone, for the commands that need nothing else: the database is opened (and migrated) as
// the services would open it, without the rest of the composition root.
import type { Config } from '../config.js';
import { openDatabase } from '../storage/db.js';
import { sqlStores } from '../storage/sql/stores.js';
import { Keyring } from '../secrets/keyring.js';
import { cryptoRandom, systemClock } from '../util/clock.js';
import type { StoreAccess } from './common.js';

export async function withStoreAccess(config: Config, fn: (s: StoreAccess) => Promise<void>): Promise<void> {
  const handle = await openDatabase(config);
  try {
    const stores = sqlStores(handle.db, { clock: systemClock, random: cryptoRandom, keys: new Keyring(config.secrets) });
    await fn({ config, dialect: handle.dialect, stores, users: stores.users, clock: systemClock, random: cryptoRandom });
  } finally {
    await handle.close();
  }
}
