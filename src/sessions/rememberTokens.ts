// "Remember me": one random token per remembered login. The Token cookie carries the token; the table
// holds only its keyed hash (HMAC with the server secret), the account, and a keyed hash of the account's
// user_token at the time (a new user_token — a password change, a logout — voids every token made
// before). A copy of the table, with or without the server secret, gives nothing that works as a cookie.
import type { Keyring } from '../secrets/keyring.js';
import type { Db } from '../storage/db.js';
import type { Clock, Random } from '../util/clock.js';
import { randomHex } from '../util/clock.js';

/** The most remembered logins one account keeps; a new one beyond this forgets the oldest. */
export const REMEMBERED_PER_USER = 20;

/** What the Token cookie carries: 32 hex digits, as MediaWiki's. */
const TOKEN_PATTERN = /^[0-9a-f]{32}$/;

export class RememberTokens {
  constructor(
    private readonly db: Db,
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
    const now = this.clock.now();
    await this.db
      .insertInto('remember_token')
      .values({ rt_key: this.key(token), rt_user: userId, rt_generation: generation, rt_created: now, rt_expires: expiresAt })
      .execute();
    // Bounded per account, however often it logs in with "remember me" (action=login always does).
    const rows = await this.db
      .selectFrom('remember_token')
      .select('rt_key')
      .where('rt_user', '=', userId)
      .orderBy('rt_created', 'desc')
      .orderBy('rt_key')
      .limit(REMEMBERED_PER_USER + 50)
      .execute();
    const extra = rows.slice(REMEMBERED_PER_USER).map((r) => r.rt_key);
    if (extra.length) await this.db.deleteFrom('remember_token').where('rt_key', 'in', extra).execute();
  }

  /**
   * The generation a live token of this account was made under, or null (unknown, expired, another
   * account's); looked up under every secret's hash (`older`: found under an older secret's).
   */
  async generation(userId: number, token: string): Promise<{ generation: string; older: boolean } | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const [current, ...older] = this.hashes(token);
    const rows = await this.db
      .selectFrom('remember_token')
      .select(['rt_key', 'rt_user', 'rt_generation', 'rt_expires'])
      .where('rt_key', 'in', [current!, ...older])
      .execute();
    const row = rows.find((r) => r.rt_key === current) ?? rows[0];
    if (!row || Number(row.rt_user) !== userId || Number(row.rt_expires) <= this.clock.now()) return null;
    return { generation: row.rt_generation, older: row.rt_key !== current };
  }

  /**
   * Keeps a token accepted under an older secret under the signing one from now on (its keyed hash and
   * generation), so that it keeps working once the older secret is removed.
   */
  async renew(token: string, generation: string): Promise<void> {
    await this.db
      .updateTable('remember_token')
      .set({ rt_key: this.key(token), rt_generation: generation })
      .where('rt_key', 'in', this.hashes(token))
      .execute();
  }

  /** Forgets every remembered login of the account (they already stopped working with its new user_token). */
  async removeAll(userId: number): Promise<number> {
    const r = await this.db.deleteFrom('remember_token').where('rt_user', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async sweep(): Promise<void> {
    await this.db.deleteFrom('remember_token').where('rt_expires', '<=', this.clock.now()).execute();
  }
}
