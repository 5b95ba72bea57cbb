// A MediaWiki database opened read-only, for SELECTs only: SQLite (better-sqlite3), MariaDB/MySQL
// (mysql2) or PostgreSQL (pg). One snapshot for the whole read (a read-only transaction), so an import
// sees the wiki at one moment even while it keeps running. Values come back as strings (binary columns
// decoded as UTF-8, which is what MediaWiki writes), numbers, Dates (PostgreSQL's timestamps) or null.
import { MediaWikiSourceError, describeSource, type SourceSpec } from './source.js';

export type Value = string | number | Date | null;
export type Row = Record<string, Value>;

export interface SourceDb {
  readonly dialect: 'sqlite' | 'mysql' | 'postgres';
  /** Names of the tables (in PostgreSQL: of the schema in use). */
  tables(): Promise<string[]>;
  /** Column names of a table. */
  columns(table: string): Promise<string[]>;
  /** A quoted identifier. */
  id(name: string): string;
  /** A SELECT with "?" placeholders. */
  all(sql: string, params?: ReadonlyArray<string | number>): Promise<Row[]>;
  close(): Promise<void>;
}

function normalize(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (Buffer.isBuffer(v)) out[k] = v.toString('utf8');
    else if (typeof v === 'bigint') out[k] = Number(v);
    else if (v === undefined) out[k] = null;
    else out[k] = v as Value;
  }
  return out;
}

/** Why opening failed, in a line: the driver's message without any URL or password in it. */
function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const text = (e?.message ?? String(err)).split('\n')[0]!.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (u) => describeSource(u));
  return e?.code && !text.includes(e.code) ? `${text} (${e.code})` : text;
}

export async function openSourceDb(spec: SourceSpec, shown: string): Promise<SourceDb> {
  try {
    switch (spec.kind) {
      case 'sqlite':
        return await openSqlite(spec.path);
      case 'mysql':
        return await openMysql(spec.url);
      case 'postgres':
        return await openPostgres(spec.url, spec.schema);
    }
  } catch (err) {
    if (err instanceof MediaWikiSourceError) throw err;
    throw new MediaWikiSourceError(`Cannot open the MediaWiki database ${shown}: ${reason(err)}`);
  }
}

async function openSqlite(path: string): Promise<SourceDb> {
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('query_only = ON');
    db.prepare('SELECT count(*) FROM sqlite_master').get(); // not a database: fails here
    db.exec('BEGIN'); // the first read takes the snapshot
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    dialect: 'sqlite',
    async tables() {
      return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name);
    },
    async columns(table) {
      return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((r) => r.name);
    },
    id: (name) => `"${name.replace(/"/g, '""')}"`,
    async all(sql, params = []) {
      return (db.prepare(sql).all(...params) as Array<Record<string, unknown>>).map(normalize);
    },
    async close() {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}

async function openMysql(url: string): Promise<SourceDb> {
  const mysql = (await import('mysql2/promise')).default;
  const conn = await mysql.createConnection({ uri: url, dateStrings: true, supportBigNumbers: true, connectTimeout: 10_000, charset: 'utf8mb4' });
  try {
    await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  } catch (err) {
    await conn.end().catch(() => {});
    throw err;
  }
  return {
    dialect: 'mysql',
    async tables() {
      const [rows] = await conn.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()');
      return (rows as Array<Record<string, unknown>>).map((r) => String(normalize(r).name));
    },
    async columns(table) {
      const [rows] = await conn.query(
        'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?',
        [table],
      );
      return (rows as Array<Record<string, unknown>>).map((r) => String(normalize(r).name));
    },
    id: (name) => `\`${name.replace(/`/g, '``')}\``,
    async all(sql, params = []) {
      const [rows] = await conn.query(sql, params as Array<string | number>);
      return (rows as Array<Record<string, unknown>>).map(normalize);
    },
    async close() {
      await conn.query('ROLLBACK').catch(() => {});
      await conn.end().catch(() => {});
    },
  };
}

async function openPostgres(url: string, schema: string | null): Promise<SourceDb> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // An error event after connecting (the server went away) must not crash the process: queries fail instead.
  client.on('error', () => {});
  await client.connect();
  let inUse: string;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // MediaWiki keeps its tables in a schema of their own ($wgDBmwschema, "mediawiki" by default).
    if (schema === null) {
      const found = await client.query<{ s: string }>(
        `SELECT table_schema AS s FROM information_schema.tables WHERE table_name = 'user_groups' ORDER BY (table_schema = 'mediawiki') DESC, table_schema LIMIT 1`,
      );
      inUse = found.rows[0]?.s ?? 'public';
    } else {
      inUse = schema;
    }
    await client.query(`SET LOCAL search_path TO "${inUse.replace(/"/g, '""')}"`);
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  const toPg = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    dialect: 'postgres',
    async tables() {
      const r = await client.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1', [inUse]);
      return r.rows.map((x) => x.name);
    },
    async columns(table) {
      const r = await client.query<{ name: string }>(
        'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
        [inUse, table],
      );
      return r.rows.map((x) => x.name);
    },
    id: (name) => `"${name.replace(/"/g, '""')}"`,
    async all(sql, params = []) {
      const r = await client.query(toPg(sql), params as Array<string | number>);
      return r.rows.map((x: Record<string, unknown>) => normalize(x));
    },
    async close() {
      await client.query('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
    },
  };
}
