// The PostgreSQL, MariaDB and Redis servers some tests need: a fresh database or a fresh key prefix per
// test, removed afterwards. A server that cannot be reached skips those tests with the reason, unless
// MWAUTH_REQUIRE_SERVICES=1 (CI), where it fails them.
import { randomBytes } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';

// Loaded when first used: most test files that import this never touch either server.
const pgClient = async (url: string, timeoutMs?: number) => new (await import('pg')).default.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
const redisConnection = async (options: RedisOptions = {}) => new (await import('ioredis')).Redis(REDIS_URL, { maxRetriesPerRequest: 1, ...options });
const mariadbConnection = async (timeoutMs?: number) =>
  (await import('mysql2/promise')).default.createConnection({ uri: MARIADB_ADMIN_URL, connectTimeout: timeoutMs, flags: ['-LOCAL_FILES'] });

/** An admin URL (a role that may create databases); MWAUTH_TEST_POSTGRES_URL overrides it. */
export const POSTGRES_ADMIN_URL = process.env.MWAUTH_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
/** A Redis whose keys under a test's own prefix may be written and deleted; MWAUTH_TEST_REDIS_URL overrides it. */
export const REDIS_URL = process.env.MWAUTH_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
/** A MariaDB (or MySQL) account that may create and drop databases; MWAUTH_TEST_MYSQL_URL overrides it. */
export const MARIADB_ADMIN_URL = process.env.MWAUTH_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306';
export const SERVICES_REQUIRED = process.env.MWAUTH_REQUIRE_SERVICES === '1';

type Service = 'postgres' | 'redis' | 'mariadb';
type After = { after(fn: () => Promise<void> | void): void };

const probes = new Map<Service, Promise<string | null>>();

/** Why the service cannot be used (null: it can), asked once per test process. */
function unreachable(service: Service): Promise<string | null> {
  let p = probes.get(service);
  if (!p) {
    p = service === 'postgres' ? probePostgres() : service === 'mariadb' ? probeMariadb() : probeRedis();
    probes.set(service, p);
  }
  return p;
}

async function probePostgres(): Promise<string | null> {
  const c = await pgClient(POSTGRES_ADMIN_URL, 3000);
  try {
    await c.connect();
    await c.query('select 1');
    return null;
  } catch (err) {
    return `PostgreSQL at ${shown(POSTGRES_ADMIN_URL)} is not reachable (${(err as Error).message}); set MWAUTH_TEST_POSTGRES_URL`;
  } finally {
    await c.end().catch(() => {});
  }
}

async function probeMariadb(): Promise<string | null> {
  try {
    const c = await mariadbConnection(3000);
    try {
      await c.query('select 1');
    } finally {
      await c.end().catch(() => {});
    }
    return null;
  } catch (err) {
    return `MariaDB at ${shown(MARIADB_ADMIN_URL)} is not reachable (${(err as Error).message}); set MWAUTH_TEST_MYSQL_URL`;
  }
}

async function probeRedis(): Promise<string | null> {
  const r = await redisConnection({ lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause: Error | null = null;
  r.on('error', (err: Error) => (cause ??= err));
  try {
    await r.connect();
    await r.ping();
    return null;
  } catch (err) {
    return `Redis at ${shown(REDIS_URL)} is not reachable (${(cause ?? (err as Error)).message}); set MWAUTH_TEST_REDIS_URL`;
  } finally {
    r.disconnect();
  }
}

function shown(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * For a test's or suite's `skip` option: false when every service is reachable, otherwise the reason.
 * With MWAUTH_REQUIRE_SERVICES=1 an unreachable service throws instead, failing the test file.
 */
export async function skipUnless(...services: Service[]): Promise<string | false> {
  for (const s of services) {
    const why = await unreachable(s);
    if (why === null) continue;
    if (SERVICES_REQUIRED) throw new Error(`${why} (MWAUTH_REQUIRE_SERVICES=1)`);
    return why;
  }
  return false;
}

export interface PostgresDatabase {
  name: string;
  /** The new database's URL. */
  url: string;
  /** Drops it, ending any connection still open to it. */
  drop(): Promise<void>;
}

async function admin(q: string): Promise<void> {
  const c = await pgClient(POSTGRES_ADMIN_URL);
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

/** A new, empty database with a random name; the caller drops it. */
export async function createPostgresDatabase(prefix = 'mwauth_test'): Promise<PostgresDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/** A new database for this test, dropped after it (after-hooks registered earlier run first). */
export async function postgresDatabase(t: After, prefix?: string): Promise<string> {
  const db = await createPostgresDatabase(prefix);
  t.after(() => db.drop());
  return db.url;
}

export interface MariadbDatabase {
  name: string;
  /** The new database's mysql:// URL. */
  url: string;
  drop(): Promise<void>;
}

async function mariadbAdmin(q: string): Promise<void> {
  const c = await mariadbConnection();
  try {
    await c.query(q);
  } finally {
    await c.end().catch(() => {});
  }
}

/** A new, empty MariaDB database with a random name; the caller drops it. */
export async function createMariadbDatabase(prefix = 'mwauth_test'): Promise<MariadbDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await mariadbAdmin(`create database \`${name}\``);
  const url = new URL(MARIADB_ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => mariadbAdmin(`drop database if exists \`${name}\``) };
}

/** A new MariaDB database for this test, dropped after it. */
export async function mariadbDatabase(t: After, prefix?: string): Promise<string> {
  const db = await createMariadbDatabase(prefix);
  t.after(() => db.drop());
  return db.url;
}

/** Every key under `prefix`, by SCAN (never KEYS on a shared server). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  const pattern = prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

/** Deletes every key under `prefix`. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

/** A new client of the test Redis, closed after the test. */
export async function redisClient(t: After): Promise<Redis> {
  const r = await redisConnection();
  t.after(() => void r.disconnect());
  return r;
}

/** A random key prefix of this test's own; every key under it is deleted after the test. */
export async function redisPrefix(t: After): Promise<string> {
  const prefix = `mwauth-test:${randomBytes(6).toString('hex')}:`;
  t.after(async () => {
    const r = await redisConnection();
    try {
      await deleteKeysUnder(r, prefix);
    } finally {
      r.disconnect();
    }
  });
  return prefix;
}
