// Which backend an internal failure came from, and whether it is an outage (the backend cannot be
// reached or refuses work for now) rather than a fault in the request's handling. An outage is answered
// 503 with Retry-After — the same request may succeed in a moment, on this node or another — and any
// other internal failure 500; both carry MediaWiki's internal_api_error_<Class> code.
import { DatabaseUnavailableError } from '../storage/db.js';
import { RedisUnavailableError } from '../storage/redisErrors.js';

export type Backend = 'redis' | 'database';

/** Seconds a client is asked to wait before trying again after an outage answer. */
export const RETRY_AFTER_SECONDS = 5;

// Errors of the connection itself (Node's, pg's and mysql2's codes).
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_LOCK_WAIT_TIMEOUT',
]);
// SQLSTATE classes: 08 connection exception, 53 insufficient resources (too many connections, disk
// full), 57P operator intervention (shutdown, starting up), 58 system error (I/O).
const SQLSTATE_OUTAGE = /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1-4]|58[0-9A-Z]{3})$/;
// SQLite: locked past the busy timeout, I/O failures, a full disk, a file that cannot be opened or written.
const SQLITE_OUTAGE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|PROTOCOL)/;
// pg's own words for a connection that broke or could not be had from the pool.
const PG_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not currently accepting connections|the database system is (starting up|shutting down|in recovery mode)/i;

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) out.push(e);
  return out;
}

function databaseOutage(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  if (e instanceof DatabaseUnavailableError) return true;
  const { code, message, fatal } = e as { code?: unknown; message?: unknown; fatal?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || SQLSTATE_OUTAGE.test(code) || SQLITE_OUTAGE.test(code))) return true;
  if (typeof message === 'string' && PG_MESSAGES.test(message)) return true;
  // mysql2 marks an error that ended the connection as fatal.
  return fatal === true;
}

/** The backend whose outage `err` is, or null for any other failure. */
export function outageOf(err: unknown): Backend | null {
  const chain = causes(err);
  if (chain.some((e) => e instanceof RedisUnavailableError)) return 'redis';
  if (chain.some(databaseOutage)) return 'database';
  return null;
}

/**
 * The error a request answers with: an outage as RedisUnavailableError or DatabaseUnavailableError
 * (the names clients see in internal_api_error_…), anything else as it is.
 */
export function asOutage(err: unknown): { error: Error; backend: Backend | null } {
  const backend = outageOf(err);
  if (backend === 'redis') {
    const e = causes(err).find((x) => x instanceof RedisUnavailableError) as RedisUnavailableError;
    return { error: e, backend };
  }
  if (backend === 'database') {
    if (err instanceof DatabaseUnavailableError) return { error: err, backend };
    const why = err instanceof Error ? err.message : String(err);
    return { error: new DatabaseUnavailableError(`the database is unavailable: ${why}`, { cause: err }), backend };
  }
  return { error: err instanceof Error ? err : new Error(String(err)), backend: null };
}
