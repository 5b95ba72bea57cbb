// The sessions of every request: loading them from cookies (a stored session, a remembered login, an
// anonymous id), saving them, the cookies they set, and the limit on stored sessions per address.
import type { AccountView } from '../accounts/users.js';
import type { Counters } from '../limits/counters.js';
import { Keyring } from '../secrets/keyring.js';
import type { Clock, Random } from '../util/clock.js';
import { inAnyRange } from '../util/clientAddress.js';
import { parseCookies, serializeCookie } from './cookies.js';
import { SessionIds, type IdKind } from './ids.js';
import type { RememberTokens } from './rememberTokens.js';
import { Session, newData, type SessionHost, type UserRef } from './session.js';
import type { SessionData, SessionStore } from './store.js';
import { safeEqual } from './tokens.js';

export interface SessionUserSource {
  /**
   * The account, read once for the whole request (the session keeps it for the request's performer):
   * its user.token is the session generation; null when the account is gone.
   */
  account(userId: number): Promise<AccountView | null>;
  /** The bot password's current bp_token (its session generation), or null when it is gone. */
  botPasswordToken(userId: number, appId: string): Promise<string | null>;
}

export interface SessionConfig {
  /** The server secrets (the first signs, all verify): key session ids, their stored hashes and remember tokens. */
  keys: Keyring;
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

export class SessionManager implements SessionHost {
  private readonly ids: SessionIds;

  constructor(
    private readonly d: SessionDeps,
    private readonly cfg: SessionConfig,
  ) {
    this.ids = new SessionIds(cfg.keys);
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

  /** The token secrets `key` of the session `id` under every server secret, the signing one first. */
  tokenSecrets(id: string, key: string): string[] {
    return this.ids.tokenSecrets(id, key);
  }

  /**
   * What a session keeps of a user_token or bp_token: a keyed hash (HMAC with the server secret), enough to
   * see that it changed, and nothing a client could present.
   */
  generation(value: string): string {
    return this.generations(value)[0]!;
  }

  /** generation() under every server secret, the signing one first. */
  private generations(value: string): string[] {
    return this.cfg.keys.hexes(`session-generation\0${value}`);
  }

  /** Whether `kept` is the generation of `value` under one of the secrets: 'current' under the signing one, 'older' under another, or false. */
  private sameGeneration(kept: string | undefined, value: string): 'current' | 'older' | false {
    if (kept === undefined) return false;
    const [current, ...older] = this.generations(value);
    if (safeEqual(kept, current!)) return 'current';
    return Keyring.matchesAny(kept, older) ? 'older' : false;
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
      // A restricted bot password's session is no session from an address it does not allow (MediaWiki, too).
      const allowed = !data?.bot?.addresses || (opts.ip !== undefined && inAnyRange(opts.ip, data.bot.addresses));
      if (data?.bot && allowed && (await this.validBot(data))) return new Session(bpId, data, this, 'bot', { cookie: true, stored: true });
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
        if (data.userId > 0 && !(await this.validUser(session))) {
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
      const account = made === null ? null : await this.d.users.account(uid);
      const current = account?.user.token ?? null;
      const same = current === null ? false : this.sameGeneration(made!.generation, current);
      if (same && (opts.ip === undefined || (await this.admit(null, opts.ip)))) {
        const userGen = this.generation(current!);
        // Made under an older secret: kept under the signing one from now on, so it outlives the old one.
        if (same === 'older' || made!.older) await this.d.remembered.renew(token, userGen);
        const session = new Session(this.newId('stored'), { ...newData(now), userId: uid, userGen, remember: true }, this);
        session.dirty = true;
        session.account = account;
        return session;
      }
    }
    // Anonymous: the cookie's anonymous id, if it held one, carries its (derived) tokens on.
    return new Session(sid, newData(now), this, 'cookie', { cookie: sid !== null });
  }

  /**
   * Whether the session's login still stands. (A session made under an older secret needs no renewal:
   * its id carries that secret's mark too, so it ends when that secret is removed.)
   */
  private async validUser(session: Session): Promise<boolean> {
    const account = await this.d.users.account(session.data.userId);
    if (account === null || this.sameGeneration(session.data.userGen, account.user.token) === false) return false;
    session.account = account;
    return true;
  }

  private async validBot(data: SessionData): Promise<boolean> {
    if (!data.bot?.generation) return false;
    const token = await this.d.users.botPasswordToken(data.userId, data.bot.appId);
    return token !== null && this.sameGeneration(data.bot.generation, token) !== false;
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
    session.setCookies.push(this.cookie(this.cookieName, '', -1));
    // An anonymous session's logout clears its session cookie only, as MediaWiki's does.
    if (session.data.userId > 0) session.setCookies.push(this.cookie(`${p}UserID`, '', -1));
    if (session.data.remember) session.setCookies.push(this.cookie(`${p}Token`, '', -1));
  }
}
