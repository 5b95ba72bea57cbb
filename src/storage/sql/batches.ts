// Bulk statements: how many rows one multi-row INSERT (or one IN list) may carry. SQLite takes 32,766
// parameters per statement, PostgreSQL 65,535; a batch of 1,000 accounts is a handful of statements.

const MAX_PARAMETERS = 30_000;
const MAX_ROWS = 1_000;

/** `items` in slices small enough for one statement of `columns` parameters per item. */
export function* slices<T>(items: readonly T[], columns = 1): Generator<T[]> {
  const size = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS / columns)));
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** The distinct values, in first-seen order. */
export function distinct<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}
