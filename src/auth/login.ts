// The login steps: throttle, temporary password, main password, and the forced change that follows
// a temporary password. One place for the API's login, clientlogin and the login page.
import { createHash } from 'node:crypto';
import { canonicalUserName } from '../accounts/names.js';
import type { User, UserStore } from '../accounts/users.js';
import type { Counters } from '../limits/counters.js';
import type { Clock } from '../util/clock.js';
import { msg, type Msg } from '../util/errors.js';
import type { BotPassword, BotPasswordStore } from './botpasswords.js';
import type { PasswordHasher } from './passwords.js';
import { checkNewPassword } from './policy.js';

export type LoginOutcome =
  | { status: 'PASS'; user: User }
  | { status: 'FAIL'; message: Msg }
  /** Logged in with a temporary password: a new password must be chosen first. */
  | { status: 'UI'; user: User; message: Msg };

export type BotLoginOutcome =
  | { status: 'PASS'; user: User; bot: BotPassword }
  | { status: 'FAIL'; message: Msg; fatal: boolean };

export interface AuthDeps {
  users: UserStore;
  botPasswords: BotPasswordStore;
  hasher: PasswordHasher;
  counters: Counters;
  clock: Clock;
  throttle: Array<{ count: number; seconds: number }>;
  newPasswordExpiry: number;
}

export class Authenticator {
  /** A hash of nothing in particular, verified for unknown users so that they cost the same time. */
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly d: AuthDeps) {}

  private throttleKeys(kind: string, name: string, ip: string): string[] {
    const h = createHash('md5').update(name).digest('hex');
    return this.d.throttle.map((c, i) => `throttle:${kind}:${i}:${ip}:${h}`);
  }

  /** Counts one attempt; returns the refusal when a window is full (MediaWiki: more than `count`). */
  private async throttled(kind: string, name: string, ip: string): Promise<Msg | null> {
    const keys = this.throttleKeys(kind, name, ip);
    let hit: Msg | null = null;
    for (let i = 0; i < keys.length; i++) {
      const cond = this.d.throttle[i]!;
      const n = await this.d.counters.hit(keys[i]!, cond.seconds);
      if (n > cond.count && !hit) hit = msg('login-throttled', { duration: cond.seconds });
    }
    return hit;
  }

  private async clearThrottle(kind: string, name: string, ip: string): Promise<void> {
    for (const k of this.throttleKeys(kind, name, ip)) await this.d.counters.clear(k);
  }

  private async burnTime(password: string): Promise<void> {
    this.dummyHash ??= this.d.hasher.hash('mwauth-timing-equalizer');
    await this.d.hasher.verify(password, await this.dummyHash);
  }

  temporaryPasswordValid(user: User): boolean {
    if (!user.newPassword) return false;
    if (user.newPassTime === null) return true;
    return this.d.clock.now() < user.newPassTime + this.d.newPasswordExpiry * 1000;
  }

  /** Main-account login with a name and password. */
  async login(rawName: string, password: string, ip: string): Promise<LoginOutcome> {
    if (!rawName || !password) return { status: 'FAIL', message: msg('authmanager-authn-no-primary') };
    const name = canonicalUserName(rawName);
    if (!name) return { status: 'FAIL', message: msg('authmanager-authn-no-primary') };
    const throttled = await this.throttled('password', name, ip);
    if (throttled) return { status: 'FAIL', message: throttled };

    const user = await this.d.users.byName(name);
    if (!user) {
      await this.burnTime(password);
      return { status: 'FAIL', message: msg('wrongpassword') };
    }
    if (this.temporaryPasswordValid(user) && (await this.d.hasher.verify(password, user.newPassword))) {
      await this.clearThrottle('password', name, ip);
      return { status: 'UI', user, message: msg('resetpass-temp-emailed') };
    }
    if (await this.d.hasher.verify(password, user.password)) {
      await this.clearThrottle('password', name, ip);
      return { status: 'PASS', user };
    }
    return { status: 'FAIL', message: msg('wrongpassword') };
  }

  /** Login with a bot password ("Name@appid" and its generated password). */
  async loginBot(name: string, appId: string, password: string, ip: string): Promise<BotLoginOutcome> {
    const canonical = canonicalUserName(name);
    if (!canonical) return { status: 'FAIL', message: msg('noname'), fatal: false };
    const throttled = await this.throttled('botpassword', `${canonical}@${appId}`, ip);
    if (throttled) return { status: 'FAIL', message: throttled, fatal: true };
    const user = await this.d.users.byName(canonical);
    const bp = user ? await this.d.botPasswords.get(user.id, appId) : null;
    if (!user || !bp) {
      await this.burnTime(password);
      return { status: 'FAIL', message: msg('botpasswords-not-exist', canonical, appId), fatal: false };
    }
    if (!bp.valid) return { status: 'FAIL', message: msg('botpasswords-needs-reset', canonical, appId), fatal: true };
    if (!(await this.d.hasher.verify(password, bp.hash))) {
      return { status: 'FAIL', message: msg('wrongpassword'), fatal: false };
    }
    await this.clearThrottle('botpassword', `${canonical}@${appId}`, ip);
    return { status: 'PASS', user, bot: bp };
  }

  /** Checks a new password: the policy, and that both entries agree. */
  validateNewPassword(user: User, groups: readonly string[], password: string, retype: string | null): Msg | null {
    if (retype !== null && password !== retype) return msg('badretype');
    return checkNewPassword(password, user.name, groups);
  }

  /**
   * Sets a new main password. The temporary password and the reset cooldown go, the user_token
   * changes (remembered logins and other sessions end) and bot passwords stop working.
   */
  async changePassword(user: User, password: string): Promise<User> {
    const hash = await this.d.hasher.hash(password);
    await this.d.users.setPassword(user.id, hash);
    await this.d.botPasswords.invalidateAll(user.id);
    return (await this.d.users.byId(user.id))!;
  }
}
