// The mail part of the configuration: where mail goes (SMTP or the mail folder), how it is signed,
// how long delivery keeps trying. Read from MWAUTH_SMTP_*, MWAUTH_DKIM_* and MWAUTH_MAIL_*; every
// error names its variable and never repeats a password.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

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

export class MailConfigError extends Error {
  override name = 'MailConfigError';
}

type Env = Record<string, string | undefined>;

const DEFAULT_POOL_SIZE = 5;
const DEFAULT_MAX_ATTEMPTS = 10;
const DEFAULT_SHUTDOWN_GRACE_S = 10;

function value(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return dflt;
  if (!/^\d+$/.test(raw)) throw new MailConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new MailConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, dflt: boolean): boolean {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined) return dflt;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new MailConfigError(`${name} must be true or false, got "${raw}"`);
}

function readText(name: string, file: string, read: (f: string) => string): string {
  try {
    return read(file);
  } catch (err) {
    throw new MailConfigError(`${name}: cannot read "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function decode(name: string, part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new MailConfigError(`${name}: the ${what} is not correctly percent-encoded`);
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
    throw new MailConfigError(`${name} must start with smtp:// or smtps://${scheme ? ` (got ${scheme}://)` : ''}`);
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new MailConfigError(`${name} is not a valid URL (the form is smtp://user:password@host:port; percent-encode special characters in the user and password)`);
  }
  const secure = scheme === 'smtps';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new MailConfigError(`${name} has no host name`);
  if (!isIP(host) && !HOSTNAME.test(host)) throw new MailConfigError(`${name}: "${host}" is not a host name`);
  if ((u.pathname && u.pathname !== '/') || u.search || u.hash) {
    throw new MailConfigError(`${name} takes no path or query (use MWAUTH_SMTP_STARTTLS, MWAUTH_SMTP_POOL_SIZE, … for settings)`);
  }
  const port = u.port ? Number(u.port) : secure ? 465 : 587;
  const user = u.username ? decode(name, u.username, 'user name') : null;
  let password = u.password ? decode(name, u.password, 'password') : null;
  if (password !== null && user === null) throw new MailConfigError(`${name} has a password but no user name`);
  if (opts.password !== undefined && opts.password !== null) {
    if (user === null) throw new MailConfigError(`MWAUTH_SMTP_PASSWORD_FILE needs a user name in ${name} (smtp://user@host)`);
    password = opts.password;
  }
  const startTls = opts.startTls ?? 'auto';
  if (secure && startTls !== 'auto') {
    throw new MailConfigError(`MWAUTH_SMTP_STARTTLS does not apply to smtps:// (TLS from the start); leave it unset or use smtp://`);
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
  const raw = value(env, 'MWAUTH_SMTP_STARTTLS')?.toLowerCase();
  if (raw === undefined) return 'auto';
  if (raw === 'auto' || raw === 'required' || raw === 'never') return raw;
  throw new MailConfigError(`MWAUTH_SMTP_STARTTLS must be auto, required or never, got "${raw}"`);
}

function dkimSettings(env: Env, senderDomain: string, read: (f: string) => string): DkimSettings | null {
  const selector = value(env, 'MWAUTH_DKIM_SELECTOR');
  const keyFile = value(env, 'MWAUTH_DKIM_KEY_FILE');
  const domainRaw = value(env, 'MWAUTH_DKIM_DOMAIN');
  if (!selector && !keyFile) {
    if (domainRaw) throw new MailConfigError('MWAUTH_DKIM_DOMAIN needs MWAUTH_DKIM_SELECTOR and MWAUTH_DKIM_KEY_FILE');
    return null;
  }
  if (!selector) throw new MailConfigError('MWAUTH_DKIM_KEY_FILE needs MWAUTH_DKIM_SELECTOR (the DNS label before ._domainkey)');
  if (!keyFile) throw new MailConfigError('MWAUTH_DKIM_SELECTOR needs MWAUTH_DKIM_KEY_FILE (the PEM private key)');
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*$/.test(selector)) {
    throw new MailConfigError(`MWAUTH_DKIM_SELECTOR must be a DNS label such as "mwauth2026", got "${selector}"`);
  }
  const domain = (domainRaw ?? senderDomain).toLowerCase();
  if (!HOSTNAME.test(domain) || !domain.includes('.')) {
    throw new MailConfigError(`MWAUTH_DKIM_DOMAIN must be a domain name, got "${domain}"`);
  }
  const privateKey = readText('MWAUTH_DKIM_KEY_FILE', keyFile, read);
  let type: string | undefined;
  try {
    type = createPrivateKey(privateKey).asymmetricKeyType;
  } catch {
    throw new MailConfigError(`MWAUTH_DKIM_KEY_FILE: "${keyFile}" is not a PEM private key`);
  }
  if (type !== 'rsa') throw new MailConfigError(`MWAUTH_DKIM_KEY_FILE: "${keyFile}" holds a ${type} key; DKIM signing needs an RSA key`);
  return { domain, selector, privateKey, keyFile };
}

/** Reads the mail settings; `senderDomain` is the domain of MWAUTH_PASSWORD_SENDER (the DKIM default). */
export function mailSettings(env: Env, senderDomain: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): MailSettings {
  const url = value(env, 'MWAUTH_SMTP_URL');
  let smtp: SmtpSettings | null = null;
  if (url) {
    const passwordFile = value(env, 'MWAUTH_SMTP_PASSWORD_FILE');
    const caFile = value(env, 'MWAUTH_SMTP_CA_FILE');
    smtp = parseSmtpUrl(url, {
      startTls: startTlsPolicy(env),
      poolSize: int(env, 'MWAUTH_SMTP_POOL_SIZE', DEFAULT_POOL_SIZE, 1, 50),
      tlsVerify: bool(env, 'MWAUTH_SMTP_TLS_VERIFY', true),
      ca: caFile ? readText('MWAUTH_SMTP_CA_FILE', caFile, read) : null,
      // A trailing newline (echo > file) is not part of the password.
      password: passwordFile ? readText('MWAUTH_SMTP_PASSWORD_FILE', passwordFile, read).replace(/\r?\n$/, '') : undefined,
    });
  } else {
    for (const n of ['MWAUTH_SMTP_STARTTLS', 'MWAUTH_SMTP_POOL_SIZE', 'MWAUTH_SMTP_TLS_VERIFY', 'MWAUTH_SMTP_CA_FILE', 'MWAUTH_SMTP_PASSWORD_FILE']) {
      if (value(env, n)) throw new MailConfigError(`${n} is set but MWAUTH_SMTP_URL is not (mail goes to the mail folder)`);
    }
  }
  return {
    smtp,
    dkim: dkimSettings(env, senderDomain, read),
    maxAttempts: int(env, 'MWAUTH_MAIL_MAX_ATTEMPTS', DEFAULT_MAX_ATTEMPTS, 1, 100),
    shutdownGraceMs: int(env, 'MWAUTH_MAIL_SHUTDOWN_GRACE', DEFAULT_SHUTDOWN_GRACE_S, 0, 3600) * 1000,
  };
}
