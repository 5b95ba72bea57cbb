// bench:api --users N: does mwauth stay as fast with N accounts as with 1,000? On SQLite and on PostgreSQL
// (+ Redis), a seeded instance is filled through the bulk path (src/accounts/bulk.ts, the import's way:
// thousands of accounts per transaction, multi-row statements) to 1,000 accounts, then measured; then
// filled on to N and measured again. Measured at each size, with a fresh server: a reset for the last
// account written (it has an address), a bot-password login, meta=userinfo of a session, and the site's
// statistics (meta=siteinfo&siprop=statistics: the number of accounts); p50 and p99 per size, their ratio
// (goal: within 1.2×) and the server's peak memory. The planner statistics are refreshed after each fill
// (ANALYZE; VACUUM ANALYZE on PostgreSQL), as after any bulk load.
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { writeAccounts, type AccountWrite } from '../../src/accounts/bulk.js';
import { loadConfig } from '../../src/config.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { openDatabase } from '../../src/storage/db.js';
import { sqlStores } from '../../src/storage/sql/stores.js';
import { cryptoRandom, systemClock } from '../../src/util/clock.js';
import { backendNamed, type Backend, type Instance } from './backend.js';
import { markdownTable, writeSection } from './report.js';

interface Measured {
  ok: number;
  bad: number;
  seconds: number;
  p50: number | null;
  p99: number | null;
  sample: string;
}
interface Bot {
  name: string;
  password: string;
}
interface WrkRequest {
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  cookie?: string;
  expect: string;
  refuse?: string;
}
interface Server {
  api: string;
  peakRssKb(): number | null;
  stop(): Promise<void>;
}

/** What bench/api.ts lends this study: its server, its clients and its printing. */
export interface Toolkit {
  seed(backend: Backend): Promise<{ template: Instance; bots: Bot[] }>;
  startMwauth(inst: Instance): Promise<Server>;
  runWrk(r: WrkRequest, seconds: number): Promise<Measured>;
  runLogins(api: string, bots: Bot[], seconds: number): Promise<Measured>;
  sessionCookie(api: string, bot: Bot): Promise<string>;
  resetBody(user: string): string;
  rate(n: number): string;
  ms(v: number | null | undefined): string;
  table(rows: string[][]): string;
  out: string | null;
  describe: { cpu: string; load0: string };
}

const SMALL = 1000;
/** Accounts per transaction while filling. */
const BATCH = 5000;
const name = (i: number) => `Bench user ${i}`;

/** Writes accounts `from`..`to`-1 (all with one password hash and an address) through writeAccounts. */
async function fill(inst: Instance, from: number, to: number, passwordHash: string): Promise<number> {
  const config = loadConfig(inst.env);
  const handle = await openDatabase(config);
  const stores = sqlStores(handle.db, { clock: systemClock, random: cryptoRandom, keys: new Keyring(config.secrets) });
  const start = performance.now();
  let last = start;
  try {
    for (let i = from; i < to; i += BATCH) {
      const batch: AccountWrite[] = [];
      const now = Date.now();
      for (let j = i; j < Math.min(to, i + BATCH); j++) {
        batch.push({
          name: name(j), email: `bench${j}@example.org`, emailAuthenticated: null, realName: '', registration: now,
          passwordHash, temporaryPassword: null, fingerprint: null, groups: [], preferences: {}, botPasswords: [], blocks: [],
        });
      }
      await stores.transaction((tx) => writeAccounts(tx, batch));
      if (performance.now() - last > 10_000) {
        last = performance.now();
        process.stdout.write(` ${Math.min(to, i + BATCH).toLocaleString('en')}…`);
      }
    }
    // As after any bulk load: fresh planner statistics (PostgreSQL's autovacuum would take them within a
    // minute or so; until then it plans for the table it last measured, and chooses scans), and on
    // PostgreSQL the vacuum its autovacuum would otherwise run during the measurements.
    await sql.raw(handle.dialect === 'postgres' ? 'vacuum analyze' : 'analyze').execute(handle.db);
  } finally {
    await handle.close();
  }
  return (to - from) / ((performance.now() - start) / 1000);
}

interface SizeResult {
  users: number;
  reset: Measured;
  login: Measured;
  userinfo: Measured;
  statistics: Measured;
  peakKb: number | null;
}

async function measureAt(t: Toolkit, inst: Instance, bots: Bot[], users: number, seconds: number): Promise<SizeResult> {
  const srv = await t.startMwauth(inst);
  try {
    // The resets last: the backlog they leave for the reset worker would slow what follows. One statistics
    // request first: the first count after a fill counts every account once (src/storage/sql/users.ts).
    const cookie = await t.sessionCookie(srv.api, bots[0]!);
    const first = await fetch(`${srv.api}?action=query&meta=siteinfo&siprop=statistics&format=json`);
    if (!(await first.text()).includes(`"users":${users + 2}`)) throw new Error('the site statistics do not count the accounts written');
    const userinfo = await t.runWrk({ url: `${srv.api}?action=query&meta=userinfo&format=json`, method: 'GET', cookie, expect: '"name":"Bob"', refuse: '"anon"' }, seconds);
    const statistics = await t.runWrk({ url: `${srv.api}?action=query&meta=siteinfo&siprop=statistics&format=json`, method: 'GET', expect: `"users":${users + 2}` }, seconds);
    const login = await t.runLogins(srv.api, bots, seconds);
    const reset = await t.runWrk({ url: srv.api, method: 'POST', body: t.resetBody(name(users - 1)), expect: '"status":"success"' }, seconds);
    return { users, reset, login, userinfo, statistics, peakKb: srv.peakRssKb() };
  } finally {
    await srv.stop();
  }
}

export async function population(users: number, t: Toolkit, seconds: number): Promise<number> {
  const hash = await createPasswordHasher().hash('Bench-population-pass-1');
  const rows: string[][] = [['backend', 'users', 'fill (accounts/s)', 'reset p50', 'p99', 'login p50', 'p99', 'userinfo p50', 'p99', 'statistics p50', 'p99', 'peak RSS', 'errors']];
  const ratios: string[][] = [['backend', 'reset p50 / p99', 'login p50 / p99', 'userinfo p50 / p99', 'statistics p50 / p99', 'memory']];
  let errors = 0;
  let within = true;
  for (const backend of [backendNamed('sqlite'), backendNamed('postgres')]) {
    process.stdout.write(`\n${backend.label}: seeding…`);
    const { template, bots } = await t.seed(backend);
    try {
      const sizes: SizeResult[] = [];
      const speeds: number[] = [];
      let have = 0;
      for (const size of [SMALL, users]) {
        process.stdout.write(` filling to ${size.toLocaleString('en')}…`);
        speeds.push(await fill(template, have, size, hash));
        have = size;
        process.stdout.write(' measuring…');
        sizes.push(await measureAt(t, template, bots, size, seconds));
      }
      for (const [i, r] of sizes.entries()) {
        const bad = r.reset.bad + r.login.bad + r.userinfo.bad + r.statistics.bad;
        errors += bad;
        rows.push([backend.label, r.users.toLocaleString('en'), t.rate(speeds[i]!), t.ms(r.reset.p50), t.ms(r.reset.p99), t.ms(r.login.p50), t.ms(r.login.p99), t.ms(r.userinfo.p50), t.ms(r.userinfo.p99), t.ms(r.statistics.p50), t.ms(r.statistics.p99), r.peakKb === null ? '-' : `${Math.round(r.peakKb / 1024)} MB`, String(bad)]);
      }
      const [a, b] = sizes as [SizeResult, SizeResult];
      const q = (x: number | null, y: number | null) => {
        if (x === null || y === null || x === 0) return '-';
        // Below a millisecond, scheduling noise on a shared machine outweighs any scan: count 1 ms as the floor.
        const r = Math.max(y, 1) / Math.max(x, 1);
        if (r > 1.2) within = false;
        return `${r.toFixed(2)}×`;
      };
      const pair = (x: Measured, y: Measured) => `${q(x.p50, y.p50)} / ${q(x.p99, y.p99)}`;
      ratios.push([backend.label, pair(a.reset, b.reset), pair(a.login, b.login), pair(a.userinfo, b.userinfo), pair(a.statistics, b.statistics), a.peakKb && b.peakKb ? `${(b.peakKb / a.peakKb).toFixed(2)}×` : '-']);
    } finally {
      await template.dispose();
    }
  }
  console.log(`\n\n${t.table(rows)}\n\nat ${users.toLocaleString('en')} ÷ at ${SMALL.toLocaleString('en')} users (goal: within 1.2×):\n${t.table(ratios)}`);
  const load1 = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`\nload average ${load1} at the end`);
  if (errors) console.log(`\n${errors} bad answers: these figures are not to be trusted`);
  if (t.out) {
    writeSection(t.out, 'users', [
      `## At ${users.toLocaleString('en')} users`,
      '',
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${t.describe.cpu}; load average ${t.describe.load0} at the start, ${load1} at the end.`,
      `\`npm run bench:api -- --users ${users}\`: accounts written through the bulk path (writeAccounts, ${BATCH.toLocaleString('en')} a transaction); at each size a fresh server, ${seconds} s per measurement: resets for the last account written, bot-password logins, meta=userinfo of a session, meta=siteinfo&siprop=statistics.`,
      '',
      markdownTable(rows),
      '',
      `At ${users.toLocaleString('en')} ÷ at ${SMALL.toLocaleString('en')} users (goal: within 1.2×; latencies under 1 ms count as 1 ms): ${within ? 'met' : 'MISSED'}`,
      '',
      markdownTable(ratios),
    ].join('\n'));
    console.log(`wrote ${t.out} (section users)`);
  }
  return errors > 0 ? 1 : 0;
}
