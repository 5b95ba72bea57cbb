// Sessions of one request: loaded from cookies, changed by the request, saved before the response.
//
// A session is stored only while it holds something: a login (of an account or a bot password) or a
// forced password change in progress. An anonymous visitor's session is its id alone, in its cookie:
// its tokens (login, createaccount, the pages' forms) are derived from the id with the server secret
// and last as long as an idle session would, so thousands of anonymous visits store nothing.
import { createHmac } from 'node:crypto';
import type { Counters } from '../limits/counters.js';
import type { Clock, Random } from '../util/clock.js';
import { parseCookies, serializeCookie } from './cookies.js';
import { SessionIds, type IdKind } from './ids.js';
import type { RememberTokens } from './rememberTokens.js';
import type { SessionData, SessionStore } from './store.js';
import { ANON_TOKEN, TOKEN_TYPES, makeToken, matchToken, safeEqual } from './tokens.js';

/** The session secret behind pageToken(); no TOKEN_TYPES entry uses it. */
const PAGE_TOKEN_KEY = 'web';
/** Every token secret a session can have. */
const SECRET_KEYS = [...new Set([...Object.values(TOKEN_TYPES).map((t) => t.key), PAGE_TOKEN_KEY])];

export interface SessionUserSource {
  /** The account's current user_token (its session generation), or null when the account is gone. */
  userToken(userId: number): Promise<string | null>;
  /** The bot password's current bp_token (its session generation), or null when it is gone. */
  botPasswordToken(userId: number, appId: string): Promise<string | null>;
}

export interface SessionConfig {
  /** The server secret: keys session ids, their stored hashes and remember tokens. */
  secret: string;
  cookiePrefix: string;
  secure: boolean;
  idleSeconds: number;
  cookieExpiration: number;
  extendedLoginCookieExpiration: number;
  /** New stored sessions one address may start per window: [count, seconds]. */
  ipLimit: [number, number];
}

export interface SessionDeps {
  store: SessionStore;
  users: SessionUserSource;
  remembered: RememberTokens;
  counters: Counters;
  /** The key one address's limit is counted under (IPv6 per /64). */
  addressKey(ip: string): string;
  /** Told once per window when an address goes over the limit. */
  onLimited?(ip: string, range: string, limit: [number, number]): Promise<void>;
  clock: Clock;
  random: Random;
}

type UserRef = { id: number; name: string; token: string };

function newData(now: number): SessionData {
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

  constructor(
    public id: string | null,
    public data: SessionData,
    private readonly mgr: SessionManager,
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
    const derived = this.mgr.tokenSecret(this.id, key);
    // A session that stores nothing has no end of its own: its tokens last as long as an idle session.
    if (!this.holdsState) return matchToken(value, derived, salt, { now: Math.floor(this.mgr.clock.now() / 1000), maxAge: this.mgr.idleSeconds });
    return matchToken(value, derived, salt);
  }

  private secret(key: string): string {
    const kept = this.data.secrets[key];
    if (kept) return kept;
    this.persist();
    return this.mgr.tokenSecret(this.id!, key);
  }

  /** Logs in: a new session id, new token secrets, and the login cookies. */
  logIn(user: UserRef, opts: { remember: boolean; bot?: { appId: string; grants: string[]; token: string } }): void {
    this.rotate(false);
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

export class SessionManager {
  private readonly ids: SessionIds;

  constructor(
    private readonly d: SessionDeps,
    private readonly cfg: SessionConfig,
  ) {
    this.ids = new SessionIds(cfg.secret);
  }

  get clock(): Clock {
    return this.d.clock;
  }
  get idleSeconds(): number {
    return this.cfg.idleSeconds;
  }
  get cookieName(): string {
    return `${this.cfg.cookiePrefix}_session`;
  }
  get botCookieName(): string {
    return `${this.cfg.cookiePrefix}_BPsession`;
  }

  newId(kind: IdKind): string {
    return this.ids.create(this.d.random, kind);
  }

  tokenSecret(id: string, key: string): string {
    return this.ids.tokenSecret(id, key);
  }

  /**
   * What a session keeps of a user_token or bp_token: a keyed hash (HMAC with the server secret), enough to
   * see that it changed, and nothing a client could present.
   */
  generation(value: string): string {
    return createHmac('sha256', this.cfg.secret).update(`session-generation\0${value}`).digest('hex');
  }

  private limitKey(ip: string): string {
    return `session:new:${this.d.addressKey(ip)}`;
  }

  /**
   * Whether this session, not stored yet, may become a stored one (a login, a forced change) for a
   * client at `ip`: each address may start `MWAUTH_SESSION_IP_LIMIT` stored sessions per window. Counts
   * the new session when it may; a session already stored (a logged-in session logging in again) is free.
   */
  async admit(session: Session | null, ip: string): Promise<boolean> {
    if (session?.storedId) return true;
    const [count, seconds] = this.cfg.ipLimit;
    const n = await this.d.counters.hit(this.limitKey(ip), seconds);
    if (n === count + 1) await this.d.onLimited?.(ip, this.d.addressKey(ip), this.cfg.ipLimit);
    return n <= count;
  }

  /**
   * Whether admit() would refuse now: then the caller checks nothing more (a password costs time). Counts
   * only a refusal (the first one of a window is reported), never a session that may still come.
   */
  async overLimit(session: Session, ip: string): Promise<boolean> {
    if (session.storedId) return false;
    if ((await this.d.counters.peek(this.limitKey(ip))) < this.cfg.ipLimit[0]) return false;
    await this.admit(null, ip);
    return true;
  }

  /**
   * The session a request carries; `anonymous` ignores every credential (JSONP, origin=*).
   * `botPasswordSessions: false` ignores the bot-password session cookie: those sessions are the API's
   * only (as in MediaWiki), so a page never acts with one. `ip`: the client's address, for the limit on
   * sessions a remembered login starts.
   */
  async load(cookieHeader: string | undefined, opts: { anonymous?: boolean; botPasswordSessions?: boolean; ip?: string } = {}): Promise<Session> {
    const now = this.d.clock.now();
    if (opts.anonymous) return new Session(null, newData(now), this);
    const cookies = parseCookies(cookieHeader);

    const bpId = opts.botPasswordSessions === false ? undefined : cookies[this.botCookieName];
    if (bpId && this.ids.kind(bpId) === 'stored') {
      const data = await this.d.store.get(bpId);
      if (data?.bot && (await this.validBot(data))) return new Session(bpId, data, this, 'bot', { cookie: true, stored: true });
    }

    // An id this server did not make is no id at all (MediaWiki, too, replaces an unknown one); an
    // anonymous id needs no lookup; a stored session's id is good only while its data is there.
    const raw = cookies[this.cookieName];
    const kind = raw ? this.ids.kind(raw) : null;
    const sid = kind === 'anonymous' ? raw! : null;
    if (kind === 'stored') {
      const data = await this.d.store.get(raw!);
      if (data && !data.bot) {
        const session = new Session(raw!, data, this, 'cookie', { cookie: true, stored: true });
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
      const made = await this.d.remembered.generation(uid, token);
      const current = made === null ? null : await this.d.users.userToken(uid);
      if (made !== null && current !== null && safeEqual(made, this.generation(current)) && (opts.ip === undefined || (await this.admit(null, opts.ip)))) {
        const session = new Session(this.newId('stored'), { ...newData(now), userId: uid, userGen: made, remember: true }, this);
        session.dirty = true;
        return session;
      }
    }
    // Anonymous: the cookie's anonymous id, if it held one, carries its (derived) tokens on.
    return new Session(sid, newData(now), this, 'cookie', { cookie: sid !== null });
  }

  private async validUser(data: SessionData): Promise<boolean> {
    const current = await this.d.users.userToken(data.userId);
    return current !== null && data.userGen !== undefined && safeEqual(this.generation(current), data.userGen);
  }

  private async validBot(data: SessionData): Promise<boolean> {
    if (!data.bot?.generation) return false;
    const token = await this.d.users.botPasswordToken(data.userId, data.bot.appId);
    return token !== null && safeEqual(this.generation(token), data.bot.generation);
  }

  /** Stores the session (if it holds anything) and collects its cookies; call before the response is sent. */
  async save(session: Session): Promise<string[]> {
    const now = this.d.clock.now();
    if (session.storedId !== null && session.storedId !== session.id) {
      await this.d.store.delete(session.storedId);
      session.storedId = null;
    }
    if (session.newRememberToken && session.data.userId > 0 && session.data.userGen) {
      await this.d.remembered.add(session.data.userId, session.newRememberToken, session.data.userGen, now + this.cfg.extendedLoginCookieExpiration * 1000);
    }
    session.newRememberToken = null;
    if (session.id && session.holdsState) {
      if (session.dirty || session.storedId !== session.id) {
        session.data.touched = now;
        await this.d.store.put(session.id, session.data.userId, session.data, now + this.cfg.idleSeconds * 1000);
        session.storedId = session.id;
        session.dirty = false;
      }
    } else if (session.id && session.storedId === session.id) {
      // Nothing left to keep (a forced change that ran out): the stored data goes, the id stays.
      await this.d.store.delete(session.id);
      session.storedId = null;
    }
    if (session.id && session.cookieId !== session.id) {
      const name = session.kind === 'bot' ? this.botCookieName : this.cookieName;
      // A deletion of the same cookie earlier in this request (a logout) is replaced by the new id.
      for (let i = session.setCookies.length - 1; i >= 0; i--) if (session.setCookies[i]!.startsWith(`${name}=`)) session.setCookies.splice(i, 1);
      session.setCookies.unshift(this.cookie(name, session.id));
      session.cookieId = session.id;
    }
    return session.setCookies;
  }

  /**
   * Ends every session of the account but one (the caller's, when it stays logged in) and forgets its
   * remembered logins; returns how many sessions ended. (They already stopped working when the
   * account's user_token changed; this removes them.)
   */
  async endAllFor(userId: number, exceptId?: string): Promise<number> {
    await this.d.remembered.removeAll(userId);
    return this.d.store.deleteForUser(userId, exceptId);
  }

  async sweep(): Promise<void> {
    await this.d.remembered.sweep();
  }

  cookie(name: string, value: string, maxAge?: number): string {
    return serializeCookie(name, value, { maxAge, secure: this.cfg.secure, httpOnly: true, sameSite: 'Lax', now: this.d.clock.now() });
  }

  loginCookies(session: Session, user: UserRef, remember: boolean): void {
    const p = this.cfg.cookiePrefix;
    const age = remember ? this.cfg.extendedLoginCookieExpiration : this.cfg.cookieExpiration;
    session.setCookies.push(this.cookie(`${p}UserID`, String(user.id), age), this.cookie(`${p}UserName`, user.name, age));
    if (remember) {
      // A token of this login's own, recorded (as a keyed hash) when the session is saved.
      session.newRememberToken = this.d.remembered.newToken();
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
