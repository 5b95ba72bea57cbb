// A redis-server of a test's own (the machine's shared Redis is never stopped), and a few readers.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../helpers/process.js';
import { SERVICES_REQUIRED } from '../helpers/services.js';

/** Why a private redis-server cannot be started (false: it can); fails the file under MWAUTH_REQUIRE_SERVICES=1. */
export function redisServerMissing(): string | false {
  const missing = spawnSync('redis-server', ['--version']).error ? 'redis-server is not installed (Debian: redis-server)' : false;
  if (missing && SERVICES_REQUIRED) throw new Error(`${missing} (MWAUTH_REQUIRE_SERVICES=1)`);
  return missing;
}

export interface PrivateRedis {
  url: string;
  /** Starts it (empty: it keeps nothing on disk) and waits until it answers. */
  start(): Promise<void>;
  /** Kills it (SIGKILL) and waits for its end. */
  stop(): Promise<void>;
}

/** A redis-server on a free port, stopped after the test. */
export async function privateRedis(t: { after(fn: () => Promise<void> | void): void }): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-private-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const r: PrivateRedis = {
    url,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      const end = Date.now() + 10_000;
      for (;;) {
        try {
          await probe.connect();
          await probe.ping();
          break;
        } catch {
          assert.ok(Date.now() < end, 'redis-server did not start');
          probe.disconnect();
          await new Promise((res) => setTimeout(res, 50));
        }
      }
      probe.disconnect();
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((res) => c.once('exit', res));
      c.kill('SIGKILL');
      await exited;
    },
  };
  t.after(async () => {
    await r.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return r;
}

/** One sample's value from Prometheus text (`name{labels}`), or undefined. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** Polls `fn` until it returns true, for at most `ms`. */
export async function eventually(what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    assert.ok(Date.now() < end, `${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
