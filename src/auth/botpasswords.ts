// Bot passwords: "Name@appid" with a generated 32-character password and a set of grants. The store
// keeps their hashes (src/storage/sql/botPasswords.ts; test/contracts/botPasswords.test.ts is what it must
// do); BotPasswords hashes what is set.
import { inAnyRange } from '../util/clientAddress.js';
import type { PasswordHasher } from './passwords.js';

export interface BotPassword {
  userId: number;
  appId: string;
  grants: string[];
  token: string;
  created: number;
  /** False after a password change invalidated it; it must be reset before use. */
  valid: boolean;
}

/** A bot password as an import writes it: the hash as stored elsewhere, and MediaWiki's restrictions. */
export interface BotPasswordUpsert {
  appId: string;
  hash: string;
  grants: string[];
  /** MediaWiki's MWRestrictions ({"IPAddresses": […]}); null: none. */
  restrictions: Record<string, unknown> | null;
  /** When it was made (ms; default now). */
  created?: number;
}

export interface StoredBotPassword extends BotPassword {
  hash: string;
  restrictions: Record<string, unknown> | null;
}

export interface BotPasswordStore {
  /** The bot password, or null; an app id no bot password can have (isPossibleAppId) is never looked up. */
  get(userId: number, appId: string): Promise<StoredBotPassword | null>;
  /** Its session generation (bp_token), or null. */
  token(userId: number, appId: string): Promise<string | null>;
  /** The account's bot passwords, by app id. */
  list(userId: number): Promise<BotPassword[]>;
  /** Creates or replaces a bot password with this hash, made now, with a new token. */
  set(userId: number, appId: string, hash: string, grants: string[]): Promise<void>;
  /** After the main password changed: every bot password of the user stops working and gets a new token (its sessions end). */
  invalidateAll(userId: number): Promise<void>;
  remove(userId: number, appId: string): Promise<boolean>;

  // Bulk operations (an import, an export).
  /** The bot passwords of each account given (those without are absent). */
  listMany(userIds: readonly number[]): Promise<Map<number, StoredBotPassword[]>>;
  /** Replaces every bot password of each account given (an empty list: none), each with a new token. */
  replaceMany(botPasswords: ReadonlyMap<number, readonly BotPasswordUpsert[]>): Promise<void>;
}

/**
 * The addresses a bot password may be used from, from MediaWiki's restrictions ({"IPAddresses": […]}):
 * null when it may be used from anywhere (no restrictions, or none on addresses); a list that is not a
 * list allows no address.
 */
export function allowedAddresses(restrictions: Record<string, unknown> | null): string[] | null {
  if (restrictions === null || !Object.hasOwn(restrictions, 'IPAddresses')) return null;
  const list = restrictions.IPAddresses;
  return Array.isArray(list) ? list.filter((e): e is string => typeof e === 'string') : [];
}

/** Restrictions that say nothing about logging in or what mwauth does: editing only some pages. */
const IGNORED_RESTRICTIONS = new Set(['Pages']);

/**
 * Whether the restrictions let a login from `ip` in: IPAddresses must hold the address; any other kind
 * MediaWiki may have stored (e.g. "Referers") that is not empty cannot be checked here, and refuses the
 * login rather than be ignored.
 */
export function restrictionsAllow(restrictions: Record<string, unknown> | null, ip: string): boolean {
  if (restrictions === null) return true;
  for (const [kind, value] of Object.entries(restrictions)) {
    if (kind === 'IPAddresses' || IGNORED_RESTRICTIONS.has(kind)) continue;
    if (!(value === null || (Array.isArray(value) && value.length === 0))) return false;
  }
  const addresses = allowedAddresses(restrictions);
  return addresses === null || inAnyRange(ip, addresses);
}

export const BOT_PASSWORD_SEPARATOR = '@';
// What MediaWiki accepts as a bot password: 32 or more of [0-9a-w].
export const BOT_PASSWORD_PATTERN = /^[0-9a-w]{32,}$/;
/** Most bytes an app id holds (MediaWiki's BotPassword::APPID_MAXLEN, the width of bp_app_id). */
export const APP_ID_MAX_BYTES = 32;

/**
 * Whether a login may name this app id: 1 to 32 bytes of well-formed text without control characters.
 * Anything else names no bot password on any database, so it is answered without a query (PostgreSQL
 * refuses a NUL byte with an error, SQLite would look it up).
 */
export function isPossibleAppId(appId: string): boolean {
  return (
    appId.length > 0 &&
    Buffer.byteLength(appId, 'utf8') <= APP_ID_MAX_BYTES &&
    !/[\p{Cc}\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u.test(appId)
  );
}

/**
 * What a login with a bot password that a password change voided is told: a wrong password. Saying that
 * it "must be reset" (MediaWiki) would tell anyone that the account has a bot of that name, where an
 * unknown one is answered "wrongpassword"; the audit trail keeps the reason for operators.
 */
export const VOIDED_BOT_PASSWORD = { key: 'wrongpassword', fatal: false } as const;

/** The bot passwords of the store, with the password hashed when one is set. */
export class BotPasswords {
  constructor(
    private readonly store: BotPasswordStore,
    private readonly hasher: PasswordHasher,
  ) {}

  get(userId: number, appId: string): Promise<StoredBotPassword | null> {
    return this.store.get(userId, appId);
  }

  token(userId: number, appId: string): Promise<string | null> {
    return this.store.token(userId, appId);
  }

  list(userId: number): Promise<BotPassword[]> {
    return this.store.list(userId);
  }

  /** Creates or replaces a bot password with the given password (already generated). */
  async set(userId: number, appId: string, password: string, grants: string[]): Promise<void> {
    await this.store.set(userId, appId, await this.hasher.hash(password), grants);
  }

  remove(userId: number, appId: string): Promise<boolean> {
    return this.store.remove(userId, appId);
  }
}

/**
 * Splits login credentials into a bot-password login when they look like one, as MediaWiki does:
 * a name with "@" and a bot-style password, or a password "appid@password".
 */
export function botCredentials(name: string, password: string): { name: string; appId: string; password: string } | null {
  const at = name.lastIndexOf(BOT_PASSWORD_SEPARATOR);
  if (at > 0 && BOT_PASSWORD_PATTERN.test(password)) {
    return { name: name.slice(0, at), appId: name.slice(at + 1), password };
  }
  if (password.length > 32 && password.includes(BOT_PASSWORD_SEPARATOR)) {
    const p = password.lastIndexOf(BOT_PASSWORD_SEPARATOR);
    const pw = password.slice(p + 1);
    if (BOT_PASSWORD_PATTERN.test(pw)) return { name, appId: password.slice(0, p), password: pw };
  }
  return null;
}
