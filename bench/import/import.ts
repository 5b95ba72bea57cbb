// npm run bench:import [-- --users 1000000 --sources sqlite,mysql --targets sqlite,postgres]
//
// The whole import, as `mwauth import mediawiki` runs it: a MediaWiki database of `--users` accounts is
// made for each source kind (bench/import/make-mediawiki-db.ts: SQLite in a temporary folder, MariaDB as
// a database with the prefix mw_ on MWAUTH_TEST_MYSQL_URL's server), then imported into a fresh mwauth
// database of each target kind (SQLite in a temporary folder, PostgreSQL as a new database on
// MWAUTH_TEST_POSTGRES_URL's server, dropped afterwards), each pair in a process of its own. Printed per
// pair: accounts per second, the time, and the process's peak RSS (sampled, and its maximum); then a second
// run of the same import (nothing changed: every account unchanged).
//   --reuse  keep (and reuse) the generated sources in /tmp/mwauth-bench-import-*
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    sources: { type: 'string', default: 'sqlite,mysql' },
    targets: { type: 'string', default: 'sqlite,postgres' },
    reuse: { type: 'boolean', default: false },
    // Internal: one pair, in a child process.
    pair: { type: 'string' },
    source: { type: 'string' },
    prefix: { type: 'string', default: '' },
    target: { type: 'string' },
  },
});

const here = fileURLToPath(new URL('.', import.meta.url));
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;

if (args.pair) {
  // The child: one import of SOURCE into TARGET (a database URL), twice, printing JSON figures.
  const { openDatabase } = await import('../../src/storage/db.js');
  const { sqlStores } = await import('../../src/storage/sql/stores.js');
  const { cryptoRandom, systemClock } = await import('../../src/util/clock.js');
  const { Keyring } = await import('../../src/secrets/keyring.js');
  const { MediaWikiReader } = await import('../../src/import/mediawiki/reader.js');
  const { mediaWikiSource } = await import('../../src/import/mediawiki/recordSource.js');
  const { importRecords } = await import('../../src/import/importer.js');
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const handle = await openDatabase({ databaseUrl: args.target!, dataDir: tmpdir() });
  const stores = sqlStores(handle.db, { clock: systemClock, random: cryptoRandom, keys: new Keyring(['0123456789abcdef0123456789abcdef']) });
  const runs = [];
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const reader = await MediaWikiReader.open(args.source!, { prefix: args.prefix });
    const summary = await importRecords(stores, mediaWikiSource(reader));
    await reader.close();
    runs.push({ seconds: (performance.now() - t0) / 1000, accounts: summary.accounts, blocks: summary.addressBlocks });
  }
  clearInterval(sampler);
  await handle.close();
  peak = Math.max(peak, process.memoryUsage.rss());
  console.log(JSON.stringify({ runs, peak, maxRss: process.resourceUsage().maxRSS * 1024 }));
  process.exit(0);
}

const USERS = Number(args.users);
if (!Number.isSafeInteger(USERS) || USERS < 1) throw new Error('--users must be a positive whole number');
const sources = args.sources!.split(',').filter(Boolean);
const targets = args.targets!.split(',').filter(Boolean);
const mysqlUrl = (process.env.MWAUTH_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const pgUrl = process.env.MWAUTH_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

function run(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

console.log(`${USERS.toLocaleString('en-US')} MediaWiki accounts; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; Node ${process.version}`);
for (const kind of sources) {
  const dir = `/tmp/mwauth-bench-import-${kind}-${USERS}`;
  const database = `importer_bench_mw_${USERS}`;
  const source = kind === 'sqlite' ? join(dir, 'db', 'benchwiki.sqlite') : `${mysqlUrl}/${database}`;
  const prefix = kind === 'sqlite' ? '' : 'mw_';
  if (!(args.reuse && (kind === 'mysql' ? existsSync(join(dir, 'made')) : existsSync(source)))) {
    const t0 = performance.now();
    run('node', ['--import', 'tsx', join(here, 'make-mediawiki-db.ts'), '--users', String(USERS), '--kind', kind, '--out', dir, '--database', database, '--prefix', prefix]);
    if (kind === 'mysql') run('touch', [join(dir, 'made')]);
    console.log(`source ${kind}: made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  for (const target of targets) {
    let url: string;
    let drop: () => Promise<void>;
    if (target === 'sqlite') {
      const d = mkdtempSync(join(tmpdir(), 'mwauth-bench-import-target-'));
      url = `sqlite:${join(d, 'mwauth.sqlite')}`;
      drop = async () => rmSync(d, { recursive: true, force: true });
    } else if (target === 'postgres') {
      const { default: pg } = await import('pg');
      const name = `importer_bench_${Math.random().toString(36).slice(2, 10)}`;
      const admin = async (q: string) => {
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        try {
          await c.query(q);
        } finally {
          await c.end();
        }
      };
      await admin(`create database ${name}`);
      const u = new URL(pgUrl);
      u.pathname = `/${name}`;
      url = u.toString();
      drop = () => admin(`drop database if exists ${name} with (force)`);
    } else throw new Error(`--targets: sqlite or postgres, not ${target}`);
    try {
      const out = run('node', ['--import', 'tsx', fileURLToPath(import.meta.url), '--pair', '1', '--source', source, '--prefix', prefix, '--target', url]);
      const r = JSON.parse(out.trim().split('\n').pop()!) as {
        runs: Array<{ seconds: number; accounts: { created: number; unchanged: number }; blocks: { created: number } }>;
        peak: number;
        maxRss: number;
      };
      const [first, second] = r.runs;
      console.log(
        `${kind} → ${target}: ${first!.accounts.created.toLocaleString('en-US')} accounts + ${first!.blocks.created} address blocks in ${first!.seconds.toFixed(1)} s ` +
          `(${Math.round(first!.accounts.created / first!.seconds).toLocaleString('en-US')} accounts/s); ` +
          `again, unchanged: ${second!.accounts.unchanged.toLocaleString('en-US')} in ${second!.seconds.toFixed(1)} s; peak RSS ${mib(r.peak)} (max ${mib(r.maxRss)})`,
      );
    } finally {
      await drop();
    }
  }
  if (!args.reuse) {
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'mysql') {
      const mysql = (await import('mysql2/promise')).default;
      const c = await mysql.createConnection({ uri: mysqlUrl });
      await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await c.end();
    }
  }
}
