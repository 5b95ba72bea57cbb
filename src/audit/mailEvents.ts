// mail.sent and mail.failed events from the delivery worker, without changing the mail module: its
// logger is wrapped, and the two log lines that end a message's delivery become audit events.
// Stop-gap until the DeliveryWorker offers an outcome callback (see the wiring note in services.ts).
import type { AuditLog } from './log.js';

export interface MailWorkerLogger {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

/** The DeliveryWorker's own messages for a sent and a given-up mail. */
export const MAIL_SENT_MESSAGE = 'mail sent';
export const MAIL_FAILED_MESSAGE = 'mail delivery failed permanently';

type Ctx = { id?: unknown; kind?: unknown; attempt?: unknown; error?: unknown };

/** A logger for the DeliveryWorker that passes everything on and records sent and failed mail. */
export function auditingMailLogger(inner: MailWorkerLogger, audit: AuditLog): MailWorkerLogger {
  const details = (o: Ctx) => ({
    outbox: Number(o.id),
    kind: typeof o.kind === 'string' ? o.kind : null,
    attempt: typeof o.attempt === 'number' ? o.attempt : null,
  });
  return {
    info(o, msg) {
      inner.info(o, msg);
      const c = o as Ctx;
      if (msg === MAIL_SENT_MESSAGE && Number.isSafeInteger(Number(c.id))) {
        audit.recordLater({ type: 'mail.sent', outboxId: Number(c.id), details: details(c) });
      }
    },
    warn(o, msg) {
      inner.warn(o, msg);
      const c = o as Ctx;
      if (msg === MAIL_FAILED_MESSAGE && Number.isSafeInteger(Number(c.id))) {
        const error = typeof c.error === 'string' ? c.error.slice(0, 300) : null;
        audit.recordLater({ type: 'mail.failed', outboxId: Number(c.id), details: { ...details(c), error } });
      }
    },
  };
}
