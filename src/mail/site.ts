// The site a mail speaks for — its links, its name, its sender — and how the server sends it. Every
// `mwauth serve` records its own at start in the database; a command-line run composes the mail it
// queues (the "password changed" notice of `mwauth user set-password`, `mwauth mail test`) from that
// record, never from the shell's environment, and only the server ever delivers. The record lives in a
// SiteSettingsStore (src/storage/sql/siteSettings.ts; test/contracts/siteSettings.test.ts).
import type { Config } from '../config.js';

/** Named JSON values one process records for the others (site_settings). */
export interface SiteSettingsStore {
  /** The value stored under `name` and when it was stored, or null. */
  get(name: string): Promise<{ value: string; updated: number } | null>;
  /** Stores (or replaces) the value under `name`. */
  put(name: string, value: string, updated: number): Promise<void>;
  /** Stores the value under `name` only when nothing is stored there yet; true when it was stored. */
  add(name: string, value: string, updated: number): Promise<boolean>;
}

export interface SiteSettings {
  /** MWAUTH_SERVER: the only source of links in mail. */
  server: string;
  scriptPath: string;
  articlePath: string;
  sitename: string;
  /** The site's language: mail to an account without a language preference. */
  language: string;
  /** MWAUTH_PASSWORD_SENDER: From address and envelope sender. */
  sender: string;
  /** How the server sends, safe to print: "by SMTP to smtp://user:***@host:587" or "to the folder …". */
  transport: string;
  /** Attempts before the server gives a mail up (MWAUTH_MAIL_MAX_ATTEMPTS). */
  maxAttempts: number;
}

const NAME = 'mail';

export function siteSettingsOf(config: Config): SiteSettings {
  return {
    server: config.server,
    scriptPath: config.scriptPath,
    articlePath: config.articlePath,
    sitename: config.sitename,
    language: config.language,
    sender: config.passwordSender,
    transport: config.mail.smtp ? `by SMTP to ${config.mail.smtp.display}` : `to the folder ${config.mailDir}`,
    maxAttempts: config.mail.maxAttempts,
  };
}

/** The server's own settings, replacing what an earlier start (or another node) recorded. */
export async function recordSiteSettings(store: SiteSettingsStore, site: SiteSettings, now: number): Promise<void> {
  await store.put(NAME, JSON.stringify(site), now);
}

/** What the server last recorded; null when no server has run on this database yet. */
export async function readSiteSettings(store: SiteSettingsStore): Promise<{ site: SiteSettings; updated: number } | null> {
  const row = await store.get(NAME);
  if (!row) return null;
  return { site: JSON.parse(row.value) as SiteSettings, updated: row.updated };
}
