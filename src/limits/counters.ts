// Fixed-window counters behind one small interface: rate limits and login throttles use them.
// Implementations: src/storage/sql/counters.ts (the database) and src/storage/redis/counters.ts (several
// nodes); test/contracts/counters.test.ts is what each must do.

export interface Counters {
  /** Adds `amount` hits (default one) to `key` and returns the number of hits in its current window. */
  hit(key: string, windowSeconds: number, amount?: number): Promise<number>;
  /** Takes back `amount` hits made in the current window (a limit that let a request through after all refused it). */
  release(key: string, amount?: number): Promise<void>;
  /** Hits in the current window, without adding one. */
  peek(key: string): Promise<number>;
  clear(key: string): Promise<void>;
  /** Drops counters whose window is over (where the backend does not by itself). */
  sweep(): Promise<void>;
}
