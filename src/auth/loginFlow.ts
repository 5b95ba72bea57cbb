// The login flow, written once for every front end (action=clientlogin, action=login, Special:UserLogin,
// Special:CreateAccount's login, changeauthenticationdata, Special:ChangePassword, the logouts): the
// credentials, the forced password change after a temporary password with its 30-minute window, and
// what each step does to the session. Every step that gives a session a privilege, or changes it, gives
// the session a new id (Session.logIn, beginForcedChange, passwordChanged): an id planted in a browser
// beforehand, or copied from it, is worth nothing after the step. The front ends only translate.
import type { User, UserStore } from '../accounts/users.js';
import type { AuditLog } from '../audit/log.js';
import type { Session } from '../sessions/session.js';
import type { Clock } from '../util/clock.js';
import { msg, type Msg } from '../util/errors.js';
import type { Authenticator } from './login.js';
import type { PasswordChangeVia } from './passwordChanges.js';
import { allowedAddresses } from './botpasswords.js';

/** A login begun with a temporary password waits this long for its new password. */
export const PENDING_MS = 30 * 60_000;

export type LoginStep =
  | { status: 'PASS'; user: User }
  | { status: 'FAIL'; message: Msg }
  /** A temporary password: a new password must be chosen (`message` says why, or what was wrong with it). */
  | { status: 'UI'; user: User; message: Msg };

export type BotLoginStep =
  | { status: 'PASS'; user: User }
  /** `fatal`: no main-account attempt follows (MediaWiki's throttle, needs-reset and locked cases). */
  | { status: 'FAIL'; message: Msg; fatal: boolean };

/** A forced change in progress, as the session holds it. */
export interface PendingChange {
  user: User;
  messageKey: string;
  returnUrl: string;
  remember: boolean;
}

export interface LoginFlowDeps {
  auth: Authenticator;
  users: UserStore;
  sessions: {
    endAllFor(userId: number, exceptId?: string): Promise<number>;
    admit(session: Session, ip: string): Promise<boolean>;
    overLimit(session: Session, ip: string): Promise<boolean>;
  };
  passwordChanges: { change(user: User, password: string, ctx: { ip: string | null; via: PasswordChangeVia; keepSessionId: string | null }): Promise<User> };
  audit: AuditLog;
  clock: Clock;
  /** Seconds after a login with a password during which the session may change its credentials (MediaWiki's $wgReauthenticateTime). */
  reauthenticateSeconds: number;
}

/** MediaWiki's securitySensitiveOperationStatus: go ahead, log in again first, or cannot at all. */
export type SecurityStatus = 'ok' | 'reauth' | 'fail';

/** A security-sensitive step in a session that has not proved its password recently (apierror-reauthenticate). */
export const REAUTHENTICATE = msg('apierror-reauthenticate');

/** What a bot-password session is told when it tries to log in (MediaWiki: userlogin-cannot-login). */
export const CANNOT_LOGIN = msg('userlogin-cannot-login');
/** Over the limit of stored sessions one address may start (MediaWiki's rate-limit message, "ratelimited"). */
export const SESSION_LIMIT = msg('actionthrottledtext');

export class LoginFlow {
  constructor(private readonly d: LoginFlowDeps) {}

  /**
   * Whether this session may do a security-sensitive thing (change its password) now: "ok" within the
   * reauthentication time of its last login with a password, "reauth" after it, for a session that a
   * "remember me" cookie brought back and for an anonymous one. A bot-password session cannot log in
   * again and is let through, as MediaWiki's $wgAllowSecuritySensitiveOperationIfCannotReauthenticate does.
   */
  securityStatus(session: Session): SecurityStatus {
    if (session.kind === 'bot') return session.userId > 0 ? 'ok' : 'fail';
    if (session.userId === 0) return 'reauth';
    const at = session.data.authenticated;
    return at !== undefined && this.d.clock.now() - at <= this.d.reauthenticateSeconds * 1000 ? 'ok' : 'reauth';
  }

  /**
   * Whether this session may log in at all. A bot-password session may not, with any credentials: a
   * credential limited to its grants must never become a session of the whole account (MediaWiki
   * refuses it too). Such a client logs out first, or uses a new session.
   */
  canLogIn(session: Session): boolean {
    return session.kind !== 'bot';
  }

  /**
   * The first step: a name and a password. PASS logs the session in; UI (a temporary password) holds
   * the login in the session until a new password is chosen, unless `interactive` is false
   * (action=login cannot ask for one), in which case the session is left as it was.
   */
  async begin(
    session: Session,
    input: { name: string; password: string; remember: boolean; returnUrl: string; ip: string; interactive?: boolean },
  ): Promise<LoginStep> {
    if (!this.canLogIn(session)) return { status: 'FAIL', message: CANNOT_LOGIN };
    // Over the address's session limit the password is not even checked (that costs time).
    if (await this.d.sessions.overLimit(session, input.ip)) return { status: 'FAIL', message: SESSION_LIMIT };
    const r = await this.d.auth.login(input.name, input.password, input.ip);
    if (r.status === 'FAIL') return r;
    const stores = r.status === 'PASS' || input.interactive !== false;
    if (stores && !(await this.d.sessions.admit(session, input.ip))) return { status: 'FAIL', message: SESSION_LIMIT };
    if (r.status === 'PASS') {
      session.logIn(r.user, { remember: input.remember });
      return r;
    }
    if (input.interactive !== false) {
      session.beginForcedChange({
        userId: r.user.id,
        messageKey: r.message.key,
        returnUrl: input.returnUrl,
        created: this.d.clock.now(),
        remember: input.remember,
      });
    }
    return r;
  }

  /**
   * The forced change this session is in, or null: none was begun here, its 30 minutes are over, or its
   * temporary password is no longer the account's (a password change or a newer reset came between).
   * One that can no longer finish is dropped from the session.
   */
  async pending(session: Session): Promise<PendingChange | null> {
    const p = session.data.pendingLogin;
    if (!p) return null;
    const user = this.d.clock.now() - p.created <= PENDING_MS ? await this.d.users.byId(p.userId) : null;
    if (!user || !this.d.auth.forcedChangeAllowed(user, p.created)) {
      session.endForcedChange();
      return null;
    }
    return { user, messageKey: p.messageKey, returnUrl: p.returnUrl, remember: p.remember };
  }

  /**
   * The second step: the new password (twice). A password the rules refuse is UI again with the
   * reason; otherwise the password changes (everything else of the account ends) and the session is
   * logged in under a new id. `returnUrl` is the one given to begin().
   */
  async continue(session: Session, input: { password: string; retype: string; ip: string }): Promise<LoginStep & { returnUrl?: string }> {
    if (!this.canLogIn(session)) return { status: 'FAIL', message: CANNOT_LOGIN };
    const pending = await this.pending(session);
    if (!pending) return { status: 'FAIL', message: msg('authmanager-authn-not-in-progress') };
    const user = pending.user;
    const problem = this.d.auth.validateNewPassword(user, await this.d.users.groups(user.id), input.password, input.retype);
    if (problem) return { status: 'UI', user, message: problem };
    const updated = await this.d.passwordChanges.change(user, input.password, { ip: input.ip, via: 'forced', keepSessionId: session.id });
    session.logIn(updated, { remember: pending.remember });
    return { status: 'PASS', user: updated, returnUrl: pending.returnUrl };
  }

  /** action=login with a bot password: a session limited to the bot password's grants. */
  async botLogin(session: Session, input: { name: string; appId: string; password: string; ip: string }): Promise<BotLoginStep> {
    if (!this.canLogIn(session)) return { status: 'FAIL', message: CANNOT_LOGIN, fatal: true };
    if (await this.d.sessions.overLimit(session, input.ip)) return { status: 'FAIL', message: SESSION_LIMIT, fatal: true };
    const r = await this.d.auth.loginBot(input.name, input.appId, input.password, input.ip);
    if (r.status === 'FAIL') return r;
    if (!(await this.d.sessions.admit(session, input.ip))) return { status: 'FAIL', message: SESSION_LIMIT, fatal: true };
    session.logIn(r.user, { remember: false, bot: { appId: r.bot.appId, grants: r.bot.grants, token: r.bot.token, addresses: allowedAddresses(r.bot.restrictions) } });
    return { status: 'PASS', user: r.user };
  }

  /**
   * An anonymous visitor who just created an account is logged in to it (Special:CreateAccount); false
   * when the address's session limit is reached (the account exists, the visitor logs in later).
   */
  async logInCreated(session: Session, user: User, ip: string): Promise<boolean> {
    if (!(await this.d.sessions.admit(session, ip))) return false;
    session.logIn(user, { remember: false });
    return true;
  }

  /**
   * A logged-in user sets a new password (action=changeauthenticationdata, Special:ChangePassword):
   * the rules, then the change with all it ends elsewhere; this session stays logged in, under a new id.
   * Returns the broken rule, or null when the password was changed.
   */
  async changePassword(
    session: Session,
    user: User,
    groups: readonly string[],
    input: { password: string; retype: string; ip: string; via: PasswordChangeVia },
  ): Promise<Msg | null> {
    // A bot password is for tools: it may not replace the account's own password.
    if (session.kind === 'bot') return msg('apierror-botpasswords-cannot-change');
    // A session whose password login is over an hour old (or that a "remember me" cookie brought back)
    // must log in again first: a stolen or forgotten session cookie cannot take the account over.
    if (this.securityStatus(session) !== 'ok') return REAUTHENTICATE;
    const problem = this.d.auth.validateNewPassword(user, groups, input.password, input.retype);
    if (problem) return problem;
    const updated = await this.d.passwordChanges.change(user, input.password, { ip: input.ip, via: input.via, keepSessionId: session.id });
    session.passwordChanged(updated);
    return null;
  }

  /**
   * Ends the session. A main-account logout also ends the account's other sessions and remembered
   * logins (its user_token changes), as MediaWiki does; a bot-password logout ends only its session.
   */
  async logOut(session: Session, who: { name: string | null; ip: string }): Promise<void> {
    const userId = session.userId;
    const wasBot = session.kind === 'bot';
    session.logOut();
    if (userId > 0 && !wasBot) {
      await this.d.users.rotateToken(userId);
      await this.d.sessions.endAllFor(userId);
    }
    if (userId > 0) await this.d.audit.record({ type: 'logout', userId, userName: who.name, ip: who.ip, details: { bot: wasBot } });
  }
}
