// Where finished messages go: an SMTP relay, or .eml files in a directory (embedded mode,
// development, and tests). The worker only needs to know whether a failure is worth retrying.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import DKIM from 'nodemailer/lib/dkim';
import { parseSmtpUrl, type DkimSettings, type SmtpSettings } from './settings.js';

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
  /** Ends connections; sends still running after the worker's grace period are cut off. */
  close(): Promise<void>;
  /** How many sends may run at once (default 1). */
  readonly concurrency?: number;
}

/**
 * 'transport': the way out is broken (server down, refused login, full disk) and every message
 * would fail alike, so the worker pauses instead of burning the attempts of the whole queue.
 * 'message': this message (or its recipient) was refused.
 */
export type FailureScope = 'transport' | 'message';

export class TransportError extends Error {
  override name = 'TransportError';
  scope: FailureScope;
  constructor(
    message: string,
    /** true: try again later; false: this message will never be accepted. */
    public temporary: boolean,
    public responseCode?: number,
    options?: { cause?: unknown; scope?: FailureScope },
  ) {
    super(message, options);
    this.scope = options?.scope ?? 'message';
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
  readonly concurrency = 4;
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
      // The files hold temporary passwords: the folder is the owner's alone when mwauth makes it.
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeFile(tmp, msg.raw, { flag: 'wx', mode: 0o600 });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      // A full disk or a permission problem can be fixed by the operator: retry later.
      throw new TransportError(`cannot write ${target}: ${(err as Error).message}`, true, undefined, { cause: err, scope: 'transport' });
    }
  }

  async close(): Promise<void> {}
}

/** The transport of a command-line run: it sends nothing, since mail is the server's to deliver. */
export class NoDelivery implements MailTransport {
  async send(): Promise<void> {
    throw new TransportError('mail is delivered by the server (mwauth serve), not by a command-line run', true, undefined, { scope: 'transport' });
  }

  async close(): Promise<void> {}
}

// Failures of the way out, not of the message: retried even when the server gave a 5xx (a 535
// bad-credentials reply must not fail every queued reset mail), and they pause the worker.
const TRANSPORT_CODES = new Set([
  'ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL', 'EAUTH', 'ENOAUTH', 'EOAUTH2', 'EPROXY', 'EREQUIRETLS',
  'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE',
]);
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
  let scope: FailureScope = 'message';
  // 421: the server is closing the channel (shutting down, overloaded) for every message.
  if ((e.code && TRANSPORT_CODES.has(e.code)) || code === 421) {
    temporary = true;
    scope = 'transport';
  } else if (code !== undefined && code >= 500 && code < 600) temporary = false;
  else if (code !== undefined && code >= 400 && code < 500) temporary = true;
  else if (e.code && PERMANENT_CODES.has(e.code)) temporary = false;
  else temporary = true; // unknown: retrying is bounded by maxAttempts anyway
  return new TransportError(reason, temporary, code, { cause: err, scope });
}

export class SmtpTransport implements MailTransport {
  private readonly transporter: Transporter;
  readonly concurrency: number;
  readonly settings: SmtpSettings;

  constructor(settings: SmtpSettings | string) {
    const s = typeof settings === 'string' ? parseSmtpUrl(settings) : settings;
    this.settings = s;
    this.concurrency = s.poolSize;
    // Timeouts stay well below the worker's lease renewal, and a hung server is cut off by the
    // socket timeout; createTransport's second argument is message defaults, so all goes here.
    this.transporter = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure,
      auth: s.user !== null ? { user: s.user, pass: s.password ?? '' } : undefined,
      requireTLS: s.startTls === 'required',
      ignoreTLS: s.startTls === 'never',
      tls: {
        rejectUnauthorized: s.tlsVerify,
        ...(s.ca ? { ca: s.ca } : {}),
        ...(isIP(s.host) ? {} : { servername: s.host }),
        minVersion: 'TLSv1.2',
      },
      pool: true,
      maxConnections: s.poolSize,
      maxMessages: 1000,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
      // Messages are composed by us; nothing may make nodemailer read files or URLs.
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
      debug: false,
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
    // Called once the worker has stopped: whatever is still being sent has outlived the grace
    // period and is cut off (its message stays queued and is sent again after the restart).
    this.transporter.close({ force: true });
  }
}

/** Signs each message with DKIM just before it leaves, so a key change applies to queued mail too. */
export class DkimTransport implements MailTransport {
  private readonly signer: DKIM;
  constructor(
    readonly inner: MailTransport,
    dkim: Pick<DkimSettings, 'domain' | 'selector' | 'privateKey'>,
  ) {
    this.signer = new DKIM({
      domainName: dkim.domain,
      keySelector: dkim.selector,
      privateKey: dkim.privateKey,
      headerFieldNames: DKIM_HEADERS,
    });
  }

  get concurrency(): number | undefined {
    return this.inner.concurrency;
  }

  async sign(raw: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of this.signer.sign(raw)) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
    const signed = Buffer.concat(chunks).toString('utf8');
    if (!/^DKIM-Signature:/i.test(signed)) throw new TransportError('DKIM signing failed (check MWAUTH_DKIM_KEY_FILE)', true, undefined, { scope: 'transport' });
    return signed;
  }

  async send(msg: OutboundMessage): Promise<void> {
    await this.inner.send({ ...msg, raw: await this.sign(msg.raw) });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

// RFC 6376's recommended set, plus our own headers a forwarder must not change.
const DKIM_HEADERS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:' +
  'Content-ID:Content-Description:In-Reply-To:References:Auto-Submitted:Content-Language';

export function createTransport(opts: { smtp: SmtpSettings | string | null; mailDir: string; dkim?: DkimSettings | null }): MailTransport {
  const base = opts.smtp ? new SmtpTransport(opts.smtp) : new FileTransport(opts.mailDir);
  return opts.dkim ? new DkimTransport(base, opts.dkim) : base;
}
