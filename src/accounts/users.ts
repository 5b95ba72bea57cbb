// Accounts: rows of the user table, their groups and their preferences.
import type { Db } from '../storage/db.js';
import { skeletonKey } from './confusables.js';
import type { Clock, Random } from '../util/clock.js';
import { randomHex } from '../util/clock.js';

export interface User {
  id: number;
  name: string;
  email: string;
  emailAuthenticated: number | null;
  /** The real name given at creation ("" when none). */
  realName: string;
  registration: number;
  password: string;
  newPassword: string;
  newPassTime: number | null;
  token: string;
}

type Row = {
  user_id: number;
  user_name: string;
  user_email: string;
  user_email_authenticated: number | null;
  user_real_name: string;
  user_registration: number;
  user_password: string;
  user_newpassword: string;
  user_newpass_time: number | null;
  user_token: string;
};

function toUser(r: Row): User {
  return {
    id: Number(r.user_id),
    name: r.user_name,
    email: r.user_email,
    emailAuthenticated: r.user_email_authenticated === null ? null : Number(r.user_email_authenticated),
    realName: r.user_real_name,
    registration: Number(r.user_registration),
    password: r.user_password,
    newPassword: r.user_newpassword,
    newPassTime: r.user_newpass_time === null ? null : Number(r.user_newpass_time),
    token: r.user_token,
  };
}

export class UserStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  private select(db: Db = this.db) {
    return db.selectFrom('user').selectAll();
  }

  async byName(name: string, db: Db = this.db): Promise<User | null> {
    const r = await this.select(db).where('user_name', '=', name).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async byId(id: number, db: Db = this.db): Promise<User | null> {
    const r = await this.select(db).where('user_id', '=', id).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  /** The names of the accounts whose name is confusable with this one (the same UTS #39 skeleton), itself included. */
  async confusableWith(name: string, db: Db = this.db): Promise<string[]> {
    const rows = await db.selectFrom('user').select('user_name').where('user_name_skeleton', '=', skeletonKey(name)).orderBy('user_id').limit(50).execute();
    return rows.map((r) => r.user_name);
  }

  /** Every account with this address; case does not matter. */
  async byEmail(email: string, db: Db = this.db): Promise<User[]> {
    const rows = await this.select(db).where('user_email_lc', '=', email.toLowerCase()).orderBy('user_id').execute();
    return rows.map(toUser);
  }

  async list(opts: { limit?: number; offset?: number } = {}): Promise<User[]> {
    const rows = await this.select().orderBy('user_id').limit(opts.limit ?? 1000).offset(opts.offset ?? 0).execute();
    return rows.map(toUser);
  }

  async count(): Promise<number> {
    const r = await this.db.selectFrom('user').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * A new account. `temporaryPasswordHash` gives it a temporary password (issued now) besides the
   * main one, for an account made with a mailed password.
   */
  async create(
    input: { name: string; email?: string; realName?: string; passwordHash: string; temporaryPasswordHash?: string },
    db: Db = this.db,
  ): Promise<User> {
    const email = input.email ?? '';
    const r = await db
      .insertInto('user')
      .values({
        user_name: input.name,
        user_name_skeleton: skeletonKey(input.name),
        user_email: email,
        user_email_lc: email.toLowerCase(),
        user_email_authenticated: null,
        user_real_name: input.realName ?? '',
        user_password: input.passwordHash,
        user_newpassword: input.temporaryPasswordHash ?? '',
        user_newpass_time: input.temporaryPasswordHash ? this.clock.now() : null,
        user_token: randomHex(this.random, 32),
        user_registration: this.clock.now(),
      })
      .returning('user_id')
      .executeTakeFirstOrThrow();
    return (await this.byId(Number(r.user_id), db))!;
  }

  async setEmail(id: number, email: string): Promise<void> {
    await this.db
      .updateTable('user')
      .set({ user_email: email, user_email_lc: email.toLowerCase(), user_email_authenticated: null })
      .where('user_id', '=', id)
      .execute();
  }

  /** A new main password: the temporary password and the reset cooldown go, remembered logins end. */
  async setPassword(id: number, hash: string, db: Db = this.db): Promise<void> {
    await db
      .updateTable('user')
      .set({ user_password: hash, user_newpassword: '', user_newpass_time: null, user_token: randomHex(this.random, 32) })
      .where('user_id', '=', id)
      .execute();
  }

  /**
   * Replaces the stored main-password hash with another hash of the same password (a login upgrading an
   * old format). Nothing else changes: not the user_token, not the temporary password. Only when the
   * stored hash is still `from`, so a password changed meanwhile is never put back; true when it was.
   */
  async replacePasswordHash(id: number, from: string, to: string, db: Db = this.db): Promise<boolean> {
    const [r] = await db
      .updateTable('user')
      .set({ user_password: to })
      .where('user_id', '=', id)
      .where('user_password', '=', from)
      .execute();
    return Number(r?.numUpdatedRows ?? 0) > 0;
  }

  /**
   * Gives the account a temporary password. With `ifNewPassTime`, only if the account's last one is still
   * the one of that time (null: none), so that two requests handled at once cannot both mail it; returns
   * whether it was set.
   */
  async setTemporaryPassword(id: number, hash: string, db: Db = this.db, ifNewPassTime?: number | null): Promise<boolean> {
    let q = db.updateTable('user').set({ user_newpassword: hash, user_newpass_time: this.clock.now() }).where('user_id', '=', id);
    if (ifNewPassTime !== undefined) {
      q = ifNewPassTime === null ? q.where('user_newpass_time', 'is', null) : q.where('user_newpass_time', '=', ifNewPassTime);
    }
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Ends every remembered login of the user (the "Token" cookie stops matching). */
  async rotateToken(id: number): Promise<string> {
    const token = randomHex(this.random, 32);
    await this.db.updateTable('user').set({ user_token: token }).where('user_id', '=', id).execute();
    return token;
  }

  async groups(id: number, db: Db = this.db): Promise<string[]> {
    const rows = await db.selectFrom('user_groups').select('ug_group').where('ug_user', '=', id).orderBy('ug_group').execute();
    return rows.map((r) => r.ug_group);
  }

  async addGroup(id: number, group: string, db: Db = this.db): Promise<void> {
    await db.insertInto('user_groups').values({ ug_user: id, ug_group: group }).onConflict((oc) => oc.doNothing()).execute();
  }

  async removeGroup(id: number, group: string): Promise<void> {
    await this.db.deleteFrom('user_groups').where('ug_user', '=', id).where('ug_group', '=', group).execute();
  }

  async options(id: number): Promise<Record<string, string>> {
    const rows = await this.db.selectFrom('user_properties').select(['up_property', 'up_value']).where('up_user', '=', id).execute();
    return Object.fromEntries(rows.map((r) => [r.up_property, r.up_value]));
  }

  async setOption(id: number, name: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.db.deleteFrom('user_properties').where('up_user', '=', id).where('up_property', '=', name).execute();
      return;
    }
    await this.db
      .insertInto('user_properties')
      .values({ up_user: id, up_property: name, up_value: value })
      .onConflict((oc) => oc.columns(['up_user', 'up_property']).doUpdateSet({ up_value: value }))
      .execute();
  }
}
