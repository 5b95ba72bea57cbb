// "Remember me": one random token per remembered login. The Token cookie carries the token; the table
// holds only its keyed hash (HMAC with the server secret), the account, and a keyed hash of the account's
// user_token at the time (a new user_token — a password change, a logout — voids every token made
// before). A copy of the table, with or without the server secret, gives nothing that works as a cookie.
import { createHmac } from 'node:crypto';
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
    private readonly secret: string,
  ) {}

  private key(token: string): string {
    return createHmac('sha256', this.secret).update(`remember-token\0${token}`).digest('hex');
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

  /** The generation a live token of this account was made under, or null (unknown, expired, another account's). */
  async generation(userId: number, token: string): Promise<string | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const row = await this.db
      .selectFrom('remember_token')
      .select(['rt_user', 'rt_generation', 'rt_expires'])
      .where('rt_key', '=', this.key(token))
      .executeTakeFirst();
    if (!row || Number(row.rt_user) !== userId || Number(row.rt_expires) <= this.clock.now()) return null;
    return row.rt_generation;
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
