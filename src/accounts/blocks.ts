// Blocks of accounts and IP addresses.
import type { Selectable } from 'kysely';
import type { Db } from '../storage/db.js';
import type { BlockTable } from '../storage/schema.js';
import type { Clock } from '../util/clock.js';
import { canonicalAddress } from '../util/clientAddress.js';

/** An address block is stored in the one spelling requests are matched in (see clientAddress.ts). */
function addressKey(userId: number, target: string): string {
  return userId > 0 ? target : (canonicalAddress(target) ?? target);
}

export interface Block {
  id: number;
  userId: number;
  target: string;
  by: string;
  reason: string;
  timestamp: number;
  expiry: number | null;
  /** "Account creation disabled": such a block also stops password resets. */
  createAccount: boolean;
}

function toBlock(r: Selectable<BlockTable>): Block {
  return {
    id: Number(r.bl_id),
    userId: Number(r.bl_user),
    target: r.bl_target,
    by: r.bl_by,
    reason: r.bl_reason,
    timestamp: Number(r.bl_timestamp),
    expiry: r.bl_expiry === null ? null : Number(r.bl_expiry),
    createAccount: Boolean(r.bl_create_account),
  };
}

export class BlockStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** The block in force for a user (by id) or, failing that, for the IP address. */
  async find(userId: number, ip: string): Promise<Block | null> {
    const now = this.clock.now();
    let q = this.db.selectFrom('block').selectAll().where((eb) => eb.or([eb('bl_expiry', 'is', null), eb('bl_expiry', '>', now)]));
    const addr = addressKey(0, ip);
    q = userId > 0 ? q.where((eb) => eb.or([eb('bl_user', '=', userId), eb('bl_target', '=', addr)])) : q.where('bl_target', '=', addr);
    const rows = await q.orderBy('bl_user', 'desc').execute();
    return rows[0] ? toBlock(rows[0]) : null;
  }

  async add(input: { userId: number; target: string; by: string; reason: string; expiry?: number | null; createAccount?: boolean }): Promise<void> {
    const values = {
      bl_user: input.userId,
      bl_target: addressKey(input.userId, input.target),
      bl_by: input.by,
      bl_reason: input.reason,
      bl_timestamp: this.clock.now(),
      bl_expiry: input.expiry ?? null,
      bl_create_account: input.createAccount === false ? 0 : 1,
    };
    await this.db
      .insertInto('block')
      .values(values)
      .onConflict((oc) => oc.column('bl_target').doUpdateSet(values))
      .execute();
  }

  /** Lifts the block of an account (by name) or of an address (in any spelling). */
  async remove(target: string): Promise<boolean> {
    const addr = canonicalAddress(target);
    const r = await this.db
      .deleteFrom('block')
      .where((eb) => (addr ? eb.or([eb('bl_target', '=', target), eb('bl_target', '=', addr)]) : eb('bl_target', '=', target)))
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async list(): Promise<Block[]> {
    const rows = await this.db.selectFrom('block').selectAll().orderBy('bl_id').execute();
    return rows.map(toBlock);
  }
}
