// Runs programs as child processes: the real `mwauth` command (bin/mwauth.mjs), one-shot CLI runs and
// `mwauth serve`, and any other program a test drives (client programs in other languages).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/mwauth.mjs', import.meta.url));

/** The parent's environment without any MWAUTH_* setting, plus the given ones. */
export function cliEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MWAUTH_')) env[k] = v;
  return { ...env, ...vars };
}

export interface RunResult {
  /** The exit code; null when a signal ended the program. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export type CliResult = RunResult;

export interface RunOptions {
  /** The program's whole environment (default: the parent's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed with SIGKILL after this many ms (default: never). */
  timeoutMs?: number;
}

/** Runs a program to its end and collects what it printed. */
export function runProgram(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** One `mwauth ARGS` run to its end, with only the given MWAUTH_* settings. */
export function runCli(args: string[], vars: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  return runProgram(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(vars), timeoutMs: opts.timeoutMs });
}

/** A free TCP port: listen on port 0, note the port, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServeExit {
  /** null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** When it exited (ms since the epoch). */
  at: number;
}

export interface ServeProcess {
  child: ChildProcess;
  exited: Promise<ServeExit>;
  /** Everything it printed so far, stdout and stderr together. */
  output(): string;
  /** SIGTERM, then SIGKILL when it has not exited within `graceMs` (5 s; 0: SIGKILL at once). Resolves once it has exited. */
  stop(graceMs?: number): Promise<ServeExit>;
}

// Servers still running when the test process exits (an uncaught error, a missing after hook): killed,
// since their open pipes would keep the test run alive.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** Starts `mwauth serve` with only the given MWAUTH_* settings and waits for its "serving" line. */
export async function startServe(vars: Record<string, string>, timeoutMs = 60_000, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ROOT, env: cliEnv(vars), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  const exited = new Promise<ServeExit>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, at: Date.now() });
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async (graceMs = 5000): Promise<ServeExit> => {
    if (alive() && graceMs > 0) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    if (alive()) child.kill('SIGKILL');
    return exited;
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mwauth serve did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('mwauth: serving')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`mwauth serve exited (${code ?? signal}) before serving:\n${out}`));
    });
  });
  return { child, exited, output: () => out, stop };
}
