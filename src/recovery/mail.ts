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

// The reset mail's text differs from one account to the next only in the requester, the account's name and
// its temporary password, which the messages use as plain text (never in PLURAL or GENDER). Rendering the
// message (parsing its wikitext) once per language and kind of requester, with markers where these go, and
// putting them in afterwards makes the same text for a fraction of the work; a worker mails thousands.
const MARK = /\uE000([0-2])\uE001/g;
const mark = (i: number) => `\uE000${i}\uE001`;
const templates = new WeakMap<I18n, Map<string, { subject: string; body: string }>>();

function resetTemplate(i18n: I18n, lang: string, ip: boolean, url: string, days: number): { subject: string; body: string } {
  let forI18n = templates.get(i18n);
  if (!forI18n) templates.set(i18n, (forI18n = new Map()));
  const key = `${lang}\n${ip}\n${url}\n${days}`;
  let t = forI18n.get(key);
  if (!t) {
    const body = i18n.text(lang, ip ? 'passwordreset-emailtext-ip' : 'passwordreset-emailtext-user', mark(0), i18n.text(lang, 'passwordreset-emailelement', mark(1), mark(2)), 1, `<${url}>`, days);
    t = { subject: i18n.text(lang, 'passwordreset-emailtitle'), body };
    // A catalogue whose message does not take each value as it is falls back to rendering every mail.
    if ((body.match(MARK) ?? []).length !== 3) t = { subject: t.subject, body: '' };
    if (forI18n.size < 1000) forI18n.set(key, t);
  }
  return t;
}

export function resetMail(i18n: I18n, site: ArticleSite, m: ResetMailInput): OutgoingMail {
  const days = Math.max(1, Math.round(m.expirySeconds / 86400));
  const url = pageUrl(site, 'Special:UserLogin');
  // An address is the server's own reading of the connection; a name is whatever the account is called.
  const requester = m.requesterIsIp ? m.requester : quotedAccountName(m.requester);
  const t = resetTemplate(i18n, m.lang, m.requesterIsIp, url, days);
  const values = [requester, m.userName, m.tempPassword];
  const body = t.body
    ? t.body.replace(MARK, (_, i: string) => values[Number(i)]!)
    : i18n.text(m.lang, m.requesterIsIp ? 'passwordreset-emailtext-ip' : 'passwordreset-emailtext-user', requester, i18n.text(m.lang, 'passwordreset-emailelement', m.userName, m.tempPassword), 1, `<${url}>`, days);
  return {
    kind: 'password-reset',
    userId: m.userId,
    to: m.to,
    toName: m.userName,
    subject: t.subject,
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
