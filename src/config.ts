// One typed configuration, read from the environment. Defaults are the embedded mode.
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { mailSettings, type MailSettings } from './mail/settings.js';
import { AddressRangeError, parseTrustedProxies } from './util/clientAddress.js';
import { ConfigError, bool, int, limit, limits, list, path, read, url, type Env } from './util/env.js';

export { ConfigError };

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** Canonical base URL (scheme://host[:port]), the only source of links in mail. */
  server: string;
  scriptPath: string;
  articlePath: string;
  sitename: string;
  passwordSender: string;
  mailDir: string;
  /** The SMTP URL with its password replaced by "***" (null: mail goes to mailDir). */
  smtpUrl: string | null;
  /** SMTP, DKIM and delivery settings (MWAUTH_SMTP_*, MWAUTH_DKIM_*, MWAUTH_MAIL_*). */
  mail: MailSettings;
  /**
   * The server secrets (MWAUTH_SECRET, comma-separated): the first signs, every one verifies, so a new
   * secret is rotated in front of the old one (src/secrets/keyring.ts).
   */
  secrets: string[];
  /** Where the secret was generated when none was given (<data>/secret.key); null when MWAUTH_SECRET set it. */
  generatedSecretFile: string | null;
  /** MWAUTH_DATABASE_URL: postgres://, mysql:// (mariadb://) or sqlite:; null: SQLite in the data folder. */
  databaseUrl: string | null;
  /** MWAUTH_DATABASE_POOL: connections each process keeps to PostgreSQL or MariaDB/MySQL at most. */
  databasePool: number;
  /** MWAUTH_REDIS_URL: sessions and counters in Redis, shared by several nodes (null: in the database). */
  redisUrl: string | null;
  /** Starts every Redis key (MWAUTH_REDIS_PREFIX), so several sites can share one Redis. */
  redisPrefix: string;
  cookiePrefix: string;
  language: string;
  enableEmail: boolean;
  readOnly: string | null;
  resetRoutes: { username: boolean; email: boolean };
  /** Seconds a temporary password stays valid. */
  newPasswordExpiry: number;
  /** Hours between two reset mails for one account. */
  passwordReminderResendTime: number;
  tempPasswordLength: number;
  /** Per-IP reset limit: [count, seconds]. */
  resetIpLimit: [number, number];
  /** Reset mails per account, [count, seconds] (MWAUTH_RESET_ACCOUNT_LIMIT; applied by the worker). */
  resetAccountLimit: [number, number];
  /**
   * Mails per receiving address, every kind counted, [count, seconds] (MWAUTH_RESET_ADDRESS_LIMIT): reset
   * mail up to the count, the "password changed" notice up to twice it.
   */
  resetAddressLimit: [number, number];
  /** The most accounts one reset request by address mails (MWAUTH_RESET_MAX_ACCOUNTS): the oldest ones. */
  resetMaxAccounts: number;
  /** Mails the reset worker may send site-wide, [count, seconds] (MWAUTH_MAIL_BUDGET). */
  mailBudget: [number, number];
  /** The share of the budget the requests of one network may spend, [count, seconds] (MWAUTH_MAIL_BUDGET_PER_NETWORK). */
  mailBudgetPerNetwork: [number, number];
  /** Tell an address that matches no account about a reset asked for it (MWAUTH_NOTIFY_UNKNOWN_ADDRESS). */
  notifyUnknownAddress: boolean;
  /**
   * Login throttle conditions, MediaWiki's $wgPasswordAttemptThrottle: per address (IPv6 per /64) and
   * name (MWAUTH_LOGIN_THROTTLE), then per name from every address, `allIPs` (MWAUTH_LOGIN_ACCOUNT_THROTTLE).
   */
  loginThrottle: Array<{ count: number; seconds: number; allIPs?: boolean }>;
  /**
   * Accounts one IP address (IPv6: one /64) may create per window, each condition on its own
   * (MWAUTH_ACCOUNT_CREATION_THROTTLE; MediaWiki's $wgAccountCreationThrottle). Empty: no limit.
   */
  accountCreationThrottle: Array<{ count: number; seconds: number }>;
  /**
   * Seconds after a login with a password during which a session counts as freshly authenticated
   * (meta=authmanagerinfo's securitysensitiveoperationstatus "ok"; MediaWiki's $wgReauthenticateTime).
   */
  reauthenticateSeconds: number;
  sessionIdleSeconds: number;
  /** Stored sessions (logins, forced changes) one address may start per window, [count, seconds] (MWAUTH_SESSION_IP_LIMIT). */
  sessionIpLimit: [number, number];
  cookieExpiration: number;
  extendedLoginCookieExpiration: number;
  enableBotPasswords: boolean;
  /** Days the audit trail keeps an event; 0 keeps events forever (MWAUTH_AUDIT_RETENTION_DAYS). */
  auditRetentionDays: number;
  /**
   * Proxies whose X-Forwarded-For is believed, as "address/prefix" (MWAUTH_TRUSTED_PROXIES; empty:
   * none, the header is ignored).
   */
  trustedProxies: string[];
  /**
   * Addresses and ranges that may read GET /metrics, as "address/prefix" (MWAUTH_METRICS_ALLOW; loopback
   * by default; empty: nobody).
   */
  metricsAllow: string[];
  /** Milliseconds a request may take to arrive in full, headers and body (MWAUTH_REQUEST_TIMEOUT). */
  requestTimeoutMs: number;
  /** Milliseconds its header block may take (MWAUTH_HEADERS_TIMEOUT), at most requestTimeoutMs. */
  headersTimeoutMs: number;
  /** Connections one address (IPv6: one /64) may hold open at once; 0: no cap (MWAUTH_MAX_CONNECTIONS_PER_ADDRESS). */
  maxConnectionsPerAddress: number;
  logLevel: string;
}

/** A hundred years: the longest audit retention (and `mwauth audit prune --older-than`) accepted. */
export const MAX_RETENTION_DAYS = 36_500;

function routes(env: Env): { username: boolean; email: boolean } {
  const parts = list(env, 'MWAUTH_RESET_ROUTES');
  if (parts === undefined) return { username: true, email: true };
  for (const p of parts) {
    if (p !== 'username' && p !== 'email' && p !== 'none') {
      throw new ConfigError(`MWAUTH_RESET_ROUTES takes "username", "email" or "none", got "${p}"`);
    }
  }
  return { username: parts.includes('username'), email: parts.includes('email') };
}

/**
 * MWAUTH_ACCOUNT_CREATION_THROTTLE: "COUNT/SECONDS" conditions separated by commas ("6/86400,100/2592000"),
 * a bare COUNT per day ("6", as MediaWiki's old integer form), or "0" (or "none") for no limit.
 */
function accountCreationThrottle(env: Env): Array<{ count: number; seconds: number }> {
  const name = 'MWAUTH_ACCOUNT_CREATION_THROTTLE';
  const raw = read(env, name);
  if (raw === undefined) return [{ count: 6, seconds: 86400 }];
  if (raw === 'none') return [];
  const out: Array<{ count: number; seconds: number }> = [];
  for (const part of raw.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:\s*\/\s*(\d+))?$/.exec(part);
    if (!m) throw new ConfigError(`${name} takes COUNT/SECONDS conditions separated by commas (or a count per day, or "none"), got "${raw}"`);
    const count = Number(m[1]);
    const seconds = m[2] === undefined ? 86400 : Number(m[2]);
    if (m[2] !== undefined && seconds < 1) throw new ConfigError(`${name}: a window must be at least one second, got "${part}"`);
    if (!Number.isSafeInteger(count) || !Number.isSafeInteger(seconds)) throw new ConfigError(`${name}: "${part}" is out of range`);
    // A count of 0 turns a condition off, as in MediaWiki.
    if (count > 0) out.push({ count, seconds });
  }
  return out;
}

/** MWAUTH_METRICS_ALLOW: addresses and CIDR ranges, comma-separated; "none" for nobody; loopback by default. */
function metricsAllow(env: Env): string[] {
  const raw = env.MWAUTH_METRICS_ALLOW?.trim();
  if (raw === 'none') return [];
  try {
    return parseTrustedProxies(raw || '127.0.0.0/8,::1');
  } catch (err) {
    throw err instanceof AddressRangeError ? new ConfigError(`MWAUTH_METRICS_ALLOW: ${err.message.replace('would trust every client to name its own address; list the proxies\' addresses or ranges', 'is every address; list your monitoring servers\' addresses or ranges')}`) : err;
  }
}

function trustedProxies(env: Env): string[] {
  try {
    return parseTrustedProxies(read(env, 'MWAUTH_TRUSTED_PROXIES') ?? '');
  } catch (err) {
    throw err instanceof AddressRangeError ? new ConfigError(`MWAUTH_TRUSTED_PROXIES: ${err.message}`) : err;
  }
}

/**
 * The secrets that sign and verify (MWAUTH_SECRET: one, or several separated by commas, the first signing);
 * when none is given one is made once and kept in the data folder.
 */
function secrets(env: Env, dataDir: string, persist: boolean): { secrets: string[]; generatedSecretFile: string | null } {
  const raw = env.MWAUTH_SECRET;
  if (raw !== undefined && raw.trim() !== '') {
    // Commas separate secrets; a file (MWAUTH_SECRET_FILE) may also hold one per line.
    const list = raw.split(/[,\r\n]+/).map((s) => s.trim()).filter(Boolean);
    list.forEach((s, i) => {
      if (s.length < 16) throw new ConfigError(`MWAUTH_SECRET: every secret must be at least 16 characters (the ${ordinal(i + 1)} is ${s.length})`);
    });
    if (new Set(list).size !== list.length) throw new ConfigError('MWAUTH_SECRET lists the same secret twice');
    return { secrets: list, generatedSecretFile: null };
  }
  const file = join(dataDir, 'secret.key');
  return { secrets: [generatedSecret(file, dataDir, persist)], generatedSecretFile: file };
}

function ordinal(n: number): string {
  return n === 1 ? 'first' : n === 2 ? 'second' : n === 3 ? 'third' : `${n}th`;
}

function generatedSecret(file: string, dataDir: string, persist: boolean): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const made = randomBytes(32).toString('hex');
  if (!persist) return made;
  // The data folder holds the database, this secret and the mail folder: the owner's alone.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Two processes starting on a new folder at once (the server and a command) must end up with one
  // secret: each writes its own file whole, and link() puts one in place only if none is there yet.
  const own = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(own, made + '\n', { mode: 0o600 });
  try {
    linkSync(own, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(own, { force: true });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Settings that hold a secret, or a URL that may hold a password: each may be given in a file instead,
 * as NAME_FILE (a mounted secret: Docker, Kubernetes, systemd's LoadCredential). MWAUTH_SMTP_PASSWORD_FILE,
 * MWAUTH_DKIM_KEY_FILE and MWAUTH_SMTP_CA_FILE are file settings of their own (src/mail/settings.ts).
 */
export const FILE_SETTINGS = ['MWAUTH_SECRET', 'MWAUTH_DATABASE_URL', 'MWAUTH_REDIS_URL', 'MWAUTH_SMTP_URL'] as const;

/**
 * The environment with every NAME_FILE read into NAME: the file's text, its trailing line break and
 * spaces dropped. Both forms at once, an unreadable file or an empty one stop start-up naming the
 * setting and the file, never what the file holds.
 */
export function withFileSettings(env: Env, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): Env {
  const out: Env = { ...env };
  for (const name of FILE_SETTINGS) {
    const file = env[`${name}_FILE`]?.trim();
    if (!file) continue;
    if (env[name]?.trim()) throw new ConfigError(`${name} and ${name}_FILE are both set: give one of them`);
    let text: string;
    try {
      text = read(file);
    } catch (err) {
      throw new ConfigError(`${name}_FILE: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const value = text.replace(/\s+$/, '');
    if (value === '') throw new ConfigError(`${name}_FILE: "${file}" is empty`);
    out[name] = value;
  }
  return out;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];

/** MWAUTH_LOG_LEVEL: info by default (start-up, failures, outages); debug adds a line per request. */
function logLevel(env: Env): string {
  const v = read(env, 'MWAUTH_LOG_LEVEL')?.toLowerCase() ?? 'info';
  if (!LOG_LEVELS.includes(v)) throw new ConfigError(`MWAUTH_LOG_LEVEL takes ${LOG_LEVELS.join(', ')}, got "${env.MWAUTH_LOG_LEVEL}"`);
  return v;
}

export function loadConfig(rawEnv: Env = process.env, opts: { persistSecret?: boolean } = {}): Config {
  const env = withFileSettings(rawEnv);
  const host = read(env, 'MWAUTH_HOST') ?? '127.0.0.1';
  const port = int(env, 'MWAUTH_PORT', 8080, 0, 65535);
  const dataDir = resolve(read(env, 'MWAUTH_DATA_DIR') ?? './data');
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const server = url(env, 'MWAUTH_SERVER', `http://${urlHost}:${port}`, ['http', 'https']).replace(/\/+$/, '');
  {
    // The site's origin, as MediaWiki's $wgServer: where the pages and api.php are is said by the paths.
    const u = new URL(server);
    if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username || u.password) {
      throw new ConfigError(
        'MWAUTH_SERVER is the site\'s origin alone (scheme://host[:port]), without a path, query, fragment or user: ' +
          'say where the pages and api.php are with MWAUTH_ARTICLE_PATH and MWAUTH_SCRIPT_PATH',
      );
    }
  }
  const databaseUrl = read(env, 'MWAUTH_DATABASE_URL') ? url(env, 'MWAUTH_DATABASE_URL', '', ['postgres', 'postgresql', 'mysql', 'mariadb', 'sqlite']) : null;
  const redisUrl = read(env, 'MWAUTH_REDIS_URL') ? url(env, 'MWAUTH_REDIS_URL', '', ['redis', 'rediss']) : null;
  const redisPrefix = read(env, 'MWAUTH_REDIS_PREFIX') ?? 'mwauth:';
  if (!/^[\x21-\x7e]{1,64}$/.test(redisPrefix)) {
    throw new ConfigError(`MWAUTH_REDIS_PREFIX must be 1 to 64 visible ASCII characters, got "${redisPrefix}"`);
  }
  const sitename = read(env, 'MWAUTH_SITENAME') ?? 'mwauth';
  const serverHost = new URL(server).hostname;
  const passwordSender = read(env, 'MWAUTH_PASSWORD_SENDER') ?? `no-reply@${serverHost.includes('.') ? serverHost : serverHost + '.localdomain'}`;
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(passwordSender)) {
    throw new ConfigError(`MWAUTH_PASSWORD_SENDER must be an email address, got "${passwordSender}"`);
  }
  const language = read(env, 'MWAUTH_LANGUAGE') ?? 'en';
  if (!/^[a-z]{2,3}(-[a-z0-9]+)*$/i.test(language)) throw new ConfigError(`MWAUTH_LANGUAGE must be a language code, got "${language}"`);
  const cookiePrefix = read(env, 'MWAUTH_COOKIE_PREFIX') ?? 'mwauth';
  if (!/^[A-Za-z0-9_]+$/.test(cookiePrefix)) throw new ConfigError(`MWAUTH_COOKIE_PREFIX may hold only letters, digits and "_"`);
  const tempPasswordLength = int(env, 'MWAUTH_TEMP_PASSWORD_LENGTH', 10, 10, 64);
  const mail: MailSettings = mailSettings(env, passwordSender.split('@')[1]!);
  const requestTimeoutMs = int(env, 'MWAUTH_REQUEST_TIMEOUT', 30, 1, 3600) * 1000;
  const headersTimeoutMs = int(env, 'MWAUTH_HEADERS_TIMEOUT', Math.min(10, requestTimeoutMs / 1000), 1, 3600) * 1000;
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`MWAUTH_HEADERS_TIMEOUT (${headersTimeoutMs / 1000}) may not be longer than MWAUTH_REQUEST_TIMEOUT (${requestTimeoutMs / 1000})`);
  }
  return {
    host,
    port,
    dataDir,
    server,
    scriptPath: path(env, 'MWAUTH_SCRIPT_PATH', '/w'),
    articlePath: path(env, 'MWAUTH_ARTICLE_PATH', '/wiki'),
    sitename,
    passwordSender,
    mailDir: resolve(read(env, 'MWAUTH_MAIL_DIR') ?? join(dataDir, 'mail')),
    smtpUrl: mail.smtp?.display ?? null,
    mail,
    ...secrets(env, dataDir, opts.persistSecret ?? true),
    databaseUrl,
    databasePool: int(env, 'MWAUTH_DATABASE_POOL', 10, 1, 1000),
    redisUrl,
    redisPrefix,
    cookiePrefix,
    language,
    enableEmail: bool(env, 'MWAUTH_ENABLE_EMAIL', true),
    readOnly: read(env, 'MWAUTH_READ_ONLY') ?? null,
    resetRoutes: routes(env),
    newPasswordExpiry: int(env, 'MWAUTH_TEMP_PASSWORD_EXPIRY', 7 * 86400, 60),
    passwordReminderResendTime: int(env, 'MWAUTH_RESET_COOLDOWN_HOURS', 24, 0),
    tempPasswordLength,
    resetIpLimit: limit(env, 'MWAUTH_RESET_IP_LIMIT', [5, 3600]),
    resetAccountLimit: limit(env, 'MWAUTH_RESET_ACCOUNT_LIMIT', [3, 86400]),
    resetAddressLimit: limit(env, 'MWAUTH_RESET_ADDRESS_LIMIT', [5, 86400]),
    resetMaxAccounts: int(env, 'MWAUTH_RESET_MAX_ACCOUNTS', 5, 1, 1000),
    mailBudget: limit(env, 'MWAUTH_MAIL_BUDGET', [1000, 3600]),
    mailBudgetPerNetwork: limit(env, 'MWAUTH_MAIL_BUDGET_PER_NETWORK', [100, 3600]),
    notifyUnknownAddress: bool(env, 'MWAUTH_NOTIFY_UNKNOWN_ADDRESS', false),
    loginThrottle: [
      ...limits(env, 'MWAUTH_LOGIN_THROTTLE', [[5, 300], [150, 172800]]),
      ...limits(env, 'MWAUTH_LOGIN_ACCOUNT_THROTTLE', [[50, 3600]]).map((c) => ({ ...c, allIPs: true })),
    ],
    accountCreationThrottle: accountCreationThrottle(env),
    reauthenticateSeconds: 3600,
    sessionIdleSeconds: int(env, 'MWAUTH_SESSION_IDLE', 3600, 60),
    sessionIpLimit: limit(env, 'MWAUTH_SESSION_IP_LIMIT', [1000, 3600]),
    cookieExpiration: 30 * 86400,
    extendedLoginCookieExpiration: 180 * 86400,
    enableBotPasswords: bool(env, 'MWAUTH_ENABLE_BOT_PASSWORDS', true),
    auditRetentionDays: int(env, 'MWAUTH_AUDIT_RETENTION_DAYS', 90, 0, MAX_RETENTION_DAYS),
    trustedProxies: trustedProxies(env),
    metricsAllow: metricsAllow(env),
    requestTimeoutMs,
    headersTimeoutMs,
    maxConnectionsPerAddress: int(env, 'MWAUTH_MAX_CONNECTIONS_PER_ADDRESS', 256, 0, 1_000_000),
    logLevel: logLevel(env),
  };
}
