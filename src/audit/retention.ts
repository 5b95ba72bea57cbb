// Keeps the audit trail to MWAUTH_AUDIT_RETENTION_DAYS. The server's periodic maintenance calls run();
// it prunes at most once an hour, logs what it removed or why it could not, and never throws.
import { isoTimestamp, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { AuditLog } from './log.js';

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export class AuditRetention {
  private last: number | null = null;
  private current: Promise<number | null> | null = null;
  private readonly stopping = new AbortController();

  /** `days` 0 keeps every event. */
  constructor(private readonly d: { audit: Pick<AuditLog, 'prune'>; clock: Clock; days: number; logger: Logger }) {}

  /**
   * Removes the events older than the retention, unless the trail is kept forever, a pruning is under
   * way, or the last one began less than an hour ago (by the injected clock). Resolves with how many
   * events went, or null when it did not prune (or failed: the error is logged, never thrown).
   */
  run(): Promise<number | null> {
    const { days, clock, logger } = this.d;
    if (days <= 0 || this.current || this.stopping.signal.aborted) return Promise.resolve(null);
    const now = clock.now();
    if (this.last !== null && now - this.last < HOUR_MS) return Promise.resolve(null);
    // Counted from the start, failed or not: a failing database is retried hourly, not on every tick.
    this.last = now;
    const before = now - days * DAY_MS;
    const run = this.d.audit
      .prune(before, this.stopping.signal)
      .then(
        (removed): number | null => {
          if (removed > 0) logger.info({ removed, days, before: isoTimestamp(before) }, 'audit trail pruned');
          return removed;
        },
        (err: unknown) => {
          logger.error({ err: err instanceof Error ? err.message : String(err) }, 'audit trail not pruned');
          return null;
        },
      )
      .finally(() => {
        this.current = null;
      });
    this.current = run;
    return run;
  }

  /** No pruning from now on; one under way stops after its current statement, and is waited for. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.current;
  }
}
