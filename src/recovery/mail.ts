// The reset mail: one per account, in the account's language, with links from the configured server only.
import type { I18n } from '../i18n/index.js';
import type { OutgoingMail } from '../mail/compose.js';

export interface ResetMailInput {
  userId: number;
  userName: string;
  to: string;
  lang: string;
  /** The requesting IP (anonymous requester) or account name. */
  requester: string;
  requesterIsIp: boolean;
  tempPassword: string;
  expirySeconds: number;
}

export function loginUrl(server: string, articlePath: string): string {
  return `${server}${articlePath}/Special:UserLogin`;
}

export function resetMail(i18n: I18n, site: { server: string; articlePath: string }, m: ResetMailInput): OutgoingMail {
  const days = Math.max(1, Math.round(m.expirySeconds / 86400));
  const url = loginUrl(site.server, site.articlePath);
  const body = i18n.text(
    m.lang,
    m.requesterIsIp ? 'passwordreset-emailtext-ip' : 'passwordreset-emailtext-user',
    m.requester,
    i18n.text(m.lang, 'passwordreset-emailelement', m.userName, m.tempPassword),
    1,
    `<${url}>`,
    days,
  );
  return {
    kind: 'password-reset',
    userId: m.userId,
    to: m.to,
    toName: m.userName,
    subject: i18n.text(m.lang, 'passwordreset-emailtitle'),
    text: body,
    // Masked in the stored copy that `mwauth mail show` prints.
    secrets: [m.tempPassword],
    lang: m.lang,
    dir: i18n.direction(m.lang),
  };
}

export function passwordResetUrl(server: string, articlePath: string): string {
  return `${server}${articlePath}/Special:PasswordReset`;
}

/**
 * The notice to an address that no account uses (MWAUTH_NOTIFY_UNKNOWN_ADDRESS): someone typed it on
 * the reset form. It names no account and is written in the site's language.
 */
export function unknownAddressMail(i18n: I18n, site: { server: string; articlePath: string }, m: { to: string; lang: string }): OutgoingMail {
  return {
    kind: 'reset-unknown-address',
    userId: 0,
    to: m.to,
    subject: i18n.text(m.lang, 'passwordreset-unknown-emailtitle'),
    text: i18n.text(m.lang, 'passwordreset-unknown-emailtext', m.to, `<${passwordResetUrl(site.server, site.articlePath)}>`),
    lang: m.lang,
    dir: i18n.direction(m.lang),
  };
}
