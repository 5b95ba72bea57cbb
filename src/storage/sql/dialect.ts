// The few places where SQLite, PostgreSQL and MariaDB/MySQL need different SQL, in one module: every
// other query is written once, in Kysely, and runs unchanged on all three. A store or migration that
// needs one of these differences calls a helper here; nothing else asks which database it runs on.
import { MysqlAdapter, PostgresAdapter, SqliteAdapter, sql, type Expression, type InsertQueryBuilder, type InsertResult, type Kysely, type RawBuilder } from 'kysely';

export type SqlDialect = 'sqlite' | 'postgres' | 'mysql';

/** What the helpers need to know about an open database. */
export interface DialectInfo {
  dialect: SqlDialect;
  /**
   * MariaDB/MySQL only: the collation of every text column, binary (names compare exactly, case and
   * accents included, as on SQLite and PostgreSQL) and NO PAD ("Alice" and "Alice " are two names).
   */
  collation?: string;
}

/** Which database a MWAUTH_DATABASE_URL names; null (no URL) is the embedded SQLite. */
export function dialectOfUrl(url: string | null): SqlDialect {
  if (!url) return 'sqlite';
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  switch (scheme) {
    case 'sqlite':
      return 'sqlite';
    case 'postgres':
    case 'postgresql':
      return 'postgres';
    case 'mysql':
    case 'mariadb':
      return 'mysql';
    default:
      throw new Error(`MWAUTH_DATABASE_URL: unknown database "${scheme}:" (sqlite:, postgres:, mysql: or mariadb:)`);
  }
}

// A Kysely instance, its transactions and its plugin-wrapped copies share one adapter object: the
// dialect is recorded against it when the database is opened, and found again from any of them.
const known = new WeakMap<object, DialectInfo>();

function adapterOf(db: Kysely<any>): object {
  return db.getExecutor().adapter;
}

/** Records what `db` (opened by src/storage/db.ts) is; its transactions inherit it. */
export function registerDialect(db: Kysely<any>, info: DialectInfo): void {
  known.set(adapterOf(db), info);
}

export function dialectInfo(db: Kysely<any>): DialectInfo {
  const adapter = adapterOf(db);
  const info = known.get(adapter);
  if (info) return info;
  // A handle made elsewhere (a tool, a test building an old schema): its adapter's class says which.
  if (adapter instanceof SqliteAdapter) return { dialect: 'sqlite' };
  if (adapter instanceof PostgresAdapter) return { dialect: 'postgres' };
  if (adapter instanceof MysqlAdapter) return { dialect: 'mysql' };
  throw new Error('a database handle of unknown kind');
}

export function dialectOf(db: Kysely<any>): SqlDialect {
  return dialectInfo(db).dialect;
}

/** The NO PAD binary collation of this MariaDB or MySQL server (from its version string). */
export function binaryCollation(version: string): string {
  // MariaDB has had utf8mb4_nopad_bin since 10.2; MySQL's NO PAD binary collation is utf8mb4_0900_bin (8.0.17+).
  return /mariadb/i.test(version) ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
}

/** CREATE TABLE options: on MariaDB/MySQL, InnoDB, utf8mb4 and the exact-comparing collation. */
export function tableOptions(db: Kysely<any>): RawBuilder<unknown> {
  const info = dialectInfo(db);
  if (info.dialect !== 'mysql') return sql``;
  return sql.raw(`engine=InnoDB default charset=utf8mb4 collate=${info.collation ?? 'utf8mb4_nopad_bin'}`);
}

/**
 * ON CONFLICT (keys) DO UPDATE SET … (SQLite, PostgreSQL) or ON DUPLICATE KEY UPDATE … (MariaDB/MySQL,
 * where the conflict is on whichever unique key the row hits: call it only for tables whose inserted
 * rows can clash on `keys` alone). `set` null: keep the existing row (DO NOTHING).
 */
export function onConflict<DB, TB extends keyof DB, O>(
  q: InsertQueryBuilder<DB, TB, O>,
  db: Kysely<any>,
  keys: ReadonlyArray<string>,
  set: Record<string, unknown> | null,
): InsertQueryBuilder<DB, TB, O> {
  const anyQ = q as InsertQueryBuilder<any, any, O>;
  if (dialectOf(db) === 'mysql') {
    // A no-op assignment rather than INSERT IGNORE, which would also swallow other errors.
    const update = set ?? { [keys[0]!]: sql.ref(keys[0]!) };
    return anyQ.onDuplicateKeyUpdate(update as never) as unknown as InsertQueryBuilder<DB, TB, O>;
  }
  return anyQ.onConflict((oc) => (set ? oc.columns(keys as never).doUpdateSet(set as never) : oc.columns(keys as never).doNothing())) as unknown as InsertQueryBuilder<DB, TB, O>;
}

/**
 * A read of the latest committed rows inside a transaction, locking them for sharing: FOR SHARE on
 * PostgreSQL, LOCK IN SHARE MODE on MariaDB/MySQL (whose plain reads see the transaction's snapshot);
 * SQLite's one writer at a time needs no clause.
 */
export function lockingRead<Q extends { forShare(): Q; modifyEnd(modifier: RawBuilder<unknown>): Q }>(q: Q, db: Kysely<any>): Q {
  const d = dialectOf(db);
  // MariaDB spells it LOCK IN SHARE MODE (MySQL 8 reads both).
  return d === 'sqlite' ? q : d === 'mysql' ? q.modifyEnd(sql`lock in share mode`) : q.forShare();
}

/** In an upsert's update: the value the insert proposed for `column` (excluded.x, or VALUES(x)). */
export function proposed(db: Kysely<any>, column: string): RawBuilder<any> {
  return dialectOf(db) === 'mysql' ? sql`values(${sql.ref(column)})` : sql`excluded.${sql.ref(column)}`;
}

/** An integer parameter PostgreSQL can type inside an expression (CASE, arithmetic with a column). */
export function intParam(db: Kysely<any>, n: number): RawBuilder<number> {
  return dialectOf(db) === 'postgres' ? sql<number>`cast(${n} as integer)` : sql<number>`${n}`;
}

/** Inserts one row and returns its generated id (RETURNING where there is one, the insert id elsewhere). */
export async function insertReturningId<DB, TB extends keyof DB>(
  db: Kysely<any>,
  q: InsertQueryBuilder<DB, TB, InsertResult>,
  idColumn: string,
): Promise<number> {
  if (dialectOf(db) === 'postgres') {
    const row = (await (q as InsertQueryBuilder<any, any, any>).returning(idColumn).executeTakeFirstOrThrow()) as Record<string, unknown>;
    return Number(row[idColumn]);
  }
  const r = await q.executeTakeFirstOrThrow();
  if (r.insertId === undefined) throw new Error('the database gave no id for the new row');
  return Number(r.insertId);
}

/**
 * An upsert that returns the value one column ends with, atomically (another writer cannot slip in
 * between). SQLite and PostgreSQL: RETURNING. MariaDB/MySQL, which has no RETURNING on this statement:
 * the update wraps the column's new value in LAST_INSERT_ID(expr), which the server reports back as
 * the statement's insert id; a fresh insert reports 0 and the column has the inserted value. For
 * tables without an AUTO_INCREMENT column, and values that are positive integers.
 */
export async function upsertReturningInt<DB, TB extends keyof DB>(
  db: Kysely<any>,
  insert: InsertQueryBuilder<DB, TB, InsertResult>,
  o: { keys: ReadonlyArray<string>; set: Record<string, unknown>; column: string; inserted: number },
): Promise<number> {
  if (dialectOf(db) === 'mysql') {
    const value = o.set[o.column] as Expression<unknown>;
    const set = { ...o.set, [o.column]: sql`last_insert_id(${value})` };
    const r = await onConflict(insert, db, o.keys, set).executeTakeFirstOrThrow();
    const id = Number(r.insertId ?? 0);
    return id > 0 ? id : o.inserted;
  }
  const row = (await (onConflict(insert, db, o.keys, o.set) as InsertQueryBuilder<any, any, any>).returning(o.column).executeTakeFirstOrThrow()) as Record<string, unknown>;
  return Number(row[o.column]);
}

/**
 * Deletes at most `limit` rows of `table` matching `where`, those first in `orderBy`; returns how many.
 * MariaDB/MySQL allow neither LIMIT in an IN subquery nor a subquery on the table being deleted from,
 * but have DELETE … ORDER BY … LIMIT; PostgreSQL has no DELETE … LIMIT, but a limited subquery of ids.
 */
export async function deleteFirst(
  db: Kysely<any>,
  o: { table: string; id: string; where: (eb: any) => any; orderBy: string; limit: number },
): Promise<number> {
  if (dialectOf(db) === 'mysql') {
    const r = await (db.deleteFrom(o.table) as any).where(o.where).orderBy(o.orderBy).limit(o.limit).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
  const r = await db
    .deleteFrom(o.table)
    .where(o.id, 'in', (eb: any) => eb.selectFrom(o.table).select(o.id).where(o.where).orderBy(o.orderBy).limit(o.limit))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * Runs `fn` inside a savepoint of the transaction `trx`: rolled back to the savepoint when `fn` throws
 * (the error goes on) or when `undo` is set, released otherwise. Same syntax on all three databases.
 */
export async function withSavepoint<T>(trx: Kysely<any>, name: string, fn: () => Promise<T>, o: { undo?: boolean } = {}): Promise<T> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a savepoint name: ${name}`);
  await sql.raw(`savepoint ${name}`).execute(trx);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await sql.raw(`rollback to savepoint ${name}`).execute(trx);
    await sql.raw(`release savepoint ${name}`).execute(trx);
    throw err;
  }
  if (o.undo) await sql.raw(`rollback to savepoint ${name}`).execute(trx);
  await sql.raw(`release savepoint ${name}`).execute(trx);
  return result;
}

/**
 * UPDATE … RETURNING: updates the rows of `table` matching `where` and returns them as they are after
 * it. MariaDB/MySQL has no UPDATE … RETURNING: there, in one transaction, the matching rows are read
 * FOR UPDATE (a second writer waits for them, then finds they no longer match), updated by id, and read
 * back.
 */
export async function updateReturning<R>(
  db: Kysely<any>,
  o: { table: string; id: string; where: (eb: any) => any; set: (eb: any) => Record<string, unknown>; returning: readonly string[] },
): Promise<R[]> {
  if (dialectOf(db) !== 'mysql') {
    return (await (db.updateTable(o.table) as any).set(o.set).where(o.where).returning([...o.returning]).execute()) as R[];
  }
  const run = async (trx: Kysely<any>): Promise<R[]> => {
    const locked = await trx.selectFrom(o.table).select(o.id).where(o.where).forUpdate().execute();
    if (locked.length === 0) return [];
    const ids = locked.map((r: Record<string, unknown>) => r[o.id]);
    await (trx.updateTable(o.table) as any).set(o.set).where(o.id, 'in', ids).execute();
    return (await trx.selectFrom(o.table).select([...o.returning]).where(o.id, 'in', ids).execute()) as R[];
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/**
 * Before a bulk write of many accounts: on SQLite, a page cache (128 MiB, on this connection) big enough
 * for the indexes a million accounts make. With SQLite's default of 2 MiB an index of random keys (the
 * name skeletons) spills to the journal again and again inside one long transaction, and the write slows
 * down as the table grows. PostgreSQL and MariaDB/MySQL size their caches themselves.
 */
export async function roomForBulkWrites(db: Kysely<any>): Promise<void> {
  if (dialectOf(db) === 'sqlite') await sql`PRAGMA cache_size = -131072`.execute(db);
}
