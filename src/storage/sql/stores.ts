// The SQL implementation of every store, on one Kysely handle (SQLite, PostgreSQL or MariaDB/MySQL), and
// its unit of work: transaction() binds a fresh set of stores to one database transaction.
import type { Db } from '../db.js';
import type { Stores, TxStores } from '../stores.js';
import type { Keyring } from '../../secrets/keyring.js';
import type { Clock, Random } from '../../util/clock.js';
import { SqlAuditStore } from './audit.js';
import { SqlBlockStore } from './blocks.js';
import { SqlBotPasswordStore } from './botPasswords.js';
import { SqlCounters } from './counters.js';
import { dialectOf } from './dialect.js';
import { SqlPreferenceStore } from './preferences.js';
import { SqlRememberTokenStore } from './rememberTokens.js';
import { SqlSessionStore } from './sessions.js';
import { SqlSiteSettingsStore } from './siteSettings.js';
import { SqlUserStore } from './users.js';

export interface SqlStoreDeps {
  clock: Clock;
  random: Random;
  /** The server secrets: session ids are stored as keyed hashes (the signing secret's, found under any). */
  keys: Keyring;
  /**
   * Told, once a transaction that wrote blocks has ended, that blocks changed (the servers' cached
   * look-ups go: src/accounts/blockCache.ts). Writes outside a transaction go through the cached store.
   */
  blocksChanged?: () => Promise<void>;
}

const DEADLOCK_RETRIES = 3;

/**
 * The database ended the transaction to break a deadlock (PostgreSQL's 40P01, MariaDB/MySQL's 1213) and
 * rolled all of it back: it may simply run again. (SQLite takes its write lock up front: no deadlocks.)
 */
function isDeadlock(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown };
  return e?.code === '40P01' || e?.errno === 1213;
}

function bind(q: Db, d: SqlStoreDeps, onBlockWrite?: () => void): TxStores {
  return {
    users: new SqlUserStore(q, d.clock, d.random),
    preferences: new SqlPreferenceStore(q),
    blocks: new SqlBlockStore(q, d.clock, onBlockWrite),
    botPasswords: new SqlBotPasswordStore(q, d.clock, d.random),
    rememberTokens: new SqlRememberTokenStore(q, d.clock),
    audit: new SqlAuditStore(q),
    siteSettings: new SqlSiteSettingsStore(q),
    sql: q,
  };
}

export function sqlStores(db: Db, d: SqlStoreDeps): Stores {
  const dialect = dialectOf(db);
  return {
    ...bind(db, d),
    dialect,
    sessions: new SqlSessionStore(db, d.clock, d.keys),
    counters: new SqlCounters(db, d.clock),
    async transaction<T>(fn: (tx: TxStores) => Promise<T>): Promise<T> {
      let wroteBlocks = false;
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            return await db.transaction().execute((trx) => fn(bind(trx, d, () => (wroteBlocks = true))));
          } catch (err) {
            if (!isDeadlock(err) || attempt > DEADLOCK_RETRIES) throw err;
          }
        }
      } finally {
        // After the commit (or the rollback, which changes nothing but costs only a cleared cache).
        if (wroteBlocks) await d.blocksChanged?.();
      }
    },
  };
}
