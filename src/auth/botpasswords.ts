// Bot passwords: "Name@appid" with a generated 32-character password and a set of grants.
import type { Selectable } from 'kysely';
import type { Db } from '../storage/db.js';
import type { BotPasswordTable } from '../storage/schema.js';
import type { Clock, Random } from '../util/clock.js';
import { randomHex } from '../util/clock.js';
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

export const BOT_PASSWORD_SEPARATOR = '@';
// What MediaWiki accepts as a bot password: 32 or more of [0-9a-w].
export const BOT_PASSWORD_PATTERN = /^[0-9a-w]{32,}$/;
const INVALID = '';
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

function toBotPassword(r: Selectable<BotPasswordTable>): BotPassword {
  return {
    userId: Number(r.bp_user),
    appId: r.bp_app_id,
    grants: JSON.parse(r.bp_grants) as string[],
    token: r.bp_token,
    created: Number(r.bp_created),
    valid: r.bp_password !== INVALID,
  };
}

/**
 * What a login with a bot password that a password change voided is told: a wrong password. Saying that
 * it "must be reset" (MediaWiki) would tell anyone that the account has a bot of that name, where an
 * unknown one is answered "wrongpassword"; the audit trail keeps the reason for operators.
 */
export const VOIDED_BOT_PASSWORD = { key: 'wrongpassword', fatal: false } as const;

export class BotPasswordStore {
  constructor(
    private readonly db: Db,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async get(userId: number, appId: string): Promise<(BotPassword & { hash: string }) | null> {
    // An app id no bot password can have is never looked up: the same answer on every database.
    if (!isPossibleAppId(appId)) return null;
    const r = await this.db
      .selectFrom('bot_passwords')
      .selectAll()
      .where('bp_user', '=', userId)
      .where('bp_app_id', '=', appId)
      .executeTakeFirst();
    return r ? { ...toBotPassword(r), hash: r.bp_password } : null;
  }

  async token(userId: number, appId: string): Promise<string | null> {
    if (!isPossibleAppId(appId)) return null;
    const r = await this.db
      .selectFrom('bot_passwords')
      .select('bp_token')
      .where('bp_user', '=', userId)
      .where('bp_app_id', '=', appId)
      .executeTakeFirst();
    return r?.bp_token ?? null;
  }

  async list(userId: number): Promise<BotPassword[]> {
    const rows = await this.db.selectFrom('bot_passwords').selectAll().where('bp_user', '=', userId).orderBy('bp_app_id').execute();
    return rows.map(toBotPassword);
  }

  /** Creates or replaces a bot password with the given password (already generated). */
  async set(userId: number, appId: string, password: string, grants: string[]): Promise<void> {
    const values = {
      bp_user: userId,
      bp_app_id: appId,
      bp_password: await this.hasher.hash(password),
      bp_token: randomHex(this.random, 32),
      bp_grants: JSON.stringify(grants),
      bp_created: this.clock.now(),
    };
    await this.db
      .insertInto('bot_passwords')
      .values(values)
      .onConflict((oc) => oc.columns(['bp_user', 'bp_app_id']).doUpdateSet(values))
      .execute();
  }

  /** After the main password changed: every bot password of the user stops working, and its sessions end. */
  async invalidateAll(userId: number, db: Db = this.db): Promise<void> {
    await db
      .updateTable('bot_passwords')
      .set({ bp_password: INVALID, bp_token: randomHex(this.random, 32) })
      .where('bp_user', '=', userId)
      .execute();
  }

  async remove(userId: number, appId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('bot_passwords').where('bp_user', '=', userId).where('bp_app_id', '=', appId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
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
