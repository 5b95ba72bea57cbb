// "Remember me": one random token per remembered login. The Token cookie carries the token; the store
// holds only its keyed hash (HMAC with the server secret), the account, and a keyed hash of the account's
// user_token at the time (a new user_token — a password change, a logout — voids every token made
// before). A copy of the table, with or without the server secret, gives nothing that works as a cookie.
// The store is src/storage/sql/rememberTokens.ts; test/contracts/rememberTokens.test.ts is what it must do.
import type { Keyring } from '../secrets/keyring.js';
import type { Clock, Random } from '../util/clock.js';
import { randomHex } from '../util/clock.js';

/** The most remembered logins one account keeps; a new one beyond this forgets the oldest. */
export const REMEMBERED_PER_USER = 20;

/** What the Token cookie carries: 32 hex digits, as MediaWiki's. */
const TOKEN_PATTERN = /^[0-9a-f]{32}$/;

/** One remembered login as stored: `key` is the keyed hash of its token. */
export interface RememberedLogin {
  key: string;
  userId: number;
  /** Keyed hash of the account's user_token when it was made. */
  generation: string;
  created: number;
  expires: number;
}

export interface RememberTokenStore {
  /** Records a login; the account then keeps its `keep` newest (by creation, then key), the others go. */
  add(login: RememberedLogin, keep: number): Promise<void>;
  /** The login stored under this key, expired or not; null when none. */
  find(key: string): Promise<RememberedLogin | null>;
  /** Forgets every login of the account; returns how many. */
  removeAll(userId: number): Promise<number>;
  /** Moves the login stored under one of `from` to `to`, with this generation (a rotated secret). */
  rekey(from: string[], to: string, generation: string): Promise<void>;
  /** Removes the expired ones. */
  sweep(): Promise<void>;
}

export class RememberTokens {
  constructor(
    private readonly store: RememberTokenStore,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly keys: Keyring,
  ) {}

  /** The token's keyed hash under every secret, the signing one first (under which new tokens are kept). */
  private hashes(token: string): string[] {
    return this.keys.hexes(`remember-token\0${token}`);
  }

  private key(token: string): string {
    return this.hashes(token)[0]!;
  }

  /** A new token (random, not stored). */
  newToken(): string {
    return randomHex(this.random, 32);
  }

  /** Records a token made with newToken() for the account, under its current generation. */
  async add(userId: number, token: string, generation: string, expiresAt: number): Promise<void> {
    // Bounded per account, however often it logs in with "remember me" (action=login always does).
    await this.store.add({ key: this.key(token), userId, generation, created: this.clock.now(), expires: expiresAt }, REMEMBERED_PER_USER);
  }

  /**
   * The generation a live token of this account was made under, or null (unknown, expired, another
   * account's); looked up under every secret's hash (`older`: found under an older secret's).
   */
  async generation(userId: number, token: string): Promise<{ generation: string; older: boolean } | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    // Usually one secret, one look-up; while a secret is being rotated out, the older ones after it.
    const [current, ...older] = this.hashes(token);
    let row = await this.store.find(current!);
    let isOlder = false;
    for (const key of older) {
      if (row) break;
      row = await this.store.find(key);
      isOlder = row !== null;
    }
    if (!row || row.userId !== userId || row.expires <= this.clock.now()) return null;
    return { generation: row.generation, older: isOlder };
  }

  /**
   * Keeps a token accepted under an older secret under the signing one from now on (its keyed hash and
   * generation), so that it keeps working once the older secret is removed.
   */
  async renew(token: string, generation: string): Promise<void> {
    await this.store.rekey(this.hashes(token), this.key(token), generation);
  }

  /** Forgets every remembered login of the account (they already stopped working with its new user_token). */
  removeAll(userId: number): Promise<number> {
    return this.store.removeAll(userId);
  }

  sweep(): Promise<void> {
    return this.store.sweep();
  }
}
