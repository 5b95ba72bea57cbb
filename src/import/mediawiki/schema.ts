// Is this a MediaWiki database, with which prefix, and which schema? Read from the tables themselves:
// MediaWiki 1.35 to 1.41 keep blocks in `ipblocks`; 1.42 adds `block` + `block_target` (and fills both
// while a wiki migrates); 1.43 drops `ipblocks`. On PostgreSQL the user table is `mwuser` and there is no
// prefix (MediaWiki uses a schema of its own instead); its user table is "user", or "mwuser" before 1.37.
import type { SourceDb } from './db.js';
import { MediaWikiSourceError } from './source.js';

export interface MediaWikiSchema {
  prefix: string;
  /** Quoted table name with the prefix. */
  table(name: BaseTable): string;
  /** Where blocks are read from. */
  blocks: 'ipblocks' | 'block';
  /** user_is_temp exists (1.42+ temporary accounts). */
  userIsTemp: boolean;
}

export type BaseTable = 'user' | 'user_groups' | 'user_properties' | 'bot_passwords' | 'actor' | 'comment' | 'ipblocks' | 'block' | 'block_target';

const REQUIRED: BaseTable[] = ['user', 'user_groups', 'user_properties', 'bot_passwords', 'actor', 'comment'];
const COLUMNS: Partial<Record<BaseTable, string[]>> = {
  user: [
    'user_id', 'user_name', 'user_real_name', 'user_password', 'user_newpassword', 'user_newpass_time', 'user_email',
    'user_email_authenticated', 'user_registration', 'user_editcount', 'user_token',
  ],
  user_groups: ['ug_user', 'ug_group', 'ug_expiry'],
  user_properties: ['up_user', 'up_property', 'up_value'],
  bot_passwords: ['bp_user', 'bp_app_id', 'bp_password', 'bp_restrictions', 'bp_grants'],
  actor: ['actor_id', 'actor_name'],
  comment: ['comment_id', 'comment_text'],
  ipblocks: [
    'ipb_id', 'ipb_address', 'ipb_user', 'ipb_by_actor', 'ipb_reason_id', 'ipb_timestamp', 'ipb_auto', 'ipb_anon_only',
    'ipb_create_account', 'ipb_enable_autoblock', 'ipb_expiry', 'ipb_deleted', 'ipb_block_email', 'ipb_allow_usertalk', 'ipb_sitewide',
  ],
  block: [
    'bl_id', 'bl_target', 'bl_by_actor', 'bl_reason_id', 'bl_timestamp', 'bl_anon_only', 'bl_create_account', 'bl_enable_autoblock',
    'bl_expiry', 'bl_deleted', 'bl_block_email', 'bl_allow_usertalk', 'bl_sitewide',
  ],
  block_target: ['bt_id', 'bt_address', 'bt_user', 'bt_user_text', 'bt_auto'],
};

export async function detectSchema(db: SourceDb, prefix: string, shown: string): Promise<MediaWikiSchema> {
  const tables = new Set(await db.tables());
  const pg = db.dialect === 'postgres';
  const pgUser = tables.has('user') || !tables.has('mwuser') ? 'user' : 'mwuser';
  const name = (t: BaseTable) => (pg && t === 'user' ? pgUser : `${prefix}${t}`);
  const prefixNote = prefix ? ` with the prefix "${prefix}"` : ' without a prefix';

  const missing = REQUIRED.filter((t) => !tables.has(name(t)));
  if (missing.length > 0) {
    // The tables may be there under another prefix ($wgDBprefix): say which.
    const others = [...tables]
      .filter((t) => t.endsWith('user_groups'))
      .map((t) => t.slice(0, -'user_groups'.length))
      .filter((p) => p !== prefix && tables.has(`${p}actor`) && tables.has(pg ? pgUser : `${p}user`));
    if (others.length > 0) {
      const list = others.map((p) => (p === '' ? 'no prefix' : `--prefix ${p}`)).join(' or ');
      throw new MediaWikiSourceError(`${shown} has no MediaWiki tables${prefixNote}, but has some with another prefix: use ${list}`);
    }
    if (missing.length === REQUIRED.length) {
      throw new MediaWikiSourceError(`${shown} is not a MediaWiki database: it has none of MediaWiki's tables${prefixNote} (${REQUIRED.map(name).join(', ')})`);
    }
    if (missing.length >= 3) {
      throw new MediaWikiSourceError(`${shown} is not a MediaWiki database: it lacks the tables ${missing.map(name).join(', ')}${prefixNote}`);
    }
    throw new MediaWikiSourceError(`${shown} is not a complete MediaWiki database${prefixNote}: missing ${missing.map(name).join(', ')}`);
  }

  // 1.42+ (block + block_target) when those hold the blocks; ipblocks before, and during a migration
  // whose new tables are still empty.
  let blocks: 'ipblocks' | 'block';
  const hasNew = tables.has(name('block')) && tables.has(name('block_target'));
  const hasOld = tables.has(name('ipblocks'));
  if (hasNew && hasOld) {
    const anyNew = await db.all(`SELECT 1 AS x FROM ${db.id(name('block'))} LIMIT 1`);
    blocks = anyNew.length > 0 ? 'block' : 'ipblocks';
  } else if (hasNew) blocks = 'block';
  else if (hasOld) blocks = 'ipblocks';
  else throw new MediaWikiSourceError(`${shown} is not a complete MediaWiki database${prefixNote}: it has neither ${name('ipblocks')} nor ${name('block')} and ${name('block_target')}`);

  const checked: BaseTable[] = [...REQUIRED, ...(blocks === 'block' ? (['block', 'block_target'] as const) : (['ipblocks'] as const))];
  let userIsTemp = false;
  for (const t of checked) {
    const cols = new Set(await db.columns(name(t)));
    const lacking = (COLUMNS[t] ?? []).filter((c) => !cols.has(c));
    if (lacking.length > 0) {
      throw new MediaWikiSourceError(
        `${shown}: the table ${name(t)} lacks ${lacking.join(', ')}; MediaWiki 1.35 or later is needed (run its update.php first)`,
      );
    }
    if (t === 'user') userIsTemp = cols.has('user_is_temp');
  }
  return { prefix, table: (t) => db.id(name(t)), blocks, userIsTemp };
}
