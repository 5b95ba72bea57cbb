// Blocks kept in memory between requests. Blocks are few and seldom change, while the requests that
// must check them (resets, account creation, blockinfo) come often: a look-up's answer is kept until a
// block is made, changed or lifted anywhere — in this process, by a command line, on another node. How
// this process hears of such a change is a BlockChanges (SQLite's data version, or a Redis channel);
// while it cannot hear them (Redis gone), every look-up goes to the database.
import type { Block, BlockInput, BlockStore } from './blocks.js';
import type { Clock } from '../util/clock.js';
import { canonicalAddress } from '../util/clientAddress.js';

export interface BlockChanges {
  /**
   * A stamp that differs from the one before whenever blocks may have changed since (here or elsewhere);
   * null while changes made elsewhere cannot be heard (then nothing is kept).
   */
  stamp(): string | null;
  /** Tells this process at once, and every other one, that blocks changed (once the change is committed). */
  changed(): Promise<void>;
}

/** Look-ups kept at most; past this, everything kept goes (a flood of addresses cannot grow memory). */
const MAX_KEPT = 10_000;

/** A BlockStore that keeps find()'s answers until blocks change, and says so when they do. */
export class CachedBlockStore implements BlockStore {
  private kept = new Map<string, Block | null>();
  private keptStamp: string | null = null;

  constructor(
    private readonly inner: BlockStore,
    private readonly changes: BlockChanges,
    private readonly clock: Clock,
  ) {}

  async find(userId: number, ip: string): Promise<Block | null> {
    const stamp = this.changes.stamp();
    if (stamp === null) return this.inner.find(userId, ip);
    if (stamp !== this.keptStamp) {
      this.kept.clear();
      this.keptStamp = stamp;
    }
    const key = `${userId} ${canonicalAddress(ip) ?? ip}`;
    const known = this.kept.get(key);
    // A kept block that has run out is looked up again: an address block may apply in its place.
    if (known !== undefined && (known === null || known.expiry === null || known.expiry > this.clock.now())) return known;
    const found = await this.inner.find(userId, ip);
    // Kept only if nothing changed while the database answered: the answer could predate the change.
    if (this.changes.stamp() === stamp) {
      if (this.kept.size >= MAX_KEPT) this.kept.clear();
      this.kept.set(key, found);
    }
    return found;
  }

  async add(input: BlockInput): Promise<void> {
    await this.changing(() => this.inner.add(input));
  }

  async remove(target: string): Promise<boolean> {
    return this.changing(() => this.inner.remove(target));
  }

  list(): Promise<Block[]> {
    return this.inner.list();
  }

  ofUsers(userIds: readonly number[]): Promise<Map<number, Block[]>> {
    return this.inner.ofUsers(userIds);
  }

  ofAddresses(targets: readonly string[]): Promise<Map<string, Block>> {
    return this.inner.ofAddresses(targets);
  }

  addressBlocksAfter(afterId: number, limit: number): Promise<Block[]> {
    return this.inner.addressBlocksAfter(afterId, limit);
  }

  async replaceForUsers(userIds: readonly number[], blocks: readonly BlockInput[]): Promise<void> {
    await this.changing(() => this.inner.replaceForUsers(userIds, blocks));
  }

  async upsertMany(blocks: readonly BlockInput[]): Promise<void> {
    await this.changing(() => this.inner.upsertMany(blocks));
  }

  /** A change: whatever happens to it (even a failure half-way), every process forgets what it kept. */
  private async changing<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      await this.changes.changed();
    }
  }
}

/**
 * One SQLite database file shared by the server and command lines: PRAGMA data_version changes whenever
 * another connection commits to the file, and a local counter covers this process's own writes.
 */
export function sqliteBlockChanges(dataVersion: () => number): BlockChanges {
  let local = 0;
  return {
    stamp: () => `${local}:${dataVersion()}`,
    async changed() {
      local++;
    },
  };
}
