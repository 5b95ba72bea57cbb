// Blocks in the database (block): one row per target, the account's name or the address.
import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../db.js';
import type { BlockTable } from '../schema.js';
import { blockTarget, type Block, type BlockInput, type BlockStore } from '../../accounts/blocks.js';
import { blockRange } from '../../util/clientAddress.js';
import type { Clock } from '../../util/clock.js';
import { distinct, slices } from './batches.js';
import { onConflict, proposed } from './dialect.js';

function toBlock(r: Selectable<BlockTable>): Block {
  return {
    id: Number(r.bl_id),
    userId: Number(r.bl_user),
    target: r.bl_target,
    by: r.bl_by,
    reason: r.bl_reason,
    timestamp: Number(r.bl_timestamp),
    expiry: r.bl_expiry === null ? null : Number(r.bl_expiry),
    createAccount: Boolean(Number(r.bl_create_account)),
    sitewide: Boolean(Number(r.bl_sitewide)),
    anonOnly: Boolean(Number(r.bl_anon_only)),
    email: Boolean(Number(r.bl_block_email)),
    autoblock: Boolean(Number(r.bl_autoblock)),
    allowUserTalk: Boolean(Number(r.bl_allow_usertalk)),
    hidden: Boolean(Number(r.bl_hidden)),
    importFingerprint: r.bl_import_fingerprint,
    importSourceId: r.bl_import_source_id === null ? null : Number(r.bl_import_source_id),
  };
}

const flag = (v: boolean | undefined, dflt: boolean) => ((v ?? dflt) ? 1 : 0);

type Row = Required<Omit<Insertable<BlockTable>, 'bl_id'>>;

const COLUMNS = [
  'bl_user',
  'bl_target',
  'bl_by',
  'bl_reason',
  'bl_timestamp',
  'bl_expiry',
  'bl_create_account',
  'bl_sitewide',
  'bl_anon_only',
  'bl_block_email',
  'bl_autoblock',
  'bl_allow_usertalk',
  'bl_hidden',
  'bl_range_start',
  'bl_range_end',
  'bl_import_fingerprint',
  'bl_import_source_id',
] as const;

export class SqlBlockStore implements BlockStore {
  /** `onWrite`: told of every write (a transaction's stores announce the change once it commits). */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onWrite: () => void = () => {},
  ) {}

  private row(input: BlockInput, now: number): Row {
    const range = input.userId > 0 ? null : blockRange(input.target);
    return {
      bl_user: input.userId,
      bl_target: blockTarget(input.userId, input.target),
      bl_by: input.by,
      bl_reason: input.reason,
      bl_timestamp: input.timestamp ?? now,
      bl_expiry: input.expiry ?? null,
      bl_create_account: flag(input.createAccount, true),
      bl_sitewide: flag(input.sitewide, true),
      bl_anon_only: flag(input.anonOnly, false),
      bl_block_email: flag(input.email, false),
      bl_autoblock: flag(input.autoblock, false),
      bl_allow_usertalk: flag(input.allowUserTalk, true),
      bl_hidden: flag(input.hidden, false),
      bl_range_start: range?.start ?? null,
      bl_range_end: range?.end ?? null,
      bl_import_fingerprint: input.importFingerprint ?? null,
      bl_import_source_id: input.importSourceId ?? null,
    };
  }

  async find(userId: number, ip: string): Promise<Block | null> {
    const now = this.clock.now();
    const at = blockRange(ip);
    if (!at && userId <= 0) return null;
    const rows = await this.db
      .selectFrom('block')
      .selectAll()
      .where((eb) => eb.or([eb('bl_expiry', 'is', null), eb('bl_expiry', '>', now)]))
      .where('bl_sitewide', '=', 1)
      .where((eb) => {
        // The address itself, or a range holding it.
        const address = at
          ? eb.and([eb('bl_user', '=', 0), eb('bl_range_start', '<=', at.start), eb('bl_range_end', '>=', at.start), ...(userId > 0 ? [eb('bl_anon_only', '=', 0)] : [])])
          : null;
        // An address block that spares logged-in accounts does not count for one.
        const parts = [...(userId > 0 ? [eb('bl_user', '=', userId)] : []), ...(address ? [address] : [])];
        return eb.or(parts);
      })
      .execute();
    if (!rows.length) return null;
    // The account's own block first, then the narrowest range (an address is the narrowest of all).
    const width = (r: (typeof rows)[number]) => (Number(r.bl_user) > 0 ? -1 : 128 - (blockRange(r.bl_target)?.prefix ?? 128));
    rows.sort((a, b) => width(a) - width(b) || Number(b.bl_id) - Number(a.bl_id));
    return toBlock(rows[0]!);
  }

  async add(input: BlockInput): Promise<void> {
    await this.upsertMany([input]);
  }

  async remove(target: string): Promise<boolean> {
    this.onWrite();
    const addr = blockRange(target)?.target;
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

  async ofUsers(userIds: readonly number[]): Promise<Map<number, Block[]>> {
    const out = new Map<number, Block[]>();
    for (const part of slices(distinct(userIds.filter((id) => id > 0)))) {
      const rows = await this.db.selectFrom('block').selectAll().where('bl_user', 'in', part).orderBy('bl_id').execute();
      for (const r of rows) {
        const b = toBlock(r);
        const list = out.get(b.userId) ?? [];
        list.push(b);
        out.set(b.userId, list);
      }
    }
    return out;
  }

  async replaceForUsers(userIds: readonly number[], blocks: readonly BlockInput[]): Promise<void> {
    const ids = new Set(userIds);
    for (const b of blocks) if (!ids.has(b.userId)) throw new RangeError(`a block of account ${b.userId}, which is not among those replaced`);
    this.onWrite();
    for (const part of slices(distinct(userIds))) await this.db.deleteFrom('block').where('bl_user', 'in', part).execute();
    await this.upsertMany(blocks);
  }

  async upsertMany(blocks: readonly BlockInput[]): Promise<void> {
    this.onWrite();
    const now = this.clock.now();
    // One row per target: the last block given for it wins.
    const rows = new Map<string, Row>();
    for (const b of blocks) {
      const row = this.row(b, now);
      rows.delete(row.bl_target);
      rows.set(row.bl_target, row);
    }
    const set = Object.fromEntries(COLUMNS.filter((c) => c !== 'bl_target').map((c) => [c, proposed(this.db, c)]));
    for (const part of slices([...rows.values()], COLUMNS.length)) {
      await onConflict(this.db.insertInto('block').values(part), this.db, ['bl_target'], set).execute();
    }
  }

  async ofAddresses(targets: readonly string[]): Promise<Map<string, Block>> {
    const out = new Map<string, Block>();
    for (const part of slices(distinct(targets.map((t) => blockTarget(0, t))))) {
      const rows = await this.db.selectFrom('block').selectAll().where('bl_user', '=', 0).where('bl_target', 'in', part).execute();
      for (const r of rows) out.set(r.bl_target, toBlock(r));
    }
    return out;
  }

  async addressBlocksAfter(afterId: number, limit: number): Promise<Block[]> {
    const rows = await this.db.selectFrom('block').selectAll().where('bl_user', '=', 0).where('bl_id', '>', afterId).orderBy('bl_id').limit(limit).execute();
    return rows.map(toBlock);
  }
}
