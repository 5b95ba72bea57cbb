// Where a benchmarked mwauth keeps its data: SQLite in a data folder (the default), or PostgreSQL with
// Redis for sessions and counters (--backend postgres, as a cluster runs). Each scenario gets a fresh
// instance copied from a seeded one: a folder copy, or a PostgreSQL database made from the seeded one as
// its template, with a Redis key prefix of its own. Everything made is removed by dispose().
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Redis } from 'ioredis';
import { POSTGRES_ADMIN_URL, REDIS_URL } from '../../test/helpers/services.js';

export type BackendName = 'sqlite' | 'postgres';

/** What mwauth's database says about the reset requests and the mail queue. */
export interface Probe {
  recorded: number;
  handled: number;
  unsent: number;
  mails: number;
}

export interface Instance {
  /** The MWAUTH_* settings that point mwauth at this instance. */
  env: Record<string, string>;
  /** The data folder: mail files, the server's log, and (SQLite) the database. */
  dir: string;
  probe(): Promise<Probe>;
  dispose(): Promise<void>;
}

export interface Backend {
  name: BackendName;
  label: string;
  create(): Promise<Instance>;
  /** A new instance holding what `of` holds (`of` must not be in use). */
  copy(of: Instance): Promise<Instance>;
}

const PROBE_RESETS = `select count(*) as n, coalesce(sum(case when rr_status in ('pending', 'processing') then 1 else 0 end), 0) as open from reset_request`;
const PROBE_OUTBOX = `select count(*) as n from outbox where ob_status in ('queued', 'sending')`;

export function countEml(dir: string): number {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.eml')).length;
  } catch {
    return 0;
  }
}

const made = new Set<Instance>();
/** Removes every instance still there (at the end of a run, or when it is interrupted). */
export async function disposeAll(): Promise<void> {
  for (const i of [...made]) await i.dispose().catch(() => {});
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mwauth-bench-api-'));
}

function sqliteInstance(dir: string): Instance {
  const inst: Instance = {
    env: { MWAUTH_DATA_DIR: dir },
    dir,
    async probe() {
      const db = new SQLite(join(dir, 'mwauth.sqlite'), { readonly: true, fileMustExist: true });
      try {
        db.pragma('busy_timeout = 5000');
        const rr = db.prepare(PROBE_RESETS).get() as { n: number; open: number };
        const ob = db.prepare(PROBE_OUTBOX).get() as { n: number };
        return { recorded: rr.n, handled: rr.n - rr.open, unsent: ob.n, mails: countEml(join(dir, 'mail')) };
      } finally {
        db.close();
      }
    },
    async dispose() {
      made.delete(inst);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  made.add(inst);
  return inst;
}

const sqlite: Backend = {
  name: 'sqlite',
  label: 'SQLite',
  async create() {
    return sqliteInstance(tempDir());
  },
  async copy(of) {
    const dir = tempDir();
    cpSync(join(of.dir, 'mwauth.sqlite'), join(dir, 'mwauth.sqlite'));
    for (const f of readdirSync(of.dir)) if (f !== 'mwauth.sqlite' && f !== 'mail' && !f.endsWith('.log')) cpSync(join(of.dir, f), join(dir, f), { recursive: true });
    return sqliteInstance(dir);
  },
};

async function pgAdmin(q: string): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end().catch(() => {});
  }
}

/** One secret for every node of a run: the nodes share the database, so the generated one will not do. */
const SECRET = randomBytes(32).toString('hex');

async function postgresInstance(template: string | null): Promise<Instance> {
  const name = `bench_api_${process.pid}_${randomBytes(4).toString('hex')}`;
  await pgAdmin(template ? `create database ${name} template ${template}` : `create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const prefix = `${name}:`;
  const dir = tempDir();
  const inst: Instance & { database: string } = {
    database: name,
    env: { MWAUTH_DATA_DIR: dir, MWAUTH_DATABASE_URL: url.toString(), MWAUTH_REDIS_URL: REDIS_URL, MWAUTH_REDIS_PREFIX: prefix, MWAUTH_SECRET: SECRET },
    dir,
    async probe() {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      try {
        const rr = (await c.query(PROBE_RESETS)).rows[0] as { n: string; open: string };
        const ob = (await c.query(PROBE_OUTBOX)).rows[0] as { n: string };
        return { recorded: Number(rr.n), handled: Number(rr.n) - Number(rr.open), unsent: Number(ob.n), mails: countEml(join(dir, 'mail')) };
      } finally {
        await c.end().catch(() => {});
      }
    },
    async dispose() {
      made.delete(inst);
      rmSync(dir, { recursive: true, force: true });
      await pgAdmin(`drop database if exists ${name} with (force)`);
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        for (let cursor = '0'; ; ) {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          if (keys.length) await redis.del(...keys);
          if ((cursor = next) === '0') break;
        }
      } finally {
        redis.disconnect();
      }
    },
  };
  made.add(inst);
  return inst;
}

const postgres: Backend = {
  name: 'postgres',
  label: 'PostgreSQL + Redis',
  create: () => postgresInstance(null),
  copy: (of) => postgresInstance((of as Instance & { database: string }).database),
};

export function backendNamed(name: string): Backend {
  if (name === 'sqlite') return sqlite;
  if (name === 'postgres') return postgres;
  throw new Error(`--backend must be sqlite or postgres, not ${JSON.stringify(name)}`);
}
