// Readiness: whether this node can do its work now — its database answers, its Redis answers (when it
// has one), and its workers run and are not stuck. Each check has a few seconds; a check that fails
// names itself, with a short reason and nothing more (no address, no URL, no user).
import { STUCK_MS, type WorkerWatch } from './workers.js';
import { outageOf } from './failures.js';

/** How long one check may take before it counts as failed. */
export const CHECK_TIMEOUT_MS = 2000;

export interface ReadinessDeps {
  /** A query that needs the database: `select 1`. */
  database(): Promise<unknown>;
  /** PING, when Redis is configured. */
  redis: (() => Promise<unknown>) | null;
  workers: readonly WorkerWatch[];
  now(): number;
  /** Told when a check of the database or Redis fails (to count and log it). */
  onFailure(check: 'database' | 'redis', err: unknown): void;
}

export interface Readiness {
  ready: boolean;
  /** Every check: "ok", or why not. */
  checks: Record<string, string>;
  /** The checks that failed, by name. */
  failing: string[];
}

class CheckTimeout extends Error {}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout()), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function reason(err: unknown): string {
  if (err instanceof CheckTimeout) return `no answer within ${CHECK_TIMEOUT_MS / 1000} s`;
  return outageOf(err) ? 'unreachable' : 'failing';
}

export async function readiness(d: ReadinessDeps): Promise<Readiness> {
  const checks: Record<string, string> = {};
  const probe = async (name: 'database' | 'redis', run: () => Promise<unknown>) => {
    try {
      await within(Promise.resolve().then(run), CHECK_TIMEOUT_MS);
      checks[name] = 'ok';
    } catch (err) {
      checks[name] = reason(err);
      d.onFailure(name, err);
    }
  };
  await Promise.all([probe('database', d.database), d.redis ? probe('redis', d.redis) : null]);
  const now = d.now();
  for (const w of d.workers) {
    const s = w.state(now);
    checks[`worker:${w.name}`] = !s.running ? 'not running' : s.stuck ? `stuck: no progress for ${Math.round(s.sinceProgressMs / 1000)} s (limit ${STUCK_MS / 1000} s)` : 'ok';
  }
  const failing = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
  return { ready: failing.length === 0, checks, failing };
}
