// Server-side session storage behind a small interface; session ids are stored only as keyed hashes.
// Only sessions that hold something are stored (a login, a forced change in progress): see session.ts.
// Implementations: src/storage/sql/sessions.ts (the database) and src/storage/redis/sessions.ts (several
// nodes); test/contracts/sessions.test.ts is what each must do.
import { createHmac } from 'node:crypto';
import type { Keyring } from '../secrets/keyring.js';

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
  /**
   * Set when the session came from a bot password; `generation` is a keyed hash of its bp_token;
   * `addresses`, when the bot password is restricted, the ranges its requests must come from.
   */
  bot?: { appId: string; grants: string[]; generation: string; addresses?: string[] };
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
  /** Ends every session of a user, except one (the caller's, when it stays logged in); returns how many live ones ended. */
  deleteForUser(userId: number, exceptId?: string): Promise<number>;
  /** Removes expired sessions (where the backend does not by itself). */
  sweep(): Promise<void>;
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
