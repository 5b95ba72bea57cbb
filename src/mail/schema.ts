// Tables only the mail module uses, with their own migration history (table mwauth_mail_migration),
// run right after the main migrations. They hang off the outbox table and go when its row goes.
import { Migrator, type Kysely, type Migration } from 'kysely';
import type { Database } from '../storage/schema.js';

export type OutboxStatus = 'queued' | 'sending' | 'sent' | 'failed';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['queued', 'sending', 'sent', 'failed'];

export type OutboxMaskedTable = {
  /** ob_id of the message. */
  om_outbox: number;
  /** The message as sent, with its secrets (the temporary password) replaced by a mask. */
  om_raw: string;
};

export type MailTables = {
  outbox_masked: OutboxMaskedTable;
};

export type MailDatabase = Database & MailTables;

/** The same connection (or transaction), typed with the mail tables. */
export function mailDb(db: Kysely<Database>): Kysely<MailDatabase> {
  return db.withTables<MailTables>();
}

type AnyDb = Kysely<any>;

function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

const mailMigrations: Record<string, Migration> = {
  'mail_0001_outbox_masked': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('outbox_masked')
        .addColumn('om_outbox', isPostgres(db) ? 'bigint' : 'integer', (c) =>
          c.primaryKey().references('outbox.ob_id').onDelete('cascade'),
        )
        .addColumn('om_raw', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

/** Brings the mail tables up to date; safe to run at every start and from several processes. */
export async function migrateMailSchema(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => mailMigrations },
    migrationTableName: 'mwauth_mail_migration',
    migrationLockTableName: 'mwauth_mail_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`mail schema migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}
