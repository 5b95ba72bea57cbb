// The reset limits the worker applies once it knows the targets (the request path never learns them):
// per account, per receiving address, and the site's hourly mail budget. Silent: a request over a limit
// ends as 'limited' and sends nothing; nothing here touches an account, a password or a login.
//
// Each limit is a fixed-window counter hit by one atomic upsert, so concurrent workers cannot overshoot.
// A request refused by any limit gives back every hit it made, so refused requests (an attacker's while
// the budget is spent, say) never use up an account's or an address's allowance.
import { createHash } from 'node:crypto';
import type { Counters } from '../limits/counters.js';

/** [count, seconds] */
export type Limit = [number, number];

export interface ResetLimitConfig {
  /** Reset mails per account (on top of the cooldown, which a password change ends). */
  account?: Limit;
  /** Reset mails per receiving address, whichever route named it. */
  address?: Limit;
  /** Mails of the reset worker per window, for the whole site. */
  budget?: Limit;
  /** "No account uses this address" mails per address. */
  unknownAddress?: Limit;
}

export type LimitName = 'account' | 'address' | 'budget' | 'unknown-address';

/** The outcome of take(): the first limit broken (nothing was kept then), and a way to give the hits back. */
export interface Taken {
  limited: LimitName | null;
  /** Gives back the hits of an admitted request that was not sent after all (rolled back). */
  release(): Promise<void>;
}

export const ADDRESS_KEY_PREFIX = 'reset:address:';

/** Counter key of an address: hashed, so the key is short and the counter table holds no address. */
export function addressKey(prefix: string, email: string): string {
  return prefix + createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

export class ResetLimits {
  constructor(
    private readonly counters: Counters,
    private readonly cfg: ResetLimitConfig,
  ) {}

  /**
   * Counts a request that would mail `accounts` (ids) at `addresses`, `mails` mails in all; `kind`
   * 'unknown-address' counts the notice to an address that no account uses instead.
   */
  async take(t: { accounts: number[]; addresses: string[]; mails: number; kind?: 'reset' | 'unknown-address' }): Promise<Taken> {
    const hits: Array<{ key: string; amount: number }> = [];
    const release = async () => {
      for (const h of hits.splice(0)) await this.counters.release(h.key, h.amount);
    };
    const hit = async (key: string, limit: Limit | undefined, amount = 1): Promise<boolean> => {
      if (!limit) return true;
      const n = await this.counters.hit(key, limit[1], amount);
      hits.push({ key, amount });
      return n <= limit[0];
    };
    const steps: Array<[LimitName, () => Promise<boolean>]> = [];
    if (t.kind === 'unknown-address') {
      for (const a of unique(t.addresses)) steps.push(['unknown-address', () => hit(addressKey('reset:unknown:', a), this.cfg.unknownAddress)]);
    } else {
      for (const id of unique(t.accounts)) steps.push(['account', () => hit(`reset:account:${id}`, this.cfg.account)]);
      for (const a of unique(t.addresses)) steps.push(['address', () => hit(addressKey(ADDRESS_KEY_PREFIX, a), this.cfg.address)]);
    }
    // Narrowest first: the site-wide budget is the last thing spent.
    steps.push(['budget', () => hit('reset:mail-budget', this.cfg.budget, t.mails)]);
    for (const [name, step] of steps) {
      let ok: boolean;
      try {
        ok = await step();
      } catch (err) {
        await release().catch(() => {});
        throw err;
      }
      if (!ok) {
        await release();
        return { limited: name, release: async () => {} };
      }
    }
    return { limited: null, release };
  }

  /**
   * The counter work of a take() for one account at one address, on counters of their own that limit
   * nothing: a request that mails nobody costs the same as one that does, and uses up no allowance.
   */
  async standIn(): Promise<void> {
    const { account, address, budget } = this.cfg;
    if (account) await this.counters.hit('reset:stand-in:account', account[1]);
    if (address) await this.counters.hit('reset:stand-in:address', address[1]);
    if (budget) await this.counters.hit('reset:stand-in:budget', budget[1]);
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs.map((x) => (typeof x === 'string' ? (x.toLowerCase() as T) : x)))];
}
