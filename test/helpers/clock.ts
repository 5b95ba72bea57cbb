// A clock tests move by hand, so that expiry, cooldown and window tests never sleep.
import type { Clock } from '../../src/util/clock.js';

export class ManualClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
