// The request path of a password reset: check the requester, record the request, nothing more.
// Whether anything matched is decided later by the worker, so the answer cannot reveal it.
import { isValidEmail } from '../accounts/names.js';
import type { Performer } from '../accounts/performer.js';
import type { AuditLog } from '../audit/log.js';
import type { Counters } from '../limits/counters.js';
import { ipLimitKey } from '../util/clientAddress.js';
import { insertReturningId } from '../storage/sql/dialect.js';
import type { Stores } from '../storage/stores.js';
import type { Clock } from '../util/clock.js';
import { DomainError } from '../util/errors.js';

export interface RecoveryConfig {
  enableEmail: boolean;
  routes: { username: boolean; email: boolean };
  /** [count, seconds] per IP address. */
  ipLimit: [number, number];
}

export interface ResetInput {
  user: string | null;
  email: string | null;
}

export class RecoveryService {
  constructor(
    private readonly deps: {
      stores: Pick<Stores, 'transaction'>;
      counters: Counters;
      clock: Clock;
      config: RecoveryConfig;
      onRecorded?: () => void;
      /** Told of each request dropped over the per-IP limit (the metrics). */
      onLimited?: () => void;
      audit?: AuditLog;
    },
  ) {}

  get enabled(): boolean {
    return this.deps.config.routes.username || this.deps.config.routes.email;
  }

  /** Whether this performer may ask for resets at all (MediaWiki's isAllowed). */
  async checkAllowed(performer: Performer): Promise<void> {
    if (!this.enabled) throw new DomainError('passwordreset-disabled');
    if (!this.deps.config.enableEmail) throw new DomainError('passwordreset-emaildisabled');
    if (!performer.can('editmyprivateinfo')) throw new DomainError('badaccess');
    const block = await performer.block();
    if (block && block.createAccount) throw new DomainError('blocked-mailpassword');
  }

  /**
   * Records a reset request. Silent (returns normally, records nothing) when the requester is over
   * its limit; throws DomainError for requests that are wrong whoever they name.
   */
  async request(performer: Performer, input: ResetInput): Promise<void> {
    await this.checkAllowed(performer);
    const { routes, ipLimit } = this.deps.config;
    // Counted before validation, like MediaWiki's mailpassword limit.
    let overLimit = false;
    if (!performer.can('noratelimit')) {
      const key = ipLimitKey(performer.ip);
      const n = await this.deps.counters.hit(`reset:ip:${key}`, ipLimit[1]);
      overLimit = n > ipLimit[0];
      // Once per window, not per dropped request: a flood must not flood the audit trail too.
      if (n === ipLimit[0] + 1) {
        await this.deps.audit?.record({
          type: 'reset.ip-limited',
          userId: performer.id || null,
          userName: performer.anon ? null : performer.name,
          ip: performer.ip,
          details: { range: key, limit: `${ipLimit[0]}/${ipLimit[1]}` },
        });
      }
    }

    let user = routes.username && input.user ? input.user : null;
    let email = routes.email && input.email ? input.email : null;
    // Account names can never contain "@": such a "user" is an email address (as the docs' example uses it).
    if (user !== null && user.includes('@') && routes.email) {
      email = email ?? user;
      user = null;
    }
    // Over the limit nothing is checked any more: the answer is the silent success, as in MediaWiki.
    if (overLimit) {
      this.deps.onLimited?.();
      return;
    }
    if (user === null && email === null) throw new DomainError('passwordreset-nodata');
    if (email !== null && !isValidEmail(email)) throw new DomainError('passwordreset-invalidemail', [email]);

    // The same work whatever the request names: the event says who asked and by which route, not
    // whether anything matched (the worker records that separately, as reset.outcome).
    await this.deps.stores.transaction(async (tx) => {
      const trx = tx.sql;
      const now = this.deps.clock.now();
      const id = await insertReturningId(
        trx,
        trx.insertInto('reset_request').values({
          rr_created: now,
          rr_performer_id: performer.id,
          rr_performer_name: performer.name,
          rr_performer_ip: performer.ip,
          rr_username: user,
          // Kept with a user name too: an account with the requireemail preference needs both.
          rr_email: email,
          rr_status: 'pending',
          rr_next_attempt: now,
          rr_processed: null,
        }),
        'rr_id',
      );
      await this.deps.audit?.record(
        {
          type: 'reset.requested',
          userId: performer.id || null,
          userName: performer.anon ? null : performer.name,
          ip: performer.ip,
          details: { request: id, route: user === null ? 'email' : 'username' },
        },
        tx,
      );
    });
    this.deps.onRecorded?.();
  }
}
