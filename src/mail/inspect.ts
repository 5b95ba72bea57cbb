// Reading a stored message back for an operator (`mwauth mail show`): headers, decoded text parts,
// and masking, so a temporary password never reaches a terminal, a ticket or a log.
import { MASK } from './compose.js';

export interface MessagePart {
  contentType: string;
  /** Decoded to text (transfer encoding and charset). */
  body: string;
}

export interface ParsedMessage {
  /** Unfolded, in order, values as stored (encoded words left as they are). */
  headers: Array<[string, string]>;
  /** The leaf parts, depth first (text/plain before text/html in our messages). */
  parts: MessagePart[];
}

function splitHead(raw: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  if (!m) return { head: raw, body: '' };
  return { head: raw.slice(0, m.index), body: raw.slice(m.index + m[0].length) };
}

function parseHeaders(head: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n(?![ \t])/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    out.push([line.slice(0, i).trim(), line.slice(i + 1).replace(/\r?\n[ \t]+/g, ' ').trim()]);
  }
  return out;
}

function header(headers: Array<[string, string]>, name: string): string | undefined {
  return headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

function param(value: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(value);
  return m ? (m[1] ?? m[2]) : undefined;
}

function charsetDecode(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

function qpDecode(s: string): Buffer {
  const soft = s.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function decodeBody(body: string, encoding: string | undefined, charset: string | undefined): string {
  const enc = (encoding ?? '7bit').toLowerCase();
  let bytes: Buffer;
  if (enc === 'base64') bytes = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (enc === 'quoted-printable') bytes = qpDecode(body);
  else bytes = Buffer.from(body, 'utf8');
  return charsetDecode(bytes, charset).replace(/\r\n/g, '\n');
}

function parseEntity(raw: string, parts: MessagePart[], depth: number): Array<[string, string]> {
  const { head, body } = splitHead(raw);
  const headers = parseHeaders(head);
  const ctype = header(headers, 'content-type') ?? 'text/plain';
  const type = ctype.split(';')[0]!.trim().toLowerCase();
  const boundary = param(ctype, 'boundary');
  if (type.startsWith('multipart/') && boundary && depth < 10) {
    const delimiter = `--${boundary}`;
    const pieces = body.split(new RegExp(`\\r?\\n?${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*\\r?\\n?`));
    // pieces[0] is the preamble, the last the epilogue.
    for (const piece of pieces.slice(1, -1)) parseEntity(piece, parts, depth + 1);
  } else {
    parts.push({ contentType: type, body: decodeBody(body, header(headers, 'content-transfer-encoding'), param(ctype, 'charset')) });
  }
  return headers;
}

export function parseMessage(raw: string): ParsedMessage {
  const parts: MessagePart[] = [];
  const headers = parseEntity(raw, parts, 0);
  return { headers, parts };
}

/** RFC 2047 encoded words (=?UTF-8?B?…?= and ?Q?) to text, for showing headers. */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, '$1')
    .replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (_m, charset: string, enc: string, text: string) => {
      const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : qpDecode(text.replace(/_/g, ' '));
      return charsetDecode(bytes, charset.split('*')[0]);
    });
}

// A temporary password as mwauth makes them (base-32 digits), ending a "label: value" line.
const LABELLED_SECRET = /[:\uFF1A]\s*([0-9a-v]{10,64})[ \t]*$/gm;

/** Values in `text` shaped like a temporary password after a label ("Temporary password: …"). */
export function labelledSecrets(text: string): string[] {
  return [...text.matchAll(LABELLED_SECRET)].map((m) => m[1]!);
}

/** Every occurrence of every secret replaced by the mask (longest first). */
export function maskWith(text: string, secrets: Iterable<string>): string {
  const list = [...new Set([...secrets].filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  return list.reduce((acc, s) => acc.split(s).join(MASK), text);
}

/** The html part as text lines, for finding labelled values in it. */
function htmlLines(html: string): string {
  return html.replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]*>/g, '');
}

/**
 * A stored message ready to show: decoded headers and parts with secrets masked. Masked are the
 * `secrets` given (recorded at enqueue), and, as a safety net for messages whose secrets were not
 * recorded, any value shaped like a temporary password that ends a "label: value" line, wherever
 * else it appears too. Over-masking a user name is the price of never leaking a password.
 */
export function maskedView(raw: string, secrets: readonly string[] = []): ParsedMessage {
  const parsed = parseMessage(raw);
  const found = new Set(secrets);
  for (const p of parsed.parts) {
    if (p.contentType === 'text/plain') for (const s of labelledSecrets(p.body)) found.add(s);
    if (p.contentType === 'text/html') for (const s of labelledSecrets(htmlLines(p.body))) found.add(s);
  }
  return {
    headers: parsed.headers.map(([k, v]) => [k, maskWith(v, found)]),
    parts: parsed.parts.map((p) => ({ contentType: p.contentType, body: maskWith(p.body, found) })),
  };
}
