// npm run conformance -- --reference http://127.0.0.1:8181/w/api.php [--fresh-reference]
//                        [--target URL --target-mail-dir DIR] [--reference-mail-dir DIR]
//                        [--summary FILE] [--dump DIR] [--verbose]
//
// Sends the same request sequence (conformance/cases.ts) to mwauth and to a MediaWiki 1.39
// reference, each with its own cookie jars and variables, compares every response
// (conformance/compare.ts), explains the differences that are on purpose (conformance/intended.ts,
// which points into docs/compatibility.md) and exits 1 on any other difference.
//
// By default mwauth runs in this process, on a fresh data folder, seeded with the same accounts as
// the reference (cases.ts FIXTURE). With --target it talks to a running mwauth instead, which the
// operator must have seeded the same way (and whose mail folder --target-mail-dir must name).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import { CASES } from './cases.js';
import { BOT_PASSWORD, FIXTURE, type Case, type HttpCase } from './fixture.js';
import { COMPARED_HEADERS, TEMP_PASSWORD, compareObserved, show, type Diff, type Observed, type SideInfo } from './compare.js';
import { INTENDED, checkAgainstDocs, findIntended, type Intended } from './intended.js';
import { CookieJar as Jar } from '../test/helpers/cookies.js';
import { readBody } from './bodies.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COOKIE_PREFIX = 'oraclewiki';
/** MWAUTH_SERVER of the mwauth started here: the canonical URL its links use (not where it listens). */
const LOCAL_SERVER = 'http://127.0.0.1:8080';
const DEFAULT_REFERENCE_MAIL = '/var/tmp/mw-oracle/data/mail';
const DEFAULT_REFERENCE_SETUP = '/work/shared/oracle/setup.sh';

// ---------------------------------------------------------------------------------------------
// One client: a cookie jar against one API endpoint (the jar is test/helpers/cookies.ts)

// ---------------------------------------------------------------------------------------------
// Mail: the .eml files a side writes, read as they appear

interface Mail {
  to: string[];
  tempPassword: string | null;
}

/**
 * The temporary password in a mail: a 10-character [0-9a-v] word ending a line without a link, or one
 * in double quotes (MediaWiki's "account created for you" mail puts it mid-sentence, after a link).
 */
export function findTempPassword(text: string): string | null {
  for (const line of text.split(/\r?\n/)) {
    const m = (/https?:/.test(line) ? null : /(?:^|[\s:])([0-9a-v]{10})\s*$/.exec(line)) ?? /"([0-9a-v]{10})"/.exec(line);
    if (m) return m[1]!;
  }
  return null;
}

class MailDir {
  private seen = new Set<string>();
  constructor(
    readonly dir: string,
    private readonly flush?: () => Promise<void>,
  ) {}

  private files(): string[] {
    try {
      return readdirSync(this.dir).filter((f) => f.endsWith('.eml')).sort();
    } catch {
      return [];
    }
  }

  /** Everything already there is old. */
  mark(): void {
    for (const f of this.files()) this.seen.add(f);
  }

  /** Mail written since the last call: waits until the folder has been quiet for a while. */
  async collect(quietMs = 1500, maxMs = 12000): Promise<Mail[]> {
    const start = Date.now();
    let last = -1;
    let quietSince = Date.now();
    for (;;) {
      if (this.flush) await this.flush();
      const n = this.files().length;
      if (n !== last) {
        last = n;
        quietSince = Date.now();
      }
      if (Date.now() - quietSince >= quietMs || Date.now() - start >= maxMs) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const out: Mail[] = [];
    for (const f of this.files()) {
      if (this.seen.has(f)) continue;
      this.seen.add(f);
      const parsed = await simpleParser(readFileSync(join(this.dir, f)));
      const toList = parsed.to ? (Array.isArray(parsed.to) ? parsed.to : [parsed.to]) : [];
      out.push({
        to: toList.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())),
        tempPassword: findTempPassword(parsed.text ?? ''),
      });
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// A side: an API endpoint, its jars, its variables, its mail

class Side {
  readonly jars = new Map<string, Jar>();
  readonly vars = new Map<string, string>();
  readonly info: SideInfo;

  constructor(
    readonly label: 'mwauth' | 'reference',
    readonly api: string,
    readonly mail: MailDir | null,
    ids: Map<number, string> = new Map(),
    server = new URL(api).origin,
  ) {
    this.info = { ids, cookiePrefix: COOKIE_PREFIX, server };
  }

  jar(name: string): Jar {
    let j = this.jars.get(name);
    if (!j) this.jars.set(name, (j = new Jar()));
    return j;
  }

  fill(s: string, missing: Set<string>): string {
    return s.replace(/\{\{([^}]+)\}\}/g, (_m, name: string) => {
      const v = this.vars.get(name);
      if (v === undefined) {
        missing.add(name);
        return '';
      }
      return v;
    });
  }

  /** Learns which id is which account from what the side says about itself. */
  learn(json: unknown): void {
    const j = json as { login?: { lguserid?: unknown; lgusername?: unknown }; query?: { userinfo?: { id?: unknown; name?: unknown } } } | null;
    if (!j || typeof j !== 'object') return;
    const l = j.login;
    if (l && typeof l.lguserid === 'number' && typeof l.lgusername === 'string') this.info.ids.set(l.lguserid, l.lgusername);
    const u = j.query?.userinfo;
    if (u && typeof u.id === 'number' && u.id > 0 && typeof u.name === 'string') this.info.ids.set(u.id, u.name);
  }

  async send(c: HttpCase): Promise<{ observed: Observed; missing: string[] }> {
    const missing = new Set<string>();
    const url = new URL(this.api);
    for (const [k, v] of Object.entries(c.query ?? {})) url.searchParams.set(k, this.fill(v, missing));
    const jar = this.jar(c.client);
    const headers: Record<string, string> = { 'user-agent': 'mwauth-conformance/1 (differential check)' };
    for (const [k, v] of Object.entries(c.headers ?? {})) headers[k.toLowerCase()] = v;
    const cookie = jar.header();
    if (cookie) headers.cookie = cookie;
    let body: string | FormData | undefined;
    if (c.body !== undefined && c.method !== 'GET' && c.method !== 'HEAD') {
      const filled = Object.entries(c.body).map(([k, v]) => [k, this.fill(v, missing)] as [string, string]);
      if (c.multipart) {
        const fd = new FormData();
        for (const [k, v] of filled) fd.append(k, v);
        body = fd;
      } else {
        body = new URLSearchParams(filled).toString();
        headers['content-type'] = 'application/x-www-form-urlencoded';
      }
    }
    const res = await fetch(url, { method: c.method, headers, body, redirect: 'manual' });
    const setCookies = res.headers.getSetCookie();
    jar.keep(setCookies);
    const text = await res.text();
    const hs: Record<string, string> = {};
    for (const h of COMPARED_HEADERS) {
      const v = res.headers.get(h);
      if (v !== null) hs[h] = v;
    }
    let json: unknown;
    const jsonp = /^\/\*\*\/[\w.[\]'"]+\(([\s\S]*)\)$/.exec(text);
    try {
      json = JSON.parse(jsonp ? jsonp[1]! : text);
    } catch {
      // XML, serialized PHP and the HTML forms are read into the same kind of value (conformance/bodies.ts).
      json = readBody(text, res.headers.get('content-type') ?? '', c.query?.format ?? c.body?.format);
    }
    if (json !== undefined) {
      this.learn(json);
      for (const [name, path] of Object.entries(c.save ?? {})) {
        const v = path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), json);
        if (typeof v === 'string') this.vars.set(name, v);
      }
    }
    return { observed: { status: res.status, headers: hs, setCookies, text, json }, missing: [...missing] };
  }

  async collectMail(): Promise<Observed | null> {
    if (!this.mail) return null;
    const mails = await this.mail.collect();
    const entries: Array<{ to: string; temporarypassword: string }> = [];
    for (const m of mails) {
      for (const to of m.to.length ? m.to : ['(no recipient)']) {
        if (m.tempPassword) this.vars.set(`temp:${to}`, m.tempPassword);
        entries.push({
          to,
          temporarypassword: m.tempPassword === null ? '<none found>' : TEMP_PASSWORD.test(m.tempPassword) ? '<temporary password>' : `<unexpected: ${m.tempPassword}>`,
        });
      }
    }
    entries.sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
    const json = { mail: entries };
    return { status: 0, headers: {}, setCookies: [], text: JSON.stringify(json), json };
  }
}

// ---------------------------------------------------------------------------------------------
// mwauth in this process

interface Local {
  api: string;
  mailDir: string;
  ids: Map<number, string>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

async function startLocal(): Promise<Local> {
  // Imported here so that --target runs need nothing from src/.
  const { loadConfig } = await import('../src/config.js');
  const { startServer } = await import('../src/server.js');
  const { apiPath } = await import('../src/site/urls.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'mwauth-conformance-'));
  const config = loadConfig({
    MWAUTH_DATA_DIR: dataDir,
    MWAUTH_PORT: '0',
    MWAUTH_SERVER: LOCAL_SERVER,
    MWAUTH_COOKIE_PREFIX: COOKIE_PREFIX,
    MWAUTH_SITENAME: 'OracleWiki',
    MWAUTH_PASSWORD_SENDER: 'wiki-noreply@oracle.example',
    MWAUTH_LOG_LEVEL: 'error',
  });
  const server = await startServer(config);
  const s = server.services;
  const ids = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const u of FIXTURE.users) {
    const password = u.password ?? randomBytes(24).toString('hex');
    const user = await s.users.create({ name: u.name, email: u.email, passwordHash: await s.hasher.hash(password) });
    for (const g of u.groups) await s.users.addGroup(user.id, g);
    // The reference's addresses are confirmed (resetUserEmail.php); so are these.
    if (u.email) await s.db.updateTable('user').set({ user_email_authenticated: s.clock.now() }).where('user_id', '=', user.id).execute();
    ids.set(user.id, u.name);
    byName.set(u.name, user.id);
  }
  const b = FIXTURE.block;
  await s.blocks.add({ userId: byName.get(b.user)!, target: b.user, by: b.by, reason: b.reason, createAccount: b.createAccount });
  for (const bp of FIXTURE.botPasswords) await s.botPasswords.set(byName.get(bp.user)!, bp.appId, BOT_PASSWORD, [...bp.grants]);
  return {
    api: server.url + apiPath(config),
    mailDir: config.mailDir,
    ids,
    async flush() {
      await s.recoveryWorker.kick();
      while ((await s.delivery.runOnce()) > 0);
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Results and the report

type Verdict = 'match' | 'intended' | 'MISMATCH' | 'skipped';

interface Result {
  n: number;
  c: Case;
  verdict: Verdict;
  diffs: Array<Diff & { intended?: Intended }>;
  note?: string;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function detail(r: Result): string {
  if (r.verdict === 'match') return '';
  if (r.verdict === 'skipped') return r.note ?? '';
  if (r.verdict === 'intended') {
    const reasons = [...new Set(r.diffs.map((d) => d.intended!.heading + ': ' + d.intended!.item))];
    return `intended — ${reasons.join('; ')}`;
  }
  const bad = r.diffs.filter((d) => !d.intended);
  const d = bad[0]!;
  const more = bad.length > 1 ? ` (+${bad.length - 1} more)` : '';
  return `${d.path}: ours ${show(d.ours, 60)} ≠ ref ${show(d.reference, 60)}${more}${r.note ? ` — ${r.note}` : ''}`;
}

function printTable(results: Result[], out: (s: string) => void): void {
  const w = Math.min(64, Math.max(...results.map((r) => r.c.id.length)));
  let section = '';
  out(`${pad('#', 4)} ${pad('case', w)} ${pad('result', 9)} detail`);
  for (const r of results) {
    if (r.c.section !== section) {
      section = r.c.section;
      out(`\n-- ${section}`);
    }
    out(`${pad(String(r.n), 4)} ${pad(r.c.id, w)} ${pad(r.verdict, 9)} ${detail(r)}`);
  }
}

function counts(results: Result[]): Record<Verdict, number> {
  const c: Record<Verdict, number> = { match: 0, intended: 0, MISMATCH: 0, skipped: 0 };
  for (const r of results) c[r.verdict]++;
  return c;
}

function mismatchReport(results: Result[], maxPerCase = Infinity): string[] {
  const lines: string[] = [];
  for (const r of results.filter((x) => x.verdict === 'MISMATCH')) {
    lines.push(`#${r.n} ${r.c.id}${r.note ? `  (${r.note})` : ''}`);
    const bad = r.diffs.filter((x) => !x.intended);
    for (const d of bad.slice(0, maxPerCase)) lines.push(`    ${d.path} [${d.kind}]: ours ${show(d.ours)} | reference ${show(d.reference)}`);
    if (bad.length > maxPerCase) lines.push(`    … ${bad.length - maxPerCase} more (--verbose lists them all)`);
  }
  return lines;
}

function summaryMarkdown(results: Result[], meta: { reference: string; target: string; date: string }): string {
  const c = counts(results);
  const lines = [
    `Last run (${meta.date}): \`npm run conformance -- --reference ${meta.reference}\` against ${meta.target}:`,
    `${results.length} cases — ${c.match} match, ${c.intended} intended difference, ${c.MISMATCH} mismatch, ${c.skipped} skipped.`,
    '',
  ];
  const used = new Map<string, { e: Intended; ids: Set<string> }>();
  for (const r of results) {
    for (const d of r.diffs) {
      if (!d.intended) continue;
      const u = used.get(d.intended.reason) ?? { e: d.intended, ids: new Set<string>() };
      u.ids.add(r.c.id);
      used.set(d.intended.reason, u);
    }
  }
  if (used.size) {
    lines.push('Intended differences seen:');
    for (const { e, ids } of used.values()) lines.push(`- ${e.reason} (${e.heading}; ${ids.size} case${ids.size > 1 ? 's' : ''})`);
    lines.push('');
  }
  const mm = mismatchReport(results, 12);
  if (mm.length) {
    lines.push('Unexplained mismatches:', '', '```', ...mm, '```');
  }
  return lines.join('\n') + '\n';
}

/** Milliseconds since the newest .eml in the folder was written, or null when there is none. */
function newestMailAge(dir: string): number | null {
  try {
    const times = readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => statSync(join(dir, f)).mtimeMs);
    return times.length ? Date.now() - Math.max(...times) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      reference: { type: 'string' },
      'reference-mail-dir': { type: 'string', default: DEFAULT_REFERENCE_MAIL },
      'fresh-reference': { type: 'boolean', default: false },
      'reference-setup': { type: 'string', default: DEFAULT_REFERENCE_SETUP },
      target: { type: 'string' },
      'target-mail-dir': { type: 'string' },
      summary: { type: 'string' },
      dump: { type: 'string' },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help || !values.reference) {
    console.log(
      [
        'usage: npm run conformance -- --reference URL [options]',
        '  --reference URL          api.php of a MediaWiki 1.39 holding the fixture accounts (required)',
        `  --reference-mail-dir DIR where the reference's mail lands (default ${DEFAULT_REFERENCE_MAIL})`,
        '  --fresh-reference        reinstall the reference first (FRESH=1 setup.sh): clears its limits and cooldowns',
        `  --reference-setup PATH   the setup script for --fresh-reference (default ${DEFAULT_REFERENCE_SETUP})`,
        '  --target URL             a running mwauth api.php instead of one started here (seed it yourself)',
        "  --target-mail-dir DIR    that mwauth's MWAUTH_MAIL_DIR (without it, mail cases are skipped)",
        '  --summary FILE           also write a markdown summary (for docs/compatibility.md)',
        '  --dump DIR               write both raw responses of every case into DIR',
        '  -v, --verbose            print every difference, intended ones too',
      ].join('\n'),
    );
    return values.help ? 0 : 2;
  }

  const docProblems = checkAgainstDocs(readFileSync(join(ROOT, 'docs/compatibility.md'), 'utf8'));
  for (const p of docProblems) console.error(`warning: ${p}`);

  if (values['fresh-reference']) {
    console.error(`reinstalling the reference: FRESH=1 ${values['reference-setup']}`);
    execFileSync(values['reference-setup']!, [], { env: { ...process.env, FRESH: '1' }, stdio: ['ignore', process.stderr, process.stderr] });
  } else {
    console.error(
      'note: the reference keeps its reset limit (1 h), 24 h mail cooldown and login throttle (5 min) between runs;\n' +
        '      if it has seen resets or logins recently, run with --fresh-reference.',
    );
    const recent = newestMailAge(values['reference-mail-dir']!);
    if (recent !== null && recent < 3600_000) {
      console.error(
        `warning: the reference sent mail ${Math.round(recent / 60000)} min ago: its per-IP reset limit and cooldowns are probably\n` +
          '         in force, and the reset and temporary-password cases will differ for that reason alone.',
      );
    }
  }

  // The reference must answer and hold the fixture accounts.
  const refIds = new Map<number, string>();
  try {
    const u = new URL(values.reference);
    u.search = new URLSearchParams({ action: 'query', list: 'users', ususers: FIXTURE.users.map((x) => x.name).join('|'), format: 'json', formatversion: '2' }).toString();
    const r = (await (await fetch(u)).json()) as { query?: { users?: Array<{ userid?: number; name: string; missing?: boolean }> } };
    const missing = (r.query?.users ?? []).filter((x) => x.missing).map((x) => x.name);
    if (missing.length) console.error(`warning: the reference lacks the fixture account(s) ${missing.join(', ')}`);
    for (const x of r.query?.users ?? []) if (x.userid) refIds.set(x.userid, x.name);
  } catch (e) {
    console.error(`cannot reach the reference at ${values.reference}: ${(e as Error).message}`);
    return 2;
  }

  let local: Local | null = null;
  let ours: Side;
  if (values.target) {
    const dir = values['target-mail-dir'];
    ours = new Side('mwauth', values.target, dir ? new MailDir(resolve(dir)) : null);
  } else {
    local = await startLocal();
    ours = new Side('mwauth', local.api, new MailDir(local.mailDir, local.flush), local.ids, LOCAL_SERVER);
  }
  const refMail = values['reference-mail-dir'] ? new MailDir(resolve(values['reference-mail-dir'])) : null;
  const ref = new Side('reference', values.reference, refMail, refIds);
  ours.mail?.mark();
  ref.mail?.mark();
  if (values.dump) mkdirSync(values.dump, { recursive: true });

  const results: Result[] = [];
  try {
    let n = 0;
    for (const c of CASES) {
      n++;
      let a: Observed | null;
      let b: Observed | null;
      let note: string | undefined;
      if (c.kind === 'mail') {
        [a, b] = await Promise.all([ours.collectMail(), ref.collectMail()]);
        if (!a || !b) {
          results.push({ n, c, verdict: 'skipped', diffs: [], note: `no mail folder for ${!a ? 'mwauth (--target-mail-dir)' : 'the reference'}` });
          continue;
        }
      } else {
        const [ra, rb] = await Promise.all([ours.send(c), ref.send(c)]);
        a = ra.observed;
        b = rb.observed;
        const miss = [...ra.missing.map((m) => `mwauth lacks {{${m}}}`), ...rb.missing.map((m) => `reference lacks {{${m}}}`)];
        if (miss.length) note = `${miss.join(', ')} (an earlier step failed there)`;
      }
      if (values.dump) writeFileSync(join(values.dump, `${String(n).padStart(3, '0')}-${c.id}.json`), JSON.stringify({ case: c, mwauth: a, reference: b }, null, 2));
      const diffs = compareObserved(a, b, { ours: ours.info, reference: ref.info }).map((d) => ({ ...d, intended: findIntended(c.id, d.path, d.kind) }));
      const verdict: Verdict = diffs.length === 0 ? 'match' : diffs.every((d) => d.intended) ? 'intended' : 'MISMATCH';
      results.push({ n, c, verdict, diffs, note: note ?? (verdict !== 'match' ? c.note : undefined) });
    }
  } finally {
    await local?.close();
  }

  const out = (s: string) => console.log(s);
  printTable(results, out);
  const c = counts(results);
  out('');
  out(`${results.length} cases: ${c.match} match, ${c.intended} intended difference, ${c.MISMATCH} mismatch, ${c.skipped} skipped`);
  if (values.verbose) {
    out('\nAll differences:');
    for (const r of results) {
      for (const d of r.diffs) out(`  #${r.n} ${r.c.id} ${d.path} [${d.kind}]${d.intended ? ' (intended)' : ''}: ours ${show(d.ours)} | reference ${show(d.reference)}`);
    }
  }
  const mm = mismatchReport(results, values.verbose ? Infinity : 12);
  if (mm.length) {
    out('\nUnexplained mismatches (not in conformance/intended.ts):');
    for (const l of mm) out(l);
  }
  const unused = INTENDED.filter((e) => !results.some((r) => r.diffs.some((d) => d.intended === e)));
  if (unused.length && values.verbose) {
    out('\nIntended differences not seen in this run:');
    for (const e of unused) out(`  ${e.case} ${e.path}: ${e.reason}`);
  }
  if (values.summary) {
    writeFileSync(values.summary, summaryMarkdown(results, { reference: values.reference, target: values.target ?? 'mwauth started in-process', date: new Date().toISOString().slice(0, 10) }));
    out(`\nsummary written to ${values.summary}`);
  }
  return c.MISMATCH > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
