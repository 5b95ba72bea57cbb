// Block changes heard across nodes through a Redis channel: a process that makes, changes or lifts a
// block publishes on it once the change is committed, and every server clears what it kept. A server
// keeps nothing while its subscription is not in place (Redis gone, reconnecting) and forgets everything
// when it is back, since a message may have been missed meanwhile.
import type { Redis } from 'ioredis';
import type { BlockChanges } from '../../accounts/blockCache.js';
import type { Logger } from '../../util/logger.js';

export interface RedisBlockChanges extends BlockChanges {
  /** Starts listening (a server); a process that never listens keeps nothing, and still publishes. */
  listen(): Promise<void>;
  close(): void;
}

export function redisBlockChanges(client: Redis, prefix: string, logger?: Logger): RedisBlockChanges {
  const channel = `${prefix}blocks-changed`;
  let local = 0;
  let heard = 0;
  let listening = false;
  let subscriber: Redis | null = null;
  return {
    stamp: () => (listening ? `${local}:${heard}` : null),
    async changed() {
      local++;
      // A failure here leaves the other nodes with what they kept: said loudly, since only a restart or
      // the next change clears it.
      try {
        await client.publish(channel, '1');
      } catch (err) {
        logger?.error({ err: (err as Error).message }, 'a block change could not be announced to the other nodes');
        throw err;
      }
    },
    async listen() {
      if (subscriber) return;
      // A connection of its own (a subscribed connection runs no other command), resubscribed by hand
      // so that this process knows when it is listening again.
      const sub = client.duplicate({ autoResubscribe: false, lazyConnect: true, enableOfflineQueue: true });
      subscriber = sub;
      sub.on('error', () => {});
      sub.on('message', () => heard++);
      sub.on('close', () => (listening = false));
      sub.on('ready', () => {
        sub
          .subscribe(channel)
          .then(() => {
            heard++;
            listening = true;
          })
          .catch(() => sub.disconnect(true));
      });
      await sub.connect().catch(() => {});
    },
    close() {
      listening = false;
      subscriber?.disconnect();
      subscriber = null;
    },
  };
}
