// What `GET /metrics` serves, in Prometheus' text format (prom-client): this process's counts of API
// requests, reset requests, logins, mail deliveries and backend errors; figures read from the shared
// database at each scrape (the mail queue, the reset and mail workers' lag); and Node's process figures
// (memory, CPU, event-loop lag). Label values come from short fixed lists — a module name from the
// registry, an HTTP status, an outcome — never from a user name, an address or anything secret.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sql } from 'kysely';
import type { Db } from '../storage/db.js';
import type { MailMetrics } from '../mail/metrics.js';
import type { Backend } from './failures.js';
import type { WorkerWatch } from './workers.js';

/** How a reset request ended: at the API (accepted, or dropped over the per-IP limit) and in the worker. */
export type ResetMetricOutcome =
  | 'accepted'
  | 'limited_ip'
  | 'handled'
  | 'mailed'
  | 'nomatch'
  | 'cooldown'
  | 'limited_account'
  | 'limited_address'
  | 'limited_network'
  | 'limited_budget'
  | 'failed';

export type LoginKind = 'password' | 'botpassword';
export type LoginResult = 'success' | 'temporary_password' | 'failure' | 'throttled';

// Node's own figures are the process's, however many servers it runs (the tests run several): made once.
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface OpsMetricsDeps {
  db: Db;
  now(): number;
  mail: MailMetrics;
  workers: readonly WorkerWatch[];
  /** Told (to count and log it) when reading the figures from the database failed: they are left out of that scrape. */
  onBackendError(backend: Backend, err: unknown): void;
}

export class OpsMetrics {
  readonly registry = new Registry();
  private readonly apiRequests: Counter<'module' | 'status'>;
  private readonly apiDuration: Histogram<'module'>;
  private readonly pageRequests: Counter<'status'>;
  private readonly resets: Counter<'outcome'>;
  private readonly logins: Counter<'kind' | 'result'>;
  private readonly deliveries: Counter<'outcome'>;
  private readonly backendErrors: Counter<'backend'>;
  private readonly mailQueue: Gauge<'status'>;
  private readonly mailOldest: Gauge;
  private readonly workerLag: Gauge<'worker'>;
  private readonly workerIdle: Gauge<'worker'>;

  constructor(private readonly d: OpsMetricsDeps) {
    const registers = [this.registry];
    this.apiRequests = new Counter({ name: 'mwauth_api_requests_total', help: 'API requests answered, by module (action) and HTTP status.', labelNames: ['module', 'status'], registers });
    this.apiDuration = new Histogram({
      name: 'mwauth_api_request_duration_seconds',
      help: 'Time to answer an API request, by module (action).',
      labelNames: ['module'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.pageRequests = new Counter({ name: 'mwauth_page_requests_total', help: 'Pages (Special:…) answered, by HTTP status.', labelNames: ['status'], registers });
    this.resets = new Counter({
      name: 'mwauth_reset_requests_total',
      help: 'Password reset requests: accepted or limited_ip at the API; handled by the worker, and of those mailed, nomatch, cooldown, limited_<limit> or failed (given up).',
      labelNames: ['outcome'],
      registers,
    });
    this.logins = new Counter({ name: 'mwauth_logins_total', help: 'Login attempts by kind (password, botpassword) and result.', labelNames: ['kind', 'result'], registers });
    this.deliveries = new Counter({ name: 'mwauth_mail_deliveries_total', help: 'Mail delivery attempts of this process by outcome (sent, failed, retry).', labelNames: ['outcome'], registers });
    this.backendErrors = new Counter({
      name: 'mwauth_backend_errors_total',
      help: 'Failures of the database or Redis that failed a request, a readiness probe or a scrape.',
      labelNames: ['backend'],
      registers,
    });
    for (const backend of ['database', 'redis']) this.backendErrors.inc({ backend }, 0);
    for (const outcome of ['accepted', 'limited_ip', 'handled', 'mailed']) this.resets.inc({ outcome }, 0);

    this.mailQueue = new Gauge({ name: 'mwauth_mail_queue', help: 'Messages in the outbox by status (the whole site: every node reads the same).', labelNames: ['status'], registers });
    this.mailOldest = new Gauge({ name: 'mwauth_mail_queue_oldest_seconds', help: 'Age of the oldest message not yet sent or failed (0 when none).', registers });
    this.workerLag = new Gauge({
      name: 'mwauth_worker_lag_seconds',
      help: 'How long the oldest work that is due has waited: reset requests not yet handled (reset), mail due and not sent (mail). The whole site.',
      labelNames: ['worker'],
      registers,
    });
    this.workerIdle = new Gauge({
      name: 'mwauth_worker_idle_seconds',
      help: "Seconds since this process's worker last made progress (finished a pass or handled an item).",
      labelNames: ['worker'],
      registers,
    });
  }

  /** The figures read at each scrape; those from the database are left out when it cannot be read. */
  private async refresh(): Promise<void> {
    const now = this.d.now();
    this.workerIdle.reset();
    for (const w of this.d.workers) {
      const s = w.state(now);
      if (s.running) this.workerIdle.set({ worker: w.name }, s.sinceProgressMs / 1000);
    }
    this.mailQueue.reset();
    this.mailOldest.reset();
    this.workerLag.reset();
    const stats = await this.fromDb(() => this.d.mail.stats(this.d.db, now));
    if (stats) {
      for (const [status, n] of Object.entries(stats.queue)) this.mailQueue.set({ status }, n);
      this.mailOldest.set(stats.oldestWaitingMs / 1000);
    }
    const lag = await this.fromDb(() => workerLag(this.d.db, now));
    if (lag) for (const [worker, ms] of Object.entries(lag)) this.workerLag.set({ worker }, ms / 1000);
  }

  private async fromDb<T>(read: () => Promise<T>): Promise<T | null> {
    try {
      return await read();
    } catch (err) {
      this.d.onBackendError('database', err);
      return null;
    }
  }

  apiRequest(module: string, status: number, seconds: number): void {
    this.apiRequests.inc({ module, status: String(status) });
    this.apiDuration.observe({ module }, seconds);
  }

  pageRequest(status: number): void {
    this.pageRequests.inc({ status: String(status) });
  }

  reset(outcome: ResetMetricOutcome): void {
    this.resets.inc({ outcome });
  }

  login(kind: LoginKind, result: LoginResult): void {
    this.logins.inc({ kind, result });
  }

  delivery(outcome: 'sent' | 'failed' | 'retry'): void {
    this.deliveries.inc({ outcome });
  }

  backendError(backend: Backend): void {
    this.backendErrors.inc({ backend });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text a scrape gets: this server's figures and the process's. */
  async render(): Promise<string> {
    await this.refresh();
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }
}

/** The age in ms of the oldest due item of each worker's queue (0 when none). */
export async function workerLag(db: Db, now: number): Promise<{ reset: number; mail: number }> {
  const reset = await db
    .selectFrom('reset_request')
    .select((eb) => eb.fn.min<number | string | null>('rr_created').as('oldest'))
    .where((eb) => eb.or([eb('rr_status', '=', 'pending'), eb.and([eb('rr_status', '=', 'processing'), eb('rr_processed', '<', now)])]))
    .executeTakeFirst();
  const mail = await db
    .selectFrom('outbox')
    .select(sql<number | string | null>`min(ob_next_attempt)`.as('oldest'))
    .where('ob_status', '=', 'queued')
    .where('ob_next_attempt', '<=', now)
    .executeTakeFirst();
  const age = (v: number | string | null | undefined) => (v === null || v === undefined ? 0 : Math.max(0, now - Number(v)));
  return { reset: age(reset?.oldest), mail: age(mail?.oldest) };
}
