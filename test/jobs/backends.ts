// The three databases the job queue runs on, for its test suite: a SQLite file, a fresh PostgreSQL
// database and a fresh MariaDB database, each holding job tables made for one test. Also loaded by the
// child processes of the cross-process claim tests.
import { randomBytes } from 'node:crypto';
import { Kysely, MysqlDialect } from 'kysely';
import { openDatabase } from '../../src/storage/db.js';
import type { JobTableSpec } from '../../src/jobs/sqlTable.js';
import { SERVICES_REQUIRED, createPostgresDatabase, skipUnless } from '../helpers/services.js';

export type Kind = 'sqlite' | 'postgres' | 'mariadb';

/** An admin URL for MariaDB/MySQL (a role that may create databases); MWAUTH_TEST_MARIADB_URL overrides it. */
export const MARIADB_ADMIN_URL = process.env.MWAUTH_TEST_MARIADB_URL || 'mysql://root@127.0.0.1:3306/mysql';

export interface Opened {
  db: Kysely<any>;
  close(): Promise<void>;
}

/** Opens `where` (a data folder for SQLite, a URL otherwise) on its own connections. */
export async function openBackend(kind: Kind, where: string): Promise<Opened> {
  if (kind === 'mariadb') {
    const { createPool } = await import('mysql2');
    const db = new Kysely<any>({ dialect: new MysqlDialect({ pool: createPool({ uri: where, connectionLimit: 10 }) }) });
    return { db, close: () => db.destroy() };
  }
  // mwauth's own opening: WAL and a busy timeout for SQLite, BIGINT read as numbers for PostgreSQL.
  const handle = await openDatabase(kind === 'sqlite' ? { databaseUrl: null, dataDir: where } : { databaseUrl: where, dataDir: '/nonexistent' });
  return { db: handle.db as unknown as Kysely<any>, close: () => handle.close() };
}

async function mariadbAdmin(q: string): Promise<void> {
  const { createConnection } = await import('mysql2/promise');
  const c = await createConnection({ uri: MARIADB_ADMIN_URL, connectTimeout: 3000 });
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

/** Why MariaDB cannot be used (false: it can); under MWAUTH_REQUIRE_SERVICES=1 it throws instead. */
export async function skipUnlessMariadb(): Promise<string | false> {
  try {
    await mariadbAdmin('select 1');
    return false;
  } catch (err) {
    const why = `MariaDB at ${MARIADB_ADMIN_URL} is not reachable (${(err as Error).message}); set MWAUTH_TEST_MARIADB_URL`;
    if (SERVICES_REQUIRED) throw new Error(`${why} (MWAUTH_REQUIRE_SERVICES=1)`);
    return why;
  }
}

export async function skipUnlessBackend(kind: Kind): Promise<string | false> {
  if (kind === 'sqlite') return false;
  if (kind === 'postgres') return skipUnless('postgres');
  return skipUnlessMariadb();
}

/** A fresh database (PostgreSQL, MariaDB) or data folder (SQLite); `where` opens it. */
export async function createBackend(kind: Kind, dir: string): Promise<{ where: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { where: dir, drop: async () => {} };
  if (kind === 'postgres') {
    const pg = await createPostgresDatabase('mwauth_jobs');
    return { where: pg.url, drop: () => pg.drop() };
  }
  const name = `mwauth_jobs_${randomBytes(6).toString('hex')}`;
  await mariadbAdmin(`create database ${name}`);
  const url = new URL(MARIADB_ADMIN_URL);
  url.pathname = `/${name}`;
  return { where: url.toString(), drop: () => mariadbAdmin(`drop database if exists ${name}`) };
}

/** The job table `name` as the queue sees it: 'queued' jobs wait, 'working' ones are held. */
export function jobSpec(name: string): JobTableSpec {
  return {
    table: name,
    columns: {
      id: 'id',
      status: 'status',
      attempts: 'attempts',
      nextAttempt: 'next_attempt',
      leaseUntil: 'lease_until',
      leaseOwner: 'lease_owner',
      processed: 'processed',
      lastError: 'last_error',
    },
    statuses: { waiting: ['queued'], working: 'working' },
    select: ['id', 'payload', 'attempts'],
  };
}

export interface JobRow {
  id: number;
  payload: string;
  attempts: number;
}

/** Makes a job table `name` and its log (`name`_log: which worker committed which job). */
export async function createJobTable(db: Kysely<any>, kind: Kind, name: string): Promise<void> {
  const time = 'bigint';
  let t = db.schema.createTable(name);
  t = kind === 'postgres' ? t.addColumn('id', 'bigserial', (c) => c.primaryKey()) : kind === 'mariadb' ? t.addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement()) : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  await t
    .addColumn('payload', 'varchar(64)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt', time, (c) => c.notNull().defaultTo(0))
    .addColumn('lease_until', time)
    .addColumn('lease_owner', 'varchar(32)')
    .addColumn('processed', time)
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex(`${name}_due`).on(name).columns(['status', 'next_attempt']).execute();
  await db.schema.createIndex(`${name}_lease`).on(name).columns(['status', 'lease_until']).execute();
  await db.schema
    .createTable(`${name}_log`)
    .addColumn('job_id', 'bigint', (c) => c.notNull())
    .addColumn('worker', 'varchar(16)', (c) => c.notNull())
    .execute();
}

/** Adds `n` jobs, due at `at`. */
export async function addJobs(db: Kysely<any>, name: string, n: number, at = 0): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    const rows = Array.from({ length: Math.min(100, n - i) }, (_, k) => ({ payload: `job ${i + k + 1}`, status: 'queued', next_attempt: at }));
    await db.insertInto(name).values(rows).execute();
  }
}
