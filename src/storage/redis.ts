// The Redis connection that sessions and counters share (MWAUTH_REDIS_URL): opening it at start-up,
// turning connection failures into RedisUnavailableError, closing it.
import { Redis, ReplyError } from 'ioredis';
import type { Logger } from '../util/logger.js';
import { RedisUnavailableError } from './redisErrors.js';

export { RedisUnavailableError };

/** Runs one Redis call; a connection failure becomes RedisUnavailableError, an error Redis answered stays as it is. */
export async function redisCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof ReplyError ? err : new RedisUnavailableError(err);
  }
}

/** The URL with its password replaced by "***": safe to print. */
export function redisDisplayUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

export interface RedisOpenOptions {
  logger?: Logger;
  /** Connection attempts before start-up gives up (default 3). */
  attempts?: number;
  /** Milliseconds one attempt may take to connect (default 2000). */
  connectTimeoutMs?: number;
}

/**
 * Connects to MWAUTH_REDIS_URL, trying a few times; a Redis that cannot be reached stops start-up with an
 * error naming the setting. Once connected, a lost connection is retried for as long as the process runs,
 * and commands fail at once meanwhile (no queue of requests waiting for Redis to come back).
 */
export async function openRedis(url: string, o: RedisOpenOptions = {}): Promise<Redis> {
  const attempts = o.attempts ?? 3;
  const connectTimeout = o.connectTimeoutMs ?? 2000;
  const shown = redisDisplayUrl(url);
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout,
    commandTimeout: 5000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Never sent again after a reconnect: a counter hit must not count twice.
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    connectionName: 'mwauth',
  });
  // Logged once when the connection goes and once when it is back, not at every attempt in between.
  let up = false;
  let lost = false;
  client.on('error', () => {}); // each failed attempt; start-up below and the requests report them
  client.on('close', () => {
    if (!up || closing.has(client)) return;
    up = false;
    lost = true;
    o.logger?.warn({ redis: shown }, 'Redis connection lost; requests that need it fail until it is back');
  });
  client.on('ready', () => {
    up = true;
    if (lost) o.logger?.info({ redis: shown }, 'Redis connection back');
    lost = false;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let failures = 0;
      const onError = (err: Error) => {
        if (++failures >= attempts) finish(err);
      };
      const onReady = () => finish(null);
      // Whatever happens (a server that accepts and never answers, say), start-up does not wait longer.
      const timer = setTimeout(() => finish(new Error('no answer in time')), attempts * (connectTimeout + 2000));
      const finish = (err: Error | null) => {
        clearTimeout(timer);
        client.off('error', onError);
        client.off('ready', onReady);
        if (err) reject(err);
        else resolve();
      };
      client.on('error', onError);
      client.once('ready', onReady);
      // The first failure rejects connect(); the retry strategy keeps trying until `attempts` are used.
      client.connect().catch(() => {});
    });
  } catch (err) {
    client.disconnect();
    throw new Error(`cannot reach Redis at MWAUTH_REDIS_URL (${shown}) after ${attempts} attempts: ${(err as Error).message || String(err)}`);
  }
  return client;
}

const closing = new WeakSet<Redis>();

/** Closes the connection, politely when Redis is there. */
export async function closeRedis(client: Redis): Promise<void> {
  closing.add(client);
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}
