// The reset mail: one per account, in the account's language, with links from the configured server only.
import type { I18n } from '../i18n/index.js';
import type { OutgoingMail } from '../mail/compose.js';
import { pageUrl, type ArticleSite } from '../site/urls.js';

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

/**
 * An account name as the reset mail quotes it. It is kept, as MediaWiki keeps it, but it never breaks a
 * line (control characters, U+2028/9 and other separators become a space) and never becomes a link: a
 * mail program turns "www.evil.example", "evil.example/reset", "http://…" or "a@b.example" into one, so the
 * characters that make them — "." ":" "/" "@" — are shown as look-alikes that no link is made of
 * (U+2024 ․, U+A789 ꞉, U+2215 ∕, U+FF20 ＠). Bidirectional controls go too, so the name cannot reorder the
 * sentence around it.
 */
export function quotedAccountName(name: string): string {
  return name
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\p{Zs}\u200b\u2060\ufeff]+/gu, ' ')
    .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/ {2,}/g, ' ')
    .trim()
    .replace(/[.:/@\uff0e\u3002\uff61\uff1a\uff0f]/g, (c) => LINK_FREE[c]!);
}

// Also the full-width and ideographic dots, colon and slash, which some mail programs read as ASCII ones.
const LINK_FREE: Record<string, string> = {
  '.': '\u2024', '\uff0e': '\u2024', '\u3002': '\u2024', '\uff61': '\u2024',
  ':': '\ua789', '\uff1a': '\ua789',
  '/': '\u2215', '\uff0f': '\u2215',
  '@': '\uff20',
};

export function resetMail(i18n: I18n, site: ArticleSite, m: ResetMailInput): OutgoingMail {
  const days = Math.max(1, Math.round(m.expirySeconds / 86400));
  const url = pageUrl(site, 'Special:UserLogin');
  const body = i18n.text(
    m.lang,
    m.requesterIsIp ? 'passwordreset-emailtext-ip' : 'passwordreset-emailtext-user',
    // An address is the server's own reading of the connection; a name is whatever the account is called.
    m.requesterIsIp ? m.requester : quotedAccountName(m.requester),
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

/**
 * The notice to an address that no account uses (MWAUTH_NOTIFY_UNKNOWN_ADDRESS): someone typed it on
 * the reset form. It names no account and is written in the site's language.
 */
export function unknownAddressMail(i18n: I18n, site: ArticleSite, m: { to: string; lang: string }): OutgoingMail {
  return {
    kind: 'reset-unknown-address',
    userId: 0,
    to: m.to,
    subject: i18n.text(m.lang, 'passwordreset-unknown-emailtitle'),
    text: i18n.text(m.lang, 'passwordreset-unknown-emailtext', m.to, `<${pageUrl(site, 'Special:PasswordReset')}>`),
    lang: m.lang,
    dir: i18n.direction(m.lang),
  };
}
