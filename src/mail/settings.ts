// The mail part of the configuration: where mail goes (SMTP or the mail folder), how it is signed,
// how long delivery keeps trying. Read from MWAUTH_SMTP_*, MWAUTH_DKIM_* and MWAUTH_MAIL_*; every
// error names its variable and never repeats a password.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError, bool, int, read, type Env } from '../util/env.js';

export type StartTlsPolicy = 'auto' | 'required' | 'never';

export interface SmtpSettings {
  host: string;
  port: number;
  /** smtps://: TLS from the first byte (usually port 465). */
  secure: boolean;
  user: string | null;
  password: string | null;
  /** smtp:// only. auto: STARTTLS when offered; required: refuse to send without it; never: plain text. */
  startTls: StartTlsPolicy;
  /** Pooled connections, which is also how many messages are sent at once. */
  poolSize: number;
  /** Check the server's certificate (default). */
  tlsVerify: boolean;
  /** Extra trusted CA certificates (PEM), for a relay with a private CA. */
  ca: string | null;
  /** The URL with the password replaced by "***": safe to print. */
  display: string;
}

export interface DkimSettings {
  domain: string;
  selector: string;
  /** PEM private key (RSA). */
  privateKey: string;
  keyFile: string;
}

export interface MailSettings {
  /** null: mail is written to the mail folder (embedded mode). */
  smtp: SmtpSettings | null;
  /** null: mail is not signed. */
  dkim: DkimSettings | null;
  /** Attempts before a temporarily failing mail is marked failed. */
  maxAttempts: number;
  /** How long shutdown waits for deliveries in progress. */
  shutdownGraceMs: number;
}

const DEFAULT_POOL_SIZE = 5;
const DEFAULT_MAX_ATTEMPTS = 10;
const DEFAULT_SHUTDOWN_GRACE_S = 10;

function readText(name: string, file: string, readFile: (f: string) => string): string {
  try {
    return readFile(file);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function decode(name: string, part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConfigError(`${name}: the ${what} is not correctly percent-encoded`);
  }
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * `smtp://[user[:password]@]host[:port]` or `smtps://…`. User and password are percent-encoded
 * (`p%40ss` for `p@ss`). Without a port: 587 for smtp://, 465 for smtps://.
 */
export function parseSmtpUrl(
  raw: string,
  opts: { name?: string; startTls?: StartTlsPolicy; poolSize?: number; tlsVerify?: boolean; ca?: string | null; password?: string | null } = {},
): SmtpSettings {
  const name = opts.name ?? 'MWAUTH_SMTP_URL';
  // The value may hold a password: errors describe it, they never repeat it.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme !== 'smtp' && scheme !== 'smtps') {
    throw new ConfigError(`${name} must start with smtp:// or smtps://${scheme ? ` (got ${scheme}://)` : ''}`);
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL (the form is smtp://user:password@host:port; percent-encode special characters in the user and password)`);
  }
  const secure = scheme === 'smtps';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new ConfigError(`${name} has no host name`);
  if (!isIP(host) && !HOSTNAME.test(host)) throw new ConfigError(`${name}: "${host}" is not a host name`);
  if ((u.pathname && u.pathname !== '/') || u.search || u.hash) {
    throw new ConfigError(`${name} takes no path or query (use MWAUTH_SMTP_STARTTLS, MWAUTH_SMTP_POOL_SIZE, … for settings)`);
  }
  const port = u.port ? Number(u.port) : secure ? 465 : 587;
  const user = u.username ? decode(name, u.username, 'user name') : null;
  let password = u.password ? decode(name, u.password, 'password') : null;
  if (password !== null && user === null) throw new ConfigError(`${name} has a password but no user name`);
  if (opts.password !== undefined && opts.password !== null) {
    if (user === null) throw new ConfigError(`MWAUTH_SMTP_PASSWORD_FILE needs a user name in ${name} (smtp://user@host)`);
    password = opts.password;
  }
  const startTls = opts.startTls ?? 'auto';
  if (secure && startTls !== 'auto') {
    throw new ConfigError(`MWAUTH_SMTP_STARTTLS does not apply to smtps:// (TLS from the start); leave it unset or use smtp://`);
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const display = `${scheme}://${user !== null ? `${encodeURIComponent(user)}${password !== null ? ':***' : ''}@` : ''}${shownHost}:${port}`;
  return {
    host,
    port,
    secure,
    user,
    password,
    startTls,
    poolSize: opts.poolSize ?? DEFAULT_POOL_SIZE,
    tlsVerify: opts.tlsVerify ?? true,
    ca: opts.ca ?? null,
    display,
  };
}

function startTlsPolicy(env: Env): StartTlsPolicy {
  const raw = read(env, 'MWAUTH_SMTP_STARTTLS')?.toLowerCase();
  if (raw === undefined) return 'auto';
  if (raw === 'auto' || raw === 'required' || raw === 'never') return raw;
  throw new ConfigError(`MWAUTH_SMTP_STARTTLS must be auto, required or never, got "${raw}"`);
}

function dkimSettings(env: Env, senderDomain: string, readFile: (f: string) => string): DkimSettings | null {
  const selector = read(env, 'MWAUTH_DKIM_SELECTOR');
  const keyFile = read(env, 'MWAUTH_DKIM_KEY_FILE');
  const domainRaw = read(env, 'MWAUTH_DKIM_DOMAIN');
  if (!selector && !keyFile) {
    if (domainRaw) throw new ConfigError('MWAUTH_DKIM_DOMAIN needs MWAUTH_DKIM_SELECTOR and MWAUTH_DKIM_KEY_FILE');
    return null;
  }
  if (!selector) throw new ConfigError('MWAUTH_DKIM_KEY_FILE needs MWAUTH_DKIM_SELECTOR (the DNS label before ._domainkey)');
  if (!keyFile) throw new ConfigError('MWAUTH_DKIM_SELECTOR needs MWAUTH_DKIM_KEY_FILE (the PEM private key)');
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*$/.test(selector)) {
    throw new ConfigError(`MWAUTH_DKIM_SELECTOR must be a DNS label such as "mwauth2026", got "${selector}"`);
  }
  const domain = (domainRaw ?? senderDomain).toLowerCase();
  if (!HOSTNAME.test(domain) || !domain.includes('.')) {
    throw new ConfigError(`MWAUTH_DKIM_DOMAIN must be a domain name, got "${domain}"`);
  }
  const privateKey = readText('MWAUTH_DKIM_KEY_FILE', keyFile, readFile);
  let type: string | undefined;
  try {
    type = createPrivateKey(privateKey).asymmetricKeyType;
  } catch {
    throw new ConfigError(`MWAUTH_DKIM_KEY_FILE: "${keyFile}" is not a PEM private key`);
  }
  if (type !== 'rsa') throw new ConfigError(`MWAUTH_DKIM_KEY_FILE: "${keyFile}" holds a ${type} key; DKIM signing needs an RSA key`);
  return { domain, selector, privateKey, keyFile };
}

/** Reads the mail settings; `senderDomain` is the domain of MWAUTH_PASSWORD_SENDER (the DKIM default). */
export function mailSettings(env: Env, senderDomain: string, readFile: (file: string) => string = (f) => readFileSync(f, 'utf8')): MailSettings {
  const url = read(env, 'MWAUTH_SMTP_URL');
  let smtp: SmtpSettings | null = null;
  if (url) {
    const passwordFile = read(env, 'MWAUTH_SMTP_PASSWORD_FILE');
    const caFile = read(env, 'MWAUTH_SMTP_CA_FILE');
    smtp = parseSmtpUrl(url, {
      startTls: startTlsPolicy(env),
      poolSize: int(env, 'MWAUTH_SMTP_POOL_SIZE', DEFAULT_POOL_SIZE, 1, 50),
      tlsVerify: bool(env, 'MWAUTH_SMTP_TLS_VERIFY', true),
      ca: caFile ? readText('MWAUTH_SMTP_CA_FILE', caFile, readFile) : null,
      // A trailing newline (echo > file) is not part of the password.
      password: passwordFile ? readText('MWAUTH_SMTP_PASSWORD_FILE', passwordFile, readFile).replace(/\r?\n$/, '') : undefined,
    });
  } else {
    for (const n of ['MWAUTH_SMTP_STARTTLS', 'MWAUTH_SMTP_POOL_SIZE', 'MWAUTH_SMTP_TLS_VERIFY', 'MWAUTH_SMTP_CA_FILE', 'MWAUTH_SMTP_PASSWORD_FILE']) {
      if (read(env, n)) throw new ConfigError(`${n} is set but MWAUTH_SMTP_URL is not (mail goes to the mail folder)`);
    }
  }
  return {
    smtp,
    dkim: dkimSettings(env, senderDomain, readFile),
    maxAttempts: int(env, 'MWAUTH_MAIL_MAX_ATTEMPTS', DEFAULT_MAX_ATTEMPTS, 1, 100),
    shutdownGraceMs: int(env, 'MWAUTH_MAIL_SHUTDOWN_GRACE', DEFAULT_SHUTDOWN_GRACE_S, 0, 3600) * 1000,
  };
}
