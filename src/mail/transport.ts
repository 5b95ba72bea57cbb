// Where finished messages go: an SMTP relay, or .eml files in a directory (embedded mode,
// development, and tests). The worker only needs to know whether a failure is worth retrying.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';

export interface OutboundMessage {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipient (RCPT TO). */
  to: string;
  /** Complete RFC 5322 message, as composed at enqueue time. */
  raw: string;
  messageId: string;
}

export interface MailTransport {
  send(msg: OutboundMessage): Promise<void>;
  close(): Promise<void>;
}

export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    message: string,
    /** true: try again later; false: this message will never be accepted. */
    public temporary: boolean,
    public responseCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `<abc123@example.org>` → `abc123`, reduced to characters safe in a file name. */
function messageIdToken(messageId: string): string {
  const local = messageId.replace(/^<|>$/g, '').split('@')[0] ?? '';
  return local.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'message';
}

/** The Date header of the raw message, so a re-sent message maps to the same file name. */
function messageDate(raw: string): Date | null {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const m = /^Date:[ \t]*(.+(?:\r?\n[ \t].*)*)/im.exec(head);
  if (!m) return null;
  const d = new Date(m[1]!.replace(/\r?\n[ \t]+/g, ' '));
  return Number.isNaN(d.getTime()) ? null : d;
}

export class FileTransport implements MailTransport {
  constructor(readonly dir: string) {}

  fileName(msg: Pick<OutboundMessage, 'raw' | 'messageId'>): string {
    const when = (messageDate(msg.raw) ?? new Date()).toISOString().replace(/[:.]/g, '-');
    return `${when}-${messageIdToken(msg.messageId)}.eml`;
  }

  async send(msg: OutboundMessage): Promise<void> {
    const target = join(this.dir, this.fileName(msg));
    // Written under a dot-name first and renamed: a reader polling the directory never
    // sees half a message, and a retry simply replaces the earlier copy.
    const tmp = join(this.dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(tmp, msg.raw, { flag: 'wx', mode: 0o600 });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      // A full disk or a permission problem can be fixed by the operator: retry later.
      throw new TransportError(`cannot write ${target}: ${(err as Error).message}`, true, undefined, { cause: err });
    }
  }

  async close(): Promise<void> {}
}

// Failures the operator or the network must fix, not the message: retry them even when the
// server gave a 5xx (a 535 bad-credentials reply must not fail every queued reset mail).
const TEMPORARY_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL', 'EAUTH', 'ENOAUTH', 'EPROXY', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);
// Problems with this message itself, reported before any server reply.
const PERMANENT_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS']);

interface SmtpLikeError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

export function classifySmtpError(err: unknown): TransportError {
  const e = (err ?? {}) as SmtpLikeError;
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  // The server's own words ("550 5.1.1 No such user") are the most useful reason to keep.
  const reason = (e.response || e.message || String(err)).trim().slice(0, 500);
  let temporary: boolean;
  if (e.code && TEMPORARY_CODES.has(e.code)) temporary = true;
  else if (code !== undefined && code >= 500 && code < 600) temporary = false;
  else if (code !== undefined && code >= 400 && code < 500) temporary = true;
  else if (e.code && PERMANENT_CODES.has(e.code)) temporary = false;
  else temporary = true; // unknown: retrying is bounded by maxAttempts anyway
  return new TransportError(reason, temporary, code, { cause: err });
}

export class SmtpTransport implements MailTransport {
  private readonly transporter: Transporter;

  constructor(url: string) {
    // createTransport's second argument is message defaults, so pooling goes in the options.
    // Timeouts stay well below the worker's 60 s lease, so a hung server cannot make a
    // second worker take over a message that is still being sent.
    this.transporter = nodemailer.createTransport({
      url,
      pool: true,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
  }

  async send(msg: OutboundMessage): Promise<void> {
    let info: { rejected?: unknown[]; rejectedErrors?: unknown[] };
    try {
      info = await this.transporter.sendMail({ envelope: { from: msg.from, to: [msg.to] }, raw: msg.raw });
    } catch (err) {
      throw classifySmtpError(err);
    }
    if (info.rejected && info.rejected.length > 0) throw classifySmtpError(info.rejectedErrors?.[0] ?? new Error('recipient rejected'));
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}

export function createTransport(opts: { smtpUrl: string | null; mailDir: string }): MailTransport {
  return opts.smtpUrl ? new SmtpTransport(opts.smtpUrl) : new FileTransport(opts.mailDir);
}
