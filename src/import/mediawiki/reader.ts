// Reads a MediaWiki database, read-only, into account records (src/import/record.ts), in batches of
// accounts by user_id (keyset pagination: each batch is a handful of indexed range queries, memory stays
// flat however many accounts there are). Address and range blocks are read separately.
import { describeSource, MediaWikiSourceError, parseSource } from './source.js';
import { openSourceDb, type Row, type SourceDb, type Value } from './db.js';
import { detectSchema, type MediaWikiSchema } from './schema.js';
import {
  builtAccountFingerprint,
  recordFingerprint,
  type AccountRecord,
  type AddressBlockRecord,
  type BlockRecord,
  type BotPasswordRecord,
  type Preferences,
} from '../record.js';

export interface ReaderOptions {
  /** $wgDBprefix (MariaDB/MySQL and SQLite). */
  prefix?: string;
  /** Accounts per batch (default 1000). */
  batchSize?: number;
  /** "Now", for leaving out expired groups and blocks (default: the clock). */
  now?: () => number;
  /** Told about rows that cannot be read as they are, and what was done instead. */
  onProblem?: (problem: ReadProblem) => void;
}

export interface ReadProblem {
  sourceId: number;
  name: string;
  message: string;
}

export interface SourceSummary {
  /** The source as it may be shown (no password). */
  source: string;
  dialect: SourceDb['dialect'];
  prefix: string;
  /** Where the blocks are: "ipblocks" (MediaWiki 1.35–1.41) or "block" (+ block_target, 1.42 and later). */
  blockSchema: MediaWikiSchema['blocks'];
}

/** MediaWiki's User::INVALID_TOKEN: the mark of a system account. */
const SYSTEM_TOKEN = '*** INVALID ***';
const PREFERENCES = ['language', 'requireemail', 'disablemail'];

/** MediaWiki's timestamps ("20240501120000", PostgreSQL's Date, "infinity") as ISO 8601 UTC; null if none. */
export function mwTime(v: Value): string | null {
  if (v === null || v === '' || v === Infinity || v === 'infinity') return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(String(v));
  if (!m || m[1] === '0000') return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

const isInfinite = (v: Value) => v === null || v === Infinity || v === 'infinity' || v === '';
const flag = (v: Value) => v !== null && Number(v) !== 0;
const str = (v: Value) => (v === null ? '' : v instanceof Date ? v.toISOString() : String(v));
const int = (v: Value) => (v === null ? null : Number(v));

export class MediaWikiReader {
  private constructor(
    private readonly db: SourceDb,
    private readonly schema: MediaWikiSchema,
    readonly summary: SourceSummary,
    private readonly opts: Required<Omit<ReaderOptions, 'prefix' | 'onProblem'>> & Pick<ReaderOptions, 'onProblem'>,
  ) {}

  /**
   * Opens SOURCE read-only and checks that it is a MediaWiki database. Errors are MediaWikiSourceError,
   * naming the source without its password.
   */
  static async open(source: string, options: ReaderOptions = {}): Promise<MediaWikiReader> {
    const spec = parseSource(source);
    const shown = describeSource(source);
    const prefix = options.prefix ?? '';
    if (!/^[A-Za-z0-9_]*$/.test(prefix)) throw new MediaWikiSourceError(`Not a table prefix: ${JSON.stringify(prefix)} (letters, digits and _)`);
    if (spec.kind === 'postgres' && prefix) {
      throw new MediaWikiSourceError(`${shown}: MediaWiki on PostgreSQL uses no table prefix; name its schema with ?schema=NAME instead`);
    }
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
    const db = await openSourceDb(spec, shown);
    try {
      const schema = await detectSchema(db, prefix, shown);
      const summary: SourceSummary = { source: shown, dialect: db.dialect, prefix, blockSchema: schema.blocks };
      return new MediaWikiReader(db, schema, summary, { batchSize, now: options.now ?? Date.now, onProblem: options.onProblem });
    } catch (err) {
      await db.close();
      throw err instanceof MediaWikiSourceError ? err : new MediaWikiSourceError(`${shown}: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  private async query(sql: string, params: ReadonlyArray<string | number> = []): Promise<Row[]> {
    try {
      return await this.db.all(sql, params);
    } catch (err) {
      throw new MediaWikiSourceError(`Reading ${this.summary.source} failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  /** How many accounts the source has (for progress). */
  async countAccounts(): Promise<number> {
    const [row] = await this.query(`SELECT COUNT(*) AS n FROM ${this.schema.table('user')}`);
    return Number(row!.n);
  }

  /** How many address and range blocks (not autoblocks) the source has, expired ones included. */
  async countAddressBlocks(): Promise<number> {
    const s = this.schema;
    const sql =
      s.blocks === 'ipblocks'
        ? `SELECT COUNT(*) AS n FROM ${s.table('ipblocks')} WHERE ipb_user = 0 AND ipb_auto = 0`
        : `SELECT COUNT(*) AS n FROM ${s.table('block_target')} t JOIN ${s.table('block')} b ON b.bl_target = t.bt_id WHERE t.bt_user IS NULL AND t.bt_auto = 0`;
    const [row] = await this.query(sql);
    return Number(row!.n);
  }

  /** Every account, in user_id order, a batch at a time. */
  async *accountBatches(): AsyncGenerator<AccountRecord[]> {
    const s = this.schema;
    const t = s.table('user');
    const cols =
      'user_id, user_name, user_real_name, user_password, user_newpassword, user_newpass_time, user_email, ' +
      'user_email_authenticated, user_registration, user_editcount, user_token' + (s.userIsTemp ? ', user_is_temp' : '');
    let after = 0;
    for (;;) {
      const users = await this.query(`SELECT ${cols} FROM ${t} WHERE user_id > ? ORDER BY user_id LIMIT ?`, [after, this.opts.batchSize]);
      if (users.length === 0) return;
      const lo = Number(users[0]!.user_id);
      const hi = Number(users[users.length - 1]!.user_id);
      // One connection: the queries run one after the other anyway.
      const groups = await this.query(
        `SELECT ug_user, ug_group, ug_expiry FROM ${s.table('user_groups')} WHERE ug_user BETWEEN ? AND ? ORDER BY ug_user, ug_group`,
        [lo, hi],
      );
      // By the primary key (up_user, up_property). SQLite would rather use the up_property index and scan
      // every account's "language" row per batch; the unary plus keeps it from that index.
      const property = this.db.dialect === 'sqlite' ? '+up_property' : 'up_property';
      const prefs = await this.query(
        `SELECT up_user, up_property, up_value FROM ${s.table('user_properties')} WHERE up_user BETWEEN ? AND ? AND ${property} IN (${PREFERENCES.map(() => '?').join(', ')})`,
        [lo, hi, ...PREFERENCES],
      );
      const bots = await this.query(
        `SELECT bp_user, bp_app_id, bp_password, bp_restrictions, bp_grants FROM ${s.table('bot_passwords')} WHERE bp_user BETWEEN ? AND ? ORDER BY bp_user, bp_app_id`,
        [lo, hi],
      );
      const blocks = await this.accountBlocks(lo, hi);
      yield this.assemble(users, byUser(groups, 'ug_user'), byUser(prefs, 'up_user'), byUser(bots, 'bp_user'), byUser(blocks, 'user_id'));
      after = hi;
      if (users.length < this.opts.batchSize) return;
    }
  }

  /** Every account, one at a time. */
  async *accounts(): AsyncGenerator<AccountRecord> {
    for await (const batch of this.accountBatches()) yield* batch;
  }

  private blockSelect(): string {
    const s = this.schema;
    if (s.blocks === 'ipblocks') {
      return (
        `SELECT b.ipb_id AS id, b.ipb_address AS target, b.ipb_user AS user_id, a.actor_name AS performer, c.comment_text AS reason, ` +
        `b.ipb_timestamp AS ts, b.ipb_expiry AS expiry, b.ipb_anon_only AS anon_only, b.ipb_create_account AS create_account, ` +
        `b.ipb_enable_autoblock AS autoblock, b.ipb_deleted AS deleted, b.ipb_block_email AS email, b.ipb_allow_usertalk AS usertalk, ` +
        `b.ipb_sitewide AS sitewide FROM ${s.table('ipblocks')} b ` +
        `LEFT JOIN ${s.table('actor')} a ON a.actor_id = b.ipb_by_actor LEFT JOIN ${s.table('comment')} c ON c.comment_id = b.ipb_reason_id`
      );
    }
    return (
      `SELECT b.bl_id AS id, t.bt_address AS target, t.bt_user AS user_id, a.actor_name AS performer, c.comment_text AS reason, ` +
      `b.bl_timestamp AS ts, b.bl_expiry AS expiry, b.bl_anon_only AS anon_only, b.bl_create_account AS create_account, ` +
      `b.bl_enable_autoblock AS autoblock, b.bl_deleted AS deleted, b.bl_block_email AS email, b.bl_allow_usertalk AS usertalk, ` +
      `b.bl_sitewide AS sitewide FROM ${s.table('block_target')} t JOIN ${s.table('block')} b ON b.bl_target = t.bt_id ` +
      `LEFT JOIN ${s.table('actor')} a ON a.actor_id = b.bl_by_actor LEFT JOIN ${s.table('comment')} c ON c.comment_id = b.bl_reason_id`
    );
  }

  private accountBlocks(lo: number, hi: number): Promise<Row[]> {
    const where =
      this.schema.blocks === 'ipblocks'
        ? 'WHERE b.ipb_user BETWEEN ? AND ? AND b.ipb_user <> 0 AND b.ipb_auto = 0 ORDER BY b.ipb_id'
        : 'WHERE t.bt_user BETWEEN ? AND ? AND t.bt_auto = 0 ORDER BY b.bl_id';
    return this.query(`${this.blockSelect()} ${where}`, [lo, hi]);
  }

  /** Blocks of IP addresses and ranges (autoblocks, whose address MediaWiki hides, are left out). */
  async *addressBlocks(): AsyncGenerator<AddressBlockRecord> {
    const ipb = this.schema.blocks === 'ipblocks';
    const where = ipb
      ? 'WHERE b.ipb_user = 0 AND b.ipb_auto = 0 AND b.ipb_id > ? ORDER BY b.ipb_id LIMIT ?'
      : 'WHERE t.bt_user IS NULL AND t.bt_auto = 0 AND b.bl_id > ? ORDER BY b.bl_id LIMIT ?';
    let after = 0;
    for (;;) {
      const rows = await this.query(`${this.blockSelect()} ${where}`, [after, this.opts.batchSize]);
      for (const r of rows) {
        const block = this.block(r, str(r.target));
        if (!block) continue;
        const rec: Omit<AddressBlockRecord, 'fingerprint'> = { type: 'address-block', ...block, sourceId: Number(r.id) };
        yield { ...rec, fingerprint: recordFingerprint(rec) };
      }
      if (rows.length < this.opts.batchSize) return;
      after = Number(rows[rows.length - 1]!.id);
    }
  }

  /** One block row as a record; null when it has expired. */
  private block(r: Row, target: string): BlockRecord | null {
    const expiry = isInfinite(r.expiry) ? null : mwTime(r.expiry);
    if (expiry !== null && Date.parse(expiry) <= this.opts.now()) return null;
    return {
      target,
      reason: str(r.reason),
      performer: str(r.performer),
      timestamp: mwTime(r.ts) ?? '1970-01-01T00:00:00Z',
      expiry,
      createAccount: flag(r.create_account),
      email: flag(r.email),
      sitewide: flag(r.sitewide),
      anonOnly: flag(r.anon_only),
      autoblock: flag(r.autoblock),
      allowUserTalk: flag(r.usertalk),
      hidden: flag(r.deleted),
    };
  }

  private problem(sourceId: number, name: string, message: string): void {
    this.opts.onProblem?.({ sourceId, name, message });
  }

  private assemble(
    users: Row[],
    groups: Map<number, Row[]>,
    prefs: Map<number, Row[]>,
    bots: Map<number, Row[]>,
    blocks: Map<number, Row[]>,
  ): AccountRecord[] {
    const now = this.opts.now();
    return users.map((u) => {
      const id = Number(u.user_id);
      const name = str(u.user_name);
      const newPassword = str(u.user_newpassword);
      const stored = new Map((prefs.get(id) ?? []).map((p) => [str(p.up_property), str(p.up_value)]));
      const on = (v: string) => v !== '' && v !== '0';
      const preferences: Preferences = {};
      if (stored.has('language')) preferences.language = stored.get('language')!;
      if (stored.has('requireemail')) preferences.requireemail = on(stored.get('requireemail')!);
      if (stored.has('disablemail')) preferences.disablemail = on(stored.get('disablemail')!);
      const rec: Omit<AccountRecord, 'fingerprint'> = {
        type: 'account',
        name,
        email: str(u.user_email) || null,
        emailAuthenticated: mwTime(u.user_email_authenticated),
        realName: str(u.user_real_name),
        registration: mwTime(u.user_registration),
        editCount: int(u.user_editcount),
        password: str(u.user_password),
        // "" and ":null:…" in user_newpassword are "none pending".
        temporaryPassword: newPassword === '' || newPassword.startsWith(':null:') ? null : { hash: newPassword, issued: mwTime(u.user_newpass_time) },
        groups: (groups.get(id) ?? [])
          .map((g) => ({ group: str(g.ug_group), expiry: isInfinite(g.ug_expiry) ? null : mwTime(g.ug_expiry) }))
          .filter((g) => g.expiry === null || Date.parse(g.expiry) > now),
        botPasswords: (bots.get(id) ?? []).map((b) => this.botPassword(b, id, name)),
        blocks: (blocks.get(id) ?? []).map((b) => this.block(b, name)).filter((b): b is BlockRecord => b !== null),
        preferences,
        // binary(32) on MariaDB/MySQL: padded with NUL bytes.
        system: str(u.user_token).replace(/\0+$/, '') === SYSTEM_TOKEN,
        tempAccount: flag(u.user_is_temp ?? null),
        sourceId: id,
      };
      return { ...rec, fingerprint: builtAccountFingerprint(rec) };
    });
  }

  private botPassword(b: Row, id: number, name: string): BotPasswordRecord {
    const appId = str(b.bp_app_id);
    let grants: string[] = [];
    let restrictions: Record<string, unknown> = { IPAddresses: [] };
    try {
      const g: unknown = JSON.parse(str(b.bp_grants));
      if (!Array.isArray(g) || !g.every((x) => typeof x === 'string')) throw new Error('not a list of names');
      grants = g;
    } catch {
      this.problem(id, name, `bot password ${appId}: its grants are not readable; imported with none`);
    }
    try {
      const r: unknown = JSON.parse(str(b.bp_restrictions));
      if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error('not an object');
      restrictions = r as Record<string, unknown>;
    } catch {
      this.problem(id, name, `bot password ${appId}: its restrictions are not readable; imported allowing no address`);
    }
    return { appId, password: str(b.bp_password), grants, restrictions };
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function byUser(rows: Row[], key: string): Map<number, Row[]> {
  const m = new Map<number, Row[]>();
  for (const r of rows) {
    const id = Number(r[key]);
    let list = m.get(id);
    if (!list) m.set(id, (list = []));
    list.push(r);
  }
  return m;
}
