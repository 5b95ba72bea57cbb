// Every store the domains use, and the unit of work that lets one change write to several of them at
// once. Each domain owns its store interfaces (src/accounts/users.ts, src/auth/botpasswords.ts, …); the
// implementations live together by backend (src/storage/sql/, src/storage/redis/), and
// test/contracts/ holds the suite each interface's implementations must all pass.
//
//   await stores.transaction(async (tx) => {
//     await tx.users.setPassword(id, hash);
//     await tx.botPasswords.invalidateAll(id);
//     await audit.record({ type: 'password.changed', … }, tx);
//   });
//
// Inside the callback, `tx`'s stores write in one database transaction: all of it is committed when the
// callback returns, none of it when it throws. The stores outside `tx` (and sessions and counters, which
// may live in Redis) are not part of it. A callback may be run again when PostgreSQL or MariaDB/MySQL
// ends its transaction to break a deadlock (see src/storage/sql/stores.ts), so it does nothing outside
// the database that cannot be done twice.
import type { BlockStore } from '../accounts/blocks.js';
import type { PreferenceStore } from '../accounts/preferences.js';
import type { UserStore } from '../accounts/users.js';
import type { AuditStore } from '../audit/log.js';
import type { BotPasswordStore } from '../auth/botpasswords.js';
import type { Counters } from '../limits/counters.js';
import type { SiteSettingsStore } from '../mail/site.js';
import type { RememberTokenStore } from '../sessions/rememberTokens.js';
import type { SessionStore } from '../sessions/store.js';
import type { Db, SqlDialect } from './db.js';

/** The stores one transaction writes to. */
export interface TxStores {
  users: UserStore;
  preferences: PreferenceStore;
  blocks: BlockStore;
  botPasswords: BotPasswordStore;
  rememberTokens: RememberTokenStore;
  audit: AuditStore;
  siteSettings: SiteSettingsStore;
  /**
   * The transaction as a Kysely handle, for the tables no store interface covers yet (reset requests and
   * the outbox, whose code still writes SQL). Nothing else uses it.
   */
  readonly sql: Db;
}

export interface Stores extends TxStores {
  readonly dialect: SqlDialect;
  /** Sessions in the database (used when there is no Redis). */
  sessions: SessionStore;
  /** Counters in the database (used when there is no Redis). */
  counters: Counters;
  /** Runs `fn` with stores bound to one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: (tx: TxStores) => Promise<T>): Promise<T>;
}
