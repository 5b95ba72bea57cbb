// npm run bench:api [-- --duration 10 --warmup 2 --connections 8 --drain 60 --log-level info]
//                   [--reference http://127.0.0.1:8181/w/api.php | --no-reference] [--reference-state /var/tmp/mw-oracle]
//
// The same Action API scenarios against mwauth and against a MediaWiki 1.39 reference, one after the
// other in one run, with the same client and the same number of connections:
//   1. anonymous action=query&meta=tokens (GET)
//   2. action=resetpassword for a user that does not exist (POST, anonymous token "+\")
//   3. action=resetpassword for Alice, who has an address, with the resend cooldown off on both sides
//   4. a bot-password login: meta=tokens&type=login, then action=login — full logins per second
//      (the connections take turns between the bot passwords Bob@bench and Alice@oracle, so that no
//      account has more than 4 logins in flight: mwauth throttles at 5 attempts per account and
//      address, cleared by each success, and the throttle is not what is measured; a reference bot
//      password that cannot log in when the run starts is left out)
//   5. action=query&meta=userinfo with a logged-in session cookie
// wrk drives 1, 2, 3 and 5 (its Lua script, written at run time, checks every answer): a C client
// leaves the most CPU to the servers. A login needs the token and the cookie of one answer in the next
// request, so 4 is driven from this process over keep-alive connections, timing each whole login.
//
// mwauth runs as `mwauth serve` in a child process: a fresh one for each scenario, on a copy of one data
// folder seeded with the CLI. mwauth answers a reset once the request is recorded and handles it
// afterwards (the reset worker), so a reset flood leaves a backlog that would still be running during
// the next scenario. For 2 and 3 the run waits (at most --drain seconds) for that worker and reports
// how many requests it handled, how fast, and how many mails it wrote.
//
// On the reference, data/override.php in its state folder changes settings for the length of one run
// and is removed right after: for the resets it lifts the per-IP limit and the resend cooldown; for
// the logins it turns the login throttle off, whose counters in MediaWiki's SQL object cache are not
// atomic: at a few concurrent logins per account they drift up to the limit and lock the account out
// for 5 minutes (mwauth keeps its throttle on). The reference's mail is counted in data/mail/*.eml.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { percentile } from '../src/mail/metrics.js';
import { CookieJar as Jar } from '../test/helpers/cookies.js';
import { BIN, ROOT, cliEnv, freePort, runCli } from '../test/helpers/process.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '8' },
    drain: { type: 'string', default: '60' },
    'log-level': { type: 'string', default: 'info' },
    reference: { type: 'string', default: 'http://127.0.0.1:8181/w/api.php' },
    'no-reference': { type: 'boolean', default: false },
    'reference-state': { type: 'string', default: process.env.ORACLE_STATE || '/var/tmp/mw-oracle' },
    'reference-bots': { type: 'string', default: 'Bob@bench,Alice@oracle' },
    'reference-bot-password': { type: 'string', default: 'botpassbotpassbotpassbotpassbot1' },
  },
});
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const DRAIN = Number(args.drain);
const THREADS = Math.max(1, Math.min(CONNECTIONS, availableParallelism()));
const REFERENCE = args['no-reference'] ? null : args.reference!;
const STATE = args['reference-state']!;
const OVERRIDE = join(STATE, 'data', 'override.php');
const REFERENCE_MAIL = join(STATE, 'data', 'mail');
const REFERENCE_LOCAL = REFERENCE !== null && existsSync(join(STATE, 'data', 'LocalSettings.php'));
for (const [name, v] of [['duration', DURATION], ['warmup', WARMUP], ['connections', CONNECTIONS], ['drain', DRAIN]] as const) {
  if (!Number.isFinite(v) || v < 0 || (name !== 'warmup' && name !== 'drain' && v < 1)) throw new Error(`--${name} must be a positive number`);
}

/** The reference's fixture accounts, made the same way for mwauth. */
const ALICE = { name: 'Alice', email: 'alice@example.org', password: 'Oracle-User-Pass-1!' };
const BOB = { name: 'Bob', email: 'shared@example.org', password: 'Oracle-User-Pass-1!' };
/** The reference's bot passwords, made the same way for mwauth (their passwords are new ones). */
const BOTS = [
  { user: BOB.name, app: 'bench', grants: 'basic' },
  { user: ALICE.name, app: 'oracle', grants: 'basic,privateinfo' },
];
/** Both sides answer "throttled" once a sixth login of one account and address is in flight. */
const LOGIN_THROTTLE = 5;
const UNKNOWN = 'NoSuchUserBench';
// Per-IP limit, cooldown and the silent per-account, per-address, per-network and site-wide mail limits lifted, so
// every reset takes the full path (MediaWiki has only the first two); logging stays at its default.
const MWAUTH_ENV = {
  MWAUTH_RESET_IP_LIMIT: '1000000000/3600',
  MWAUTH_RESET_COOLDOWN_HOURS: '0',
  MWAUTH_RESET_ACCOUNT_LIMIT: '1000000000/86400',
  MWAUTH_RESET_ADDRESS_LIMIT: '1000000000/86400',
  MWAUTH_MAIL_BUDGET: '1000000000/3600',
  MWAUTH_MAIL_BUDGET_PER_NETWORK: '1000000000/3600',
  MWAUTH_LOG_LEVEL: args['log-level']!,
};
const overridePhp = (lines: string) => `<?php
// Written by mwauth's bench/api.ts for the length of one measurement, and removed after it.
${lines}
`;
const RESET_OVERRIDE = `unset( $wgRateLimits['mailpassword'] );\n$wgPasswordReminderResendTime = 0;`;
const LOGIN_OVERRIDE = '$wgPasswordAttemptThrottle = [];';

// ---------------------------------------------------------------------------------------------
// Everything this run makes, undone on success, failure, Ctrl-C or SIGTERM

const children = new Set<ChildProcess>();
const temps = new Set<string>();
let overrideWritten = false;

function removeOverride(): void {
  if (overrideWritten) rmSync(OVERRIDE, { force: true });
  overrideWritten = false;
}
function undoSync(): void {
  for (const c of children) c.kill('SIGKILL');
  removeOverride();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
  temps.clear();
}
process.on('exit', undoSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping; child processes, temporary folders and the reference override are removed`);
    undoSync();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// mwauth as a child process

interface Mwauth {
  dir: string;
  api: string;
  pid: number;
  /** VmHWM of the process, in kB. */
  peakRssKb(): number | null;
  stop(): Promise<void>;
}

async function seedTemplate(): Promise<{ dir: string; bots: Bot[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-bench-api-seed-'));
  temps.add(dir);
  const vars = { MWAUTH_DATA_DIR: dir };
  const run = async (argv: string[]) => {
    const r = await runCli(argv, vars, { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`mwauth ${argv.slice(0, 2).join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  };
  await run(['user', 'add', ALICE.name, '--email', ALICE.email, '--password', ALICE.password]);
  await run(['user', 'add', BOB.name, '--email', BOB.email, '--password', BOB.password]);
  const bots: Bot[] = [];
  for (const b of BOTS) {
    const out = await run(['botpassword', 'add', b.user, b.app, '--grants', b.grants]);
    const password = out.trim().split('\n').at(-1)!.trim();
    if (!/^[a-z0-9]{32}$/.test(password)) throw new Error('could not read the bot password from `mwauth botpassword add`');
    bots.push({ name: `${b.user}@${b.app}`, password });
  }
  return { dir, bots };
}

async function startMwauth(template: string): Promise<Mwauth> {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-bench-api-'));
  temps.add(dir);
  cpSync(template, dir, { recursive: true });
  const port = await freePort();
  // Its log goes to a file, as in production; a pipe read here would cost this process CPU.
  const logFile = join(dir, 'serve.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: cliEnv({ ...MWAUTH_ENV, MWAUTH_DATA_DIR: dir, MWAUTH_PORT: String(port) }),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => (children.delete(child), resolve())));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const deadline = Date.now() + 60_000;
  while (!readFileSync(logFile, 'utf8').includes('mwauth: serving')) {
    if (!alive() || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mwauth serve did not start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    }
    await sleep(50);
  }
  return {
    dir,
    api: `http://127.0.0.1:${port}/w/api.php`,
    pid: child.pid!,
    peakRssKb() {
      try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) : null;
      } catch {
        return null;
      }
    },
    // A graceful stop waits until the reset worker has handled every recorded request; a backlog
    // left by a flood can take minutes, and this folder is thrown away: SIGKILL after 3 s.
    async stop() {
      if (alive()) child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (alive()) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      temps.delete(dir);
    },
  };
}

/** What mwauth's database says about the reset requests and the mail queue. */
function probe(dir: string): { recorded: number; handled: number; unsent: number; mails: number } {
  const db = new SQLite(join(dir, 'mwauth.sqlite'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const rr = db.prepare(`select count(*) as n, coalesce(sum(rr_status in ('pending', 'processing')), 0) as open from reset_request`).get() as { n: number; open: number };
    const ob = db.prepare(`select count(*) as n from outbox where ob_status in ('queued', 'sending')`).get() as { n: number };
    return { recorded: rr.n, handled: rr.n - rr.open, unsent: ob.n, mails: countEml(join(dir, 'mail')) };
  } finally {
    db.close();
  }
}

function emlFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
}
const countEml = (dir: string) => emlFiles(dir).length;

// ---------------------------------------------------------------------------------------------
// Clients: wrk with a checking Lua script, and a login loop in this process

interface Measured {
  ok: number;
  bad: number;
  seconds: number;
  p50: number | null;
  p99: number | null;
  sample: string;
}

const LUA = `-- Made by mwauth's bench/api.ts: one request from the BENCH_* variables; every answer is checked.
wrk.method = os.getenv("BENCH_METHOD")
local body = os.getenv("BENCH_BODY") or ""
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local cookie = os.getenv("BENCH_COOKIE") or ""
if cookie ~= "" then wrk.headers["Cookie"] = cookie end
local expect = os.getenv("BENCH_EXPECT")
local refuse = os.getenv("BENCH_REFUSE") or ""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; bad = 0; sample = "" end
function response(status, headers, body)
  if status == 200 and string.find(body, expect, 1, true) and (refuse == "" or not string.find(body, refuse, 1, true)) then
    ok = ok + 1
  else
    bad = bad + 1
    if sample == "" then sample = status .. " " .. string.sub(string.gsub(body, "%s+", " "), 1, 200) end
  end
end
function done(summary, latency, requests)
  local o, b, s = 0, 0, ""
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); b = b + t:get("bad")
    if s == "" then s = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format("BENCH ok=%d bad=%d socket=%d us=%d p50=%.1f p99=%.1f\\n", o, b,
    e.connect + e.read + e.write + e.timeout, summary.duration, latency:percentile(50), latency:percentile(99)))
  io.write("BENCH-SAMPLE " .. s .. "\\n")
end
`;
let luaPath = '';

interface WrkRequest {
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  cookie?: string;
  /** Text every good answer holds. */
  expect: string;
  /** Text no good answer holds. */
  refuse?: string;
}

function runWrk(r: WrkRequest, seconds: number): Promise<Measured> {
  const argv = ['-t', String(THREADS), '-c', String(CONNECTIONS), '-d', `${seconds}s`, '--timeout', '10s', '-s', luaPath, r.url];
  const env = { ...process.env, BENCH_METHOD: r.method, BENCH_BODY: r.body ?? '', BENCH_COOKIE: r.cookie ?? '', BENCH_EXPECT: r.expect, BENCH_REFUSE: r.refuse ?? '' };
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => (children.delete(child), reject(new Error(`cannot run wrk (${e.message}); install it with apt-get install wrk`))));
    child.on('close', (code) => {
      children.delete(child);
      const m = /^BENCH ok=(\d+) bad=(\d+) socket=(\d+) us=(\d+) p50=([\d.]+) p99=([\d.]+)$/m.exec(out);
      if (code !== 0 || !m) return reject(new Error(`wrk failed (${code}): ${err || out}`));
      const ok = Number(m[1]);
      resolve({
        ok,
        bad: Number(m[2]) + Number(m[3]),
        seconds: Number(m[4]) / 1e6,
        p50: ok ? Number(m[5]) / 1000 : null,
        p99: ok ? Number(m[6]) / 1000 : null,
        sample: /^BENCH-SAMPLE (.*)$/m.exec(out)?.[1] ?? '',
      });
    });
  });
}

interface Answer {
  status: number;
  setCookie: string[];
  body: string;
}

function request(agent: http.Agent, url: string, method: 'GET' | 'POST', body?: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (cookie) headers.Cookie = cookie;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request(url, { method, headers, agent }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], body: data }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Bot {
  name: string;
  password: string;
}

/** One whole bot-password login with a new cookie jar: null when it worked, else what went wrong. */
async function login(agent: http.Agent, api: string, bot: Bot, jar = new Jar()): Promise<string | null> {
  const t = await request(agent, `${api}?action=query&meta=tokens&type=login&format=json`, 'GET');
  jar.keep(t.setCookie);
  let token: unknown;
  try {
    token = JSON.parse(t.body)?.query?.tokens?.logintoken;
  } catch {
    token = undefined;
  }
  if (t.status !== 200 || typeof token !== 'string') return `token: ${t.status} ${t.body.slice(0, 200)}`;
  const body = new URLSearchParams({ action: 'login', lgname: bot.name, lgpassword: bot.password, lgtoken: token, format: 'json' }).toString();
  const l = await request(agent, api, 'POST', body, jar.header());
  jar.keep(l.setCookie);
  if (l.status === 200 && l.body.includes('"result":"Success"')) return null;
  return `login: ${l.status} ${l.body.slice(0, 200)}`;
}

/** The session cookie of one bot-password login. */
async function sessionCookie(api: string, bot: Bot): Promise<string> {
  const agent = new http.Agent({ keepAlive: false });
  const jar = new Jar();
  const failed = await login(agent, api, bot, jar);
  agent.destroy();
  if (failed) throw new Error(`cannot log in as ${bot.name} at ${api}: ${failed}`);
  return jar.header() ?? '';
}

/** CONNECTIONS workers doing whole logins (token, then login) back to back for `seconds`, worker i as bots[i % n]. */
async function runLogins(api: string, bots: Bot[], seconds: number): Promise<Measured> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const lat: number[] = [];
  let bad = 0;
  let sample = '';
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (bot: Bot) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      let failed: string | null;
      try {
        failed = await login(agent, api, bot);
      } catch (err) {
        failed = (err as Error).message;
        await sleep(10);
      }
      if (failed === null) lat.push(performance.now() - t0);
      else if (bad++ === 0) sample = failed.replace(/\s+/g, ' ');
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => worker(bots[i % bots.length]!)));
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { ok: lat.length, bad, seconds: elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99), sample };
}

// ---------------------------------------------------------------------------------------------
// The scenarios

interface Side {
  api: string;
  /** bots[0] is Bob's: the session of scenario 5 is his. */
  bots: Bot[];
  cookie?: string;
}

interface Scenario {
  title: string;
  unit: string;
  /** A reset: mwauth's worker is waited for, mail is counted. */
  reset?: boolean;
  /** PHP for the reference's data/override.php during its run. */
  override?: string;
  /** Needs a logged-in session (Side.cookie). */
  session?: boolean;
  drive(side: Side, seconds: number): Promise<Measured>;
}

const resetBody = (user: string) => new URLSearchParams({ action: 'resetpassword', user, token: '+\\', format: 'json' }).toString();

const SCENARIOS: Scenario[] = [
  {
    title: '1. meta=tokens, anonymous (GET)',
    unit: 'req/s',
    drive: (s, sec) => runWrk({ url: `${s.api}?action=query&meta=tokens&format=json`, method: 'GET', expect: '"csrftoken":"+\\\\"' }, sec),
  },
  {
    title: '2. resetpassword, unknown user',
    unit: 'req/s',
    reset: true,
    override: RESET_OVERRIDE,
    drive: (s, sec) => runWrk({ url: s.api, method: 'POST', body: resetBody(UNKNOWN), expect: '"status":"success"' }, sec),
  },
  {
    title: '3. resetpassword, Alice (mail)',
    unit: 'req/s',
    reset: true,
    override: RESET_OVERRIDE,
    drive: (s, sec) => runWrk({ url: s.api, method: 'POST', body: resetBody(ALICE.name), expect: '"status":"success"' }, sec),
  },
  {
    title: '4. bot-password login (token+login)',
    unit: 'logins/s',
    override: LOGIN_OVERRIDE,
    drive: (s, sec) => runLogins(s.api, s.bots, sec),
  },
  {
    title: '5. meta=userinfo, logged in',
    unit: 'req/s',
    session: true,
    drive: (s, sec) =>
      runWrk({ url: `${s.api}?action=query&meta=userinfo&format=json`, method: 'GET', cookie: s.cookie, expect: '"name":"Bob"', refuse: '"anon"' }, sec),
  },
];

interface SideResult {
  m: Measured;
  /** Bad answers during the warm-up. */
  warmBad: number;
  /** Resets: requests handled per second from the first request to the last handled (or the --drain cap). */
  completed?: number;
  notes: string[];
}

async function measureMwauth(s: Scenario, template: string, bots: Bot[], rss: Array<[string, number | null]>): Promise<SideResult> {
  const srv = await startMwauth(template);
  try {
    const side: Side = { api: srv.api, bots };
    if (s.session) side.cookie = await sessionCookie(srv.api, bots[0]!);
    const t0 = performance.now();
    const warm = await s.drive(side, WARMUP);
    const before = s.reset ? probe(srv.dir) : null;
    const m = await s.drive(side, DURATION);
    const res: SideResult = { m, warmBad: warm.bad, notes: [] };
    if (s.reset) {
      const after = probe(srv.dir);
      const loadEnd = performance.now();
      let p = after;
      while ((p.recorded > p.handled || p.unsent > 0) && performance.now() - loadEnd < DRAIN * 1000) {
        await sleep(250);
        p = probe(srv.dir);
      }
      const drained = p.recorded === p.handled && p.unsent === 0;
      const drainS = (performance.now() - loadEnd) / 1000;
      res.completed = p.handled / ((performance.now() - t0) / 1000);
      const underLoad = (after.handled - before!.handled) / m.seconds;
      const afterLoad = drainS > 0.5 ? (p.handled - after.handled) / drainS : null;
      res.notes.push(
        `${p.recorded} requests recorded (warm-up included); the reset worker handled ${p.handled}` +
          (drained ? `, the last ${drainS.toFixed(1)} s after the load ended` : `; ${p.recorded - p.handled} still waiting when the --drain cap of ${DRAIN} s ran out`) +
          `; ${p.mails} mails written`,
        `worker pace: ${rate(underLoad)}/s under the load, ${afterLoad === null ? '-' : rate(afterLoad)}/s after it`,
      );
    }
    rss.push([s.title, srv.peakRssKb()]);
    return res;
  } finally {
    await srv.stop();
  }
}

async function measureReference(s: Scenario, api: string, bots: Bot[]): Promise<SideResult> {
  const side: Side = { api, bots };
  if (s.session) side.cookie = await sessionCookie(api, bots[0]!);
  const override = s.override !== undefined && REFERENCE_LOCAL;
  const seen = new Set(override ? emlFiles(REFERENCE_MAIL) : []);
  if (override) {
    writeFileSync(OVERRIDE, overridePhp(s.override!), { flag: 'wx', mode: 0o644 });
    overrideWritten = true;
  }
  try {
    const warm = await s.drive(side, WARMUP);
    const m = await s.drive(side, DURATION);
    const res: SideResult = { m, warmBad: warm.bad, notes: [] };
    if (s.reset) {
      res.completed = m.ok / m.seconds;
      if (!override) {
        res.notes.push(`${warm.ok + m.ok} requests answered; its limits were not lifted and its mail was not counted (no state folder at ${STATE})`);
      } else {
        // It may send after answering: wait until its mail folder has been quiet for 2 s.
        let n = -1;
        for (let quiet = 0, t = 0; quiet < 8 && t < 60; t++) {
          const now = emlFiles(REFERENCE_MAIL).filter((f) => !seen.has(f)).length;
          quiet = now === n ? quiet + 1 : 0;
          n = now;
          await sleep(250);
        }
        res.notes.push(
          `${warm.ok + m.ok} answers counted (warm-up included; up to ${2 * CONNECTIONS} more requests were in flight when the client stopped), ` +
            `each handled in its request; ${n} new mails in its mail folder`,
        );
      }
    }
    return res;
  } finally {
    removeOverride();
  }
}

// ---------------------------------------------------------------------------------------------
// Printing

function rate(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(1);
}
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v < 10 ? `${v.toFixed(2)} ms` : v < 100 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
const perS = (r: SideResult | undefined) => (r ? rate(r.m.ok / r.m.seconds) : '-');
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

// ---------------------------------------------------------------------------------------------

async function referenceVersion(api: string): Promise<string> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    const r = await request(agent, `${api}?action=query&meta=siteinfo&format=json`, 'GET');
    const generator = JSON.parse(r.body)?.query?.general?.generator;
    if (typeof generator !== 'string') throw new Error(`unexpected answer: ${r.status} ${r.body.slice(0, 200)}`);
    return generator;
  } finally {
    agent.destroy();
  }
}

async function main(): Promise<number> {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load0 = loadavg().map((l) => l.toFixed(2)).join(' ');
  let refName = '';
  const refBots: Bot[] = [];
  const dropped: string[] = [];
  if (REFERENCE) {
    if (!REFERENCE.startsWith('http://')) throw new Error('--reference must be an http:// URL');
    try {
      refName = await referenceVersion(REFERENCE);
    } catch (err) {
      console.error(`the reference at ${REFERENCE} does not answer (${(err as Error).message});`);
      console.error('start it (for the local one: /work/shared/oracle/setup.sh) or pass --no-reference');
      return 2;
    }
    if (REFERENCE_LOCAL && existsSync(OVERRIDE)) {
      console.error(`${OVERRIDE} exists: another experiment has changed the reference's settings; not measuring over it`);
      return 2;
    }
    for (const name of args['reference-bots']!.split(',')) {
      const bot = { name: name.trim(), password: args['reference-bot-password']! };
      try {
        await sessionCookie(REFERENCE, bot);
        refBots.push(bot);
      } catch (err) {
        dropped.push(`${bot.name} (${(err as Error).message.replace(/^.*?: login: /, '')})`);
      }
    }
    if (refBots.length === 0) {
      console.error(`no bot password of --reference-bots can log in at ${REFERENCE}: ${dropped.join('; ')}`);
      return 2;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-bench-api-'));
  temps.add(dir);
  luaPath = join(dir, 'check.lua');
  writeFileSync(luaPath, LUA);

  console.log(`mwauth API benchmark — ${new Date().toISOString()}`);
  console.log(`machine: ${availableParallelism()} CPUs (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform}; load average ${load0} at the start`);
  const perBot = (n: number) => Math.ceil(CONNECTIONS / n);
  console.log(`client: wrk, ${THREADS} threads, ${CONNECTIONS} connections; ${WARMUP} s warm-up, then ${DURATION} s measured, per scenario and side`);
  console.log(
    `        login: this process, ${CONNECTIONS} keep-alive connections taking turns between bot passwords — mwauth: ${BOTS.map((b) => `${b.user}@${b.app}`).join(', ')}` +
      (REFERENCE ? `; MediaWiki: ${refBots.map((b) => b.name).join(', ')}` : '') +
      (dropped.length ? ` (left out, cannot log in now: ${dropped.join('; ')})` : ''),
  );
  if (perBot(BOTS.length) >= LOGIN_THROTTLE || (REFERENCE && !REFERENCE_LOCAL && perBot(refBots.length) >= LOGIN_THROTTLE)) {
    console.log(`note: ${LOGIN_THROTTLE} or more logins of one account in flight: the login throttle may refuse some, counted as errors`);
  }
  console.log(`mwauth: \`mwauth serve\` in a child process, a fresh one per scenario on a seeded SQLite data folder, mail to files, MWAUTH_LOG_LEVEL=${MWAUTH_ENV.MWAUTH_LOG_LEVEL} (to a file); resets with the per-IP, per-account, per-address and site limits lifted and MWAUTH_RESET_COOLDOWN_HOURS=0`);
  if (REFERENCE) {
    console.log(
      `reference: ${refName} at ${REFERENCE}` +
        (REFERENCE_LOCAL
          ? `; ${OVERRIDE} for its reset runs: ${RESET_OVERRIDE.replace('\n', ' ')} — for its login run: ${LOGIN_OVERRIDE}`
          : ` (no state folder at ${STATE}: its limits stay on)`),
    );
  }
  else console.log('reference: none (--no-reference)');

  const seeded = await seedTemplate();
  const rss: Array<[string, number | null]> = [];
  const results: Array<{ s: Scenario; mw: SideResult; ref?: SideResult }> = [];
  for (const s of SCENARIOS) {
    process.stdout.write(`\n${s.title}: mwauth…`);
    const mw = await measureMwauth(s, seeded.dir, seeded.bots, rss);
    process.stdout.write(` ${rate(mw.m.ok / mw.m.seconds)} ${s.unit}`);
    let ref: SideResult | undefined;
    if (REFERENCE) {
      process.stdout.write(', MediaWiki…');
      ref = await measureReference(s, REFERENCE, refBots);
      process.stdout.write(` ${rate(ref.m.ok / ref.m.seconds)} ${s.unit}`);
    }
    results.push({ s, mw, ref });
  }
  console.log('\n');

  const rows: string[][] = [['scenario', 'mwauth', 'p50', 'p99', 'MediaWiki', 'p50', 'p99', 'mwauth/MW', 'errors mwauth/MW']];
  let errors = 0;
  for (const { s, mw, ref } of results) {
    const mwErr = mw.m.bad + mw.warmBad;
    const refErr = ref ? ref.m.bad + ref.warmBad : 0;
    errors += mwErr + refErr;
    rows.push([
      `${s.title} ${s.unit}`,
      perS(mw), ms(mw.m.p50), ms(mw.m.p99),
      perS(ref), ms(ref?.m.p50), ms(ref?.m.p99),
      ratio(mw.m.ok / mw.m.seconds, ref ? ref.m.ok / ref.m.seconds : undefined),
      `${mwErr} / ${ref ? refErr : '-'}`,
    ]);
    if (s.reset) {
      rows.push(['   … handled/s, first request → end of drain', rate(mw.completed!), '', '', ref ? rate(ref.completed!) : '-', '', '', ratio(mw.completed, ref?.completed), '']);
    }
  }
  console.log(table(rows));
  console.log('\n(latency: per request from wrk; for logins, token request + login request together; errors: answers that were not the expected success, warm-up included)');

  for (const { s, mw, ref } of results) {
    const lines = [...mw.notes.map((n) => `mwauth: ${n}`), ...(ref?.notes ?? []).map((n) => `MediaWiki: ${n}`)];
    for (const [side, r] of [['mwauth', mw], ['MediaWiki', ref]] as const) {
      if (r && r.m.bad + r.warmBad > 0) lines.push(`${side}: ${r.m.bad + r.warmBad} bad answers, e.g. ${r.m.sample || '(during the warm-up)'}`);
    }
    if (lines.length) console.log(`\n${s.title}\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }
  if (REFERENCE_LOCAL) {
    console.log(`\nThe reference's Alice now has a recent reset (its 24 h cooldown applies to her again after this run; FRESH=1 setup.sh clears it).`);
  }

  const mb = (kb: number | null) => (kb === null ? '-' : `${Math.round(kb / 1024)} MB`);
  const peak = Math.max(...rss.map(([, kb]) => kb ?? 0));
  console.log(`\nmwauth peak RSS (VmHWM of each serve process): ${rss.map(([t, kb]) => `${t.split('.')[0]}: ${mb(kb)}`).join(', ')}; highest ${mb(peak)}`);
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end (other work on this machine shows here)`);
  if (errors > 0) console.log(`\n${errors} bad answers: these figures are not to be trusted`);
  return errors > 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`\nbenchmark failed: ${(err as Error).stack ?? err}`);
} finally {
  undoSync();
}
process.exit(code);
