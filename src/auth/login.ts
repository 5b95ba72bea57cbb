// The login steps: throttle, temporary password, main password, and the forced change that follows
// a temporary password. One place for the API's login, clientlogin and the login page.
import { createHash } from 'node:crypto';
import { canonicalUserName } from '../accounts/names.js';
import type { User, UserStore } from '../accounts/users.js';
import type { AuditDetails, AuditLog, AuditType } from '../audit/log.js';
import type { Counters } from '../limits/counters.js';
import { ipLimitKey } from '../util/clientAddress.js';
import type { Clock } from '../util/clock.js';
import { msg, type Msg } from '../util/errors.js';
import { restrictionsAllow, VOIDED_BOT_PASSWORD, type BotPassword, type BotPasswordStore } from './botpasswords.js';
import type { PasswordHasher } from './passwords.js';
import { looksTemporary, type TemporaryPasswordHasher } from './tempPasswordHash.js';
import type { PasswordChangeContext } from './passwordChanges.js';
import { checkNewPassword } from './policy.js';

export type LoginOutcome =
  | { status: 'PASS'; user: User }
  | { status: 'FAIL'; message: Msg }
  /** Logged in with a temporary password: a new password must be chosen first. */
  | { status: 'UI'; user: User; message: Msg };

export type BotLoginOutcome =
  | { status: 'PASS'; user: User; bot: BotPassword & { restrictions: Record<string, unknown> | null } }
  | { status: 'FAIL'; message: Msg; fatal: boolean };

/** At most `count` attempts in `seconds`; `allIPs`: counted per account from every address together. */
export interface ThrottleCondition {
  count: number;
  seconds: number;
  allIPs?: boolean;
}

export interface AuthDeps {
  users: UserStore;
  botPasswords: BotPasswordStore;
  hasher: PasswordHasher;
  /** Checks temporary passwords stored keyed (an HMAC with the server secret). */
  tempPasswords: TemporaryPasswordHasher;
  counters: Counters;
  clock: Clock;
  /** MediaWiki's $wgPasswordAttemptThrottle: per address and name, or with allIPs per name from every address. */
  throttle: ThrottleCondition[];
  newPasswordExpiry: number;
  audit: AuditLog;
  /** services.passwordChanges: the one place a password changes (changePassword below hands over to it). */
  passwordChanges: { change(user: User, password: string, ctx?: PasswordChangeContext): Promise<User> };
  /** Told of every login attempt's kind and result (the metrics). */
  onLogin?(kind: 'password' | 'botpassword', result: 'success' | 'temporary_password' | 'failure' | 'throttled'): void;
}

export class Authenticator {
  /** A hash of nothing in particular, verified for unknown users so that they cost the same time. */
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly d: AuthDeps) {}

  /**
   * One counter per condition: per address and name (IPv6 per /64, as one subscriber usually holds a
   * /64 and the reset limit counts it so), or per name from every address (allIPs). The name counts
   * whether or not an account has it, so the throttle tells nothing about which names exist.
   */
  private throttleKeys(kind: string, name: string, ip: string): string[] {
    const h = createHash('md5').update(name).digest('hex');
    const from = ipLimitKey(ip);
    return this.d.throttle.map((c, i) => `throttle:${kind}:${i}:${c.allIPs ? '*' : from}:${h}`);
  }

  /**
   * Counts one attempt against every condition; returns the refusal when a window is full (MediaWiki:
   * more than `count`), naming the longest window that is full.
   */
  private async throttled(kind: string, name: string, ip: string): Promise<Msg | null> {
    const keys = this.throttleKeys(kind, name, ip);
    let hit: Msg | null = null;
    for (let i = 0; i < keys.length; i++) {
      const cond = this.d.throttle[i]!;
      const n = await this.d.counters.hit(keys[i]!, cond.seconds);
      if (n > cond.count && (!hit || cond.seconds > (hit.params[0] as { duration: number }).duration)) {
        hit = msg('login-throttled', { duration: cond.seconds });
      }
    }
    return hit;
  }

  private async clearThrottle(kind: string, name: string, ip: string): Promise<void> {
    for (const k of this.throttleKeys(kind, name, ip)) await this.d.counters.clear(k);
  }

  /**
   * Records a login event. A failed login names the account only when it exists: people type their
   * password into the name field, and such a name must not end up in the audit trail.
   */
  private async audit(type: AuditType, user: User | null, ip: string, details: AuditDetails = {}): Promise<void> {
    const kind = type === 'login.bot' || details.bot === true ? 'botpassword' : 'password';
    const result = type === 'login.failure' ? (details.reason === 'login-throttled' ? 'throttled' : 'failure') : type === 'login.temporary-password' ? 'temporary_password' : 'success';
    this.d.onLogin?.(kind, result);
    await this.d.audit.record({ type, userId: user?.id ?? null, userName: user?.name ?? null, ip, details });
  }

  /** Verifies against a hash of nothing in particular: the same cost as a real check, never a match. */
  private async burnTime(password: string): Promise<false> {
    this.dummyHash ??= this.d.hasher.hash('mwauth-timing-equalizer');
    await this.d.hasher.verify(password, await this.dummyHash);
    return false;
  }

  /**
   * After a successful login with the main password: a hash in an older format or with other parameters
   * (imported from MediaWiki, or made before the cost was raised) is replaced by a current hash of the
   * same password. It is the same password, so this is not a password change: the user_token, the
   * sessions, the temporary password and the bot passwords stay, and nobody is mailed. A failure leaves
   * the old hash, which keeps working; the next login tries again.
   */
  private async rehash(user: User, password: string): Promise<User> {
    if (!this.d.hasher.needsRehash(user.password)) return user;
    try {
      const hash = await this.d.hasher.hash(password);
      // Only over the hash just verified: a password changed in the meantime stays changed.
      const replaced = await this.d.users.replacePasswordHash(user.id, user.password, hash);
      return replaced ? { ...user, password: hash } : user;
    } catch {
      return user;
    }
  }

  temporaryPasswordValid(user: User): boolean {
    if (!user.newPassword) return false;
    if (user.newPassTime === null) return true;
    return this.d.clock.now() < user.newPassTime + this.d.newPasswordExpiry * 1000;
  }

  /**
   * Whether a forced change started at `startedAt` (a login with a temporary password) may still set
   * the password: not once that temporary password is void — a password change cleared it or a newer
   * reset replaced it — whoever holds the half-finished login. (Its 30 minutes are the caller's.)
   */
  forcedChangeAllowed(user: User, startedAt: number): boolean {
    return user.newPassword !== '' && (user.newPassTime === null || user.newPassTime <= startedAt);
  }

  /** Main-account login with a name and password. */
  async login(rawName: string, password: string, ip: string): Promise<LoginOutcome> {
    if (!rawName || !password) return { status: 'FAIL', message: msg('authmanager-authn-no-primary') };
    const name = canonicalUserName(rawName);
    if (!name) return { status: 'FAIL', message: msg('authmanager-authn-no-primary') };
    const throttled = await this.throttled('password', name, ip);
    if (throttled) {
      await this.audit('login.failure', await this.d.users.byName(name), ip, { reason: throttled.key });
      return { status: 'FAIL', message: throttled };
    }

    const user = await this.d.users.byName(name);
    // Every attempt costs the same, so the time taken reveals neither whether the account exists nor
    // whether a reset is pending: one HMAC (the temporary password, or a stand-in) and one slow hash
    // (the main password, or a dummy for an unknown name).
    const tempValid = user !== null && this.temporaryPasswordValid(user);
    const temp = tempValid ? user.newPassword : '';
    const tempKeyedOk = this.d.tempPasswords.verifyKeyed(password, temp);
    // A temporary password stored before they were keyed (or imported) is a slow hash. It can only match
    // a password of its generated shape, so such input checks it in place of the main password: still
    // one slow hash. (A main password of that very shape waits until the old temporary password is used
    // or expires; it was mailed to the account's owner.)
    const slowTemp = tempValid && !this.d.tempPasswords.isKeyed(temp) && looksTemporary(password);
    const slowOk = user ? await this.d.hasher.verify(password, slowTemp ? temp : user.password) : await this.burnTime(password);
    const tempOk = tempKeyedOk || (slowTemp && slowOk);
    const mainOk = !slowTemp && slowOk;
    if (!user) {
      await this.audit('login.failure', null, ip, { reason: 'wrongpassword' });
      return { status: 'FAIL', message: msg('wrongpassword') };
    }
    if (tempOk) {
      await this.clearThrottle('password', name, ip);
      await this.audit('login.temporary-password', user, ip);
      return { status: 'UI', user, message: msg('resetpass-temp-emailed') };
    }
    if (mainOk) {
      await this.clearThrottle('password', name, ip);
      const current = await this.rehash(user, password);
      await this.audit('login.success', user, ip, current === user ? {} : { rehashed: true });
      return { status: 'PASS', user: current };
    }
    await this.audit('login.failure', user, ip, { reason: 'wrongpassword' });
    return { status: 'FAIL', message: msg('wrongpassword') };
  }

  /** Login with a bot password ("Name@appid" and its generated password). */
  async loginBot(name: string, appId: string, password: string, ip: string): Promise<BotLoginOutcome> {
    const canonical = canonicalUserName(name);
    if (!canonical) return { status: 'FAIL', message: msg('noname'), fatal: false };
    const throttled = await this.throttled('botpassword', `${canonical}@${appId}`, ip);
    if (throttled) {
      await this.audit('login.failure', await this.d.users.byName(canonical), ip, { reason: throttled.key, bot: true });
      return { status: 'FAIL', message: throttled, fatal: true };
    }
    const user = await this.d.users.byName(canonical);
    const bp = user ? await this.d.botPasswords.get(user.id, appId) : null;
    if (!user || !bp) {
      await this.burnTime(password);
      await this.audit('login.failure', user, ip, { reason: 'botpasswords-not-exist', bot: true });
      return { status: 'FAIL', message: msg('botpasswords-not-exist', canonical, appId), fatal: false };
    }
    if (!bp.valid) {
      await this.burnTime(password);
      await this.audit('login.failure', user, ip, { reason: 'botpasswords-needs-reset', bot: true, app: appId });
      return { status: 'FAIL', message: msg(VOIDED_BOT_PASSWORD.key), fatal: VOIDED_BOT_PASSWORD.fatal };
    }
    if (!(await this.d.hasher.verify(password, bp.hash))) {
      await this.audit('login.failure', user, ip, { reason: 'wrongpassword', bot: true, app: appId });
      return { status: 'FAIL', message: msg('wrongpassword'), fatal: false };
    }
    // From an address its restrictions do not allow: answered as a wrong password, as MediaWiki does, so the
    // answer says nothing more to whoever holds the password; the audit trail keeps the reason.
    if (!restrictionsAllow(bp.restrictions, ip)) {
      await this.audit('login.failure', user, ip, { reason: 'botpasswords-restriction-failed', bot: true, app: appId });
      return { status: 'FAIL', message: msg('wrongpassword'), fatal: false };
    }
    await this.clearThrottle('botpassword', `${canonical}@${appId}`, ip);
    await this.audit('login.bot', user, ip, { app: appId });
    return { status: 'PASS', user, bot: bp };
  }

  /** Checks a new password: the policy, and that both entries agree. */
  validateNewPassword(user: User, groups: readonly string[], password: string, retype: string | null): Msg | null {
    if (retype !== null && password !== retype) return msg('badretype');
    return checkNewPassword(password, user.name, groups);
  }

  /**
   * Sets a new main password: services.passwordChanges.change (see there). The temporary password and
   * the reset cooldown go, the user_token changes, other sessions end, bot passwords stop working, and
   * the account's address is told.
   */
  changePassword(user: User, password: string, ctx?: PasswordChangeContext): Promise<User> {
    return this.d.passwordChanges.change(user, password, ctx);
  }
}
