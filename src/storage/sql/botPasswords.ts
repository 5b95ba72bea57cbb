// Bot passwords in the database (bot_passwords). An invalidated one keeps its row with an empty hash.
import type { Selectable } from 'kysely';
import type { Db } from '../db.js';
import type { BotPasswordTable } from '../schema.js';
import { isPossibleAppId, type BotPassword, type BotPasswordStore, type BotPasswordUpsert, type StoredBotPassword } from '../../auth/botpasswords.js';
import { randomHex, type Clock, type Random } from '../../util/clock.js';
import { distinct, slices } from './batches.js';
import { onConflict } from './dialect.js';

/** The hash of a bot password a password change voided: nothing verifies against it. */
const INVALID = '';

function toBotPassword(r: Selectable<BotPasswordTable>): StoredBotPassword {
  return {
    userId: Number(r.bp_user),
    appId: r.bp_app_id,
    grants: JSON.parse(r.bp_grants) as string[],
    token: r.bp_token,
    created: Number(r.bp_created),
    valid: r.bp_password !== INVALID,
    hash: r.bp_password,
    restrictions: r.bp_restrictions === null ? null : (JSON.parse(r.bp_restrictions) as Record<string, unknown>),
  };
}

function withoutSecrets(b: StoredBotPassword): BotPassword {
  const { hash: _h, restrictions: _r, ...rest } = b;
  return rest;
}

export class SqlBotPasswordStore implements BotPasswordStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async get(userId: number, appId: string): Promise<StoredBotPassword | null> {
    // An app id no bot password can have is never looked up: the same answer on every database
    // (PostgreSQL refuses a NUL byte with an error, the others would look it up).
    if (!isPossibleAppId(appId)) return null;
    const r = await this.db.selectFrom('bot_passwords').selectAll().where('bp_user', '=', userId).where('bp_app_id', '=', appId).executeTakeFirst();
    return r ? toBotPassword(r) : null;
  }

  async token(userId: number, appId: string): Promise<string | null> {
    if (!isPossibleAppId(appId)) return null;
    const r = await this.db.selectFrom('bot_passwords').select('bp_token').where('bp_user', '=', userId).where('bp_app_id', '=', appId).executeTakeFirst();
    return r?.bp_token ?? null;
  }

  async list(userId: number): Promise<BotPassword[]> {
    const rows = await this.db.selectFrom('bot_passwords').selectAll().where('bp_user', '=', userId).orderBy('bp_app_id').execute();
    return rows.map((r) => withoutSecrets(toBotPassword(r)));
  }

  async set(userId: number, appId: string, hash: string, grants: string[]): Promise<void> {
    const values = {
      bp_user: userId,
      bp_app_id: appId,
      bp_password: hash,
      bp_token: randomHex(this.random, 32),
      bp_grants: JSON.stringify(grants),
      bp_created: this.clock.now(),
      bp_restrictions: null,
    };
    await onConflict(this.db.insertInto('bot_passwords').values(values), this.db, ['bp_user', 'bp_app_id'], values).execute();
  }

  async invalidateAll(userId: number): Promise<void> {
    await this.db.updateTable('bot_passwords').set({ bp_password: INVALID, bp_token: randomHex(this.random, 32) }).where('bp_user', '=', userId).execute();
  }

  async remove(userId: number, appId: string): Promise<boolean> {
    if (!isPossibleAppId(appId)) return false;
    const r = await this.db.deleteFrom('bot_passwords').where('bp_user', '=', userId).where('bp_app_id', '=', appId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listMany(userIds: readonly number[]): Promise<Map<number, StoredBotPassword[]>> {
    const out = new Map<number, StoredBotPassword[]>();
    for (const part of slices(distinct(userIds))) {
      const rows = await this.db.selectFrom('bot_passwords').selectAll().where('bp_user', 'in', part).orderBy('bp_user').orderBy('bp_app_id').execute();
      for (const r of rows) {
        const b = toBotPassword(r);
        const list = out.get(b.userId) ?? [];
        list.push(b);
        out.set(b.userId, list);
      }
    }
    return out;
  }

  async replaceMany(botPasswords: ReadonlyMap<number, readonly BotPasswordUpsert[]>): Promise<void> {
    for (const part of slices([...botPasswords.keys()])) await this.db.deleteFrom('bot_passwords').where('bp_user', 'in', part).execute();
    const now = this.clock.now();
    const rows = new Map<string, Selectable<BotPasswordTable>>();
    for (const [userId, list] of botPasswords) {
      for (const b of list) {
        rows.set(`${userId}\0${b.appId}`, {
          bp_user: userId,
          bp_app_id: b.appId,
          bp_password: b.hash,
          bp_token: randomHex(this.random, 32),
          bp_grants: JSON.stringify(b.grants),
          bp_created: b.created ?? now,
          bp_restrictions: b.restrictions === null ? null : JSON.stringify(b.restrictions),
        });
      }
    }
    for (const part of slices([...rows.values()], 7)) await this.db.insertInto('bot_passwords').values(part).execute();
  }
}
