// One request's session: its tokens, and the steps that change it (log in, a forced change, its own
// password change, log out). src/sessions/manager.ts loads it from the cookies and saves it.
//
// A session is stored only while it holds something: a login (of an account or a bot password) or a
// forced password change in progress. An anonymous visitor's session is its id alone, in its cookie:
// its tokens (login, createaccount, the pages' forms) are derived from the id with the server secret
// and last as long as an idle session would, so thousands of anonymous visits store nothing.
import type { Clock } from '../util/clock.js';
import type { IdKind } from './ids.js';
import type { AccountView } from '../accounts/users.js';
import type { SessionData } from './store.js';
import { ANON_TOKEN, TOKEN_TYPES, makeToken, matchToken, safeEqual } from './tokens.js';

/**
 * What a session asks of the manager that loaded it (src/sessions/manager.ts): new ids, the secrets its
 * tokens are derived from, and the cookies a login or logout sets.
 */
export interface SessionHost {
  readonly clock: Clock;
  readonly idleSeconds: number;
  newId(kind: IdKind): string;
  tokenSecret(id: string, key: string): string;
  tokenSecrets(id: string, key: string): string[];
  generation(value: string): string;
  loginCookies(session: Session, user: UserRef, remember: boolean): void;
  logoutCookies(session: Session, bot?: boolean): void;
}

/** The session secret behind pageToken(); no TOKEN_TYPES entry uses it. */
const PAGE_TOKEN_KEY = 'web';
/** Every token secret a session can have. */
const SECRET_KEYS = [...new Set([...Object.values(TOKEN_TYPES).map((t) => t.key), PAGE_TOKEN_KEY])];

export type UserRef = { id: number; name: string; token: string };

export function newData(now: number): SessionData {
  return { userId: 0, secrets: {}, created: now };
}

export class Session {
  /** Cookies to send with the response. */
  readonly setCookies: string[] = [];
  /** The data changed and must be written (if the session is one that is stored). */
  dirty = false;
  /** The id whose data is in the store (null: nothing stored); it goes when the id changed. */
  storedId: string | null;
  /** The id the client's cookie already holds: the cookie is sent only when the id differs. */
  cookieId: string | null;
  /** A "remember me" token given out in this request's Token cookie, recorded when the session is saved. */
  newRememberToken: string | null = null;
  /**
   * The account as read when the session was loaded and its login checked, for the request's performer
   * (so a request reads its account once); null for an anonymous session. Not stored.
   */
  account: AccountView | null = null;

  constructor(
    public id: string | null,
    public data: SessionData,
    private readonly mgr: SessionHost,
    public kind: 'cookie' | 'bot' = 'cookie',
    from: { cookie?: boolean; stored?: boolean } = {},
  ) {
    this.cookieId = from.cookie ? id : null;
    this.storedId = from.stored ? id : null;
  }

  get userId(): number {
    return this.data.userId;
  }

  /** The session has an id (its cookie is or will be set). */
  get persisted(): boolean {
    return this.id !== null;
  }

  /** The session holds something, so it is kept server-side: a login, or a forced change in progress. */
  get holdsState(): boolean {
    return this.data.userId > 0 || this.kind === 'bot' || this.data.pendingLogin !== undefined;
  }

  /** Gives the session an id and sets its cookie (MediaWiki's persist()); nothing is stored for it. */
  persist(): void {
    this.id ??= this.mgr.newId('anonymous');
  }

  /** A token of a meta=tokens type; anonymous CSRF-type tokens are always "+\". */
  token(type: string): string {
    const t = TOKEN_TYPES[type];
    if (!t) throw new Error(`unknown token type ${type}`);
    if (this.data.userId === 0 && !t.anonReal) return ANON_TOKEN;
    return makeToken(this.secret(t.key), t.salt, Math.floor(this.mgr.clock.now() / 1000));
  }

  /**
   * The token of the site's own HTML forms: real for anonymous sessions too, and not a meta=tokens type
   * (the API's anonymous CSRF token stays "+\\").
   */
  pageToken(): string {
    return makeToken(this.secret(PAGE_TOKEN_KEY), '', Math.floor(this.mgr.clock.now() / 1000));
  }

  checkPageToken(value: string): boolean {
    return this.matches(PAGE_TOKEN_KEY, value, '');
  }

  /**
   * Whether a client can hold a token of this session at all (action=login's "session lost" case): it
   * sent the session's cookie, or the session keeps secrets of its own.
   */
  hasSecret(key: string): boolean {
    return key in this.data.secrets || (this.id !== null && this.cookieId === this.id);
  }

  checkToken(type: string, value: string): boolean {
    const t = TOKEN_TYPES[type];
    if (!t) return false;
    if (this.data.userId === 0 && !t.anonReal) return safeEqual(value, ANON_TOKEN);
    return this.matches(t.key, value, t.salt);
  }

  private matches(key: string, value: string, salt: string): boolean {
    const kept = this.data.secrets[key];
    if (kept) return matchToken(value, kept, salt);
    if (!this.id) return false;
    // Made with any of the server secrets (the first makes new ones: a rotation keeps older tokens good).
    const derived = this.mgr.tokenSecrets(this.id, key);
    // A session that stores nothing has no end of its own: its tokens last as long as an idle session.
    const window = this.holdsState ? undefined : { now: Math.floor(this.mgr.clock.now() / 1000), maxAge: this.mgr.idleSeconds };
    return derived.some((secret) => matchToken(value, secret, salt, window));
  }

  private secret(key: string): string {
    const kept = this.data.secrets[key];
    if (kept) return kept;
    this.persist();
    return this.mgr.tokenSecret(this.id!, key);
  }

  /** Logs in: a new session id, new token secrets, and the login cookies. */
  logIn(user: UserRef, opts: { remember: boolean; bot?: { appId: string; grants: string[]; token: string; addresses?: string[] | null } }): void {
    this.rotate(false);
    const now = this.mgr.clock.now();
    this.data = { ...newData(now), userId: user.id, userGen: this.mgr.generation(user.token), remember: opts.remember };
    if (opts.bot) {
      this.kind = 'bot';
      this.data.bot = { appId: opts.bot.appId, grants: opts.bot.grants, generation: this.mgr.generation(opts.bot.token) };
      // The bot password's address restrictions hold for every request of its session.
      if (opts.bot.addresses) this.data.bot.addresses = opts.bot.addresses;
      this.data.remember = false;
    } else {
      this.kind = 'cookie';
      this.data.authenticated = now;
      this.mgr.loginCookies(this, user, opts.remember);
    }
  }

  /** Logs out: the stored session goes, the login cookies are cleared. */
  logOut(): void {
    if (this.id) this.mgr.logoutCookies(this, this.kind === 'bot');
    this.id = null;
    this.data = newData(this.mgr.clock.now());
    this.dirty = false;
    this.kind = 'cookie';
  }

  /**
   * A login waiting for the forced password change (after a temporary password). The session gets a
   * new id: whoever held the old one (planted it, copied it) has no part in the change. Tokens handed
   * out before stay good.
   */
  beginForcedChange(pending: NonNullable<SessionData['pendingLogin']>): void {
    this.rotate(true);
    this.data.pendingLogin = pending;
  }

  /** Drops a forced change that can no longer finish (expired, or its temporary password is void). */
  endForcedChange(): void {
    if (!this.data.pendingLogin) return;
    delete this.data.pendingLogin;
    this.dirty = true;
  }

  /**
   * Keeps this session logged in after its own password change (the account's user_token changed): a
   * new id, so a copy of the old one is worth nothing, and the login cookies again. Tokens handed out
   * before stay good.
   */
  passwordChanged(user: UserRef): void {
    this.rotate(true);
    this.data.userGen = this.mgr.generation(user.token);
    if (this.kind === 'cookie') this.mgr.loginCookies(this, user, this.data.remember ?? false);
  }

  /**
   * A new id. The data stored under the old one goes when the session is saved. `keepTokens`: the
   * secrets the old id's tokens were made with are kept in the data, so they stay good under the new id.
   */
  private rotate(keepTokens: boolean): void {
    if (keepTokens && this.id) {
      for (const key of SECRET_KEYS) this.data.secrets[key] ??= this.mgr.tokenSecret(this.id, key);
    }
    this.id = this.mgr.newId('stored');
    this.dirty = true;
  }
}
