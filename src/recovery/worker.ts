// After the response: find the accounts a reset request names, give each a temporary password and
// queue its mail, all in one transaction. A crash before the commit leaves the request to be taken again.
// The requests are the jobs of a leased queue (src/jobs/queue.ts): this file keeps only the reset's own
// work — who is mailed, the limits, the mail — and the queue claims, retries, gives up and stops.
import type { PreferenceStore } from '../accounts/preferences.js';
import type { User, UserStore } from '../accounts/users.js';
import type { TemporaryPasswordHasher } from '../auth/tempPasswordHash.js';
import { generateTemporaryPassword } from '../auth/tempPassword.js';
import type { I18n } from '../i18n/index.js';
import type { ComposedMail, Outbox } from '../mail/outbox.js';
import type { OutgoingMail } from '../mail/compose.js';
import type { Db } from '../storage/db.js';
import type { Stores } from '../storage/stores.js';
import { sql, type Selectable } from 'kysely';
import type { ResetRequestTable } from '../storage/schema.js';
import type { Clock, Random } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { AuditLog } from '../audit/log.js';
import type { Counters } from '../limits/counters.js';
import { JobQueue, backoffDelay, type Backoff, type Job } from '../jobs/queue.js';
import { SqlJobTable } from '../jobs/sqlTable.js';
import { ResetLimits, type Limit, type LimitName, type Taken } from './limits.js';
import { resetMail, unknownAddressMail } from './mail.js';

export interface RecoveryWorkerConfig {
  server: string;
  articlePath: string;
  language: string;
  tempPasswordLength: number;
  newPasswordExpiry: number;
  /** Hours between two reset mails for one account. */
  resendHours: number;
  /** [count, seconds] reset mails per account (needs `counters`). */
  accountLimit?: Limit;
  /** [count, seconds] mails per receiving address (every kind counts against it). */
  addressLimit?: Limit;
  /** [count, seconds] mails of this worker for the whole site. */
  mailBudget?: Limit;
  /** [count, seconds] mails of this worker for the requests of one network (IPv4 /24, IPv6 /48). */
  networkBudget?: Limit;
  /**
   * The most accounts one request by address mails (default: no cap): the oldest accounts, since
   * accounts an attacker adds with someone's address are always newer than that person's own.
   */
  maxAccounts?: number;
  /** Tell an address that no account uses that someone asked for a reset with it. */
  notifyUnknownAddress?: boolean;
  /** [count, seconds] such notices per address (default one a day). */
  unknownAddressLimit?: Limit;
}

const LEASE_MS = 60_000;
const DEFAULT_LANES = 8;
/**
 * A request whose handling fails is tried again after 1, 2, 4 … minutes (at most an hour apart), so a
 * database or Redis outage of several hours loses nothing; after this many attempts (about 7 hours) it
 * is given up ('failed') — a temporary password mailed that late would surprise more than help.
 */
export const MAX_ATTEMPTS = 12;
/** No jitter: requests fail together only when the database or Redis does, and then retrying together is fine. */
export const RETRY_BACKOFF: Backoff = { baseMs: 60_000, maxMs: 3600_000 };

/** How long after its `attempt`-th failure a request is tried again. */
export function retryDelay(attempt: number): number {
  return backoffDelay(RETRY_BACKOFF, attempt);
}

/**
 * A request a limit stopped while another request for one of its accounts was being handled waits this
 * long (and up to as long again, at random) for that one's outcome, and is then decided again.
 */
const POSTPONE_MS = 1000;
/** Past this age a request no longer waits: the limit's answer stands. */
const POSTPONE_MAX_AGE_MS = 10 * 60_000;

/** 'limited': an account, address or the mail budget was over its limit; nothing was sent. */
export type ResetOutcome = 'queued' | 'nomatch' | 'cooldown' | 'limited';

type ResetRow = Selectable<ResetRequestTable>;
/** An account's preferences, read at most once per request. */
type Preferences = (userId: number) => ReturnType<PreferenceStore['get']>;

/** The reset_request table as a job table: 'pending' and waiting 'processing' rows are due, held ones are 'processing'. */
export function resetRequestJobs(db: Db): SqlJobTable<ResetRow> {
  return new SqlJobTable<ResetRow>(db, {
    table: 'reset_request',
    columns: {
      id: 'rr_id',
      status: 'rr_status',
      attempts: 'rr_attempts',
      nextAttempt: 'rr_next_attempt',
      leaseUntil: 'rr_lease_until',
      leaseOwner: 'rr_lease_owner',
      processed: 'rr_processed',
    },
    statuses: { waiting: ['pending', 'processing'], working: 'processing' },
    select: '*',
  });
}

/** Another worker took the request over after this one's lease ran out: this one's work is rolled back. */
class LeaseLost extends Error {}

/** An account this request would mail was given a temporary password by another request meanwhile. */
class RacedForAccount extends Error {}

/** A limit stopped the request while another request for one of its accounts is still being handled. */
class WaitForOther extends Error {}

export class RecoveryWorker {
  private readonly limits: ResetLimits | null;
  /** The queue its requests wait in (readiness follows its passes). */
  readonly queue: JobQueue<ResetRow>;

  constructor(
    private readonly d: {
      db: Db;
      /** The unit of work the outcome of a request is written in (src/storage/stores.ts). */
      stores: Pick<Stores, 'transaction'>;
      users: UserStore;
      preferences: PreferenceStore;
      /** Stores the temporary passwords it issues (an HMAC with the server secret: no slow hash). */
      tempPasswords: Pick<TemporaryPasswordHasher, 'hash'>;
      outbox: Outbox;
      i18n: I18n;
      clock: Clock;
      random: Random;
      config: RecoveryWorkerConfig;
      logger?: Logger;
      onQueued?: () => void;
      /** Where the per-account, per-address and budget limits count; without it there are none. */
      counters?: Counters;
      audit?: AuditLog;
      /** Requests handled at once (default 8). */
      lanes?: number;
      /** Told of each request handled (committed) or given up, with the limit that stopped it (the metrics). */
      onHandled?: (o: { outcome: ResetOutcome | 'failed'; limit: LimitName | null; mailed: number }) => void;
    },
  ) {
    const c = d.config;
    this.limits = d.counters
      ? new ResetLimits(d.counters, {
          account: c.accountLimit,
          address: c.addressLimit,
          budget: c.mailBudget,
          network: c.networkBudget,
          unknownAddress: c.unknownAddressLimit ?? [1, 86400],
        })
      : null;
    this.queue = new JobQueue<ResetRow>({
      table: resetRequestJobs(d.db),
      clock: d.clock,
      random: d.random,
      leaseMs: LEASE_MS,
      maxAttempts: MAX_ATTEMPTS,
      backoff: RETRY_BACKOFF,
      // A request is a few milliseconds of database work and no slow hash: several at once keep the
      // database busy while others wait for it, and claiming them four at a time saves queries.
      concurrency: Math.max(1, d.lanes ?? DEFAULT_LANES),
      claimBatch: 4,
      // A failure (the database, Redis) ends the pass; the back-off brings the request round again.
      endPassOnRetry: true,
      // Requests still due are handled until the grace time ends; those being handled always finish.
      stop: { drain: true, atDeadline: 'wait' },
      // A request taken once stays 'processing' until it is decided, also while it waits for another attempt.
      retryStatus: 'processing',
      failedStatus: 'failed',
      handler: (job) => this.handle(job),
      onRetry: (job, reason) => {
        d.logger?.error({ err: reason, request: job.id, attempt: job.attempt }, 'reset request failed; it will be tried again');
      },
      onGiveUp: async (job, reason) => {
        d.logger?.error({ err: reason, request: job.id, attempt: job.attempt }, 'reset request failed; given up');
        d.onHandled?.({ outcome: 'failed', limit: null, mailed: 0 });
        await d.audit?.record({ type: 'reset.failed', details: { request: job.id, attempts: job.attempt, error: reason.slice(0, 200) } }).catch(() => {});
      },
    });
  }

  /** Runs now, or once more right after the current run: a signal is never lost. Resolves to the requests handled. */
  async kick(): Promise<number> {
    return (await this.queue.kick()).done;
  }

  /**
   * Stops taking requests: the ones being handled finish, and requests still due are handled until
   * `graceMs` have passed; the rest stay in the table for the next start. Resolves when the worker is idle.
   */
  async stop(graceMs = 0): Promise<void> {
    await this.queue.stop(graceMs);
  }

  /** Processes every due request, `lanes` at a time; returns how many were handled. */
  async runOnce(): Promise<number> {
    return (await this.queue.runOnce()).done;
  }

  private async handle(job: Job<ResetRow>): Promise<void> {
    for (let tries = 0; ; tries++) {
      try {
        await this.process(job);
        return;
      } catch (err) {
        // Another request for the same account was mailed meanwhile: decide again (now in its cooldown).
        if (err instanceof RacedForAccount && tries < 3) continue;
        if (err instanceof LeaseLost) {
          this.d.logger?.info({ request: job.id }, 'reset request taken over by another worker');
          return;
        }
        if (err instanceof WaitForOther) {
          const delay = POSTPONE_MS + (this.d.random.bytes(2).readUInt16BE(0) % POSTPONE_MS);
          if (await job.postpone(delay)) {
            this.d.logger?.info({ request: job.id, retryInMs: delay }, 'reset request waits for another request for the same account');
            setTimeout(() => void this.kick().catch(() => {}), delay + 10).unref();
          }
          return;
        }
        // Left 'processing', due again after the back-off (or given up after MAX_ATTEMPTS), by the queue.
        throw err;
      }
    }
  }

  /**
   * Deletes handled requests (any outcome, given up too) finished before `before`: once handled, a row
   * is no longer needed, and it holds the requester's address and what was typed. Pending requests and
   * those being worked on stay. Returns how many went.
   */
  async purgeHandled(before: number): Promise<number> {
    const r = await this.d.db
      .deleteFrom('reset_request')
      .where('rr_status', 'not in', ['pending', 'processing'])
      .where('rr_processed', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /**
   * Whether a request other than `id` that may mail one of `targets` is being handled now (a worker holds
   * it under a live lease): one naming the account, or one by the address of one of them.
   */
  private async anotherInFlight(id: number, targets: User[]): Promise<boolean> {
    const names = new Set(targets.map((u) => u.name));
    const emails = new Set(targets.map((u) => u.email.toLowerCase()));
    return (await this.queue.held()).some(
      ({ id: other, row }) =>
        other !== id && (row.rr_username !== null ? names.has(row.rr_username) : row.rr_email !== null && emails.has(row.rr_email.toLowerCase())),
    );
  }

  /** The "requireemail" preference: the account is reset only when its name and its address are both given. */
  private async requiresEmail(u: User, prefs: Preferences): Promise<boolean> {
    const v = (await prefs(u.id)).requireemail;
    return v === '1' || v === 'true';
  }

  /** The accounts the request mails; `capped`: more use the address than maxAccounts lets it mail. */
  private async targets(rr: ResetRow, prefs: Preferences): Promise<{ users: User[]; capped: boolean }> {
    if (rr.rr_username) {
      const u = await this.d.users.byName(rr.rr_username);
      if (!u || !u.email) return { users: [], capped: false };
      if ((await this.requiresEmail(u, prefs)) && (rr.rr_email ?? '').toLowerCase() !== u.email.toLowerCase()) return { users: [], capped: false };
      return { users: [u], capped: false };
    }
    if (!rr.rr_email) return { users: [], capped: false };
    // Oldest first: whoever adds accounts with someone else's address adds them after that person's own,
    // so a request the cap stops still reaches the address's owner.
    const all = (await this.d.users.byEmail(rr.rr_email)).sort((a, b) => a.registration - b.registration || a.id - b.id);
    // Never more than one fresh address allowance holds: a capped request always fits under it.
    const c = this.d.config;
    const cap = Math.max(1, Math.min(c.maxAccounts ?? Infinity, c.addressLimit?.[0] ?? Infinity));
    const users: User[] = [];
    for (const u of all) {
      if (!u.email || (await this.requiresEmail(u, prefs))) continue;
      if (users.length === cap) return { users, capped: true };
      users.push(u);
    }
    return { users, capped: false };
  }

  /** The reset mail for `user`; for no account, a stand-in of the same shape that is never queued. */
  private mail(rr: ResetRow, user: User | null, lang: string, tempPassword: string): OutgoingMail {
    return resetMail(this.d.i18n, this.d.config, {
      userId: user?.id ?? 0,
      userName: user?.name ?? rr.rr_username ?? 'Example',
      to: user?.email || rr.rr_email || `nobody@${new URL(this.d.config.server).hostname}`,
      lang,
      requester: rr.rr_performer_name,
      requesterIsIp: Number(rr.rr_performer_id) === 0,
      tempPassword,
      expirySeconds: this.d.config.newPasswordExpiry,
    });
  }

  private async process(job: Job<ResetRow>): Promise<ResetOutcome> {
    const rr = job.row;
    const id = job.id;
    // Each account's preferences are read once per request (requireemail, then the mail's language).
    const read = new Map<number, ReturnType<PreferenceStore['get']>>();
    const prefs: Preferences = (id) => {
      let p = read.get(id);
      if (!p) read.set(id, (p = this.d.preferences.get(id)));
      return p;
    };
    const { users: targets, capped } = await this.targets(rr, prefs);
    const now = this.d.clock.now();
    const cooldownMs = this.d.config.resendHours * 3600_000;
    let outcome: ResetOutcome = 'queued';
    let limited: LimitName | null = null;
    let taken: Taken | null = null;
    if (targets.length === 0) outcome = 'nomatch';
    // One account in its cooldown stops the mail to every account of the address, as in MediaWiki.
    else if (targets.some((u) => u.newPassTime !== null && now < u.newPassTime + cooldownMs)) outcome = 'cooldown';
    else if (this.limits) {
      // After the cooldown, so requests the cooldown already stops use up no allowance.
      taken = await this.limits.take({ accounts: targets.map((u) => u.id), addresses: targets.map((u) => u.email), requesterIp: rr.rr_performer_ip });
      if (taken.limited) {
        outcome = 'limited';
        limited = taken.limited;
      }
    }

    const prepared: Array<{ user: User | null; hash: string | null; mail: ComposedMail }> = [];
    let notified = false;
    try {
      if (outcome === 'queued') {
        for (const user of targets) {
          const temp = generateTemporaryPassword(this.d.config.tempPasswordLength, this.d.random);
          const options = await prefs(user.id);
          const lang = this.d.i18n.resolve(options.language) ?? this.d.config.language;
          prepared.push({
            user,
            hash: await this.d.tempPasswords.hash(temp),
            mail: await this.d.outbox.compose(this.mail(rr, user, lang, temp)),
          });
        }
      } else if (outcome === 'nomatch' && !rr.rr_username && rr.rr_email && this.d.config.notifyUnknownAddress && this.limits) {
        taken = await this.limits.take({ accounts: [], addresses: [rr.rr_email], requesterIp: rr.rr_performer_ip, kind: 'unknown-address' });
        if (!taken.limited) {
          notified = true;
          const notice = unknownAddressMail(this.d.i18n, this.d.config, { to: rr.rr_email, lang: this.d.config.language });
          prepared.push({ user: null, hash: null, mail: await this.d.outbox.compose(notice) });
        }
      }
      // A request that sends nothing (no match, cooldown, a limit) still makes and hashes a temporary
      // password and builds a reset mail, which it then drops: the load it leaves behind, and so the
      // time of the requester's next request, does not tell whether it matched.
      let standIn: { hash: string; mail: ComposedMail } | null = null;
      if (!prepared.some((p) => p.hash)) {
        // The limits were not counted for a request that matched nothing (or stopped at the cooldown).
        if (this.limits && !taken) await this.limits.standIn();
        const temp = generateTemporaryPassword(this.d.config.tempPasswordLength, this.d.random);
        // A match reads the account's preferences once (requireemail and the language of its mail); a
        // request that names no account reads some too.
        if (targets.length === 0) await prefs(0);
        const hash = await this.d.tempPasswords.hash(temp);
        standIn = { hash, mail: await this.d.outbox.compose(this.mail(rr, targets[0] ?? null, this.d.config.language, temp)) };
      }
      // With a cooldown, a request that a limit stopped may have been stopped by the allowance of another
      // request for the same account that is still being handled: if that one mails the account, this one's
      // true outcome is the cooldown. It waits for that outcome rather than record a limit that did not
      // apply. (Asked for every request, so that the work does not follow the outcome.)
      const watch = this.limits !== null && cooldownMs > 0;
      const inFlight = watch ? await this.anotherInFlight(id, targets) : false;
      if (outcome === 'limited' && inFlight && now - Number(rr.rr_created) < POSTPONE_MAX_AGE_MS) throw new WaitForOther();
      await this.d.stores.transaction(async (tx) => {
        const trx = tx.sql;
        const queued: Array<{ user: User | null; outbox: number; kind: string }> = [];
        for (const p of prepared) {
          // With a cooldown, only if no other request mailed the account since it was read (without one,
          // each request mails, whichever commits first).
          const ifTime = cooldownMs > 0 ? p.user?.newPassTime : undefined;
          if (p.user && p.hash && !(await tx.users.setTemporaryPassword(p.user.id, p.hash, ifTime))) {
            throw new RacedForAccount();
          }
          queued.push({ user: p.user, outbox: await this.d.outbox.insert(trx, p.mail), kind: p.mail.mail.kind });
        }
        if (standIn) {
          // The same writes as a sent reset, undone at once: the stand-in leaves no row behind.
          await sql`savepoint stand_in`.execute(trx);
          if (outcome === 'limited' && watch) {
            // Written to the accounts themselves, only if no other request mailed them since they were read
            // (PostgreSQL waits here for one that is committing): if one did, this request is decided again.
            for (const u of targets) if (!(await tx.users.setTemporaryPassword(u.id, standIn.hash, u.newPassTime))) throw new RacedForAccount();
          } else {
            await tx.users.setTemporaryPassword(0, standIn.hash);
          }
          const ob = await this.d.outbox.insert(trx, standIn.mail);
          await this.d.audit?.record({ type: 'mail.queued', details: { kind: standIn.mail.mail.kind, outbox: ob, request: id } }, tx);
          await sql`rollback to savepoint stand_in`.execute(trx);
          await sql`release savepoint stand_in`.execute(trx);
        }
        const audit = this.d.audit;
        if (audit) {
          // Per account, so `mwauth audit --user NAME` shows what became of the requests naming it.
          const base = { request: id, outcome, ...(limited ? { limit: limited } : {}), ...(capped ? { capped: true } : {}) };
          if (targets.length === 0) await audit.record({ type: 'reset.outcome', details: { ...base, notified } }, tx);
          for (const u of targets) await audit.record({ type: 'reset.outcome', userId: u.id, userName: u.name, details: base }, tx);
          for (const q of queued) {
            await audit.record(
              { type: 'mail.queued', userId: q.user?.id ?? null, userName: q.user?.name ?? null, details: { kind: q.kind, outbox: q.outbox, request: id } },
              tx,
            );
          }
        }
        // Only while the request is still ours: a worker whose lease ran out and was taken over must not
        // send a second mail, nor replace the temporary password the other worker mailed.
        if (!(await job.complete(outcome, {}, trx))) throw new LeaseLost();
      });
    } catch (err) {
      // Nothing was sent: the allowance this attempt took goes back (the worker that finishes it takes its own).
      await taken?.release().catch(() => {});
      throw err;
    }
    this.d.logger?.info({ request: id, outcome, accounts: prepared.filter((p) => p.user).length, ...(limited ? { limit: limited } : {}) }, 'reset request handled');
    this.d.onHandled?.({ outcome, limit: limited, mailed: prepared.filter((p) => p.user).length });
    if (prepared.length) this.d.onQueued?.();
    return outcome;
  }
}
