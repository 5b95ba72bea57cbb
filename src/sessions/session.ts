// Sessions of one request: loaded from cookies, changed by the request, saved before the response.
import type { Clock, Random } from '../util/clock.js';
import { randomHex } from '../util/clock.js';
import { createHmac } from 'node:crypto';
import { ANON_TOKEN, TOKEN_TYPES, makeToken, matchToken, safeEqual } from './tokens.js';
import { serializeCookie, parseCookies } from './cookies.js';
import type { RememberTokens } from './rememberTokens.js';
import type { SessionData, SessionStore } from './store.js';

const ID_PATTERN = /^[a-zA-Z0-9_-]{32,}$/;
const BASE32 = '0123456789abcdefghijklmnopqrstuv';
/** The session secret behind pageToken(); no TOKEN_TYPES entry uses it. */
const PAGE_TOKEN_KEY = 'web';

export interface SessionUserSource {
  /** The account's current user_token (its session generation), or null when the account is gone. */
  userToken(userId: number): Promise<string | null>;
  /** The bot password's current bp_token (its session generation), or null when it is gone. */
  botPasswordToken(userId: number, appId: string): Promise<string | null>;
}

export interface SessionConfig {
  /** The server secret: keys the hashes sessions and remember tokens are stored under. */
  secret: string;
  cookiePrefix: string;
  secure: boolean;
  idleSeconds: number;
  cookieExpiration: number;
  extendedLoginCookieExpiration: number;
}

function newData(now: number): SessionData {
  return { userId: 0, secrets: {}, created: now };
}

export class Session {
  /** Cookies to send with the response. */
  readonly setCookies: string[] = [];
  dirty = false;
  /** An id whose stored data must go when the session is saved (after a rotation). */
  retiredId: string | null = null;
  /** The id the client's cookie already holds: the cookie is sent only when the id differs. */
  cookieId: string | null;
  /** A "remember me" token given out in this request's Token cookie, recorded when the session is saved. */
  newRememberToken: string | null = null;

  constructor(
    public id: string | null,
    public data: SessionData,
    private readonly mgr: SessionManager,
    public kind: 'cookie' | 'bot' = 'cookie',
    fromCookie = false,
  ) {
    this.cookieId = fromCookie ? id : null;
  }

  get userId(): number {
    return this.data.userId;
  }

  get persisted(): boolean {
    return this.id !== null;
  }

  /** Makes the session stored server-side and its cookie set. */
  persist(): void {
    if (!this.id) {
      this.id = this.mgr.newId();
      this.dirty = true;
    }
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
    const secret = this.data.secrets[PAGE_TOKEN_KEY];
    return secret !== undefined && matchToken(value, secret, '');
  }

  hasSecret(key: string): boolean {
    return key in this.data.secrets;
  }

  checkToken(type: string, value: string): boolean {
    const t = TOKEN_TYPES[type];
    if (!t) return false;
    if (this.data.userId === 0 && !t.anonReal) return safeEqual(value, ANON_TOKEN);
    const secret = this.data.secrets[t.key];
    if (!secret) return false;
    return matchToken(value, secret, t.salt);
  }

  private secret(key: string): string {
    let s = this.data.secrets[key];
    if (!s) {
      s = randomHex(this.mgr.random, 32);
      this.data.secrets[key] = s;
      this.persist();
      this.dirty = true;
    }
    return s;
  }

  /** Logs in: a new session id, new token secrets, and the login cookies. */
  logIn(
    user: { id: number; name: string; token: string },
    opts: { remember: boolean; bot?: { appId: string; grants: string[]; token: string } },
  ): void {
    this.rotate();
    const now = this.mgr.clock.now();
    this.data = { ...newData(now), userId: user.id, userGen: this.mgr.generation(user.token), remember: opts.remember };
    if (opts.bot) {
      this.kind = 'bot';
      this.data.bot = { appId: opts.bot.appId, grants: opts.bot.grants, generation: this.mgr.generation(opts.bot.token) };
      this.data.remember = false;
    } else {
      this.kind = 'cookie';
      this.mgr.loginCookies(this, user, opts.remember);
    }
    this.dirty = true;
  }

  /** Logs out: the stored session goes, the login cookies are cleared. */
  logOut(): void {
    if (this.id) {
      this.retiredId ??= this.id;
      this.mgr.logoutCookies(this, this.kind === 'bot');
    }
    this.id = null;
    this.data = newData(this.mgr.clock.now());
    this.dirty = false;
    this.kind = 'cookie';
  }

  /**
   * A login waiting for the forced password change (after a temporary password). The session gets a
   * new id: whoever held the old one (planted it, copied it) has no part in the change.
   */
  beginForcedChange(pending: NonNullable<SessionData['pendingLogin']>): void {
    this.rotate();
    this.data.pendingLogin = pending;
    this.dirty = true;
  }

  /** Drops a forced change that can no longer finish (expired, or its temporary password is void). */
  endForcedChange(): void {
    if (!this.data.pendingLogin) return;
    delete this.data.pendingLogin;
    this.dirty = true;
  }

  /**
   * Keeps this session logged in after its own password change (the account's user_token changed): a
   * new id, so a copy of the old one is worth nothing, and the login cookies again.
   */
  passwordChanged(user: { id: number; name: string; token: string }): void {
    this.rotate();
    this.data.userGen = this.mgr.generation(user.token);
    this.dirty = true;
    if (this.kind === 'cookie') this.mgr.loginCookies(this, user, this.data.remember ?? false);
  }

  /** A new id for the same data; the stored data under the old id goes when the session is saved. */
  private rotate(): void {
    if (this.id && this.retiredId === null) this.retiredId = this.id;
    this.id = this.mgr.newId();
  }
}

export class SessionManager {
  constructor(
    private readonly store: SessionStore,
    private readonly users: SessionUserSource,
    private readonly remembered: RememberTokens,
    private readonly cfg: SessionConfig,
    readonly clock: Clock,
    readonly random: Random,
  ) {}

  /**
   * What a session keeps of a user_token or bp_token: a keyed hash (HMAC with the server secret), enough to
   * see that it changed, and nothing a client could present.
   */
  generation(value: string): string {
    return createHmac('sha256', this.cfg.secret).update(`session-generation\0${value}`).digest('hex');
  }

  get cookieName(): string {
    return `${this.cfg.cookiePrefix}_session`;
  }
  get botCookieName(): string {
    return `${this.cfg.cookiePrefix}_BPsession`;
  }

  newId(): string {
    const bytes = this.random.bytes(32);
    let id = '';
    for (let i = 0; i < 32; i++) id += BASE32[bytes[i]! & 31];
    return id;
  }

  /**
   * The session a request carries; `anonymous` ignores every credential (JSONP, origin=*).
   * `botPasswordSessions: false` ignores the bot-password session cookie: those sessions are the API's
   * only (as in MediaWiki), so a page never acts with one.
   */
  async load(cookieHeader: string | undefined, opts: { anonymous?: boolean; botPasswordSessions?: boolean } = {}): Promise<Session> {
    const now = this.clock.now();
    if (opts.anonymous) return new Session(null, newData(now), this);
    const cookies = parseCookies(cookieHeader);

    const bpId = opts.botPasswordSessions === false ? undefined : cookies[this.botCookieName];
    if (bpId && ID_PATTERN.test(bpId)) {
      const data = await this.store.get(bpId);
      if (data?.bot && (await this.validBot(data))) return new Session(bpId, data, this, 'bot', true);
    }

    const sid = cookies[this.cookieName];
    if (sid && ID_PATTERN.test(sid)) {
      const data = await this.store.get(sid);
      if (data && !data.bot) {
        const session = new Session(sid, data, this, 'cookie', true);
        if (data.userId > 0 && !(await this.validUser(data))) {
          // The account's password changed (or it is gone): this session ends.
          session.logOut();
        } else if (now - (data.touched ?? 0) > this.cfg.idleSeconds * 500) {
          // Sliding expiry, written at most once per half idle period.
          session.dirty = true;
        }
        return session;
      }
    }

    // "Remember me": the UserID and Token cookies bring back a login whose session expired, while the
    // token is known, unexpired, the account's, and made under its current user_token.
    const uid = Number(cookies[`${this.cfg.cookiePrefix}UserID`]);
    const token = cookies[`${this.cfg.cookiePrefix}Token`];
    if (Number.isSafeInteger(uid) && uid > 0 && token) {
      const made = await this.remembered.generation(uid, token);
      const current = made === null ? null : await this.users.userToken(uid);
      if (made !== null && current !== null && safeEqual(made, this.generation(current))) {
        const session = new Session(this.newId(), { ...newData(now), userId: uid, userGen: made, remember: true }, this);
        session.dirty = true;
        return session;
      }
    }
    return new Session(null, newData(now), this);
  }

  private async validUser(data: SessionData): Promise<boolean> {
    const current = await this.users.userToken(data.userId);
    return current !== null && data.userGen !== undefined && safeEqual(this.generation(current), data.userGen);
  }

  private async validBot(data: SessionData): Promise<boolean> {
    if (!data.bot?.generation) return false;
    const token = await this.users.botPasswordToken(data.userId, data.bot.appId);
    return token !== null && safeEqual(this.generation(token), data.bot.generation);
  }

  /** Stores the session and collects its cookies; call before the response is sent. */
  async save(session: Session): Promise<string[]> {
    if (session.retiredId) {
      await this.store.delete(session.retiredId);
      session.retiredId = null;
    }
    if (session.newRememberToken && session.data.userId > 0 && session.data.userGen) {
      const expires = this.clock.now() + this.cfg.extendedLoginCookieExpiration * 1000;
      await this.remembered.add(session.data.userId, session.newRememberToken, session.data.userGen, expires);
    }
    session.newRememberToken = null;
    if (session.id && session.dirty) {
      session.data.touched = this.clock.now();
      await this.store.put(session.id, session.data.userId, session.data, this.clock.now() + this.cfg.idleSeconds * 1000);
      if (session.cookieId !== session.id) {
        const name = session.kind === 'bot' ? this.botCookieName : this.cookieName;
        session.setCookies.unshift(this.cookie(name, session.id));
        session.cookieId = session.id;
      }
    }
    return session.setCookies;
  }

  /**
   * Ends every session of the account but one (the caller's, when it stays logged in) and forgets its
   * remembered logins; returns how many sessions ended. (They already stopped working when the
   * account's user_token changed; this removes them.)
   */
  async endAllFor(userId: number, exceptId?: string): Promise<number> {
    await this.remembered.removeAll(userId);
    return this.store.deleteForUser(userId, exceptId);
  }

  async sweep(): Promise<void> {
    await this.remembered.sweep();
  }

  cookie(name: string, value: string, maxAge?: number): string {
    return serializeCookie(name, value, { maxAge, secure: this.cfg.secure, httpOnly: true, sameSite: 'Lax', now: this.clock.now() });
  }

  loginCookies(session: Session, user: { id: number; name: string; token: string }, remember: boolean): void {
    const p = this.cfg.cookiePrefix;
    const age = remember ? this.cfg.extendedLoginCookieExpiration : this.cfg.cookieExpiration;
    session.setCookies.push(this.cookie(`${p}UserID`, String(user.id), age), this.cookie(`${p}UserName`, user.name, age));
    if (remember) {
      // A token of this login's own, recorded (as a keyed hash) when the session is saved.
      session.newRememberToken = this.remembered.newToken();
      session.setCookies.push(this.cookie(`${p}Token`, session.newRememberToken, age));
    }
  }

  logoutCookies(session: Session, bot = false): void {
    const p = this.cfg.cookiePrefix;
    if (bot) {
      session.setCookies.push(this.cookie(this.botCookieName, '', -1));
      return;
    }
    session.setCookies.push(this.cookie(this.cookieName, '', -1), this.cookie(`${p}UserID`, '', -1));
    if (session.data.remember) session.setCookies.push(this.cookie(`${p}Token`, '', -1));
  }
}
