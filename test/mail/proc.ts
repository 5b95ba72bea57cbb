// The real server as a child process (`node bin/mwauth.mjs serve`), for the crash and shutdown tests.
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services.js';
import { startServe, type ServeProcess } from '../helpers/process.js';

export { freePort } from '../helpers/process.js';
export type Serve = ServeProcess;

/** The settings of a server on `port` with its own data folder, sending by SMTP to a local stub. */
export function smtpServerEnv(dataDir: string, port: number, smtpPort: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MWAUTH_DATA_DIR: dataDir,
    MWAUTH_PORT: String(port),
    MWAUTH_SERVER: `http://127.0.0.1:${port}`,
    MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
    MWAUTH_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    MWAUTH_RESET_IP_LIMIT: '100000/3600',
    // Every burst comes from 127.0.0.1: one network, whose share of the mail budget is lifted too.
    MWAUTH_MAIL_BUDGET_PER_NETWORK: '100000/3600',
    MWAUTH_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** `mwauth serve` with only the given MWAUTH_* settings; resolves once it serves. */
export function serve(vars: Record<string, string>, timeoutMs = 30_000): Promise<Serve> {
  return startServe(vars, timeoutMs);
}

/** Creates accounts in the data folder the way `mwauth user add` would, before the server starts. */
export async function createUsers(vars: Record<string, string>, users: Array<{ name: string; email: string }>): Promise<void> {
  const s = await createServices(loadConfig(vars), { hasher: createPasswordHasher({ iterations: 1000 }) });
  try {
    const hash = await s.hasher.hash('Initial-Pass-1');
    for (const u of users) await s.users.create({ name: u.name, email: u.email, passwordHash: hash });
  } finally {
    await s.close(0);
  }
}

/** One action=resetpassword; 'lost' when the server gave no (complete) answer. */
export async function requestReset(api: string, user: string): Promise<'success' | 'lost'> {
  try {
    const res = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'resetpassword', format: 'json', token: '+\\', user }),
      signal: AbortSignal.timeout(15_000),
    });
    const json = JSON.parse(await res.text());
    if (json?.resetpassword?.status === 'success') return 'success';
    throw new Error(`unexpected answer for ${user}: ${JSON.stringify(json)}`);
  } catch (err) {
    if ((err as Error).message.startsWith('unexpected answer')) throw err;
    return 'lost';
  }
}

/** Read-only (or read-write) look at the server's database while it runs or after it died. */
export function openDb(dataDir: string, readonly = true): SQLite.Database {
  return new SQLite(join(dataDir, 'mwauth.sqlite'), { readonly, fileMustExist: true });
}

export function count(db: SQLite.Database, q: string): number {
  return (db.prepare(q).get() as { n: number }).n;
}
