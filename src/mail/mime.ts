// A small MIME writer for the one shape of message mwauth sends: a text and an HTML part of one mail
// (multipart/alternative), UTF-8, quoted-printable, every header 7-bit. Building each message through
// nodemailer's composer took about 0.7 ms of streams and objects, twice per reset mail (the message and
// its masked copy): more than everything else the reset worker does for a request. This writes the same
// message in a few string operations. Anything it is not made for (an address that is not plain ASCII)
// is left to nodemailer's composer by the caller.
import { randomBytes } from 'node:crypto';

export interface MimeInput {
  from: { name: string; address: string };
  to: { name?: string; address: string };
  subject: string;
  messageId: string;
  date: Date;
  lang: string;
  text: string;
  html: string;
}

const PLAIN_ADDRESS = /^[\x21-\x7e]+$/;
/** RFC 5322 "atext" and spaces: a display name that needs neither quotes nor encoding. */
const ATOMS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$/;
const MAX_LINE = 76;

/** Whether an address can be written as it is (no IDN, no UTF-8 local part, nothing that breaks a header). */
export function plainAddress(address: string): boolean {
  return PLAIN_ADDRESS.test(address) && !/[<>(),;:"\\[\]]/.test(address);
}

/**
 * RFC 2047 encoded words (base64, UTF-8), each at most 75 characters and never splitting a character,
 * joined by folding whitespace.
 */
function encodedWords(value: string): string {
  const words: string[] = [];
  let chunk = '';
  // 30 bytes of UTF-8 make 40 base64 characters: with "=?UTF-8?B?", "?=" and a header's name before the
  // first word, every line stays within 76.
  for (const ch of value) {
    if (Buffer.byteLength(chunk + ch, 'utf8') > 30) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

/** An unstructured header value (Subject): as it is when plain ASCII, folded at spaces; else encoded words. */
function unstructured(value: string): string {
  const v = value.replace(/[\r\n\t]+/g, ' ');
  if (!/^[\x20-\x7e]*$/.test(v)) return encodedWords(v);
  if (/=\?/.test(v)) return encodedWords(v); // would read as an encoded word
  const folded = fold(v);
  // A word too long for a line cannot be folded: encoded words can be split anywhere.
  return folded.split('\r\n').some((l) => l.length > MAX_LINE - 10) ? encodedWords(v) : folded;
}

/** Folds a plain header value at spaces so that lines stay short (a word longer than a line stays whole). */
function fold(v: string): string {
  const out: string[] = [];
  let line = '';
  for (const word of v.split(' ')) {
    if (line && line.length + 1 + word.length > MAX_LINE - 10) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  out.push(line);
  return out.join('\r\n ');
}

function mailbox(m: { name?: string; address: string }): string {
  const name = (m.name ?? '').replace(/[\r\n\t]+/g, ' ').trim();
  if (!name) return m.address;
  if (!/^[\x20-\x7e]*$/.test(name) || name.includes('=?')) return `${encodedWords(name)} <${m.address}>`;
  if (ATOMS.test(name)) return `${name} <${m.address}>`;
  return `"${name.replace(/[\\"]/g, '\\$&')}" <${m.address}>`;
}

/** RFC 5322 date: "Fri, 02 Jan 2026 03:04:05 +0000". */
function rfcDate(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

const HEX = '0123456789ABCDEF';
const SAFE_LINE = /^(?:[\x21-\x3c\x3e-\x7e \t]*[\x21-\x3c\x3e-\x7e])?$/;

/**
 * Quoted-printable (RFC 2045) of UTF-8 text, CRLF line ends: printable ASCII but "=" as it is, a space or
 * tab at a line's end encoded, everything else =XX; soft line breaks keep lines within 76 characters and
 * never split an =XX.
 */
export function quotedPrintable(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    // Most lines are short plain ASCII without "=" and without a space at the end: they stay as they are.
    if (line.length <= MAX_LINE && SAFE_LINE.test(line)) {
      out.push(line);
      continue;
    }
    const bytes = Buffer.from(line, 'utf8');
    let cur = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      const last = i === bytes.length - 1;
      let piece: string;
      if ((b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last)) piece = String.fromCharCode(b);
      else piece = `=${HEX[b >> 4]}${HEX[b & 15]}`;
      // Room for the piece and, unless it ends the line, a soft break "=" after it.
      if (cur.length + piece.length > (last ? MAX_LINE : MAX_LINE - 1)) {
        out.push(`${cur}=`);
        cur = '';
      }
      cur += piece;
    }
    out.push(cur);
  }
  return out.join('\r\n');
}

/** The complete message, CRLF line ends, 7-bit. */
export function writeMime(m: MimeInput): string {
  // "=_" never occurs in quoted-printable output, so no body line can look like the boundary.
  const boundary = `--=_mwauth_${randomBytes(12).toString('hex')}`;
  const headers = [
    'Auto-Submitted: auto-generated',
    'X-Auto-Response-Suppress: All',
    `Content-Language: ${m.lang.replace(/[^A-Za-z0-9-]/g, '')}`,
    `From: ${mailbox(m.from)}`,
    `To: ${mailbox(m.to)}`,
    `Subject: ${unstructured(m.subject)}`,
    `Message-ID: ${m.messageId.replace(/[\r\n]/g, '')}`,
    `Date: ${rfcDate(m.date)}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
  ];
  const part = (type: string, body: string) =>
    `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${quotedPrintable(body)}\r\n`;
  return `${headers.join('\r\n')}\r\n\r\n${part('text/plain', m.text)}${part('text/html', m.html)}--${boundary}--\r\n`;
}
