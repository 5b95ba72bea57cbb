// The schema's history. The same migrations run on SQLite, PostgreSQL and MariaDB/MySQL. A migration
// that ran on SQLite or PostgreSQL before MariaDB/MySQL was supported creates exactly what it created
// then; the column types below differ only where MariaDB/MySQL needs it (no TEXT in an index or with a
// default, BIGINT account ids), and every MariaDB/MySQL table compares text exactly (binary collation).
import { sql, type Kysely, type Migration, type MigrationProvider, type ColumnDefinitionBuilder, type CreateTableBuilder } from 'kysely';
import { skeletonKey } from '../accounts/confusables.js';
import { dialectOf, tableOptions } from './sql/dialect.js';
import { blockRange } from '../util/clientAddress.js';

type AnyDb = Kysely<any>;

const isPostgres = (db: AnyDb) => dialectOf(db) === 'postgres';
const isMysql = (db: AnyDb) => dialectOf(db) === 'mysql';

/** CREATE TABLE, with MariaDB/MySQL's table options (InnoDB, utf8mb4, binary collation). */
function createTable(db: AnyDb, name: string): CreateTableBuilder<string, never> {
  return db.schema.createTable(name).modifyEnd(tableOptions(db));
}

/** An auto-increment primary key, spelled for each dialect. */
function idType(db: AnyDb) {
  return isPostgres(db) ? ('bigserial' as const) : isMysql(db) ? ('bigint' as const) : ('integer' as const);
}
function idCol(db: AnyDb) {
  return (col: ColumnDefinitionBuilder) => (isPostgres(db) ? col.primaryKey() : col.primaryKey().autoIncrement());
}
/** A column holding an account id (or another table's id): BIGINT on MariaDB/MySQL, as the ids it holds. */
function refType(db: AnyDb) {
  return isMysql(db) ? ('bigint' as const) : ('integer' as const);
}
/**
 * Indexed text: TEXT on SQLite and PostgreSQL; on MariaDB/MySQL a VARCHAR of `chars` characters (an index
 * cannot hold a TEXT column whole). Only for values that are never longer (names and addresses are
 * checked against 255 before they are stored).
 */
function shortText(db: AnyDb, chars: number) {
  return isMysql(db) ? sql`varchar(${sql.raw(String(chars))})` : ('text' as const);
}
/** Text of any length: MEDIUMTEXT on MariaDB/MySQL, whose TEXT stops at 64 KiB (the others have no limit). */
function text(db: AnyDb) {
  return isMysql(db) ? sql`mediumtext` : ('text' as const);
}
/**
 * NOT NULL text of any length that defaults to '': on MariaDB/MySQL without the default (MySQL gives a
 * TEXT column none), so every insert there names the column, as the stores do.
 */
function emptyText(db: AnyDb): [ReturnType<typeof text>, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return [text(db), (c) => (isMysql(db) ? c.notNull() : c.notNull().defaultTo(''))];
}
const time = 'bigint' as const;

const m0001: Migration = {
  async up(db: AnyDb) {
    await createTable(db, 'user')
      .addColumn('user_id', idType(db), idCol(db))
      .addColumn('user_name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('user_email', shortText(db, 255), (c) => c.notNull().defaultTo(''))
      .addColumn('user_email_lc', shortText(db, 255), (c) => c.notNull().defaultTo(''))
      .addColumn('user_email_authenticated', time)
      .addColumn('user_password', ...emptyText(db))
      .addColumn('user_newpassword', ...emptyText(db))
      .addColumn('user_newpass_time', time)
      .addColumn('user_token', 'varchar(32)', (c) => c.notNull())
      .addColumn('user_registration', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('user_email_lc').on('user').column('user_email_lc').execute();

    await createTable(db, 'user_groups')
      .addColumn('ug_user', refType(db), (c) => c.notNull())
      .addColumn('ug_group', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('user_groups_pk', ['ug_user', 'ug_group'])
      .execute();

    await createTable(db, 'user_properties')
      .addColumn('up_user', refType(db), (c) => c.notNull())
      .addColumn('up_property', 'varchar(255)', (c) => c.notNull())
      .addColumn('up_value', text(db), (c) => c.notNull())
      .addPrimaryKeyConstraint('user_properties_pk', ['up_user', 'up_property'])
      .execute();

    await createTable(db, 'block')
      .addColumn('bl_id', idType(db), idCol(db))
      .addColumn('bl_user', refType(db), (c) => c.notNull())
      .addColumn('bl_target', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('bl_by', 'varchar(255)', (c) => c.notNull())
      .addColumn('bl_reason', text(db), (c) => c.notNull())
      .addColumn('bl_timestamp', time, (c) => c.notNull())
      .addColumn('bl_expiry', time)
      .addColumn('bl_create_account', 'integer', (c) => c.notNull())
      .execute();

    await createTable(db, 'bot_passwords')
      .addColumn('bp_user', refType(db), (c) => c.notNull())
      .addColumn('bp_app_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('bp_password', text(db), (c) => c.notNull())
      .addColumn('bp_token', 'varchar(32)', (c) => c.notNull())
      .addColumn('bp_grants', text(db), (c) => c.notNull())
      .addColumn('bp_created', time, (c) => c.notNull())
      .addPrimaryKeyConstraint('bot_passwords_pk', ['bp_user', 'bp_app_id'])
      .execute();

    await createTable(db, 'session')
      .addColumn('s_key', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('s_user', refType(db), (c) => c.notNull())
      .addColumn('s_data', text(db), (c) => c.notNull())
      .addColumn('s_expires', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('session_user').on('session').column('s_user').execute();
    await db.schema.createIndex('session_expires').on('session').column('s_expires').execute();

    await createTable(db, 'counter')
      .addColumn('c_key', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('c_count', 'integer', (c) => c.notNull())
      .addColumn('c_expires', time, (c) => c.notNull())
      .execute();

    await createTable(db, 'reset_request')
      .addColumn('rr_id', idType(db), idCol(db))
      .addColumn('rr_created', time, (c) => c.notNull())
      .addColumn('rr_performer_id', refType(db), (c) => c.notNull())
      .addColumn('rr_performer_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('rr_performer_ip', 'varchar(64)', (c) => c.notNull())
      .addColumn('rr_username', 'varchar(255)')
      .addColumn('rr_email', text(db))
      .addColumn('rr_status', 'varchar(16)', (c) => c.notNull())
      .addColumn('rr_processed', time)
      .execute();
    await db.schema.createIndex('reset_request_status').on('reset_request').columns(['rr_status', 'rr_id']).execute();

    await createTable(db, 'outbox')
      .addColumn('ob_id', idType(db), idCol(db))
      .addColumn('ob_created', time, (c) => c.notNull())
      .addColumn('ob_kind', 'varchar(32)', (c) => c.notNull())
      .addColumn('ob_user', refType(db), (c) => c.notNull())
      .addColumn('ob_to', text(db), (c) => c.notNull())
      .addColumn('ob_subject', text(db), (c) => c.notNull())
      .addColumn('ob_message_id', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('ob_raw', text(db), (c) => c.notNull())
      .addColumn('ob_status', 'varchar(16)', (c) => c.notNull())
      .addColumn('ob_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('ob_next_attempt', time, (c) => c.notNull())
      .addColumn('ob_lease_until', time)
      .addColumn('ob_last_error', text(db))
      .addColumn('ob_sent', time)
      .execute();
    await db.schema.createIndex('outbox_due').on('outbox').columns(['ob_status', 'ob_next_attempt']).execute();
  },
};

// A copy of each outbox message with its secrets masked, for operators (mwauth mail show).
const m0002: Migration = {
  async up(db: AnyDb) {
    await createTable(db, 'outbox_masked')
      .addColumn('om_outbox', isPostgres(db) || isMysql(db) ? 'bigint' : 'integer', (c) => c.primaryKey().references('outbox.ob_id').onDelete('cascade'))
      .addColumn('om_raw', text(db), (c) => c.notNull())
      .execute();
  },
};

// The audit trail: who did what, from where, when. Details are JSON and never hold a secret.
const m0010: Migration = {
  async up(db: AnyDb) {
    await createTable(db, 'audit_event')
      .addColumn('ae_id', idType(db), idCol(db))
      .addColumn('ae_time', time, (c) => c.notNull())
      .addColumn('ae_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('ae_user', refType(db))
      .addColumn('ae_user_name', 'varchar(255)')
      .addColumn('ae_ip', 'varchar(64)')
      .addColumn('ae_details', text(db), (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_event_time').on('audit_event').column('ae_time').execute();
    await db.schema.createIndex('audit_event_user').on('audit_event').columns(['ae_user', 'ae_time']).execute();
    await db.schema.createIndex('audit_event_user_name').on('audit_event').columns(['ae_user_name', 'ae_time']).execute();
    await db.schema.createIndex('audit_event_type').on('audit_event').columns(['ae_type', 'ae_time']).execute();
  },
};

// How many times the reset worker took each request: one that keeps failing is given up after a few.
const m0011: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('reset_request').addColumn('rr_attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
};

// The account's real name (MediaWiki's user_real_name), given when the account is created.
const m0012: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('user').addColumn('user_real_name', ...emptyText(db)).execute();
  },
};

// What the server records for command-line runs: the site's links, name and sender, and how it sends mail.
const m0013: Migration = {
  async up(db: AnyDb) {
    await createTable(db, 'site_settings')
      .addColumn('ss_name', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('ss_value', text(db), (c) => c.notNull())
      .addColumn('ss_updated', time, (c) => c.notNull())
      .execute();
  },
};

// "Remember me" tokens, one per remembered login, stored only as keyed hashes (HMAC with the server
// secret): the Token cookie carries the token, the table never does. Until now the cookie carried the
// user_token itself, and every stored session held a copy of it; those stored sessions are removed here
// (their users log in again), and remembered logins made before this version end.
const m0014: Migration = {
  async up(db: AnyDb) {
    await createTable(db, 'remember_token')
      .addColumn('rt_key', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('rt_user', refType(db), (c) => c.notNull())
      .addColumn('rt_generation', 'varchar(64)', (c) => c.notNull())
      .addColumn('rt_created', time, (c) => c.notNull())
      .addColumn('rt_expires', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('remember_token_user').on('remember_token').columns(['rt_user', 'rt_created']).execute();
    await db.schema.createIndex('remember_token_expires').on('remember_token').column('rt_expires').execute();
    await db.deleteFrom('session').execute();
  },
};

// Each account's name skeleton (UTS #39, as a SHA-256 key), indexed, so that a new name confusable with an
// existing one is found in one query. Filled here for the accounts that exist, a batch at a time.
const m0015: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('user').addColumn('user_name_skeleton', 'varchar(64)', (c) => c.notNull().defaultTo('')).execute();
    let after = 0;
    for (;;) {
      const rows: Array<{ user_id: number; user_name: string }> = await db
        .selectFrom('user')
        .select(['user_id', 'user_name'])
        .where('user_id', '>', after)
        .orderBy('user_id')
        .limit(1000)
        .execute();
      if (rows.length === 0) break;
      for (const r of rows) {
        await db.updateTable('user').set({ user_name_skeleton: skeletonKey(r.user_name) }).where('user_id', '=', r.user_id).execute();
      }
      after = Number(rows[rows.length - 1]!.user_id);
    }
    await db.schema.createIndex('user_name_skeleton').on('user').column('user_name_skeleton').execute();
  },
};

// The reset worker and the delivery worker share one leased job queue (src/jobs/queue.ts), whose rows keep
// the lease (its expiry and the claim's owner token), the next attempt and the completion in columns of
// their own. Before, rr_processed was a lease's expiry, the time of the next retry or the completion time,
// depending on rr_status, and a failed mail kept when it failed in ob_next_attempt. Existing rows become:
//   pending            due since it was recorded;
//   processing         waiting, due at the very moment it was due before (rr_processed + 1: the old test was
//                      "rr_processed < now"), whether that was a lease's end or a retry's time: a worker of
//                      the old version that still held it can no longer complete it (its check names
//                      rr_processed), so it rolls back and the request is done once, by this version;
//   handled or failed  unchanged (rr_processed is their completion time);
//   sent mail          completed when it was sent; failed mail: when it failed;
//   sending mail       still held until its lease runs out, by nobody: then it is taken over.
// Plain statements, one change each, so that they mean the same on SQLite, PostgreSQL and MariaDB.
const m0020: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('reset_request').addColumn('rr_next_attempt', time, (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('reset_request').addColumn('rr_lease_until', time).execute();
    await db.schema.alterTable('reset_request').addColumn('rr_lease_owner', 'varchar(32)').execute();
    await db.updateTable('reset_request').set((eb) => ({ rr_next_attempt: eb.ref('rr_created') })).where('rr_status', '=', 'pending').execute();
    await db
      .updateTable('reset_request')
      .set((eb) => ({ rr_next_attempt: eb('rr_processed', '+', 1) }))
      .where('rr_status', '=', 'processing')
      .where('rr_processed', 'is not', null)
      .execute();
    await db.updateTable('reset_request').set((eb) => ({ rr_next_attempt: eb.ref('rr_created') })).where('rr_status', '=', 'processing').where('rr_processed', 'is', null).execute();
    await db.updateTable('reset_request').set({ rr_processed: null }).where('rr_status', 'in', ['pending', 'processing']).execute();

    await db.schema.alterTable('outbox').addColumn('ob_lease_owner', 'varchar(32)').execute();
    await db.schema.alterTable('outbox').addColumn('ob_processed', time).execute();
    await db.updateTable('outbox').set((eb) => ({ ob_processed: eb.ref('ob_sent') })).where('ob_status', '=', 'sent').execute();
    await db.updateTable('outbox').set((eb) => ({ ob_processed: eb.ref('ob_next_attempt') })).where('ob_status', '=', 'failed').execute();
    // Due requests are found by status and next attempt, soonest first (ties by id), also in a backlog.
    await db.schema.createIndex('reset_request_due').on('reset_request').columns(['rr_status', 'rr_next_attempt', 'rr_id']).execute();
    // `mwauth mail purge` deletes by status and completion time.
    await db.schema.createIndex('outbox_processed').on('outbox').columns(['ob_status', 'ob_processed']).execute();
  },
};

// What an account brought from another wiki keeps (src/import/record.ts): a group's expiry, a bot
// password's restrictions, a block's other flags, and the fingerprint of the record the account was last
// written from (null: made here). Blocks are found by account too, so bl_user gets an index.
const m0016: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('user').addColumn('user_import_fingerprint', 'varchar(64)').execute();
    await db.schema.alterTable('user_groups').addColumn('ug_expiry', time).execute();
    await db.schema.alterTable('bot_passwords').addColumn('bp_restrictions', text(db)).execute();
    const flags: Array<[string, number]> = [
      ['bl_sitewide', 1],
      ['bl_anon_only', 0],
      ['bl_block_email', 0],
      ['bl_autoblock', 0],
      ['bl_allow_usertalk', 1],
      ['bl_hidden', 0],
    ];
    // One column per statement: SQLite adds one at a time.
    for (const [name, dflt] of flags) await db.schema.alterTable('block').addColumn(name, 'integer', (c) => c.notNull().defaultTo(dflt)).execute();
    await db.schema.createIndex('block_user').on('block').column('bl_user').execute();
  },
};

// Range blocks (192.0.2.0/24, 2001:db8::/32, as MediaWiki and its imports have them): every address block
// keeps its first and last address, so that the block of a range is found for any address inside it.
const m0021: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('block').addColumn('bl_range_start', 'varchar(35)').execute();
    await db.schema.alterTable('block').addColumn('bl_range_end', 'varchar(35)').execute();
    const rows = await db.selectFrom('block').select(['bl_id', 'bl_target']).where('bl_user', '=', 0).execute();
    for (const r of rows) {
      const range = blockRange(r.bl_target);
      if (range) await db.updateTable('block').set({ bl_range_start: range.start, bl_range_end: range.end }).where('bl_id', '=', r.bl_id).execute();
    }
    await db.schema.createIndex('block_range').on('block').columns(['bl_range_start', 'bl_range_end']).execute();
  },
};

// Two look-alike names ("Alice", "Аlice" with a Cyrillic А) created at the same moment on several nodes:
// each checks for the other before either exists. Creating an account first locks its look-alike group's
// row here, so the second waits for the first and then sees it.
const m0022: Migration = {
  async up(db: AnyDb) {
    await createTable(db, 'user_name_claim').addColumn('unc_skeleton', 'varchar(64)', (c) => c.primaryKey()).execute();
  },
};

// Where an imported account or address block came from, beyond 0016's fingerprint: the source's own id
// (kept, so an export names the account as its first wiki did and a file round-trips exactly), which
// source wrote it last and when; and what a MediaWiki account carries that mwauth had no place for
// (its edit count, and whether it is a system or a temporary account).
const m0023: Migration = {
  async up(db: AnyDb) {
    // One column per statement: SQLite adds one at a time.
    await db.schema.alterTable('user').addColumn('user_editcount', 'bigint').execute();
    await db.schema.alterTable('user').addColumn('user_system', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('user').addColumn('user_temp', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('user').addColumn('user_import_source', shortText(db, 255)).execute();
    await db.schema.alterTable('user').addColumn('user_import_source_id', 'bigint').execute();
    await db.schema.alterTable('user').addColumn('user_imported', time).execute();
    await db.schema.alterTable('block').addColumn('bl_import_fingerprint', 'varchar(64)').execute();
    await db.schema.alterTable('block').addColumn('bl_import_source_id', 'bigint').execute();
  },
};

// How many accounts there are, without counting a million rows at each question (siteinfo's statistics):
// the count of the accounts up to an id, kept here, plus a count of the few above it (src/storage/sql/users.ts).
// It starts at zero: the first question counts everything once and moves the mark.
const m0024: Migration = {
  async up(db: AnyDb) {
    const big = isPostgres(db) || isMysql(db) ? 'bigint' : 'integer';
    await createTable(db, 'user_count')
      .addColumn('uc_row', 'integer', (c) => c.primaryKey())
      .addColumn('uc_through', big, (c) => c.notNull())
      .addColumn('uc_users', big, (c) => c.notNull())
      .execute();
    await db.insertInto('user_count').values({ uc_row: 1, uc_through: 0, uc_users: 0 }).execute();
  },
};

export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_outbox_masked': m0002,
  '0010_audit': m0010,
  '0011_reset_attempts': m0011,
  '0012_user_real_name': m0012,
  '0013_site_settings': m0013,
  '0014_remember_tokens': m0014,
  '0015_user_name_skeleton': m0015,
  '0016_import_fields': m0016,
  '0020_job_queue_columns': m0020,
  '0021_block_ranges': m0021,
  '0022_user_name_claims': m0022,
  '0023_import_provenance': m0023,
  '0024_user_count': m0024,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
