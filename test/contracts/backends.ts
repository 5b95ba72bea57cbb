// Runs one contract suite against every backend it applies to: SQLite (a temporary file), PostgreSQL and
// MariaDB (a fresh database for the suite, dropped after it), Redis (a fresh key prefix per test) and
// memory. Each test starts empty: the SQL tables are emptied before it, a Redis test has a prefix of its
// own, and the clock starts at the same moment. PostgreSQL, MariaDB and Redis are skipped with the
// reason when they do not answer, and fail the suite under MWAUTH_REQUIRE_SERVICES=1 (CI).
import { after, afterEach, before, beforeEach, describe } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { openDatabase, type Db, type DbHandle } from '../../src/storage/db.js';
import { closeRedis, openRedis } from '../../src/storage/redis.js';
import { sqlStores } from '../../src/storage/sql/stores.js';
import type { Stores } from '../../src/storage/stores.js';
import { cryptoRandom } from '../../src/util/clock.js';
import { ManualClock } from '../helpers/clock.js';
import { createMariadbDatabase, createPostgresDatabase, deleteKeysUnder, REDIS_URL, skipUnless } from '../helpers/services.js';
import { Keyring } from '../../src/secrets/keyring.js';

export type SqlBackend = 'sqlite' | 'postgres' | 'mariadb';
export type Backend = SqlBackend | 'redis' | 'memory';

export const SQL_BACKENDS: readonly SqlBackend[] = ['sqlite', 'postgres', 'mariadb'];
const LABEL: Record<Backend, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL', mariadb: 'MariaDB', redis: 'Redis', memory: 'memory' };

/** The moment every test's clock starts at. */
export const START = Date.UTC(2026, 0, 1);
/** The server secret the stores key session ids with. */
export const SECRET = '0123456789abcdef0123456789abcdef';

/** What a test gets: the clock its stores run on, and the backend's own handles. */
export interface Env {
  backend: Backend;
  clock: ManualClock;
  /** SQL backends: every store on this database, on `clock`. */
  stores?: Stores;
  /** SQL backends: the Kysely handle (to look at rows). */
  db?: Db;
  /** SQL backends: the database's MWAUTH_DATABASE_URL (another process may open it). */
  url?: string;
  /** Redis: a client, and this test's own key prefix. */
  redis?: Redis;
  prefix?: string;
}

export interface Subject<S> extends Env {
  store: S;
}

/** How a suite makes its store on each backend it applies to. */
export type Makers<S> = Partial<Record<Backend, (env: Env) => S>>;

// Every table, children first (outbox_masked refers to outbox).
const TABLES = [
  'outbox_masked', 'outbox', 'reset_request', 'audit_event', 'remember_token', 'session', 'counter', 'site_settings',
  'bot_passwords', 'block', 'user_properties', 'user_groups', 'user',
] as const;

interface Opened {
  handle: DbHandle;
  url: string;
  close(): Promise<void>;
}

async function openBackend(backend: SqlBackend): Promise<Opened> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mwauth-contract-'));
    const url = `sqlite:${join(dir, 'mwauth.sqlite')}`;
    const handle = await openDatabase({ databaseUrl: url, dataDir: dir });
    return { handle, url, close: async () => (await handle.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const database = backend === 'postgres' ? await createPostgresDatabase('mwauth_contract') : await createMariadbDatabase('mwauth_contract');
  try {
    const handle = await openDatabase({ databaseUrl: database.url, dataDir: tmpdir(), databasePool: 20 });
    return { handle, url: database.url, close: async () => (await handle.close(), await database.drop()) };
  } catch (err) {
    await database.drop();
    throw err;
  }
}

// One database per backend and test file, opened when a suite first needs it and closed when the
// file's tests are done: every test starts by emptying it.
const databases = new Map<SqlBackend, Promise<Opened>>();
after(async () => {
  for (const p of databases.values()) await (await p.catch(() => null))?.close();
});

function database(backend: SqlBackend): Promise<Opened> {
  let p = databases.get(backend);
  if (!p) databases.set(backend, (p = openBackend(backend)));
  return p;
}

// Asked once, before any suite is declared (so that every suite of a file is declared at once).
const SKIP: Record<Backend, string | false> = {
  sqlite: false,
  memory: false,
  postgres: await skipUnless('postgres'),
  mariadb: await skipUnless('mariadb'),
  redis: await skipUnless('redis'),
};

/**
 * Declares `suite` once per backend that `makers` names, as "NAME on BACKEND". Inside the suite's
 * tests, `subject()` gives this test's store and environment.
 */
export function contract<S>(name: string, makers: Makers<S>, suite: (subject: () => Subject<S>) => void): void {
  for (const [backend, make] of Object.entries(makers) as Array<[Backend, (env: Env) => S]>) {
    const skip = SKIP[backend];
    describe(`${name} on ${LABEL[backend]}`, { skip }, () => {
      let opened: Opened | null = null;
      let redis: Redis | null = null;
      const prefixes: string[] = [];
      let current: Subject<S> | null = null;
      before(async () => {
        if (backend === 'redis') redis = await openRedis(REDIS_URL);
        else if (backend !== 'memory') opened = await database(backend);
      });
      after(async () => {
        if (redis) {
          for (const p of prefixes) await deleteKeysUnder(redis, p);
          await closeRedis(redis);
        }
      });
      beforeEach(async () => {
        const clock = new ManualClock(START);
        const env: Env = { backend, clock };
        if (opened) {
          const db = opened.handle.db;
          // One transaction, one commit (a commit per table is most of a test's time on MariaDB).
          await db.transaction().execute(async (trx) => {
            for (const t of TABLES) await trx.deleteFrom(t).execute();
            // Accounts are never deleted but here: the count's mark (src/storage/sql/users.ts) starts again too.
            await trx.updateTable('user_count').set({ uc_through: 0, uc_users: 0 }).execute();
          });
          Object.assign(env, { db, url: opened.url, stores: sqlStores(db, { clock, random: cryptoRandom, keys: new Keyring([SECRET]) }) });
        }
        if (redis) {
          const prefix = `mwauth-test:${randomBytes(6).toString('hex')}:`;
          prefixes.push(prefix);
          Object.assign(env, { redis, prefix });
        }
        current = { ...env, store: make(env) };
      });
      afterEach(() => {
        current = null;
      });
      suite(() => {
        if (!current) throw new Error('subject() is for use inside a test');
        return current;
      });
    });
  }
}

/** Makers for a store every SQL backend has: `pick` takes it from the stores. */
export function onDatabases<S>(pick: (stores: Stores) => S): Makers<S> {
  return Object.fromEntries(SQL_BACKENDS.map((b) => [b, (env: Env) => pick(env.stores!)])) as Makers<S>;
}
