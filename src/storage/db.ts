// Opens the database named by the configuration and brings its schema up to date.
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CompiledQuery, Kysely, Migrator, MysqlDialect, PostgresDialect, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type Driver, type SqliteDatabase } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations.js';
import { binaryCollation, dialectOfUrl, registerDialect, type SqlDialect } from './sql/dialect.js';

export type Db = Kysely<Database>;
export type { SqlDialect };

export interface DbHandle {
  db: Db;
  dialect: SqlDialect;
  /** Migrations a newer version ran here, which this version does not know (a rolling upgrade, a rollback). */
  newerMigrations?: string[];
  /** SQLite: PRAGMA data_version, which changes whenever another connection commits to the file. */
  dataVersion?: () => number;
  close(): Promise<void>;
}

/** Connections each process keeps to PostgreSQL or MariaDB/MySQL at most, unless MWAUTH_DATABASE_POOL says otherwise. */
export const DEFAULT_POOL_SIZE = 10;

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

/** Statements kept prepared at most (an LRU): queries with lists of values come in many lengths. */
const STATEMENT_CACHE = 500;

/**
 * better-sqlite3 behind Kysely prepares every statement anew for each query, which cost the reset worker
 * a tenth of its time: the same few dozen statements run again and again, so they are kept prepared.
 * A statement still being iterated (a streamed query) is busy, and its SQL gets a fresh one meanwhile.
 */
function withStatementCache(native: import('better-sqlite3').Database): SqliteDatabase {
  const cache = new Map<string, import('better-sqlite3').Statement>();
  return {
    prepare(text: string) {
      let stmt = cache.get(text);
      if (stmt && !stmt.busy) {
        cache.delete(text);
        cache.set(text, stmt);
        return stmt;
      }
      stmt = native.prepare(text);
      if (!cache.has(text)) {
        cache.set(text, stmt);
        if (cache.size > STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      }
      return stmt;
    },
    close() {
      cache.clear();
      native.close();
    },
  };
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
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(native) }) });
  registerDialect(db, { dialect: 'sqlite' });
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
  const version = native.prepare('pragma data_version').pluck();
  return { db, dialect: 'sqlite', newerMigrations: newer, dataVersion: () => version.get() as number, close: () => db.destroy() };
}

/** How long opening a PostgreSQL or MariaDB/MySQL connection may take before it counts as failed. */
const CONNECT_TIMEOUT_MS = 10_000;

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

/** The error that stops start-up: which setting to look at, the URL without its password, and why. */
function unavailable(url: string, err: unknown): DatabaseUnavailableError {
  const e = err as Error & { code?: string };
  const why = (e?.message || e?.code || String(err)).replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (u) => shownUrl(u));
  return new DatabaseUnavailableError(`cannot use the database at MWAUTH_DATABASE_URL (${shownUrl(url)}): ${why}`);
}

async function openPostgres(url: string, poolSize: number): Promise<DbHandle> {
  const pg = await import('pg');
  // BIGINT columns hold millisecond times: read them as numbers, not strings.
  pg.default.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.default.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle connection that the server ends (a restart, pg_terminate_backend, a dropped network) is
  // reported on the pool; unheard, that event would end the process. The pool opens a new connection
  // for the next query, and a query that fails meanwhile fails on its own.
  pool.on('error', () => {});
  // The same for a connection in use between two statements (inside a transaction): the pool listens on
  // idle connections only, and the server ending that one would end the process. The statement that
  // follows fails instead, and the pool drops the broken connection when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  registerDialect(db, { dialect: 'postgres' });
  // One query first: a server that refuses, an unknown database or a wrong password stops start-up with
  // a message that says which setting to look at.
  try {
    await pool.query('select 1');
  } catch (err) {
    await db.destroy().catch(() => {});
    throw unavailable(url, err);
  }
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/**
 * Every connection's session settings, whatever the server's defaults: strict mode (a value too long
 * for its column is an error, never silently cut short, so two long names cannot end up the same), and
 * none of the modes that change how the client's quoting reads (NO_BACKSLASH_ESCAPES, ANSI_QUOTES).
 */
const MYSQL_SESSION = "set session sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

async function openMysql(url: string, poolSize: number): Promise<DbHandle> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw unavailable(url, err);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw unavailable(url, new Error('the URL names no database (mysql://user:password@host:3306/DATABASE)'));
  const mysql = (await import('mysql2')).default;
  const pool = mysql.createPool({
    host: decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, '')) || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username) || undefined,
    password: decodeURIComponent(parsed.password) || undefined,
    database,
    connectionLimit: poolSize,
    connectTimeout: CONNECT_TIMEOUT_MS,
    charset: 'utf8mb4',
    // The server may not ask for files of this machine (LOAD DATA LOCAL).
    flags: ['-LOCAL_FILES'],
    enableKeepAlive: true,
  });
  const db = new Kysely<Database>({
    dialect: new MysqlDialect({ pool, onCreateConnection: (c) => c.executeQuery(CompiledQuery.raw(MYSQL_SESSION)).then(() => {}) }),
  });
  let version: string;
  try {
    const r = await sql<{ v: string }>`select version() as v`.execute(db);
    version = String(r.rows[0]?.v ?? '');
  } catch (err) {
    await db.destroy().catch(() => {});
    throw unavailable(url, err);
  }
  registerDialect(db, { dialect: 'mysql', collation: binaryCollation(version) });
  return { db, dialect: 'mysql', close: () => db.destroy() };
}

export async function openDatabase(opts: { databaseUrl: string | null; dataDir: string; databasePool?: number }): Promise<DbHandle> {
  const url = opts.databaseUrl;
  const poolSize = opts.databasePool ?? DEFAULT_POOL_SIZE;
  // The URL alone says which database it is (src/storage/sql/dialect.ts).
  switch (dialectOfUrl(url)) {
    case 'sqlite':
      return openSqlite(!url ? join(opts.dataDir, 'mwauth.sqlite') : url.slice('sqlite:'.length).replace(/^\/\//, '') || ':memory:');
    case 'postgres':
      return migrated(await openPostgres(url!, poolSize));
    case 'mysql':
      return migrated(await openMysql(url!, poolSize));
  }
}

/** Brings a server database's schema up to date (SQLite does it inside its start-up lock). */
async function migrated(handle: DbHandle): Promise<DbHandle> {
  try {
    handle.newerMigrations = await migrate(handle.db);
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
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
