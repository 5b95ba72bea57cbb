// npm run check:enumeration [-- --n 1000 --probes 250 --seed 1]
//
// Can a client tell an existing account from an unknown one, by the bytes of the answer or by its
// time? A real `mwauth serve` runs in a child process (so the client's own work does not disturb the
// server's timing) on a fresh data folder seeded with accounts; this process sends interleaved
// requests (in a shuffled order) for existing and unknown accounts over one keep-alive connection and
// measures each request's latency on the client side.
//
//   1. action=resetpassword by user and by email (MWAUTH_RESET_IP_LIMIT high, so every request is
//      recorded): each existing account is asked for once, so every existing request makes the worker
//      hash a temporary password and queue a mail.
//   2. action=login: an unknown user, a wrong password for an existing account, and a wrong password for
//      an account whose password reset is pending (it holds a temporary password).
//   3. The request after a reset: a login probe sent right after a reset for an existing or an unknown
//      account (the reset worker's hashing and mail happen after the response, in the same process).
//   4. The default per-IP limit (5 per hour): the over-limit answers for existing and unknown accounts.
//
// For each pair of groups it prints the median and p90, their differences, the Mann–Whitney U test
// (z and two-sided p, tie-corrected normal approximation) and the two-sample Kolmogorov–Smirnov D with
// its asymptotic p; and whether every body and every header (Date aside) was byte-identical.
// Exit status 1 when bytes or headers differ; timing is reported, not judged by the exit status.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import { createServices } from '../src/services.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    probes: { type: 'string', default: '250' },
    seed: { type: 'string', default: '1' },
  },
});
const N = Number(args.n);
const PROBES = Number(args.probes);
if (!Number.isInteger(N) || N < 10 || !Number.isInteger(PROBES) || PROBES < 0) throw new Error('--n must be an integer ≥ 10, --probes ≥ 0');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SUCCESS = '{"resetpassword":{"status":"success"}}';
const PASSWORD = 'Right-password-9876';
const WRONG = 'Wrong-password-1234';
const ANON_TOKEN = '+\\';
let failed = false;

// ---------------------------------------------------------------------------------------------------
// Random order: a seeded generator, so that a run can be repeated.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(Number(args.seed));
function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
const pad = (i: number) => String(i).padStart(4, '0');

// ---------------------------------------------------------------------------------------------------
// Statistics.

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** erfc with a fractional error below 1.2e-7 everywhere (Chebyshev fit), so tail p-values stay meaningful. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Mann–Whitney U of a against b: U, z (tie-corrected, continuity-corrected), two-sided p, and U/(n1·n2). */
function mannWhitney(a: number[], b: number[]): { u: number; z: number; p: number; auc: number } {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const n = all.length;
  let rankA = 0;
  let ties = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j + 2) / 2;
    const t = j - i + 1;
    ties += t * t * t - t;
    for (let k = i; k <= j; k++) if (all[k]!.g === 0) rankA += rank;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  const u = rankA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1))));
  const d = u - mean;
  const z = sd === 0 ? 0 : (d - Math.sign(d) * 0.5) / sd;
  return { u, z, p: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)), auc: u / (n1 * n2) };
}

/** Two-sample Kolmogorov–Smirnov: D and its asymptotic p (Q_KS with Stephens' small-sample correction). */
function kolmogorovSmirnov(a: number[], b: number[]): { d: number; p: number } {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const en = Math.sqrt((x.length * y.length) / (x.length + y.length));
  const lambda = (en + 0.12 + 0.11 / en) * d;
  let p = 0;
  if (lambda < 0.2) p = 1;
  else {
    for (let k = 1; k <= 100; k++) {
      const term = 2 * (k % 2 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
      p += term;
      if (Math.abs(term) < 1e-12) break;
    }
  }
  return { d, p: Math.max(0, Math.min(1, p)) };
}

const ms = (v: number) => `${v.toFixed(3)} ms`;
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)} ms`;
const pv = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

function compare(title: string, labelA: string, a: number[], labelB: string, b: number[]): void {
  const sa = [...a].sort((p, q) => p - q);
  const sb = [...b].sort((p, q) => p - q);
  const mw = mannWhitney(a, b);
  const ks = kolmogorovSmirnov(a, b);
  const w = Math.max(labelA.length, labelB.length);
  console.log(`\n${title}`);
  console.log(`  ${labelA.padEnd(w)}  n=${a.length}  median ${ms(quantile(sa, 0.5))}  p90 ${ms(quantile(sa, 0.9))}`);
  console.log(`  ${labelB.padEnd(w)}  n=${b.length}  median ${ms(quantile(sb, 0.5))}  p90 ${ms(quantile(sb, 0.9))}`);
  console.log(`  difference (first − second): median ${signed(quantile(sa, 0.5) - quantile(sb, 0.5))}, p90 ${signed(quantile(sa, 0.9) - quantile(sb, 0.9))}`);
  console.log(`  Mann–Whitney U = ${mw.u.toFixed(0)}, z = ${mw.z.toFixed(2)}, p = ${pv(mw.p)}; P(first > second) = ${mw.auc.toFixed(3)}`);
  console.log(`  Kolmogorov–Smirnov D = ${ks.d.toFixed(4)}, p = ${pv(ks.p)}`);
  const leak = mw.p < 0.01 || ks.p < 0.01;
  console.log(`  timing: ${leak ? 'DIFFERENCE DETECTED (p < 0.01)' : 'no difference detected (p ≥ 0.01 in both tests)'}`);
}

// ---------------------------------------------------------------------------------------------------
// Bytes and headers.

interface Sample {
  group: string;
  ms: number;
  status: number;
  body: string;
  /** Every response header in order, Date left out. */
  headers: string;
  setCookie: string[];
}

function sameBytes(title: string, samples: Sample[], expected?: string): void {
  const bodies = new Map<string, number>();
  const heads = new Map<string, number>();
  for (const s of samples) {
    bodies.set(s.body, (bodies.get(s.body) ?? 0) + 1);
    heads.set(`${s.status}\n${s.headers}`, (heads.get(`${s.status}\n${s.headers}`) ?? 0) + 1);
  }
  const bodyOk = bodies.size === 1 && (expected === undefined || bodies.has(expected));
  const headOk = heads.size === 1;
  if (!bodyOk || !headOk) failed = true;
  const groups = [...new Set(samples.map((s) => s.group))].join(', ');
  console.log(`\n${title}: ${samples.length} responses (${groups})`);
  console.log(`  bodies: ${bodies.size} distinct — ${bodyOk ? 'IDENTICAL' : 'DIFFERENT'}: ${[...bodies.keys()].slice(0, 3).map((b) => JSON.stringify(b.length > 160 ? b.slice(0, 160) + '…' : b)).join(' | ')}`);
  console.log(`  status and headers (Date aside): ${heads.size} distinct — ${headOk ? 'IDENTICAL' : 'DIFFERENT'}`);
  const [first] = heads.keys();
  console.log(`    ${first!.replace(/\n/g, '\n    ')}`);
  if (!headOk) for (const h of [...heads.keys()].slice(1, 3)) console.log(`    vs\n    ${h.replace(/\n/g, '\n    ')}`);
}

// ---------------------------------------------------------------------------------------------------
// The server, its data and a keep-alive client.

interface Server {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  db: Database.Database;
  stop(): Promise<void>;
}

function baseEnv(dataDir: string, extra: Record<string, string>): Record<string, string> {
  return {
    MWAUTH_DATA_DIR: dataDir,
    MWAUTH_HOST: '127.0.0.1',
    MWAUTH_PORT: '0',
    MWAUTH_SERVER: 'http://wiki.test',
    MWAUTH_SITENAME: 'EnumWiki',
    MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
    MWAUTH_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Creates the accounts through the services (one shared hash: PBKDF2 is slow on purpose). */
async function seed(env: Record<string, string>, accounts: Array<{ name: string; email: string }>): Promise<void> {
  const services = await createServices(loadConfig(env));
  try {
    const passwordHash = await services.hasher.hash(PASSWORD);
    for (const a of accounts) await services.users.create({ name: a.name, email: a.email, passwordHash });
  } finally {
    await services.close(0);
  }
}

async function startServer(label: string, extra: Record<string, string>, accounts: Array<{ name: string; email: string }>): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), `mwauth-enum-${label}-`));
  const env = baseEnv(dataDir, extra);
  await seed(env, accounts);
  const proc = spawn(process.execPath, [join(ROOT, 'bin/mwauth.mjs'), 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/[^)\s]+)\)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
  proc.stdout!.resume();
  const db = new Database(join(dataDir, 'mwauth.sqlite'), { readonly: true, fileMustExist: true });
  return {
    url,
    dataDir,
    proc,
    db,
    async stop() {
      db.close();
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Reset requests the worker has not finished yet. */
function pendingResets(srv: Server): number {
  const row = srv.db.prepare("SELECT COUNT(*) AS n FROM reset_request WHERE rr_status IN ('pending', 'processing')").get() as { n: number };
  return row.n;
}

async function workerIdle(srv: Server, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (pendingResets(srv) > 0) {
    if (Date.now() > end) throw new Error('the reset worker did not finish');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(base: string, method: 'GET' | 'POST', query: Record<string, string>, form: Record<string, string> | null, cookie = ''): Promise<Omit<Sample, 'group'>> {
  const url = new URL(`${base}/w/api.php`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const body = form ? new URLSearchParams(form).toString() : null;
  const headers: Record<string, string> = {};
  if (body !== null) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  if (cookie) headers.cookie = cookie;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const t1 = process.hrtime.bigint();
        const raw = res.rawHeaders;
        const lines: string[] = [];
        for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() !== 'date') lines.push(`${raw[i]}: ${raw[i + 1]}`);
        resolve({
          ms: Number(t1 - t0) / 1e6,
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: lines.join('\n'),
          setCookie: res.headers['set-cookie'] ?? [],
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== null) req.write(body);
    req.end();
  });
}

const reset = (srv: Server, params: Record<string, string>) =>
  request(srv.url, 'POST', {}, { action: 'resetpassword', format: 'json', token: ANON_TOKEN, ...params });

/** A login session: its cookie and login token. */
async function loginSession(srv: Server): Promise<{ cookie: string; token: string }> {
  const r = await request(srv.url, 'GET', { action: 'query', meta: 'tokens', type: 'login', format: 'json' }, null);
  const cookie = r.setCookie.map((l) => l.split(';')[0]).join('; ');
  const token = (JSON.parse(r.body) as { query: { tokens: { logintoken: string } } }).query.tokens.logintoken;
  return { cookie, token };
}

const login = (srv: Server, s: { cookie: string; token: string }, name: string, password: string) =>
  request(srv.url, 'POST', {}, { action: 'login', format: 'json', lgname: name, lgpassword: password, lgtoken: s.token }, s.cookie);

const byGroup = (samples: Sample[], g: string) => samples.filter((s) => s.group === g).map((s) => s.ms);

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`mwauth enumeration check: ${N} requests per group, ${PROBES} probes per group, seed ${args.seed}, Node ${process.version}`);

  // ---- Phase 1–3: a high per-IP limit, so every reset request is recorded and processed.
  const resetUser = Array.from({ length: N }, (_, i) => ({ name: `Enum-E-${pad(i)}`, email: `e${pad(i)}@enum.example` }));
  const resetMail = Array.from({ length: N }, (_, i) => ({ name: `Mail-E-${pad(i)}`, email: `m${pad(i)}@enum.example` }));
  const loginUsers = Array.from({ length: N }, (_, i) => ({ name: `Login-E-${pad(i)}`, email: `l${pad(i)}@enum.example` }));
  const probeUsers = Array.from({ length: PROBES }, (_, i) => ({ name: `Probe-E-${pad(i)}`, email: `p${pad(i)}@enum.example` }));
  // Every limit high, so that each request for an existing account makes the worker do its full work
  // (a temporary password and a mail): the per-IP limit, and the per-account, per-address, per-network and
  // site-wide mail limits of the reset worker.
  const highLimits = {
    MWAUTH_RESET_IP_LIMIT: '1000000/3600',
    MWAUTH_RESET_ACCOUNT_LIMIT: '1000000/3600',
    MWAUTH_RESET_ADDRESS_LIMIT: '1000000/3600',
    MWAUTH_MAIL_BUDGET: '1000000/3600',
    MWAUTH_MAIL_BUDGET_PER_NETWORK: '1000000/3600',
  };
  const high = await startServer('high', highLimits, [...resetUser, ...resetMail, ...loginUsers, ...probeUsers]);
  console.log(`server: ${high.url} (child process ${high.proc.pid}), ${Object.entries(highLimits).map(([k, v]) => `${k}=${v}`).join(' ')}, ${resetUser.length + resetMail.length + loginUsers.length + probeUsers.length} accounts`);
  try {
    // Warm-up (not counted): JIT, prepared statements, the connection.
    for (let i = 0; i < 100; i++) await reset(high, i % 2 ? { user: `Warm-U-${pad(i)}` } : { email: `w${pad(i)}@warm.example` });

    type Trial = { group: string; params: Record<string, string> };
    const trials: Trial[] = shuffle([
      ...resetUser.map((a) => ({ group: 'user: existing', params: { user: a.name } })),
      ...Array.from({ length: N }, (_, i) => ({ group: 'user: unknown', params: { user: `Enum-U-${pad(i)}` } })),
      ...resetMail.map((a) => ({ group: 'email: existing', params: { email: a.email } })),
      ...Array.from({ length: N }, (_, i) => ({ group: 'email: unknown', params: { email: `u${pad(i)}@enum.example` } })),
    ]);
    const resets: Sample[] = [];
    for (const t of trials) resets.push({ group: t.group, ...(await reset(high, t.params)) });

    compare('action=resetpassword by user (limit not reached)', 'existing account', byGroup(resets, 'user: existing'), 'unknown account', byGroup(resets, 'user: unknown'));
    compare('action=resetpassword by email (limit not reached)', 'existing address', byGroup(resets, 'email: existing'), 'unknown address', byGroup(resets, 'email: unknown'));
    // The latency of the next request in the sequence, by the group of the one before it: background work
    // left by a request (the worker runs after the response) would show here.
    const next = (g: string) => resets.slice(0, -1).flatMap((s, i) => (s.group.endsWith(g) ? [resets[i + 1]!.ms] : []));
    compare('the request that follows a reset (any kind), by what the reset named', 'after existing', next(': existing'), 'after unknown', next(': unknown'));
    sameBytes('resetpassword bytes, limit not reached', resets, SUCCESS);

    await workerIdle(high);
    const done = high.db.prepare('SELECT rr_status AS s, COUNT(*) AS n FROM reset_request GROUP BY rr_status ORDER BY rr_status').all() as Array<{ s: string; n: number }>;
    console.log(`\nreset worker outcomes: ${done.map((r) => `${r.s} ${r.n}`).join(', ')} (each existing account was asked for once)`);
    // The "reset pending" group: the accounts reset by name that now hold a temporary password.
    const holding = new Set(
      (high.db.prepare("SELECT user_name AS name FROM user WHERE user_newpassword != '' AND user_name LIKE 'Enum-E-%'").all() as Array<{ name: string }>).map((r) => r.name),
    );
    console.log(`accounts reset by name that hold a temporary password: ${holding.size} of ${resetUser.length}`);

    // ---- Phase 2: logins. Each name is tried once (the throttle counts per name and IP).
    const session = await loginSession(high);
    for (let i = 0; i < 20; i++) await login(high, session, `Warm-L-${pad(i)}`, WRONG);
    const ltrials: Trial[] = shuffle([
      ...Array.from({ length: N }, (_, i) => ({ group: 'unknown user', params: { name: `Login-U-${pad(i)}` } })),
      ...loginUsers.map((a) => ({ group: 'wrong password', params: { name: a.name } })),
      ...resetUser.filter((a) => holding.has(a.name)).map((a) => ({ group: 'wrong password, reset pending', params: { name: a.name } })),
    ]);
    const logins: Sample[] = [];
    for (const t of ltrials) logins.push({ group: t.group, ...(await login(high, session, t.params.name!, WRONG)) });
    compare('action=login: unknown user vs wrong password', 'wrong password', byGroup(logins, 'wrong password'), 'unknown user', byGroup(logins, 'unknown user'));
    compare('action=login: unknown user vs wrong password for an account with a pending reset (temporary password)', 'reset pending', byGroup(logins, 'wrong password, reset pending'), 'unknown user', byGroup(logins, 'unknown user'));
    sameBytes('login bytes (all three groups)', logins);

    // ---- Phase 3: a login probe right after a reset, the worker left to finish between trials.
    if (PROBES > 0) {
      const probeSession = await loginSession(high);
      const ptrials = shuffle([
        ...probeUsers.map((a) => ({ group: 'after existing', user: a.name })),
        ...Array.from({ length: PROBES }, (_, i) => ({ group: 'after unknown', user: `Probe-U-${pad(i)}` })),
      ]);
      const probes: Sample[] = [];
      let k = 0;
      for (const t of ptrials) {
        await reset(high, { user: t.user });
        probes.push({ group: t.group, ...(await login(high, probeSession, `Probe-L-${pad(k++)}`, WRONG)) });
        await workerIdle(high);
        await new Promise((r) => setTimeout(r, 25)); // the mail delivery that follows a queued reset
      }
      compare('a login probe sent right after a reset (the background work of the reset)', 'after existing', byGroup(probes, 'after existing'), 'after unknown', byGroup(probes, 'after unknown'));
    }
  } finally {
    await high.stop();
  }

  // ---- Phase 4: the default per-IP limit (5 per hour): the 6th request on is over the limit.
  const limUser = Array.from({ length: N }, (_, i) => ({ name: `Lim-E-${pad(i)}`, email: `x${pad(i)}@enum.example` }));
  const dflt = await startServer('default', {}, limUser);
  console.log(`\nserver: ${dflt.url} (child process ${dflt.proc.pid}), default MWAUTH_RESET_IP_LIMIT (5 per 3600 s)`);
  try {
    const under: Sample[] = [];
    for (let i = 0; i < 5; i++) {
      const existing = i % 2 === 0;
      under.push({ group: existing ? 'under limit: existing' : 'under limit: unknown', ...(await reset(dflt, { user: existing ? limUser[i]!.name : `Lim-U-${pad(i)}` })) });
    }
    const trials = shuffle([
      ...limUser.map((a) => ({ group: 'user: existing', params: { user: a.name } })),
      ...Array.from({ length: N }, (_, i) => ({ group: 'user: unknown', params: { user: `Lim-U-${pad(i)}` } })),
      ...limUser.map((a) => ({ group: 'email: existing', params: { email: a.email } })),
      ...Array.from({ length: N }, (_, i) => ({ group: 'email: unknown', params: { email: `y${pad(i)}@enum.example` } })),
    ]);
    const over: Sample[] = [];
    for (const t of trials) over.push({ group: t.group, ...(await reset(dflt, t.params)) });
    compare('action=resetpassword by user, over the per-IP limit', 'existing account', byGroup(over, 'user: existing'), 'unknown account', byGroup(over, 'user: unknown'));
    compare('action=resetpassword by email, over the per-IP limit', 'existing address', byGroup(over, 'email: existing'), 'unknown address', byGroup(over, 'email: unknown'));
    sameBytes('resetpassword bytes, the 5 requests under the limit and every one over it', [...under, ...over], SUCCESS);
    await workerIdle(dflt);
    const recorded = dflt.db.prepare('SELECT COUNT(*) AS n FROM reset_request').get() as { n: number };
    console.log(`\nreset requests recorded by the default-limit server: ${recorded.n} of ${under.length + over.length} (the rest were over the limit and silently dropped)`);
  } finally {
    await dflt.stop();
  }
  agent.destroy();
  console.log(`\n${failed ? 'FAIL: some answers differ in their bytes or headers' : 'OK: every compared answer is byte-identical (Date aside)'}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exitCode = failed ? 1 : 0;
}

await main();
