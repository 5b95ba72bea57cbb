// Creating an account: the one door for action=createaccount, Special:CreateAccount and `mwauth user add`.
// The checks run in MediaWiki's order, because a client sees which refusal comes first: a name at all,
// the creator's right and blocks, a free and valid name, the address, the per-IP creation throttle
// (counted from here on, whatever fails later), the password; then the account, its audit event and,
// for an account made with a mailed temporary password, its mail, in one transaction.
import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/log.js';
import { generateTemporaryPassword } from '../auth/tempPassword.js';
import { passwordProblems } from '../auth/policy.js';
import type { PasswordHasher } from '../auth/passwords.js';
import type { TemporaryPasswordHasher } from '../auth/tempPasswordHash.js';
import type { I18n } from '../i18n/index.js';
import type { Counters } from '../limits/counters.js';
import type { OutgoingMail } from '../mail/compose.js';
import type { Outbox } from '../mail/outbox.js';
import { pageUrl, type ArticleSite } from '../site/urls.js';
import { ipLimitKey } from '../util/clientAddress.js';
import type { Stores } from '../storage/stores.js';
import { isoTimestamp, type Clock, type Random } from '../util/clock.js';
import { msg, type Msg } from '../util/errors.js';
import type { Block } from './blocks.js';
import { canonicalUserName, isCreatableName, isValidEmail } from './names.js';
import type { Performer } from './performer.js';
import { GROUP_RIGHTS } from './rights.js';
import type { User, UserStore } from './users.js';

export interface NewAccountInput {
  /** The name asked for; null when none was given. */
  username: string | null;
  /** The password and its retype; null when the request carried no complete pair (then nothing can create the account). */
  password: { password: string; retype: string } | null;
  email: string | null;
  realname: string | null;
  /** Why the account is made (a logged-in creator making it for someone else); kept in the audit trail. */
  reason: string | null;
  /** Give the account a temporary password and mail it to `email`, instead of a password of the creator's choosing. */
  mailPassword: boolean;
  /** Groups the account starts in (the command line only). */
  groups?: readonly string[];
}

/** The field a refusal is about, so that a form can show it there; null for the whole request. */
export type NewAccountField = 'username' | 'password' | 'retype' | 'email' | null;

export type NewAccountOutcome = { status: 'PASS'; user: User } | { status: 'FAIL'; message: Msg; field: NewAccountField };

/** Who creates: a requester over the API or a page, or the operator at the command line (no rights, blocks or throttle apply). */
export type Creator = { performer: Performer } | 'operator';

export interface AccountCreationDeps {
  /** The new account, its groups and its audit events: one transaction writes them. */
  stores: Pick<Stores, 'users' | 'transaction'>;
  hasher: PasswordHasher;
  tempPasswords: TemporaryPasswordHasher;
  counters: Counters;
  clock: Clock;
  random: Random;
  audit: AuditLog;
  outbox: Pick<Outbox, 'enqueue'>;
  i18n: I18n;
  config: {
    server: string;
    articlePath: string;
    language: string;
    enableEmail: boolean;
    throttle: ReadonlyArray<{ count: number; seconds: number }>;
    tempPasswordLength: number;
    newPasswordExpiry: number;
  };
  /** Called when a mail was queued (wakes the delivery worker). */
  onQueued?: () => void;
}

const GROUPS_THAT_CREATE = Object.entries(GROUP_RIGHTS).filter(([, rights]) => rights.includes('createaccount')).map(([g]) => g);

/** MediaWiki's blockedtext parameters: blocker, reason, the requester's address, blocker, block id, expiry, target, time. */
function blockedMessage(block: Block, ip: string): Msg {
  const expiry = block.expiry === null ? 'infinite' : isoTimestamp(block.expiry);
  return msg('blockedtext', block.by, block.reason, ip, block.by, block.id, expiry, block.target, isoTimestamp(block.timestamp));
}

/** The mail to the address of an account made with a temporary password. */
export function accountCreatedMail(
  i18n: I18n,
  site: ArticleSite & { language: string },
  m: { userId: number; userName: string; to: string; creator: string; tempPassword: string; expirySeconds: number },
): OutgoingMail {
  const lang = site.language;
  const days = Math.max(1, Math.round(m.expirySeconds / 86400));
  const login = `<${pageUrl(site, 'Special:UserLogin')}>`;
  return {
    kind: 'account-created',
    userId: m.userId,
    to: m.to,
    toName: m.userName,
    subject: i18n.text(lang, 'createaccount-title'),
    text: i18n.text(lang, 'createaccount-text', m.creator, m.userName, m.tempPassword, login, days),
    secrets: [m.tempPassword],
    lang,
    dir: i18n.direction(lang),
  };
}

export class AccountCreation {
  constructor(private readonly d: AccountCreationDeps) {}

  /**
   * Why this performer may not create accounts at all, or null: the right (a bot password without the
   * createaccount grant lacks it) and a block that disables account creation.
   */
  async refusal(performer: Performer): Promise<Msg | null> {
    if (!performer.can('createaccount')) return msg('badaccess-groups', GROUPS_THAT_CREATE.join(', '), GROUPS_THAT_CREATE.length);
    const block = await performer.block();
    if (block?.createAccount) return blockedMessage(block, performer.ip);
    return null;
  }

  /** Counts one attempt of this address against every throttle condition; the refusal when one is full. */
  private async throttled(performer: Performer): Promise<Msg | null> {
    if (performer.can('noratelimit')) return null;
    const range = ipLimitKey(performer.ip);
    let hit: Msg | null = null;
    for (const [i, cond] of this.d.config.throttle.entries()) {
      const n = await this.d.counters.hit(`acctcreate:${i}:${range}`, cond.seconds);
      if (n > cond.count && !hit) {
        hit = msg('acct_creation_throttle_hit', cond.count, { duration: cond.seconds });
        // Once per window, not per refused attempt.
        if (n === cond.count + 1) {
          await this.d.audit.record({
            type: 'account.throttled',
            userId: performer.id || null,
            userName: performer.anon ? null : performer.name,
            ip: performer.ip,
            details: { range, limit: `${cond.count}/${cond.seconds}` },
          });
        }
      }
    }
    return hit;
  }

  async create(creator: Creator, input: NewAccountInput, via: 'api' | 'web' | 'cli'): Promise<NewAccountOutcome> {
    const d = this.d;
    const fail = (field: NewAccountField, m: Msg): NewAccountOutcome => ({ status: 'FAIL', message: m, field });
    const performer = creator === 'operator' ? null : creator.performer;

    if (input.username === null || input.username === '') return fail('username', msg('noname'));
    if (performer) {
      const refused = await this.refusal(performer);
      if (refused) return fail(null, refused);
    }
    const name = canonicalUserName(input.username);
    if (name !== null && (await d.stores.users.byName(name))) return fail('username', msg('userexists'));
    if (name === null || !isCreatableName(name)) return fail('username', msg('noname'));
    const lookalike = await confusableNameProblem(d.stores.users, name);
    if (lookalike) return fail('username', lookalike);
    const email = d.config.enableEmail ? (input.email ?? '') : '';
    if (email !== '' && !isValidEmail(email)) return fail('email', msg('invalidemailaddress'));

    // From here on every attempt counts against the address, as in MediaWiki: a refused password too.
    if (performer) {
      const throttled = await this.throttled(performer);
      if (throttled) return fail(null, throttled);
    }
    if (input.mailPassword && email === '') return fail('email', msg('noemailcreate'));
    const groups = input.groups ?? [];
    if (input.password !== null) {
      if (input.password.password !== input.password.retype) return fail('retype', msg('badretype'));
      const problem = passwordProblems(input.password.password, name, groups)[0];
      if (problem) return fail('password', problem.message);
    }
    if (!input.mailPassword && input.password === null) return fail('password', msg('authmanager-create-no-primary'));

    // A mailed temporary password wins over a password the creator typed, as MediaWiki's providers are ordered.
    const temp = input.mailPassword ? generateTemporaryPassword(d.config.tempPasswordLength, d.random) : null;
    // With a mailed password the main password is a hash of something nobody knows: a login costs the same as anywhere.
    const mainPassword = temp === null ? input.password!.password : randomBytes(24).toString('base64');
    const [passwordHash, temporaryPasswordHash] = await Promise.all([d.hasher.hash(mainPassword), temp === null ? undefined : d.tempPasswords.hash(temp)]);
    const by = performer ? { userId: performer.id || null, userName: performer.anon ? null : performer.name, ip: performer.ip } : { userId: null, userName: null, ip: null };
    let user: User;
    let mailed = false;
    try {
      user = await d.stores.transaction(async (tx) => {
        mailed = false;
        // Checked again under the look-alike group's lock: a look-alike created meanwhile (on any node) is seen.
        if ((await tx.users.lockConfusable(name)).some((n) => n !== name)) throw new LookAlikeCreated();
        const made = await tx.users.create({ name, email, realName: input.realname ?? '', passwordHash, temporaryPasswordHash });
        for (const g of groups) await tx.users.addGroup(made.id, g);
        await d.audit.record(
          {
            type: 'account.created',
            userId: made.id,
            userName: made.name,
            ip: by.ip,
            details: {
              via,
              creator: by.userName,
              creatorId: by.userId,
              ...(input.reason ? { reason: input.reason } : {}),
              ...(groups.length ? { groups: [...groups] } : {}),
              byMail: temp !== null,
            },
          },
          tx,
        );
        if (temp !== null) {
          const mail = accountCreatedMail(d.i18n, d.config, {
            userId: made.id, userName: made.name, to: email, creator: by.userName ?? by.ip ?? '', tempPassword: temp, expirySeconds: d.config.newPasswordExpiry,
          });
          // The outbox has no store of its own yet: it writes in the same transaction through tx.sql.
          const outbox = await d.outbox.enqueue(tx.sql, mail);
          await d.audit.record({ type: 'mail.queued', userId: made.id, userName: made.name, ip: by.ip, details: { kind: mail.kind, outbox } }, tx);
          mailed = true;
        }
        return made;
      });
    } catch (err) {
      // Two requests raced for the same name; the unique index let one win.
      if (await d.stores.users.byName(name)) return fail('username', msg('userexists'));
      // Or for look-alike names: the lock let one win.
      if (err instanceof LookAlikeCreated) return fail('username', (await confusableNameProblem(d.stores.users, name)) ?? msg('userexists'));
      throw err;
    }
    if (mailed) d.onQueued?.();
    return { status: 'PASS', user };
  }
}

/** A look-alike account was created while this one was being checked (rolls the creation back). */
class LookAlikeCreated extends Error {}

/**
 * AntiSpoof's `antispoof-conflict-top` when a new (canonical, creatable, free) name is confusable with
 * existing names — the same UTS #39 skeleton: "Аlice" with a Cyrillic А when "Alice" exists — else null.
 */
export async function confusableNameProblem(users: UserStore, name: string): Promise<Msg | null> {
  const similar = (await users.confusableWith(name)).filter((n) => n !== name);
  return similar.length ? msg('antispoof-conflict-top', name, similar.length) : null;
}
