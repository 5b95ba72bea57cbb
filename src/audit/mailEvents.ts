// mail.sent and mail.failed audit events from the delivery worker's outcome callback.
import type { DeliveryOutcome } from '../mail/worker.js';
import type { AuditDetails, AuditLog } from './log.js';

/** The DeliveryWorker's onOutcome: a sent or given-up mail becomes an audit event (retries do not). */
export function auditMailOutcome(audit: AuditLog): (o: DeliveryOutcome) => void {
  return (o) => {
    if (o.status === 'retry') return;
    const details: AuditDetails = { outbox: o.id, kind: o.kind, attempt: o.attempt };
    if (o.status === 'failed') details.error = (o.error ?? '').slice(0, 300);
    audit.recordLater({ type: o.status === 'sent' ? 'mail.sent' : 'mail.failed', outboxId: o.id, details });
  };
}
