// Real MediaWiki databases for the import tests, made by MediaWiki itself: Debian's mediawiki package
// (1.39) installs a wiki with its own installer (maintenance/install.php) on SQLite or on MariaDB (with a
// table prefix) in a temporary folder, and its own maintenance scripts and services create the accounts:
// one per password format ($wgPasswordDefault set per account), groups with and without an expiry, bot
// passwords (with IP restrictions), blocks of accounts, addresses and ranges, confirmed and unconfirmed
// addresses, preferences, a pending temporary password, a real name and edits.
//
// Also on PostgreSQL (MediaWiki's "mediawiki" schema, no prefix). Needs php (with sqlite3, mysqli, pgsql)
// and /usr/share/mediawiki. Without them the tests that use a fixture are skipped with the reason — except
// with MWAUTH_REQUIRE_CLIENTS=1 (CI), where they fail. A MariaDB fixture also needs MariaDB at
// 127.0.0.1:3306 (root, no password; MWAUTH_TEST_MYSQL_URL overrides it), a PostgreSQL one the server of
// test/helpers/services.ts; both required likewise with MWAUTH_REQUIRE_SERVICES=1.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresDatabase, skipUnless, type PostgresDatabase } from '../helpers/services.js';

export const MEDIAWIKI_DIR = process.env.MWAUTH_TEST_MEDIAWIKI_DIR || '/usr/share/mediawiki';
export const MYSQL_ADMIN_URL = process.env.MWAUTH_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306';
export type FixtureKind = 'sqlite' | 'mysql' | 'postgres';
const CLIENTS_REQUIRED = process.env.MWAUTH_REQUIRE_CLIENTS === '1';
const SERVICES_REQUIRED = process.env.MWAUTH_REQUIRE_SERVICES === '1';
const PLAN_SCRIPT = fileURLToPath(new URL('./mediawiki-fixture.php', import.meta.url));

export const ADMIN = { name: 'Admin', password: 'Fixture-Admin-Pass-1!' };

/** One account per password format MediaWiki can store, with the settings that make MediaWiki write it. */
export const PASSWORD_FORMATS = [
  { name: 'Pbkdf2 default', password: 'Fixture-Pbkdf2-Pass-1!', type: 'pbkdf2', prefix: ':pbkdf2:sha512:30000:64:' },
  {
    name: 'Pbkdf2 other', password: 'Fixture-Pbkdf2-Other-2!', type: 'pbkdf2',
    config: { algo: 'sha256', cost: '1000', length: '32' }, prefix: ':pbkdf2:sha256:1000:32:',
  },
  { name: 'Old A', password: 'Fixture-Old-A-Pass-3!', type: 'A', prefix: ':A:' },
  { name: 'Salted B', password: 'Fixture-Salted-B-Pass-4!', type: 'B', prefix: ':B:' },
  { name: 'Legacy A', password: 'Fixture-Legacy-A-Pass-5!', type: 'pbkdf2-legacyA', prefix: ':pbkdf2-legacyA:' },
  { name: 'Legacy B', password: 'Fixture-Legacy-B-Pass-6!', type: 'pbkdf2-legacyB', prefix: ':pbkdf2-legacyB:' },
  { name: 'Bcrypt user', password: 'Fixture-Bcrypt-Päss-7 ✓', type: 'bcrypt', prefix: ':bcrypt:9$' },
  {
    name: 'Argon2i user', password: 'Fixture-Argon2i-Pass-8!', type: 'argon2',
    config: { algo: 'argon2i', memory_cost: 4096, time_cost: 3, threads: 2 }, prefix: ':argon2:$argon2i$v=19$m=4096,t=3,p=2$',
  },
  // PHP's defaults (64 MiB, 4 passes): what a wiki with $wgPasswordDefault = 'argon2' stores.
  { name: 'Argon2id user', password: 'Fixture-Argon2id-Pass-9!', type: 'argon2', config: { algo: 'argon2id' }, prefix: ':argon2:$argon2id$v=19$m=65536,t=4,p=1$' },
] as const;

/** An account whose password was made unusable by deleteLocalPasswords.php --prefix: ":null:" + the old hash. */
export const NULL_PASSWORD_USER = { name: 'Null prefixed', password: 'Fixture-Null-Pass-10!' };
/** An account created without a password (as createAndPromote.php does before it sets one): "". */
export const NO_PASSWORD_USER = 'No password';
// 32 characters of [0-9a-w], like Special:BotPasswords makes (MediaWiki and mwauth take nothing else as one).
export const BOT_PASSWORD = 'fiturebotpassfiturebotpass012345';

export interface FixtureAccount {
  name: string;
  /** The password MediaWiki was given (null: none). */
  password: string | null;
  /** false: the stored hash lets no password in (":null:…", ""). */
  usable?: false;
  /** The hash MediaWiki stored starts so. */
  prefix: string;
}

export interface MediaWikiFixture {
  kind: FixtureKind;
  /** The temporary folder: LocalSettings.php, and for SQLite the database files. */
  dir: string;
  /** What `mwauth import mediawiki` is given: the SQLite file, a mysql:// or a postgres:// URL. */
  source: string;
  /** $wgDBprefix. */
  prefix: string;
  /** For MariaDB and PostgreSQL: the database's name. */
  database: string | null;
  /** Every account with a password format, plus NULL_PASSWORD_USER and NO_PASSWORD_USER. */
  accounts: FixtureAccount[];
  /** Pending temporary passwords MediaWiki issued, by account name. */
  temporaryPasswords: Record<string, string>;
  /** Runs a MediaWiki maintenance script of this wiki (maintenance/NAME.php). */
  maintenance(script: string, args: string[], opts?: { env?: Record<string, string>; input?: string }): Promise<string>;
  close(): Promise<void>;
}

/** php with the given arguments, input on its stdin; killed after two minutes. */
function runPhp(args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('php', args, { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(o.input ?? '');
  });
}

let phpProbe: string | null | undefined;
/** Why no fixture can be made here (null: it can). */
export function mediaWikiMissing(): string | null {
  if (phpProbe === undefined) {
    const exts = ['sqlite3', 'mysqli', 'pgsql', 'intl', 'mbstring', 'xml'];
    const php = spawnSync('php', ['-r', `echo ${exts.map((e) => `extension_loaded("${e}")`).join(' && ')} ? "ok" : "ext";`]);
    phpProbe = php.error
      ? 'php is not installed (Debian: php-cli php-sqlite3 php-mysql php-pgsql php-intl php-mbstring php-xml)'
      : php.stdout.toString() !== 'ok'
        ? `php lacks one of ${exts.join(', ')} (Debian: php-sqlite3 php-mysql php-pgsql php-intl php-mbstring php-xml)`
        : !existsSync(join(MEDIAWIKI_DIR, 'maintenance/install.php'))
          ? `MediaWiki is not installed at ${MEDIAWIKI_DIR} (Debian: mediawiki)`
          : null;
  }
  return phpProbe;
}

let mysqlProbe: Promise<string | null> | undefined;
async function mysqlMissing(): Promise<string | null> {
  mysqlProbe ??= (async () => {
    const mysql = (await import('mysql2/promise')).default;
    try {
      const c = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, connectTimeout: 3000 });
      await c.end();
      return null;
    } catch (err) {
      return `MariaDB at ${MYSQL_ADMIN_URL} is not reachable (${(err as Error).message}); set MWAUTH_TEST_MYSQL_URL`;
    }
  })();
  return mysqlProbe;
}

/**
 * `{ skip }` for a test that needs a fixture of this kind: the reason it can't run, or false. In CI
 * (MWAUTH_REQUIRE_CLIENTS=1, MWAUTH_REQUIRE_SERVICES=1) a missing piece throws, failing the file.
 */
export async function fixtureSkip(kind: FixtureKind): Promise<string | false> {
  const php = mediaWikiMissing();
  if (php) {
    if (CLIENTS_REQUIRED) throw new Error(`${php} (MWAUTH_REQUIRE_CLIENTS=1)`);
    return php;
  }
  if (kind === 'mysql') {
    const why = await mysqlMissing();
    if (why) {
      if (SERVICES_REQUIRED) throw new Error(`${why} (MWAUTH_REQUIRE_SERVICES=1)`);
      return why;
    }
  }
  if (kind === 'postgres') return skipUnless('postgres');
  return false;
}

// Read after install.php's own settings: the password type for the next account, from the environment,
// so that each maintenance run can store another format.
const SETTINGS_OVERRIDE = `
// mwauth test fixture
$wgPasswordPolicy['policies']['default']['PasswordNotInCommonList'] = false;
if ( getenv( 'MWAUTH_FIXTURE_PASSWORD' ) ) {
\t$fixturePassword = json_decode( getenv( 'MWAUTH_FIXTURE_PASSWORD' ), true );
\t$wgPasswordDefault = $fixturePassword['type'];
\t$wgPasswordConfig[$wgPasswordDefault] = array_merge( $wgPasswordConfig[$wgPasswordDefault], $fixturePassword['config'] ?? [] );
}
$wgPasswordConfig['null'] = [ 'class' => InvalidPassword::class ];
$wgEnableEmail = true;
$wgEnableUserEmail = true;
$wgEmailAuthentication = true;
`;

export interface FixtureOptions {
  kind: FixtureKind;
  /** $wgDBprefix (default: none on SQLite and PostgreSQL, which has none; "mw_" on MariaDB). */
  prefix?: string;
}

export async function createMediaWikiFixture(opts: FixtureOptions): Promise<MediaWikiFixture> {
  const kind = opts.kind;
  const prefix = opts.prefix ?? (kind === 'mysql' ? 'mw_' : '');
  const dir = await mkdtemp(join(tmpdir(), `mwauth-mw-${kind}-`));
  const pgdb: PostgresDatabase | null = kind === 'postgres' ? await createPostgresDatabase('mwauth_mwfixture') : null;
  const database = kind === 'mysql' ? `mwauth_fixture_${randomBytes(5).toString('hex')}` : (pgdb?.name ?? null);
  const admin = kind === 'mysql' ? new URL(MYSQL_ADMIN_URL) : pgdb ? new URL(pgdb.url) : null;
  const cleanup = async () => {
    await pgdb?.drop();
    if (kind === 'mysql' && database) {
      const mysql = (await import('mysql2/promise')).default;
      const c = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
      } finally {
        await c.end();
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  const php = async (args: string[], env: Record<string, string> = {}, input?: string): Promise<string> => {
    const r = await runPhp(args, {
      cwd: dir,
      env: { ...process.env, MW_CONFIG_FILE: join(dir, 'LocalSettings.php'), MW_INSTALL_PATH: MEDIAWIKI_DIR, ...env },
      input,
    });
    if (r.code !== 0) throw new Error(`php ${args.join(' ')} exited with ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const maintenance = (script: string, args: string[], o: { env?: Record<string, string>; input?: string } = {}) =>
    php([join(MEDIAWIKI_DIR, 'maintenance', `${script}.php`), ...args], o.env, o.input);

  try {
    const user = decodeURIComponent(admin?.username ?? '');
    const pass = decodeURIComponent(admin?.password ?? '');
    const dbArgs =
      kind === 'sqlite'
        ? ['--dbtype=sqlite', `--dbpath=${join(dir, 'db')}`, '--dbname=fixturewiki']
        : kind === 'postgres'
          ? [
              '--dbtype=postgres', `--dbserver=${admin!.hostname}`, `--dbport=${admin!.port || 5432}`, `--dbuser=${user}`, `--dbpass=${pass}`,
              `--installdbuser=${user}`, `--installdbpass=${pass}`, `--dbname=${database}`, '--dbschema=mediawiki',
            ]
          : [
            '--dbtype=mysql', `--dbserver=${admin!.hostname}:${admin!.port || 3306}`,
            `--dbuser=${decodeURIComponent(admin!.username)}`, `--dbpass=${decodeURIComponent(admin!.password)}`,
            `--installdbuser=${decodeURIComponent(admin!.username)}`, `--installdbpass=${decodeURIComponent(admin!.password)}`,
            `--dbname=${database}`,
          ];
    await php([
      join(MEDIAWIKI_DIR, 'maintenance/install.php'), ...dbArgs, ...(prefix ? [`--dbprefix=${prefix}`] : []),
      '--server=http://127.0.0.1', '--scriptpath=/w', '--lang=en', `--pass=${ADMIN.password}`, `--confpath=${dir}`,
      '--skins=', 'FixtureWiki', ADMIN.name,
    ]);
    await appendFile(join(dir, 'LocalSettings.php'), SETTINGS_OVERRIDE);

    // One account per format, each through createAndPromote.php with its own $wgPasswordDefault.
    for (const f of PASSWORD_FORMATS) {
      const setting = JSON.stringify({ type: f.type, config: 'config' in f ? f.config : {} });
      await maintenance('createAndPromote', [f.name, f.password], { env: { MWAUTH_FIXTURE_PASSWORD: setting } });
    }
    // Maintenance scripts an operator would use.
    await maintenance('createAndPromote', [NULL_PASSWORD_USER.name, NULL_PASSWORD_USER.password]);
    await maintenance('createAndPromote', ['--force', '--custom-groups=interface-admin', '--bot', 'Pbkdf2 default']);
    await maintenance('resetUserEmail', ['--no-reset-password', 'Pbkdf2 default', 'pbkdf2@example.org']);
    await maintenance('resetUserEmail', ['--no-reset-password', 'Bcrypt user', 'Bcrypt@Example.ORG']);
    await maintenance('createBotPassword', ['--appid', 'cli', '--grants', 'basic,editmyoptions', 'Pbkdf2 default', BOT_PASSWORD]);
    await maintenance('blockUsers', ['--performer', ADMIN.name, '--reason', 'fixture: blocked by blockUsers.php', '--disable-autoblock'], {
      input: 'Old A\n',
    });
    await maintenance('edit', ['--user', 'Salted B', '--summary', 'fixture edit', 'Fixture page one'], { input: 'One.' });
    await maintenance('edit', ['--user', 'Salted B', '--summary', 'fixture edit', 'Fixture page two'], { input: 'Two.' });

    // The rest through MediaWiki's services (test/import/mediawiki-fixture.php): where no maintenance
    // script offers it (group expiry, unconfirmed addresses, bot-password restrictions, IP and range blocks
    // with their flags, temporary passwords), and preferences, since userOptions.php only changes values
    // already stored (it calls the same UserOptionsManager).
    const plan = {
      createWithoutPassword: [NO_PASSWORD_USER],
      nullPrefix: [NULL_PASSWORD_USER.name],
      groups: [
        { user: 'Legacy A', group: 'sysop' },
        { user: 'Legacy A', group: 'bureaucrat', expiry: '20991231235959' },
        { user: 'Argon2i user', group: 'bot', expiry: '20380119031407' },
      ],
      unconfirmedEmails: [{ user: 'Salted B', email: 'salted-b@example.org' }],
      realNames: [{ user: 'Argon2id user', realName: 'Ärgon Zwei Id' }],
      options: [
        { user: 'Bcrypt user', set: { language: 'ar', disablemail: 1 } },
        { user: 'Pbkdf2 default', set: { requireemail: 1, language: 'fr' } },
      ],
      botPasswords: [
        {
          user: 'Legacy B', appId: 'restricted', password: BOT_PASSWORD, grants: ['basic', 'highvolume'],
          restrictions: { IPAddresses: ['192.0.2.0/24', '2001:db8::/32'] },
        },
      ],
      blocks: [
        { target: 'Legacy B', performer: ADMIN.name, expiry: '20991231000000', reason: 'fixture: until 2099', createAccount: false, email: true },
        { target: 'Pbkdf2 other', performer: ADMIN.name, expiry: 'infinite', reason: 'fixture: partial', createAccount: false, email: false, sitewide: false },
        { target: '203.0.113.7', performer: ADMIN.name, expiry: 'infinite', reason: 'fixture: one address', createAccount: true, email: false, hardBlock: false },
        { target: '198.51.100.0/24', performer: ADMIN.name, expiry: '20991231000000', reason: 'fixture: a range', createAccount: true, email: false },
        { target: '2001:db8:1::/48', performer: ADMIN.name, expiry: 'infinite', reason: 'fixture: an IPv6 range', createAccount: false, email: false },
      ],
      temporaryPasswords: ['Legacy A'],
    };
    const planFile = join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(plan));
    const out = await php([PLAN_SCRIPT, `--plan=${planFile}`]);
    const { temporaryPasswords } = JSON.parse(out.trim().split('\n').pop()!) as { temporaryPasswords: Record<string, string> };

    const accounts: FixtureAccount[] = [
      { name: ADMIN.name, password: ADMIN.password, prefix: ':pbkdf2:sha512:30000:64:' },
      ...PASSWORD_FORMATS.map((f) => ({ name: f.name, password: f.password, prefix: f.prefix })),
      { name: NULL_PASSWORD_USER.name, password: NULL_PASSWORD_USER.password, usable: false, prefix: ':null::pbkdf2:' },
      { name: NO_PASSWORD_USER, password: null, usable: false, prefix: '' },
    ];
    const source =
      kind === 'sqlite'
        ? join(dir, 'db', 'fixturewiki.sqlite')
        : kind === 'postgres'
          ? pgdb!.url
          : `${MYSQL_ADMIN_URL.replace(/\/$/, '')}/${database}`;
    return { kind, dir, source, prefix, database, accounts, temporaryPasswords, maintenance, close: cleanup };
  } catch (err) {
    await cleanup().catch(() => {});
    throw err;
  }
}

/** The LocalSettings.php of a fixture, for tests that read a setting back. */
export function localSettings(f: MediaWikiFixture): Promise<string> {
  return readFile(join(f.dir, 'LocalSettings.php'), 'utf8');
}
