// Every mail counts against the address it goes to, whatever its kind (a reset, the "password changed"
// notice, the notice to an unknown address, a test mail): one counter per address, so that no way of
// making mwauth write to an address — a thousand accounts sharing it, a hundred password changes —
// floods it. The counter is keyed by a hash: the counter table and Redis hold no address.
import { createHash } from 'node:crypto';
import type { Counters } from '../limits/counters.js';

/** [count, seconds] */
export type Limit = [number, number];

export const ADDRESS_KEY_PREFIX = 'mail:address:';

/** Counter key of an address: hashed, so the key is short and the counter holds no address. */
export function addressKey(email: string, prefix = ADDRESS_KEY_PREFIX): string {
  return prefix + createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

/**
 * How far past the limit a "password changed" notice may still go: reset mail fills an address up to
 * the limit at most, so a flood of reset requests can never crowd out the notice that tells the owner
 * their password was changed (filling this headroom takes real password changes).
 */
export const NOTICE_HEADROOM = 2;

export interface AddressAllowance {
  /** Whether the mails fit under the limit (they are counted either way until released). */
  admitted: boolean;
  /** The count of the address after these mails. */
  count: number;
  /** Takes the mails back (not sent after all, or refused). */
  release(): Promise<void>;
}

export class AddressLimit {
  constructor(
    private readonly counters: Counters,
    /** MWAUTH_RESET_ADDRESS_LIMIT; undefined: addresses are not limited. */
    readonly limit: Limit | undefined,
    /**
     * false: mail is counted but never refused — a command-line run, whose mail is an administrator's
     * deliberate act (and whose settings may not be the server's).
     */
    private readonly enforce = true,
  ) {}

  /**
   * Counts `amount` mails to `address`. Admitted while the address stays within the limit, or within
   * `headroom` times it (the notice of a password change). A refused take gives its count back itself.
   */
  async take(address: string, opts: { amount?: number; headroom?: number } = {}): Promise<AddressAllowance> {
    const amount = opts.amount ?? 1;
    if (!this.limit) return { admitted: true, count: 0, release: async () => {} };
    const key = addressKey(address);
    const count = await this.counters.hit(key, this.limit[1], amount);
    let held = true;
    const release = async () => {
      if (!held) return;
      held = false;
      await this.counters.release(key, amount);
    };
    const admitted = !this.enforce || count <= this.limit[0] * (opts.headroom ?? 1);
    if (!admitted) await release();
    return { admitted, count, release };
  }
}
