// Counters in a Map, for tests that need counters and no database: it passes the same contract as the
// real ones (test/contracts/counters.test.ts).
import type { Counters } from '../../src/limits/counters.js';
import type { Clock } from '../../src/util/clock.js';

export class MemoryCounters implements Counters {
  private readonly map = new Map<string, { count: number; expires: number }>();
  constructor(private readonly clock: Clock) {}

  async hit(key: string, windowSeconds: number, amount = 1): Promise<number> {
    const now = this.clock.now();
    const cur = this.map.get(key);
    if (!cur || cur.expires <= now) {
      this.map.set(key, { count: amount, expires: now + windowSeconds * 1000 });
      if (this.map.size > 100_000) this.sweepAt(now);
      return amount;
    }
    cur.count += amount;
    return cur.count;
  }

  async release(key: string, amount = 1): Promise<void> {
    const cur = this.map.get(key);
    if (cur && cur.expires > this.clock.now()) cur.count = Math.max(0, cur.count - amount);
  }

  async peek(key: string): Promise<number> {
    const cur = this.map.get(key);
    return cur && cur.expires > this.clock.now() ? cur.count : 0;
  }

  async clear(key: string): Promise<void> {
    this.map.delete(key);
  }

  async sweep(): Promise<void> {
    this.sweepAt(this.clock.now());
  }

  private sweepAt(now: number): void {
    for (const [k, v] of this.map) if (v.expires <= now) this.map.delete(k);
  }
}
