// Shared fixtures for the mail tests: an in-process SMTP server and outbox setup.
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { openDatabase, type DbHandle } from '../../src/storage/db.js';
import { ManualClock, cryptoRandom } from '../../src/util/clock.js';
import { Outbox } from '../../src/mail/outbox.js';
import type { OutgoingMail } from '../../src/mail/compose.js';

export interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** An SMTP error the way smtp-server expects it: the code becomes the reply code. */
export function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

/**
 * Starts an SMTP server on 127.0.0.1 and a random port. `decide` is called for each
 * message after DATA; returning an Error rejects it, otherwise it is accepted and recorded.
 */
export async function startSmtp(opts: {
  decide?: (raw: string, session: SMTPServerSession) => Error | null;
  rcpt?: (address: string) => Error | null;
} = {}) {
  const received: Received[] = [];
  let dataCount = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      cb(opts.rcpt?.(address.address) ?? null);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        dataCount++;
        const raw = Buffer.concat(chunks).toString('utf8');
        const err = opts.decide?.(raw, session) ?? null;
        if (err) return cb(err);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        received.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw });
        cb(null);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    get dataCount() {
      return dataCount;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function memoryDb(): Promise<DbHandle> {
  return openDatabase({ databaseUrl: 'sqlite::memory:', dataDir: '/tmp/mwauth-mail-test' });
}

export function makeOutbox(handle: DbHandle, clock = new ManualClock()): Outbox {
  return new Outbox({
    db: handle.db,
    clock,
    random: cryptoRandom,
    from: 'wiki@example.org',
    fromName: 'Example Wiki',
    domain: 'example.org',
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
  };
}
