// Builds the complete RFC 5322 message once, at enqueue time, so every retry sends the
// same bytes (same Message-ID and Date) and receivers can drop duplicates.
import MailComposer from 'nodemailer/lib/mail-composer';
import { escapeHtml } from '../util/html.js';
import { plainAddress, writeMime } from './mime.js';

export interface OutgoingMail {
  kind: string;
  userId: number;
  to: string;
  toName?: string;
  subject: string;
  text: string;
  html?: string;
  lang: string;
  dir: 'ltr' | 'rtl';
  /**
   * Values in the text or html that must never be shown again (a temporary password). The outbox
   * keeps a copy of the message with them masked, which is all `mwauth mail show` prints.
   */
  secrets?: string[];
}

export const MASK = '••••••••';

/** The same mail with every secret replaced by MASK (longest first, so no secret is left half-masked). */
export function maskMail(mail: OutgoingMail): OutgoingMail {
  const secrets = [...new Set((mail.secrets ?? []).filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  const mask = (s: string) => secrets.reduce((acc, secret) => acc.split(secret).join(MASK), s);
  const html = mail.html ?? textToHtml(mail.text, mail.lang, mail.dir);
  return { ...mail, subject: mask(mail.subject), text: mask(mail.text), html: secrets.reduce((acc, secret) => acc.split(escapeHtml(secret)).join(MASK).split(secret).join(MASK), html), secrets: [] };
}

export interface ComposeOptions {
  from: string;
  fromName: string;
  /** Including the angle brackets: `<hex@domain>`. */
  messageId: string;
  date: Date;
}

// The lang/dir attributes must be plain tokens; a configured language code is trusted,
// but the markup is still built defensively so a bad value cannot break out of the tag.
function attr(s: string): string {
  return escapeHtml(s);
}

/** The HTML alternative for a plain-text mail: escaped, line breaks kept, direction set. */
export function textToHtml(text: string, lang: string, dir: 'ltr' | 'rtl'): string {
  const body = escapeHtml(text.replace(/\r\n?/g, '\n')).split('\n').join('<br>\n');
  return (
    `<!DOCTYPE html>\n<html lang="${attr(lang)}" dir="${attr(dir)}">\n` +
    `<head><meta charset="utf-8"></head>\n` +
    `<body dir="${attr(dir)}">\n<div dir="${attr(dir)}">${body}</div>\n</body>\n</html>\n`
  );
}

export async function composeMessage(mail: OutgoingMail, opts: ComposeOptions): Promise<string> {
  const html = mail.html ?? textToHtml(mail.text, mail.lang, mail.dir);
  // The usual case, written directly (mime.ts); an address beyond plain ASCII goes through nodemailer.
  if (plainAddress(opts.from) && plainAddress(mail.to)) {
    return writeMime({
      from: { name: opts.fromName, address: opts.from },
      to: { name: mail.toName, address: mail.to },
      subject: mail.subject,
      messageId: opts.messageId,
      date: opts.date,
      lang: mail.lang,
      text: mail.text,
      html,
    });
  }
  const composer = new MailComposer({
    from: { name: opts.fromName, address: opts.from },
    to: mail.toName ? { name: mail.toName, address: mail.to } : mail.to,
    subject: mail.subject,
    messageId: opts.messageId,
    date: opts.date,
    text: { content: mail.text, contentType: 'text/plain; charset=utf-8' },
    html: { content: html, contentType: 'text/html; charset=utf-8' },
    headers: {
      // RFC 3834: tells autoresponders (vacation replies) not to answer a machine.
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      'Content-Language': mail.lang,
    },
    // SMTP needs CRLF; fixing it here keeps stored and file-delivered copies identical.
    newline: 'win',
  });
  const buf = await composer.compile().build();
  // Every non-ASCII byte is encoded (Q/B headers, QP/base64 bodies), so this is 7-bit text.
  return buf.toString('utf8');
}
