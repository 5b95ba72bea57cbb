// The one place where a main password changes, whoever changes it: the forced change after a temporary
// password (clientlogin, Special:UserLogin), Special:ChangePassword, action=changeauthenticationdata and
// `mwauth user set-password`. In one transaction: the new hash; the temporary password, the reset
// cooldown and the user_token go (remembered logins and every other session stop being valid); bot
// passwords are invalidated; the audit event; and a "your password was changed" mail to the account's
// address through the outbox, counted against that address like every mail (past twice its limit the
// notice is not sent: see src/mail/limits.ts). After the commit the other sessions' rows are deleted.
import type { User } from '../accounts/users.js';
import type { AuditLog } from '../audit/log.js';
import type { I18n } from '../i18n/index.js';
import type { OutgoingMail } from '../mail/compose.js';
import { NOTICE_HEADROOM, type AddressLimit } from '../mail/limits.js';
import type { Outbox } from '../mail/outbox.js';
import { pageUrl, type ArticleSite } from '../site/urls.js';
import type { Stores } from '../storage/stores.js';
import type { Clock } from '../util/clock.js';
import type { PasswordHasher } from './passwords.js';

/** Where the change came from (recorded in the audit trail). */
export type PasswordChangeVia = 'forced' | 'api' | 'web' | 'cli' | 'other';

export interface PasswordChangeContext {
  /** The IP address of the person changing it; null from the command line. */
  ip?: string | null;
  via?: PasswordChangeVia;
  /** The session that made the change stays (the caller refreshes or replaces it). */
  keepSessionId?: string | null;
}

export interface PasswordChangeDeps {
  /** The account, its preferences and bot passwords, the audit trail: one transaction writes them. */
  stores: Pick<Stores, 'users' | 'preferences' | 'botPasswords' | 'transaction'>;
  hasher: PasswordHasher;
  sessions: { endAllFor(userId: number, exceptId?: string): Promise<number> };
  outbox: Pick<Outbox, 'enqueue'>;
  audit: AuditLog;
  i18n: I18n;
  clock: Clock;
  /** The site the notice speaks for; null: unknown (a command line before any server ran), so no notice. */
  config: { server: string; articlePath: string; language: string } | null;
  /** Called when a mail was queued (wakes the delivery worker). */
  onQueued?: () => void;
  /** Where the notice counts against its address; without it notices are not counted. */
  addressLimit?: AddressLimit;
}

/** The time as the mail shows it: the language's long date and short time, in UTC, Latin digits. */
export function mailTime(ms: number, lang: string): string {
  let text: string;
  try {
    text = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC', numberingSystem: 'latn' }).format(new Date(ms));
  } catch {
    text = new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  }
  return `${text} (UTC)`;
}

export function passwordChangedMail(
  i18n: I18n,
  site: ArticleSite,
  m: { userId: number; userName: string; to: string; lang: string; time: number; ip: string | null },
): OutgoingMail {
  const link = `<${pageUrl(site, 'Special:PasswordReset')}>`;
  const when = mailTime(m.time, m.lang);
  const text =
    m.ip === null
      ? i18n.text(m.lang, 'passwordchanged-emailtext-admin', m.userName, when, '', link)
      : i18n.text(m.lang, 'passwordchanged-emailtext-ip', m.userName, when, m.ip, link);
  return {
    kind: 'password-changed',
    userId: m.userId,
    to: m.to,
    toName: m.userName,
    subject: i18n.text(m.lang, 'passwordchanged-emailtitle'),
    text,
    lang: m.lang,
    dir: i18n.direction(m.lang),
  };
}

export class PasswordChanges {
  constructor(private readonly d: PasswordChangeDeps) {}

  /** Sets a new main password with everything that goes with it; returns the account as it is now. */
  async change(user: User, password: string, ctx: PasswordChangeContext = {}): Promise<User> {
    const d = this.d;
    const ip = ctx.ip ?? null;
    const via = ctx.via ?? 'other';
    // The slow and the non-transactional reads first: nothing waits on an open transaction.
    const hash = await d.hasher.hash(password);
    const site = d.config;
    const { users, preferences, botPasswords } = d.stores;
    const lang = d.i18n.resolve((await preferences.get(user.id)).language) ?? site?.language ?? 'en';
    const bots = (await botPasswords.list(user.id)).filter((b) => b.valid).length;
    // The notice counts against its address before the transaction (the counters are not part of it) and
    // is given back if nothing is queued after all.
    const address = (await users.byId(user.id))?.email ?? user.email;
    const allowance = address && site && d.addressLimit ? await d.addressLimit.take(address, { headroom: NOTICE_HEADROOM }) : null;
    let mailed = false;
    try {
      await d.stores.transaction(async (tx) => {
        mailed = false;
        const current = (await tx.users.byId(user.id)) ?? user;
        await tx.users.setPassword(user.id, hash);
        await tx.botPasswords.invalidateAll(user.id);
        const who = { userId: user.id, userName: current.name, ip };
        await d.audit.record(
          { type: 'password.changed', ...who, details: { via, temporaryCleared: current.newPassword !== '', botsInvalidated: bots } },
          tx,
        );
        if (current.email && site && allowance && !allowance.admitted) {
          // Silent for whoever changed it, recorded for operators.
          await d.audit.record({ type: 'mail.limited', ...who, details: { kind: 'password-changed', limit: 'address' } }, tx);
        } else if (current.email && site) {
          const mail = passwordChangedMail(d.i18n, site, { userId: user.id, userName: current.name, to: current.email, lang, time: d.clock.now(), ip });
          // The outbox has no store of its own yet: it writes in the same transaction through tx.sql.
          const outbox = await d.outbox.enqueue(tx.sql, mail);
          await d.audit.record({ type: 'mail.queued', ...who, details: { kind: mail.kind, outbox } }, tx);
          mailed = true;
        }
      });
    } catch (err) {
      await allowance?.release().catch(() => {});
      throw err;
    }
    if (!mailed) await allowance?.release();
    // The rows of the other sessions: they already stopped working at the commit (user_token and the
    // bot passwords' tokens changed); this removes them.
    const ended = await d.sessions.endAllFor(user.id, ctx.keepSessionId ?? undefined);
    await d.audit.record({
      type: 'sessions.revoked',
      userId: user.id,
      userName: user.name,
      ip,
      details: { reason: 'password-change', ended, keptCurrent: Boolean(ctx.keepSessionId) },
    });
    if (mailed) d.onQueued?.();
    return (await users.byId(user.id))!;
  }
}
