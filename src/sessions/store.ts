// Server-side session storage behind a small interface; session ids are stored only as keyed hashes.
// Only sessions that hold something are stored (a login, a forced change in progress): see session.ts.
import { createHmac } from 'node:crypto';
import type { Keyring } from '../secrets/keyring.js';
import type { Db } from '../storage/db.js';
import type { Clock } from '../util/clock.js';

export interface SessionData {
  /** 0 for an anonymous session. */
  userId: number;
  /**
   * A keyed hash of the account's user_token when the session logged in: a later change (password
   * change, logout) ends the session. Only a hash, so a stored session holds nothing that works as a
   * "remember me" Token cookie.
   */
  userGen?: string;
  /** The login asked to be remembered ("Token" cookie). */
  remember?: boolean;
  /** Set when the session came from a bot password; `generation` is a keyed hash of its bp_token. */
  bot?: { appId: string; grants: string[]; generation: string };
  /**
   * Token secrets by key ("default", "login", "createaccount", "web") that the session keeps itself: only
   * after its id changed at a forced change or a password change, so that tokens handed out under the
   * old id stay good. Otherwise a session's token secrets are derived from its id (src/sessions/ids.ts).
   */
  secrets: Record<string, string>;
  /** A login waiting for the forced password change (clientlogin / Special:UserLogin). */
  pendingLogin?: { userId: number; messageKey: string; returnUrl: string; created: number; remember: boolean };
  created: number;
  /**
   * When this session last proved who it is with a password (a login here, not a "remember me" cookie
   * nor a bot password): meta=authmanagerinfo's securitysensitiveoperationstatus reads it.
   */
  authenticated?: number;
  /** When the session was last written (its expiry slides from there). */
  touched?: number;
}

export interface SessionStore {
  get(id: string): Promise<SessionData | null>;
  put(id: string, userId: number, data: SessionData, expiresAt: number): Promise<void>;
  delete(id: string): Promise<void>;
  /** Ends every session of a user, except one (the caller's, when it stays logged in). */
  deleteForUser(userId: number, exceptId?: string): Promise<number>;
}

/** Sessions are stored under a keyed hash of their id: a copy of the table holds no usable id. */
export function storageKey(secret: string, id: string): string {
  return createHmac('sha256', secret).update(id).digest('hex');
}

/**
 * The keys a session id may be stored under, the signing secret's first. A session is written under the
 * signing secret's key; one written before under an older secret's is still found there (and when both
 * exist, the signing secret's copy is the newer). It lasts no longer than that secret: its id is marked
 * with it too.
 */
export function storageKeys(keys: Keyring, id: string): string[] {
  return keys.secrets.map((s) => storageKey(s, id));
}

export class SqlSessionStore implements SessionStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keys: Keyring,
  ) {}

  private key(id: string): string {
    return storageKey(this.keys.signing, id);
  }

  async get(id: string): Promise<SessionData | null> {
    const [current, ...older] = storageKeys(this.keys, id);
    const rows = await this.db
      .selectFrom('session')
      .select(['s_key', 's_data', 's_expires'])
      .where('s_key', 'in', [current!, ...older])
      .execute();
    const row = rows.find((r) => r.s_key === current) ?? rows[0];
    if (!row || Number(row.s_expires) <= this.clock.now()) return null;
    return JSON.parse(row.s_data) as SessionData;
  }

  async put(id: string, userId: number, data: SessionData, expiresAt: number): Promise<void> {
    const values = { s_key: this.key(id), s_user: userId, s_data: JSON.stringify(data), s_expires: expiresAt };
    await this.db
      .insertInto('session')
      .values(values)
      .onConflict((oc) => oc.column('s_key').doUpdateSet({ s_user: userId, s_data: values.s_data, s_expires: expiresAt }))
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('session').where('s_key', 'in', storageKeys(this.keys, id)).execute();
  }

  async deleteForUser(userId: number, exceptId?: string): Promise<number> {
    let q = this.db.deleteFrom('session').where('s_user', '=', userId);
    if (exceptId) q = q.where('s_key', 'not in', storageKeys(this.keys, exceptId));
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async sweep(): Promise<void> {
    await this.db.deleteFrom('session').where('s_expires', '<=', this.clock.now()).execute();
  }
}
