// The reset limits the worker applies once it knows the targets (the request path never learns them):
// per account, per receiving address (every mail counts against its address, whatever its kind), the
// share of the mail budget one requesting network may spend, and the site's mail budget. Silent: a request
// over a limit ends as 'limited' and sends nothing; nothing here touches an account, a password or a login.
//
// Each limit is a fixed-window counter hit by one atomic upsert, so concurrent workers cannot overshoot.
// A request refused by any limit gives back every hit it made, so refused requests (an attacker's while
// the budget is spent, say) never use up an account's, an address's or a network's allowance.
import type { Counters } from '../limits/counters.js';
import { addressKey, type Limit } from '../mail/limits.js';
import { networkKey } from '../util/clientAddress.js';

export type { Limit };

export interface ResetLimitConfig {
  /** Reset mails per account (on top of the cooldown, which a password change ends). */
  account?: Limit;
  /** Mails per receiving address, every kind counted (a reset request's mails all fit or none is sent). */
  address?: Limit;
  /** Mails of the reset worker per window, for the whole site. */
  budget?: Limit;
  /**
   * Mails of the reset worker per window for the requests of one network (IPv4 /24, IPv6 /48): the most
   * of the budget one requester can spend, whatever it asks for, so that the rest stays for everyone else.
   */
  network?: Limit;
  /** "No account uses this address" mails per address. */
  unknownAddress?: Limit;
}

export type LimitName = 'account' | 'address' | 'network' | 'budget' | 'unknown-address';

/** The outcome of take(): the first limit broken (nothing was kept then), and a way to give the hits back. */
export interface Taken {
  limited: LimitName | null;
  /** Gives back the hits of an admitted request that was not sent after all (rolled back). */
  release(): Promise<void>;
}

export class ResetLimits {
  constructor(
    private readonly counters: Counters,
    private readonly cfg: ResetLimitConfig,
  ) {}

  /**
   * Counts a request that would mail `accounts` (ids), one mail to each of `addresses` (an address
   * repeated once per mail to it), asked from `requesterIp`; `kind` 'unknown-address' counts the notice
   * to an address that no account uses instead.
   */
  async take(t: { accounts: number[]; addresses: string[]; requesterIp?: string | null; kind?: 'reset' | 'unknown-address' }): Promise<Taken> {
    const hits: Array<{ key: string; amount: number }> = [];
    const release = async () => {
      for (const h of hits.splice(0)) await this.counters.release(h.key, h.amount);
    };
    const hit = async (key: string, limit: Limit | undefined, amount = 1): Promise<boolean> => {
      if (!limit || amount === 0) return true;
      const n = await this.counters.hit(key, limit[1], amount);
      hits.push({ key, amount });
      return n <= limit[0];
    };
    const mails = t.addresses.length;
    const perAddress = new Map<string, number>();
    for (const a of t.addresses) perAddress.set(a.trim().toLowerCase(), (perAddress.get(a.trim().toLowerCase()) ?? 0) + 1);
    const steps: Array<[LimitName, () => Promise<boolean>]> = [];
    if (t.kind === 'unknown-address') {
      for (const a of perAddress.keys()) steps.push(['unknown-address', () => hit(addressKey(a, 'reset:unknown:'), this.cfg.unknownAddress)]);
    } else {
      for (const id of new Set(t.accounts)) steps.push(['account', () => hit(`reset:account:${id}`, this.cfg.account)]);
    }
    for (const [a, n] of perAddress) steps.push(['address', () => hit(addressKey(a), this.cfg.address, n)]);
    // Narrowest first: the requester's share, then the site-wide budget, are the last things spent.
    if (t.requesterIp) steps.push(['network', () => hit(`reset:network:${networkKey(t.requesterIp!)}`, this.cfg.network, mails)]);
    steps.push(['budget', () => hit('reset:mail-budget', this.cfg.budget, mails)]);
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
    const { account, address, network, budget } = this.cfg;
    if (account) await this.counters.hit('reset:stand-in:account', account[1]);
    if (address) await this.counters.hit('reset:stand-in:address', address[1]);
    if (network) await this.counters.hit('reset:stand-in:network', network[1]);
    if (budget) await this.counters.hit('reset:stand-in:budget', budget[1]);
  }
}
