// Whether this process's background workers (the reset worker, mail delivery) are running and getting
// somewhere. A worker is stuck when it has made no progress — finished no pass, handled no item — for
// STUCK_MS while it should be running: its loop died, or a pass waits on something that never answers.
// A long pass that keeps handling items (a burst of resets, a large queue of mail) is not stuck, and
// neither is a delivery worker pausing after its mail server failed (its passes end at once).
import type { Clock } from '../util/clock.js';

/** No progress for this long while running: stuck. */
export const STUCK_MS = 10 * 60_000;

export interface WorkerState {
  running: boolean;
  /** Milliseconds the current pass has run (0 when idle). */
  busyMs: number;
  /** Milliseconds since the last progress (or since the worker started). */
  sinceProgressMs: number;
  stuck: boolean;
}

export class WorkerWatch {
  private running = false;
  private passes = 0;
  private busySince: number | null = null;
  private lastProgress = 0;

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly stuckMs = STUCK_MS,
  ) {}

  start(): void {
    this.running = true;
    this.lastProgress = this.clock.now();
  }

  stop(): void {
    this.running = false;
  }

  /** The worker finished an item (a reset request, a delivery attempt). */
  progress(): void {
    this.lastProgress = this.clock.now();
  }

  /** Follows one pass of the worker: its start, and its end as progress. */
  pass<T>(run: Promise<T>): Promise<T> {
    if (this.passes++ === 0) this.busySince = this.clock.now();
    const done = () => {
      if (--this.passes === 0) this.busySince = null;
      this.progress();
    };
    run.then(done, done);
    return run;
  }

  state(now = this.clock.now()): WorkerState {
    const sinceProgressMs = Math.max(0, now - this.lastProgress);
    return {
      running: this.running,
      busyMs: this.busySince === null ? 0 : Math.max(0, now - this.busySince),
      sinceProgressMs,
      stuck: this.running && sinceProgressMs > this.stuckMs,
    };
  }
}

/**
 * Follows every pass of a worker's job queue (the reset worker's and the delivery worker's both run their
 * passes through the queue's `runOnce()`), without the queue knowing: its own method is wrapped on the instance.
 */
export function watchPasses(queue: { runOnce(): Promise<unknown> }, watch: WorkerWatch): void {
  const runOnce = queue.runOnce.bind(queue);
  queue.runOnce = () => watch.pass(runOnce());
}
