// What an operator's tools read from a running node: liveness, readiness and metrics, and the counting
// of backend failures that the requests, the probes and the scrapes run into.
import { sql } from 'kysely';
import type { MailMetrics } from '../mail/metrics.js';
import type { Db } from '../storage/db.js';
import type { Clock } from '../util/clock.js';
import { outageOf, type Backend } from './failures.js';
import { readiness, type Readiness } from './health.js';
import { OpsMetrics } from './metrics.js';
import { WorkerWatch } from './workers.js';

export interface OpsLogger {
  warn(o: object, msg: string): void;
}

export interface Ops {
  metrics: OpsMetrics;
  /** The reset worker's and the delivery worker's watches. */
  workers: { reset: WorkerWatch; mail: WorkerWatch };
  readiness(): Promise<Readiness>;
  /** A backend failure met by a request, a probe or a scrape: counted, and logged at most once a minute per backend. */
  failed(backend: Backend, err: unknown): void;
}

export function createOps(d: { db: Db; clock: Clock; mail: MailMetrics; redisPing: (() => Promise<unknown>) | null; logger: OpsLogger }): Ops {
  const workers = { reset: new WorkerWatch('reset', d.clock), mail: new WorkerWatch('mail', d.clock) };
  // Requests and probes every few seconds during an outage must not write a log line each: one a minute.
  const logged = new Map<Backend, number>();
  const failed = (backend: Backend, err: unknown) => {
    metrics.backendError(backend);
    const now = Date.now();
    if (now - (logged.get(backend) ?? 0) < 60_000) return;
    logged.set(backend, now);
    d.logger.warn({ backend, err: err instanceof Error ? err.message : String(err) }, `${backend} failing (logged at most once a minute; mwauth_backend_errors_total counts them)`);
  };
  const metrics: OpsMetrics = new OpsMetrics({ db: d.db, now: () => d.clock.now(), mail: d.mail, workers: [workers.reset, workers.mail], onBackendError: failed });
  return {
    metrics,
    workers,
    failed,
    async readiness() {
      return readiness({
        database: () => sql`select 1`.execute(d.db),
        redis: d.redisPing,
        workers: [workers.reset, workers.mail],
        now: () => d.clock.now(),
        onFailure: (backend, err) => failed(outageOf(err) ?? backend, err),
      });
    },
  };
}
