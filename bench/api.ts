// npm run bench:api [-- --duration 10 --warmup 2 --connections 8 --drain 60 --log-level info]
//                   [--reference http://127.0.0.1:8181/w/api.php | --no-reference] [--reference-state /var/tmp/mw-oracle]
//                   [--backend sqlite|postgres] [--users 1000000] [--no-write | --out docs/performance.md]
//
// First the ceilings of this machine and client: the raw ceiling (bench/raw-server.mjs, a bare fastify of
// the project's own version answering a fixed body, driven by the same wrk with the same connections) and
// the PBKDF2 ceiling (hashes per second with mwauth's password-hash parameters, as many in flight as there
// are connections, on libuv's threadpool as the server computes them). Then the same Action API scenarios
// against mwauth and against a MediaWiki 1.39 reference, one after the other in one run, with the same
// client and the same number of connections:
//   1. anonymous action=query&meta=tokens (GET)
//   2. anonymous action=query&meta=siteinfo (GET)
//   3. action=resetpassword for a user that does not exist (POST, anonymous token "+\")
//   4. action=resetpassword for Alice, who has an address, with the resend cooldown off on both sides
//   5. a bot-password login: meta=tokens&type=login, then action=login — full logins per second
//      (the connections take turns between the bot passwords Bob@bench and Alice@oracle, so that no
//      account has more than 4 logins in flight: mwauth throttles at 5 attempts per account and
//      address, cleared by each success, and the throttle is not what is measured; a reference bot
//      password that cannot log in when the run starts is left out)
//   6. action=query&meta=userinfo with a logged-in session cookie
// wrk drives all but 5 (its Lua script, written at run time, checks every answer): a C client leaves the
// most CPU to the servers. A login needs the token and the cookie of one answer in the next request, so
// 5 is driven from this process over keep-alive connections, timing each whole login and, apart, each
// token request (their p99 during the login storm is one of the goals).
//
// Then mwauth's resident memory (idle: a fresh server 2 s after it started; under load: the highest
// VmHWM of the scenarios' servers) and the time of one CLI command (`mwauth user list`, run 10 times).
// Every figure is printed as a ratio to its ceiling and against its goal, and docs/performance.md gets the
// table and a chart (unless --no-write).
//
// --backend postgres runs mwauth on PostgreSQL with Redis for sessions and counters (bench/lib/backend.ts).
// --users N instead measures at scale (bench/lib/population.ts): on SQLite and on PostgreSQL, accounts are
// written through the bulk path until there are 1,000 and then N, and reset, login and userinfo are
// measured at both sizes: p50 and p99, their ratio, and the server's memory.
//
// mwauth runs as `mwauth serve` in a child process: a fresh one for each scenario, on a copy of one data
// folder (or database) seeded with the CLI. mwauth answers a reset once the request is recorded and handles it
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
import { pbkdf2, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_PBKDF2_ITERATIONS } from '../src/auth/passwords.js';
import { percentile } from '../src/mail/metrics.js';
import { CookieJar as Jar } from '../test/helpers/cookies.js';
import { BIN, ROOT, cliEnv, freePort, runCli, runProgram } from '../test/helpers/process.js';
import { build, buildIsCurrent } from '../scripts/build.mjs';
import { backendNamed, disposeAll, type Backend, type Instance } from './lib/backend.js';
import { chartSvg, markdownTable, writeSection, type ChartGroup } from './lib/report.js';

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
    backend: { type: 'string', default: 'sqlite' },
    users: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'docs', 'performance.md') },
    'no-write': { type: 'boolean', default: false },
  },
});
const BACKEND = backendNamed(args.backend!);
const USERS = args.users === undefined ? null : Number(args.users);
if (USERS !== null && (!Number.isSafeInteger(USERS) || USERS < 1000 || USERS > 10_000_000)) throw new Error('--users must be an integer from 1000 to 10000000');
const OUT = args['no-write'] ? null : args.out!;
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
    console.error(`\n${sig}: stopping; child processes, temporary folders, databases and the reference override are removed`);
    undoSync();
    void disposeAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// mwauth as a child process

interface Mwauth {
  api: string;
  pid: number;
  /** VmHWM of the process, in kB. */
  peakRssKb(): number | null;
  /** VmRSS of the process, in kB. */
  rssKb(): number | null;
  stop(): Promise<void>;
}

/** Alice, Bob and their bot passwords, made with the CLI on a new instance. */
async function seed(backend: Backend): Promise<{ template: Instance; bots: Bot[] }> {
  const template = await backend.create();
  const run = async (argv: string[]) => {
    const r = await runCli(argv, template.env, { timeoutMs: 60_000 });
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
  return { template, bots };
}

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** `mwauth serve` on an instance, as `npm start` runs it (the compiled build when it is current). */
async function startMwauth(inst: Instance): Promise<Mwauth> {
  const port = await freePort();
  // Its log goes to a file, as in production; a pipe read here would cost this process CPU.
  const logFile = join(inst.dir, `serve-${port}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: cliEnv({ ...MWAUTH_ENV, ...inst.env, MWAUTH_PORT: String(port) }),
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
    api: `http://127.0.0.1:${port}/w/api.php`,
    pid: child.pid!,
    peakRssKb: () => statusKb(child.pid!, 'VmHWM'),
    rssKb: () => statusKb(child.pid!, 'VmRSS'),
    // A graceful stop waits until the reset worker has handled every recorded request; a backlog
    // left by a flood can take minutes, and this instance is thrown away: SIGKILL after 3 s.
    async stop() {
      if (alive()) child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
  };
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
  /** Logins: the token requests' own latency, p50 and p99. */
  token?: { p50: number | null; p99: number | null };
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
async function login(agent: http.Agent, api: string, bot: Bot, jar = new Jar(), tokenMs?: (ms: number) => void): Promise<string | null> {
  const t0 = performance.now();
  const t = await request(agent, `${api}?action=query&meta=tokens&type=login&format=json`, 'GET');
  tokenMs?.(performance.now() - t0);
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
  const tokenLat: number[] = [];
  let bad = 0;
  let sample = '';
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (bot: Bot) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      let failed: string | null;
      try {
        failed = await login(agent, api, bot, new Jar(), (ms) => tokenLat.push(ms));
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
  tokenLat.sort((a, b) => a - b);
  return { ok: lat.length, bad, seconds: elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99), sample, token: { p50: percentile(tokenLat, 50), p99: percentile(tokenLat, 99) } };
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
  key: 'tokens' | 'siteinfo' | 'reset-unknown' | 'reset' | 'login' | 'userinfo';
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

const tokensRequest = (api: string): WrkRequest => ({ url: `${api}?action=query&meta=tokens&format=json`, method: 'GET', expect: '"csrftoken":"+\\\\"' });
const resetBody = (user: string) => new URLSearchParams({ action: 'resetpassword', user, token: '+\\', format: 'json' }).toString();

const SCENARIOS: Scenario[] = [
  {
    key: 'tokens',
    title: '1. meta=tokens, anonymous (GET)',
    unit: 'req/s',
    drive: (s, sec) => runWrk(tokensRequest(s.api), sec),
  },
  {
    key: 'siteinfo',
    title: '2. meta=siteinfo, anonymous (GET)',
    unit: 'req/s',
    drive: (s, sec) => runWrk({ url: `${s.api}?action=query&meta=siteinfo&format=json`, method: 'GET', expect: '"generator":"' }, sec),
  },
  {
    key: 'reset-unknown',
    title: '3. resetpassword, unknown user',
    unit: 'req/s',
    reset: true,
    override: RESET_OVERRIDE,
    drive: (s, sec) => runWrk({ url: s.api, method: 'POST', body: resetBody(UNKNOWN), expect: '"status":"success"' }, sec),
  },
  {
    key: 'reset',
    title: '4. resetpassword, Alice (mail)',
    unit: 'req/s',
    reset: true,
    override: RESET_OVERRIDE,
    drive: (s, sec) => runWrk({ url: s.api, method: 'POST', body: resetBody(ALICE.name), expect: '"status":"success"' }, sec),
  },
  {
    key: 'login',
    title: '5. bot-password login (token+login)',
    unit: 'logins/s',
    override: LOGIN_OVERRIDE,
    drive: (s, sec) => runLogins(s.api, s.bots, sec),
  },
  {
    key: 'userinfo',
    title: '6. meta=userinfo, logged in',
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

async function measureMwauth(s: Scenario, template: Instance, bots: Bot[], rss: Array<[string, number | null]>): Promise<SideResult> {
  const inst = await BACKEND.copy(template);
  const srv = await startMwauth(inst).catch(async (err: unknown) => {
    await inst.dispose();
    throw err;
  });
  try {
    const side: Side = { api: srv.api, bots };
    if (s.session) side.cookie = await sessionCookie(srv.api, bots[0]!);
    const t0 = performance.now();
    const warm = await s.drive(side, WARMUP);
    const before = s.reset ? await inst.probe() : null;
    const m = await s.drive(side, DURATION);
    const res: SideResult = { m, warmBad: warm.bad, notes: [] };
    if (s.reset) {
      const after = await inst.probe();
      const loadEnd = performance.now();
      let p = after;
      while ((p.recorded > p.handled || p.unsent > 0) && performance.now() - loadEnd < DRAIN * 1000) {
        await sleep(250);
        p = await inst.probe();
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
    await inst.dispose();
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
// Ceilings, memory, the CLI

const RAW_SERVER = fileURLToPath(new URL('./raw-server.mjs', import.meta.url));

/** The raw ceiling: wrk against a bare fastify answering the tokens answer's bytes, warm-up then measured. */
async function rawCeiling(): Promise<Measured> {
  const port = await freePort();
  const child = spawn(process.execPath, [RAW_SERVER, String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('listening') && resolve());
      child.once('exit', (code) => reject(new Error(`bench/raw-server.mjs exited (${code})`)));
    });
    const api = `http://127.0.0.1:${port}/w/api.php`;
    await runWrk(tokensRequest(api), WARMUP || 1);
    return await runWrk(tokensRequest(api), DURATION);
  } finally {
    child.kill('SIGKILL');
    children.delete(child);
  }
}

/**
 * The PBKDF2 ceiling: mwauth's new-hash parameters (sha512, DEFAULT_PBKDF2_ITERATIONS, 64 bytes, a 16-byte
 * salt), CONNECTIONS derivations in flight on libuv's threadpool, for DURATION seconds: hashes per second.
 */
async function pbkdf2Ceiling(): Promise<{ perSecond: number; hashes: number; seconds: number }> {
  const derive = () => new Promise<void>((resolve, reject) => pbkdf2(randomBytes(12), randomBytes(16), DEFAULT_PBKDF2_ITERATIONS, 64, 'sha512', (err) => (err ? reject(err) : resolve())));
  const loop = async (until: number, count: { n: number }) => {
    while (performance.now() < until) {
      await derive();
      count.n++;
    }
  };
  const warm = performance.now() + (WARMUP || 1) * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, () => loop(warm, { n: 0 })));
  const count = { n: 0 };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, () => loop(start + DURATION * 1000, count)));
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: count.n / seconds, hashes: count.n, seconds };
}

/** A fresh server's resident memory once it has settled, before any request (kB). */
async function idleRss(template: Instance): Promise<number | null> {
  const inst = await BACKEND.copy(template);
  try {
    const srv = await startMwauth(inst);
    try {
      await sleep(2000);
      return srv.rssKb();
    } finally {
      await srv.stop();
    }
  } finally {
    await inst.dispose();
  }
}

const GNU_TIME = '/usr/bin/time';

/**
 * `mwauth user list` (the command as an operator runs it), `runs` times: wall seconds, sorted, and the CPU
 * seconds (user + system) of each run, sorted, when GNU time is there to tell them. On a busy machine the
 * wall time waits for a CPU; the CPU time is what the command itself costs.
 */
async function cliTimes(template: Instance, runs = 10): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  const timed = existsSync(GNU_TIME);
  for (let i = 0; i < runs; i++) {
    const argv = [process.execPath, BIN, 'user', 'list'];
    const t0 = performance.now();
    const r = await runProgram(timed ? GNU_TIME : argv[0]!, timed ? ['-f', 'BENCH-CPU %U %S', ...argv] : argv.slice(1), { cwd: ROOT, env: cliEnv(template.env), timeoutMs: 60_000 });
    wall.push((performance.now() - t0) / 1000);
    if (r.code !== 0 || !r.stdout.includes('Alice')) throw new Error(`mwauth user list failed (${r.code}): ${r.stderr.trim()}`);
    const m = /^BENCH-CPU ([\d.]+) ([\d.]+)$/m.exec(r.stderr);
    if (m) cpu.push(Number(m[1]) + Number(m[2]));
  }
  return { wall: wall.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b) };
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
  console.log(`mwauth: \`mwauth serve\` in a child process, a fresh one per scenario on a copy of a seeded ${BACKEND.label} instance, mail to files, MWAUTH_LOG_LEVEL=${MWAUTH_ENV.MWAUTH_LOG_LEVEL} (to a file); resets with the per-IP, per-account, per-address and site limits lifted and MWAUTH_RESET_COOLDOWN_HOURS=0`);
  if (REFERENCE) {
    console.log(
      `reference: ${refName} at ${REFERENCE}` +
        (REFERENCE_LOCAL
          ? `; ${OVERRIDE} for its reset runs: ${RESET_OVERRIDE.replace('\n', ' ')} — for its login run: ${LOGIN_OVERRIDE}`
          : ` (no state folder at ${STATE}: its limits stay on)`),
    );
  }
  else console.log('reference: none (--no-reference)');

  // What `npm start` runs: the compiled build, made first when the sources changed since the last one.
  if (!buildIsCurrent()) build(ROOT, (line) => console.log(line));

  if (USERS !== null) {
    const { population } = await import('./lib/population.js');
    return population(USERS, { seed, startMwauth, runWrk, runLogins, sessionCookie, resetBody, rate, ms, table, out: OUT, describe: { cpu, load0 } }, DURATION);
  }

  const seeded = await seed(BACKEND);
  process.stdout.write('\nceilings: raw fastify…');
  const raw = await rawCeiling();
  const rawRate = raw.ok / raw.seconds;
  process.stdout.write(` ${rate(rawRate)} req/s; PBKDF2…`);
  const hashes = await pbkdf2Ceiling();
  process.stdout.write(` ${rate(hashes.perSecond)} hashes/s; idle memory…`);
  const idleKb = await idleRss(seeded.template);
  process.stdout.write(` ${idleKb === null ? '-' : Math.round(idleKb / 1024)} MB; CLI…`);
  const cliRuns = await cliTimes(seeded.template);
  const cli = cliRuns.wall;
  const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
  const cliMedian = median(cli);
  const cliCpu = cliRuns.cpu.length ? `; CPU (user + system) median ${median(cliRuns.cpu).toFixed(2)} s` : '';
  process.stdout.write(` ${cliMedian.toFixed(3)} s`);

  const rss: Array<[string, number | null]> = [];
  const results: Array<{ s: Scenario; mw: SideResult; ref?: SideResult }> = [];
  for (const s of SCENARIOS) {
    process.stdout.write(`\n${s.title}: mwauth…`);
    const mw = await measureMwauth(s, seeded.template, seeded.bots, rss);
    process.stdout.write(` ${rate(mw.m.ok / mw.m.seconds)} ${s.unit}`);
    let ref: SideResult | undefined;
    if (REFERENCE) {
      process.stdout.write(', MediaWiki…');
      ref = await measureReference(s, REFERENCE, refBots);
      process.stdout.write(` ${rate(ref.m.ok / ref.m.seconds)} ${s.unit}`);
    }
    results.push({ s, mw, ref });
  }
  await seeded.template.dispose();
  console.log('\n');

  /** The ceiling a scenario is set against: one hash per login, the raw server for the rest. */
  const ceilingOf = (s: Scenario) => (s.key === 'login' ? hashes.perSecond : s.reset ? null : rawRate);
  const pct = (a: number, b: number | null | undefined) => (b ? `${((100 * a) / b).toFixed(b && a / b < 0.1 ? 1 : 0)} %` : '-');
  const rows: string[][] = [['scenario', 'mwauth', 'p50', 'p99', 'of ceiling', 'MediaWiki', 'p50', 'p99', 'mwauth/MW', 'errors mwauth/MW']];
  rows.push(['raw ceiling: bare fastify, fixed body req/s', rate(rawRate), ms(raw.p50), ms(raw.p99), '', '', '', '', '', `${raw.bad}`]);
  rows.push([`PBKDF2 ceiling: sha512, ${DEFAULT_PBKDF2_ITERATIONS} iterations hashes/s`, rate(hashes.perSecond), '', '', '', '', '', '', '', '']);
  let errors = raw.bad;
  for (const { s, mw, ref } of results) {
    const mwErr = mw.m.bad + mw.warmBad;
    const refErr = ref ? ref.m.bad + ref.warmBad : 0;
    errors += mwErr + refErr;
    rows.push([
      `${s.title} ${s.unit}`,
      perS(mw), ms(mw.m.p50), ms(mw.m.p99), pct(mw.m.ok / mw.m.seconds, ceilingOf(s)),
      perS(ref), ms(ref?.m.p50), ms(ref?.m.p99),
      ratio(mw.m.ok / mw.m.seconds, ref ? ref.m.ok / ref.m.seconds : undefined),
      `${mwErr} / ${ref ? refErr : '-'}`,
    ]);
    if (s.reset) {
      rows.push(['   … handled/s, first request → end of drain', rate(mw.completed!), '', '', '', ref ? rate(ref.completed!) : '-', '', '', ratio(mw.completed, ref?.completed), '']);
    }
    if (s.key === 'login' && mw.m.token) rows.push(['   … its token requests', '', ms(mw.m.token.p50), ms(mw.m.token.p99), '', '', ms(ref?.m.token?.p50), ms(ref?.m.token?.p99), '', '']);
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
  console.log(`\nmwauth resident memory: idle ${mb(idleKb)}; peak (VmHWM of each serve process): ${rss.map(([t, kb]) => `${t.split('.')[0]}: ${mb(kb)}`).join(', ')}; highest ${mb(peak)}`);
  console.log(`CLI: \`mwauth user list\` ${cli.length} runs: median ${cliMedian.toFixed(3)} s, fastest ${cli[0]!.toFixed(3)} s, slowest ${cli.at(-1)!.toFixed(3)} s${cliCpu}`);

  // The goals, each with what was measured.
  const by = (k: Scenario['key']) => results.find((r) => r.s.key === k)!;
  const perSec = (r: SideResult) => r.m.ok / r.m.seconds;
  const goals: Array<[string, string, string, boolean | null]> = [];
  for (const k of ['tokens', 'siteinfo'] as const) {
    const r = by(k);
    goals.push([`${k}: share of the raw ceiling`, pct(perSec(r.mw), rawRate), '≥ 40 %', perSec(r.mw) >= 0.4 * rawRate]);
    goals.push([`${k}: times MediaWiki`, r.ref ? ratio(perSec(r.mw), perSec(r.ref)) : '-', '≥ 100×', r.ref ? perSec(r.mw) >= 100 * perSec(r.ref) : null]);
  }
  const userinfoGoal = BACKEND.name === 'sqlite' ? 0.25 : 0.15;
  goals.push([`userinfo: share of the raw ceiling (${BACKEND.label})`, pct(perSec(by('userinfo').mw), rawRate), `≥ ${userinfoGoal * 100} %`, perSec(by('userinfo').mw) >= userinfoGoal * rawRate]);
  const login = by('login').mw;
  goals.push(['logins: share of the one-hash (PBKDF2) ceiling', pct(perSec(login), hashes.perSecond), '≥ 85 %', perSec(login) >= 0.85 * hashes.perSecond]);
  goals.push(['token p99 during the login storm', ms(login.m.token?.p99), '< 20 ms', login.m.token?.p99 != null ? login.m.token.p99 < 20 : null]);
  for (const k of ['reset-unknown', 'reset'] as const) {
    const r = by(k).mw;
    goals.push([`resets handled per second (${k === 'reset' ? 'Alice, mail' : 'unknown user'})`, rate(r.completed!), '≥ 1,000/s', r.completed! >= 1000]);
  }
  goals.push(['resident memory, idle', mb(idleKb), '≤ 60 MB', idleKb === null ? null : idleKb <= 60 * 1024]);
  goals.push(['resident memory, under load (highest)', mb(peak), '≤ 120 MB', peak <= 120 * 1024]);
  goals.push(['one CLI command (`mwauth user list`, median)', `${cliMedian.toFixed(3)} s`, '≤ 0.25 s', cliMedian <= 0.25]);
  const mark = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? 'met' : 'MISSED');
  console.log(`\n${table([['goal', 'measured', 'target', ''], ...goals.map(([g, m, t, ok]) => [g, m, t, mark(ok)])])}`);
  const load1 = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`\nload average ${load1} at the end (other work on this machine shows here)`);
  if (errors > 0) console.log(`\n${errors} bad answers: these figures are not to be trusted`);

  if (OUT) {
    const name = `api-${BACKEND.name}`;
    const svgName = `performance-${BACKEND.name}.svg`;
    const groups: ChartGroup[] = results.map(({ s, mw, ref }) => ({
      label: s.title.replace(/^\d+\. /, '').replace(/ \(.*\)$/, '') + (s.reset ? ' (handled)' : ''),
      bars: [
        { series: s.key === 'login' ? 'PBKDF2 ceiling' : 'raw ceiling', value: ceilingOf(s) },
        { series: 'mwauth', value: s.reset ? mw.completed! : perSec(mw) },
        { series: 'MediaWiki', value: ref ? (s.reset ? ref.completed! : perSec(ref)) : null },
      ],
    }));
    writeFileSync(join(OUT, '..', svgName), chartSvg(`mwauth on ${BACKEND.label}, the ceilings and MediaWiki (per second)`, 'per second', groups));
    const md = [
      `## The Action API on ${BACKEND.label}`,
      '',
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${availableParallelism()} CPUs (${cpu}), node ${process.version}; load average ${load0} at the start, ${load1} at the end.`,
      `\`npm run bench:api -- --backend ${BACKEND.name} --duration ${DURATION} --warmup ${WARMUP} --connections ${CONNECTIONS}${REFERENCE ? '' : ' --no-reference'}\`: wrk with ${CONNECTIONS} connections; logins from the script itself; a fresh \`mwauth serve\` per scenario.` +
        (REFERENCE ? ` Reference: ${refName} at ${REFERENCE}.` : ''),
      '',
      markdownTable(rows.map((r) => r.map((c) => c.trim() || ' '))),
      '',
      'Resets are answered once recorded and handled by the reset worker afterwards: "handled/s" counts from the first request to the last one handled.',
      '',
      markdownTable([['goal', 'measured', 'target', ''], ...goals.map(([g, m, t, ok]) => [g, m, t, mark(ok)])]),
      '',
      `Resident memory: idle ${mb(idleKb)} (a fresh server, 2 s after it started); under load ${mb(peak)} (the highest VmHWM of the scenarios' servers).`,
      `CLI: \`mwauth user list\`, ${cli.length} runs: median ${cliMedian.toFixed(3)} s (fastest ${cli[0]!.toFixed(3)} s, slowest ${cli.at(-1)!.toFixed(3)} s)${cliCpu}.`,
      '',
      `![mwauth, the ceilings and MediaWiki on ${BACKEND.label}](${svgName})`,
    ].join('\n');
    writeSection(OUT, name, md);
    console.log(`\nwrote ${OUT} (section ${name}) and ${svgName}`);
  }
  return errors > 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`\nbenchmark failed: ${(err as Error).stack ?? err}`);
} finally {
  undoSync();
  await disposeAll();
}
process.exit(code);
