// The real server as a child process (`node bin/mwauth.mjs serve`), for the crash and shutdown tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'mwauth.mjs');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Serve {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  output(): string;
}

/** `mwauth serve` with only the given MWAUTH_* settings; resolves once it serves. */
export async function serve(vars: Record<string, string>, timeoutMs = 30_000): Promise<Serve> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MWAUTH_')) env[k] = v;
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: { ...env, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mwauth serve did not start:\n${out}`)), timeoutMs);
    const check = () => {
      if (out.includes('mwauth: serving')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`mwauth serve exited (${code ?? signal}) before serving:\n${out}`));
    });
  });
  return { child, exited, output: () => out };
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
