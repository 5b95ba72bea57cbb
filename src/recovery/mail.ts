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
    lang: m.lang,
    dir: i18n.direction(m.lang),
  };
}
