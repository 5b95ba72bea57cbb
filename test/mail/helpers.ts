// Shared fixtures for the mail tests: an in-process SMTP server and outbox setup.
import type { AddressInfo } from 'node:net';
import { createHash, createVerify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { openDatabase, type DbHandle } from '../../src/storage/db.js';
import { cryptoRandom, type Clock } from '../../src/util/clock.js';
import { ManualClock } from '../helpers/clock.js';
import { Outbox } from '../../src/mail/outbox.js';
import { MailSeal } from '../../src/mail/seal.js';
import type { OutgoingMail } from '../../src/mail/compose.js';
import { createPostgresDatabase } from '../helpers/services.js';

export interface Received {
  from: string;
  to: string[];
  raw: string;
  /** Date.now() when the server accepted the message. */
  at: number;
  /** TLS (smtps or STARTTLS) on the connection. */
  secure: boolean;
  /** The user that logged in, if any. */
  user: string | null;
}

/** An SMTP error the way smtp-server expects it: the code becomes the reply code. */
export function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

/**
 * Starts an SMTP server on 127.0.0.1 and a random (or the given) port. `decide` is called for
 * each message after DATA; returning an Error rejects it, otherwise it is accepted and recorded.
 * `delayMs` holds the reply to DATA that long (a slow server).
 */
export async function startSmtp(opts: {
  decide?: (raw: string, session: SMTPServerSession) => Error | null;
  rcpt?: (address: string) => Error | null;
  port?: number;
  delayMs?: number;
  server?: Partial<SMTPServerOptions>;
} = {}) {
  const received: Received[] = [];
  let dataCount = 0;
  let connections = 0;
  let inData = 0;
  let aborted = 0;
  let delayMs = opts.delayMs ?? 0;
  const closed = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const server = new SMTPServer({
    authOptional: true,
    closeTimeout: 300,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onConnect(_session, cb) {
      connections++;
      cb();
    },
    onClose(session) {
      closed.add(session.id);
    },
    onRcptTo(address, _session, cb) {
      cb(opts.rcpt?.(address.address) ?? null);
    },
    onData(stream, session, cb) {
      inData++;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const reply = () => {
          inData--;
          dataCount++;
          // The client went away before the answer: like a server that commits a message only
          // when it can say so, nothing is accepted.
          if (closed.has(session.id)) {
            aborted++;
            return cb(new Error('connection closed'));
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          const err = opts.decide?.(raw, session) ?? null;
          if (err) return cb(err);
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          received.push({
            from,
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            at: Date.now(),
            secure: session.secure,
            user: (session.user as string | undefined) ?? null,
          });
          cb(null);
        };
        if (delayMs) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            reply();
          }, delayMs);
          timers.add(timer);
        } else reply();
      });
    },
    ...opts.server,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    get dataCount() {
      return dataCount;
    },
    get connections() {
      return connections;
    },
    /** Messages whose DATA is being received or held right now. */
    get inData() {
      return inData;
    },
    /** Messages whose client disconnected before the server answered DATA. */
    get aborted() {
      return aborted;
    },
    /** How long the answer to DATA is held from now on. */
    setDelay(ms: number) {
      delayMs = ms;
    },
    close: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type SmtpStub = Awaited<ReturnType<typeof startSmtp>>;

/** The Message-ID header of a raw message. */
export function messageIdOf(raw: string): string {
  return /^Message-ID:[ \t]*(.*)$/im.exec(raw)?.[1]?.trim() ?? '';
}

/** Waits until `cond` holds, polling; throws with `what` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fresh database: SQLite in memory, or, with MWAUTH_TEST_POSTGRES_URL set (an admin URL such as
 * postgres://postgres@127.0.0.1:5432/postgres), a new PostgreSQL database dropped on close.
 */
export async function memoryDb(): Promise<DbHandle & { url?: string }> {
  if (!process.env.MWAUTH_TEST_POSTGRES_URL) {
    return openDatabase({ databaseUrl: 'sqlite::memory:', dataDir: '/tmp/mwauth-mail-test' });
  }
  const database = await createPostgresDatabase('mwauth_mail');
  const handle = await openDatabase({ databaseUrl: database.url, dataDir: '/tmp/mwauth-mail-test' });
  return {
    ...handle,
    url: database.url,
    async close() {
      await handle.close();
      await database.drop();
    },
  };
}

/** The key of makeOutbox's outboxes: give it to a DeliveryWorker that sends mail with secrets. */
export const TEST_SEAL = new MailSeal('test-secret-for-the-mail-tests');

export function makeOutbox(handle: DbHandle, clock: Clock = new ManualClock()): Outbox {
  return new Outbox({
    db: handle.db,
    clock,
    random: cryptoRandom,
    from: 'wiki@example.org',
    fromName: 'Example Wiki',
    domain: 'example.org',
    seal: TEST_SEAL,
  });
}

export const TEMP_PASSWORD = 'Tmp-Secret-7f3Q';

export function resetMail(overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  return {
    kind: 'password-reset',
    userId: 1,
    to: 'alice@example.net',
    toName: 'Alice',
    subject: 'Password reset for Example Wiki',
    text: `Someone requested a new password.\nTemporary password: ${TEMP_PASSWORD}\n<not a tag> & more`,
    lang: 'en',
    dir: 'ltr',
    ...overrides,
  };
}

/** Collects log calls so tests can check that no body text reaches the logs. */
export function captureLogger() {
  const lines: Array<{ level: string; o: object; msg: string }> = [];
  return {
    lines,
    info: (o: object, msg: string) => void lines.push({ level: 'info', o, msg }),
    warn: (o: object, msg: string) => void lines.push({ level: 'warn', o, msg }),
    error: (o: object, msg: string) => void lines.push({ level: 'error', o, msg }),
  };
}

/**
 * Checks a DKIM-Signature (relaxed/relaxed, rsa-sha256, as nodemailer signs) against a public key:
 * body hash and header signature, the way a receiving server does (RFC 6376 §3.4, §3.7).
 */
export function verifyDkim(raw: string, publicKey: KeyObject | string): { ok: boolean; reason: string; tags: Record<string, string> } {
  const split = /\r\n\r\n/.exec(raw);
  const head = split ? raw.slice(0, split.index) : raw;
  const body = split ? raw.slice(split.index + 4) : '';
  const fields = head.split(/\r\n(?![ \t])/);
  const sigIndex = fields.findIndex((f) => /^dkim-signature:/i.test(f));
  if (sigIndex < 0) return { ok: false, reason: 'no DKIM-Signature', tags: {} };
  const sigField = fields[sigIndex]!;
  const tags: Record<string, string> = {};
  for (const part of sigField.slice(sigField.indexOf(':') + 1).split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    tags[part.slice(0, eq).trim()] = part.slice(eq + 1).replace(/\s+/g, '');
  }
  if (tags.a !== 'rsa-sha256' || tags.c !== 'relaxed/relaxed') return { ok: false, reason: `unexpected a=${tags.a} c=${tags.c}`, tags };
  // Body: whitespace runs to one space, none at line ends, no empty lines at the end, one CRLF.
  let canonBody = body
    .split('\r\n')
    .map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''))
    .join('\r\n')
    .replace(/(\r\n)*$/, '');
  if (canonBody.length > 0) canonBody += '\r\n';
  const bh = createHash('sha256').update(canonBody, 'utf8').digest('base64');
  if (bh !== tags.bh) return { ok: false, reason: 'body hash mismatch', tags };
  const relaxed = (f: string) => {
    const i = f.indexOf(':');
    return f.slice(0, i).trim().toLowerCase() + ':' + f.slice(i + 1).replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim();
  };
  const used = new Set<number>();
  const lines: string[] = [];
  for (const name of (tags.h ?? '').split(':')) {
    for (let i = fields.length - 1; i >= 0; i--) {
      if (i === sigIndex || used.has(i)) continue;
      if (fields[i]!.slice(0, fields[i]!.indexOf(':')).trim().toLowerCase() === name.toLowerCase()) {
        used.add(i);
        lines.push(relaxed(fields[i]!) + '\r\n');
        break;
      }
    }
  }
  const sigNoB = relaxed(sigField.replace(/(\bb=)[^;]*$/, '$1'));
  const data = lines.join('') + sigNoB;
  const ok = createVerify('RSA-SHA256').update(data, 'latin1').verify(publicKey, tags.b ?? '', 'base64');
  return { ok, reason: ok ? 'pass' : 'signature mismatch', tags };
}
