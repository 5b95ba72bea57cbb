// Accounts in the database: the user table and user_groups.
import type { Selectable } from 'kysely';
import type { Db } from '../db.js';
import type { UserTable } from '../schema.js';
import { skeletonKey } from '../../accounts/confusables.js';
import type { AccountUpsert, AccountView, ExistingAccount, GroupMembership, NewUser, User, UserStore } from '../../accounts/users.js';
import { randomHex, type Clock, type Random } from '../../util/clock.js';
import { distinct, slices } from './batches.js';
import { insertReturningId, lockingRead, onConflict, proposed, roomForBulkWrites } from './dialect.js';

function toUser(r: Selectable<UserTable>): User {
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
    editCount: r.user_editcount === null ? null : Number(r.user_editcount),
    system: Boolean(Number(r.user_system)),
    tempAccount: Boolean(Number(r.user_temp)),
    provenance:
      r.user_import_source === null
        ? null
        : {
            source: r.user_import_source,
            sourceId: r.user_import_source_id === null ? null : Number(r.user_import_source_id),
            imported: Number(r.user_imported),
          },
  };
}

/** The order of groups() (ORDER BY on a binary column): by UTF-16 code units, as every database here compares them. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const UPSERTED = [
  'user_name_skeleton',
  'user_email',
  'user_email_lc',
  'user_email_authenticated',
  'user_real_name',
  'user_password',
  'user_newpassword',
  'user_newpass_time',
  'user_token',
  'user_registration',
  'user_import_fingerprint',
  'user_editcount',
  'user_system',
  'user_temp',
  'user_import_source',
  'user_import_source_id',
  'user_imported',
] as const;

/** count(): the mark moves when more accounts than this lie above it, to this many ids below the highest. */
export const COUNT_ROLL_AT = 2000;
export const COUNT_MARGIN = 1000;

export class SqlUserStore implements UserStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  private select() {
    return this.db.selectFrom('user').selectAll();
  }

  private newToken(): string {
    return randomHex(this.random, 32);
  }

  async byName(name: string): Promise<User | null> {
    const r = await this.select().where('user_name', '=', name).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async byId(id: number): Promise<User | null> {
    const r = await this.select().where('user_id', '=', id).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async view(id: number): Promise<AccountView | null> {
    const now = this.clock.now();
    // One row per group in force (one with null when none), each carrying the account and its language.
    const rows = await this.db
      .selectFrom('user')
      .leftJoin('user_groups', (j) =>
        j.onRef('ug_user', '=', 'user_id').on((eb) => eb.or([eb('ug_expiry', 'is', null), eb('ug_expiry', '>', now)])),
      )
      .leftJoin('user_properties', (j) => j.onRef('up_user', '=', 'user_id').on('up_property', '=', 'language'))
      .selectAll('user')
      .select(['ug_group', 'up_value'])
      .where('user_id', '=', id)
      .execute();
    if (!rows[0]) return null;
    const groups = rows.flatMap((r) => (r.ug_group === null ? [] : [r.ug_group])).sort(byCodeUnits);
    return { user: toUser(rows[0]), groups, language: rows[0].up_value ?? null };
  }

  async confusableWith(name: string): Promise<string[]> {
    const rows = await this.db.selectFrom('user').select('user_name').where('user_name_skeleton', '=', skeletonKey(name)).orderBy('user_id').limit(50).execute();
    return rows.map((r) => r.user_name);
  }

  async lockConfusable(name: string): Promise<string[]> {
    const skeleton = skeletonKey(name);
    // An upsert that rewrites the row: it waits for a creator holding it, and holds it until the end.
    await onConflict(this.db.insertInto('user_name_claim').values({ unc_skeleton: skeleton }), this.db, ['unc_skeleton'], { unc_skeleton: skeleton }).execute();
    const q = this.db.selectFrom('user').select('user_name').where('user_name_skeleton', '=', skeleton).orderBy('user_id').limit(50);
    // The latest committed rows, not the transaction's snapshot (MariaDB/MySQL's repeatable read).
    const rows = await lockingRead(q, this.db).execute();
    return rows.map((r) => r.user_name);
  }

  async byEmail(email: string): Promise<User[]> {
    const rows = await this.select().where('user_email_lc', '=', email.toLowerCase()).orderBy('user_id').execute();
    return rows.map(toUser);
  }

  async list(opts: { limit?: number; offset?: number } = {}): Promise<User[]> {
    const rows = await this.select().orderBy('user_id').limit(opts.limit ?? 1000).offset(opts.offset ?? 0).execute();
    return rows.map(toUser);
  }

  async after(afterId: number, limit: number): Promise<User[]> {
    const rows = await this.select().where('user_id', '>', afterId).orderBy('user_id').limit(limit).execute();
    return rows.map(toUser);
  }

  /**
   * The accounts counted up to a mark (user_count) plus those above it, found through the primary key: a
   * few thousand rows at most, however many accounts there are. Accounts are never deleted and an id never
   * changes, so the part up to the mark stays true. When more than COUNT_ROLL_AT lie above the mark, it
   * moves up to COUNT_MARGIN ids below the highest: ids are handed out before their transactions commit,
   * and one still open below the new mark would never be counted.
   */
  async count(): Promise<number> {
    const mark = await this.db.selectFrom('user_count').select(['uc_through', 'uc_users']).where('uc_row', '=', 1).executeTakeFirst();
    const through = Number(mark?.uc_through ?? 0);
    const base = Number(mark?.uc_users ?? 0);
    const tail = await this.db
      .selectFrom('user')
      .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.max('user_id').as('top')])
      .where('user_id', '>', through)
      .executeTakeFirstOrThrow();
    const above = Number(tail.n);
    if (mark && above > COUNT_ROLL_AT) {
      const to = Number(tail.top) - COUNT_MARGIN;
      const moved = await this.db
        .selectFrom('user')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('user_id', '>', through)
        .where('user_id', '<=', to)
        .executeTakeFirstOrThrow();
      // Conditional on the mark read: of two processes moving it at once, one does.
      await this.db
        .updateTable('user_count')
        .set({ uc_through: to, uc_users: base + Number(moved.n) })
        .where('uc_row', '=', 1)
        .where('uc_through', '=', through)
        .execute();
    }
    return base + above;
  }

  async create(input: NewUser): Promise<User> {
    const email = input.email ?? '';
    const now = this.clock.now();
    const id = await insertReturningId(
      this.db,
      this.db.insertInto('user').values({
        user_name: input.name,
        user_name_skeleton: skeletonKey(input.name),
        user_email: email,
        user_email_lc: email.toLowerCase(),
        user_email_authenticated: null,
        user_real_name: input.realName ?? '',
        user_password: input.passwordHash,
        user_newpassword: input.temporaryPasswordHash ?? '',
        user_newpass_time: input.temporaryPasswordHash ? now : null,
        user_token: this.newToken(),
        user_registration: now,
      }),
      'user_id',
    );
    return (await this.byId(id))!;
  }

  async setEmail(id: number, email: string): Promise<void> {
    await this.db
      .updateTable('user')
      .set({ user_email: email, user_email_lc: email.toLowerCase(), user_email_authenticated: null })
      .where('user_id', '=', id)
      .execute();
  }

  async setPassword(id: number, hash: string): Promise<void> {
    await this.db
      .updateTable('user')
      .set({ user_password: hash, user_newpassword: '', user_newpass_time: null, user_token: this.newToken() })
      .where('user_id', '=', id)
      .execute();
  }

  async replacePasswordHash(id: number, from: string, to: string): Promise<boolean> {
    const r = await this.db.updateTable('user').set({ user_password: to }).where('user_id', '=', id).where('user_password', '=', from).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async setTemporaryPassword(id: number, hash: string, ifNewPassTime?: number | null): Promise<boolean> {
    let q = this.db.updateTable('user').set({ user_newpassword: hash, user_newpass_time: this.clock.now() }).where('user_id', '=', id);
    if (ifNewPassTime !== undefined) {
      q = ifNewPassTime === null ? q.where('user_newpass_time', 'is', null) : q.where('user_newpass_time', '=', ifNewPassTime);
    }
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async rotateToken(id: number): Promise<string> {
    const token = this.newToken();
    await this.db.updateTable('user').set({ user_token: token }).where('user_id', '=', id).execute();
    return token;
  }

  async groups(id: number): Promise<string[]> {
    const now = this.clock.now();
    const rows = await this.db
      .selectFrom('user_groups')
      .select('ug_group')
      .where('ug_user', '=', id)
      .where((eb) => eb.or([eb('ug_expiry', 'is', null), eb('ug_expiry', '>', now)]))
      .orderBy('ug_group')
      .execute();
    return rows.map((r) => r.ug_group);
  }

  async addGroup(id: number, group: string, expiry: number | null = null): Promise<void> {
    await onConflict(this.db.insertInto('user_groups').values({ ug_user: id, ug_group: group, ug_expiry: expiry }), this.db, ['ug_user', 'ug_group'], {
      ug_expiry: expiry,
    }).execute();
  }

  async removeGroup(id: number, group: string): Promise<void> {
    await this.db.deleteFrom('user_groups').where('ug_user', '=', id).where('ug_group', '=', group).execute();
  }

  async byIds(ids: readonly number[]): Promise<User[]> {
    const out: User[] = [];
    for (const part of slices(distinct(ids))) out.push(...(await this.select().where('user_id', 'in', part).orderBy('user_id').execute()).map(toUser));
    return out.sort((a, b) => a.id - b.id);
  }

  async byNames(names: readonly string[]): Promise<Map<string, ExistingAccount>> {
    const out = new Map<string, ExistingAccount>();
    for (const part of slices(distinct(names))) {
      const rows = await this.db.selectFrom('user').select(['user_id', 'user_name', 'user_import_fingerprint']).where('user_name', 'in', part).execute();
      for (const r of rows) out.set(r.user_name, { id: Number(r.user_id), name: r.user_name, fingerprint: r.user_import_fingerprint });
    }
    return out;
  }

  async upsertMany(accounts: readonly AccountUpsert[]): Promise<Map<string, number>> {
    // The last entry of a name wins, on every database (PostgreSQL refuses one statement touching a row twice).
    const byName = new Map<string, AccountUpsert>();
    for (const a of accounts) {
      byName.delete(a.name);
      byName.set(a.name, a);
    }
    const now = this.clock.now();
    // One draw of randomness for all the batch's new user_tokens, rather than one per account.
    const tokens = randomHex(this.random, 32 * byName.size);
    const rows = [...byName.values()].map((a, i) => ({
      user_name: a.name,
      user_name_skeleton: skeletonKey(a.name),
      user_email: a.email,
      user_email_lc: a.email.toLowerCase(),
      user_email_authenticated: a.emailAuthenticated,
      user_real_name: a.realName,
      user_password: a.passwordHash,
      user_newpassword: a.temporaryPassword?.hash ?? '',
      user_newpass_time: a.temporaryPassword?.issued ?? null,
      user_token: tokens.slice(32 * i, 32 * i + 32),
      user_registration: a.registration,
      user_import_fingerprint: a.fingerprint,
      user_editcount: a.editCount ?? null,
      user_system: a.system ? 1 : 0,
      user_temp: a.tempAccount ? 1 : 0,
      user_import_source: a.importSource ?? null,
      user_import_source_id: a.importSourceId ?? null,
      user_imported: a.importSource ? now : null,
    }));
    const set = Object.fromEntries(UPSERTED.map((c) => [c, proposed(this.db, c)]));
    if (rows.length >= 100) await roomForBulkWrites(this.db);
    for (const part of slices(rows, UPSERTED.length + 1)) {
      await onConflict(this.db.insertInto('user').values(part), this.db, ['user_name'], set).execute();
    }
    const found = await this.byNames([...byName.keys()]);
    return new Map([...found].map(([name, a]) => [name, a.id]));
  }

  async membershipsOf(ids: readonly number[], opts: { withExpired?: boolean } = {}): Promise<Map<number, GroupMembership[]>> {
    const now = this.clock.now();
    const out = new Map<number, GroupMembership[]>();
    for (const part of slices(distinct(ids))) {
      let q = this.db.selectFrom('user_groups').select(['ug_user', 'ug_group', 'ug_expiry']).where('ug_user', 'in', part);
      if (!opts.withExpired) q = q.where((eb) => eb.or([eb('ug_expiry', 'is', null), eb('ug_expiry', '>', now)]));
      const rows = await q.orderBy('ug_user').orderBy('ug_group').execute();
      for (const r of rows) {
        const id = Number(r.ug_user);
        const list = out.get(id) ?? [];
        list.push({ group: r.ug_group, expiry: r.ug_expiry === null ? null : Number(r.ug_expiry) });
        out.set(id, list);
      }
    }
    return out;
  }

  async replaceGroups(groups: ReadonlyMap<number, readonly GroupMembership[]>): Promise<void> {
    for (const part of slices([...groups.keys()])) await this.db.deleteFrom('user_groups').where('ug_user', 'in', part).execute();
    const rows = new Map<string, { ug_user: number; ug_group: string; ug_expiry: number | null }>();
    for (const [id, list] of groups) for (const g of list) rows.set(`${id}\0${g.group}`, { ug_user: id, ug_group: g.group, ug_expiry: g.expiry });
    for (const part of slices([...rows.values()], 3)) await this.db.insertInto('user_groups').values(part).execute();
  }
}
