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
  secret: string;
  databaseUrl: string | null;
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

function trustedProxies(env: Env): string[] {
  try {
    return parseTrustedProxies(read(env, 'MWAUTH_TRUSTED_PROXIES') ?? '');
  } catch (err) {
    throw err instanceof AddressRangeError ? new ConfigError(`MWAUTH_TRUSTED_PROXIES: ${err.message}`) : err;
  }
}

/** The secret signs tokens; when not given it is made once and kept in the data folder. */
function secret(env: Env, dataDir: string, persist: boolean): string {
  const raw = env.MWAUTH_SECRET;
  if (raw !== undefined && raw !== '') {
    if (raw.length < 16) throw new ConfigError('MWAUTH_SECRET must be at least 16 characters');
    return raw;
  }
  const file = join(dataDir, 'secret.key');
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

export function loadConfig(env: Env = process.env, opts: { persistSecret?: boolean } = {}): Config {
  const host = read(env, 'MWAUTH_HOST') ?? '127.0.0.1';
  const port = int(env, 'MWAUTH_PORT', 8080, 0, 65535);
  const dataDir = resolve(read(env, 'MWAUTH_DATA_DIR') ?? './data');
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const server = url(env, 'MWAUTH_SERVER', `http://${urlHost}:${port}`, ['http', 'https']).replace(/\/+$/, '');
  const databaseUrl = read(env, 'MWAUTH_DATABASE_URL') ? url(env, 'MWAUTH_DATABASE_URL', '', ['postgres', 'postgresql', 'sqlite']) : null;
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
    secret: secret(env, dataDir, opts.persistSecret ?? true),
    databaseUrl,
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
    requestTimeoutMs,
    headersTimeoutMs,
    maxConnectionsPerAddress: int(env, 'MWAUTH_MAX_CONNECTIONS_PER_ADDRESS', 256, 0, 1_000_000),
    logLevel: read(env, 'MWAUTH_LOG_LEVEL') ?? 'info',
  };
}
