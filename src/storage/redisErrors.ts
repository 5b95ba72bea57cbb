// The error of a Redis that cannot be reached, apart from the client: code that only recognises it (the
// outage answers of src/ops/failures.ts) does not load ioredis in a process that has no Redis.

/** Redis could not be reached (down, restarting, or the network between): a request fails, the process goes on. */
export class RedisUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Redis is unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RedisUnavailableError';
  }
}
