// The id the database gave an inserted row, on every dialect: PostgreSQL and SQLite say it with
// `returning`, MariaDB/MySQL has no `returning` and reports it as the insert's id instead.
import { sql, type InsertQueryBuilder, type InsertResult, type Kysely } from 'kysely';

export async function insertedId(db: Kysely<any>, insert: InsertQueryBuilder<any, any, InsertResult>, idColumn: string): Promise<number> {
  if (db.getExecutor().adapter.supportsReturning) {
    const row = await insert.returning(sql<number | string | bigint>`${sql.ref(idColumn)}`.as('inserted_id')).executeTakeFirstOrThrow();
    return Number(row.inserted_id);
  }
  const r = await insert.executeTakeFirstOrThrow();
  if (r.insertId === undefined) throw new Error(`the database did not report the id of the row inserted into ${idColumn}'s table`);
  return Number(r.insertId);
}
