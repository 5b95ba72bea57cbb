// Opens the database named by the configuration and brings its schema up to date.
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type Driver } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations.js';

export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  /** Migrations a newer version ran here, which this version does not know (a rolling upgrade, a rollback). */
  newerMigrations?: string[];
  close(): Promise<void>;
}

// A deferred SQLite transaction that reads and then writes fails at once with "database is locked" when
// another process wrote in between (WAL cannot upgrade its stale snapshot, and the busy timeout does not
// apply). Every transaction here therefore takes the write lock up front and waits its turn for it.
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * The database file holds password hashes, sessions' keys and mail: it is made readable by its owner
 * alone before SQLite opens it (SQLite gives the -wal and -shm files it creates the mode of the database
 * file), in a folder only the owner may enter. A database made by an older version is tightened too.
 */
function ownerOnly(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      chmodSync(f, 0o600);
    } catch {
      // Not there (the usual case for -wal and -shm when no process has the database open), or not ours.
    }
  }
}

async function openSqlite(file: string): Promise<DbHandle> {
  const { default: SQLite } = await import('better-sqlite3');
  if (file !== ':memory:') ownerOnly(file);
  const native = new SQLite(file);
  native.pragma('journal_mode = WAL');
  native.pragma('synchronous = NORMAL');
  // The server and CLI commands share the file; under load a writer may wait its turn for a while.
  native.pragma('busy_timeout = 30000');
  native.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: native }) });
  // Kysely takes no lock for SQLite migrations, so two processes opening a new file at once (the server
  // and a CLI command) would both create the tables. In an IMMEDIATE transaction the second one waits.
  native.exec('BEGIN IMMEDIATE');
  let newer: string[];
  try {
    newer = await migrate(db);
    native.exec('COMMIT');
  } catch (err) {
    if (native.inTransaction) native.exec('ROLLBACK');
    await db.destroy();
    throw err;
  }
  return { db, dialect: 'sqlite', newerMigrations: newer, close: () => db.destroy() };
}

/** How long opening a PostgreSQL connection may take before it counts as failed. */
const PG_CONNECT_TIMEOUT_MS = 10_000;

/** Why the database named by MWAUTH_DATABASE_URL could not be used; the message names it, never its password. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

/** The URL with its password replaced by "***": safe to print. */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not shown)';
  }
}

async function openPostgres(url: string): Promise<DbHandle> {
  const pg = await import('pg');
  // BIGINT columns hold millisecond times: read them as numbers, not strings.
  pg.default.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.default.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS });
  // An idle connection that the server ends (a restart, pg_terminate_backend, a dropped network) is
  // reported on the pool; unheard, that event would end the process. The pool opens a new connection
  // for the next query, and a query that fails meanwhile fails on its own.
  pool.on('error', () => {});
  // The same for a connection in use between two statements (inside a transaction): the pool listens on
  // idle connections only, and the server ending that one would end the process. The statement that
  // follows fails instead, and the pool drops the broken connection when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // One query first: a server that refuses, an unknown database or a wrong password stops start-up with
  // a message that says which setting to look at.
  try {
    await pool.query('select 1');
  } catch (err) {
    await db.destroy().catch(() => {});
    const e = err as Error & { code?: string };
    throw new DatabaseUnavailableError(`cannot use the database at MWAUTH_DATABASE_URL (${shownUrl(url)}): ${e.message || e.code || String(err)}`);
  }
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

export async function openDatabase(opts: { databaseUrl: string | null; dataDir: string }): Promise<DbHandle> {
  const url = opts.databaseUrl;
  let handle: DbHandle;
  if (!url) handle = await openSqlite(join(opts.dataDir, 'mwauth.sqlite'));
  else if (url.startsWith('sqlite:')) handle = await openSqlite(url.slice('sqlite:'.length).replace(/^\/\//, '') || ':memory:');
  else {
    handle = await openPostgres(url);
    handle.newerMigrations = await migrate(handle.db);
  }
  return handle;
}

/** Migrations a newer version ran on this database that this version does not know (none: []). */
async function newerMigrations(db: Db): Promise<string[]> {
  const known = await migrationProvider.getMigrations();
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    return rows.map((r) => r.name).filter((n) => !(n in known));
  } catch {
    return []; // a new database: no migration table yet
  }
}

/**
 * Brings the schema up to date; returns the migrations of a newer version found on the database. Every
 * migration only adds (tables, columns with defaults, indexes) and never removes or renames what an older
 * version reads: during a rolling upgrade, or after a rollback, an older node starts beside a database a
 * newer one migrated, running its own migrations and leaving the newer ones as they are.
 */
export async function migrate(db: Db): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    const newer = await newerMigrations(db);
    // Kysely refuses a database holding migrations it was not given: the newer ones are given as done.
    const provider = newer.length === 0
      ? migrationProvider
      : {
          async getMigrations() {
            const done = { up: async () => {} };
            return { ...(await migrationProvider.getMigrations()), ...Object.fromEntries(newer.map((n) => [n, done])) };
          },
        };
    // Migrations are named by number with gaps (0010_audit came before a later 0002_…): a database
    // that already ran a higher number still runs a lower one added afterwards.
    const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return newer;
    // A newer node migrated between the look and the lock: look again.
    if (attempt === 0 && /previously executed migration .* is missing/.test((error as Error).message ?? '')) continue;
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}
