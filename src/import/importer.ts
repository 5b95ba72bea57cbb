// Writes account records into mwauth's database: `mwauth import mediawiki` and `mwauth import jsonl`.
// All or nothing (one unit of work: a failure anywhere, the source's or the database's, leaves the
// database as it was), idempotent and incremental (a record whose fingerprint was imported before is
// left alone and counted), and never overwriting what was made or changed here: an account of the same
// name made in mwauth, or an imported account changed here since (a new password, a confirmed address …)
// whose record changed in the source too, is skipped and reported, not merged. Hashes are copied as
// they are, never computed, and batches stream: memory does not grow with the number of accounts.
import { readAccountsById, writeAccounts } from '../accounts/bulk.js';
import { canonicalUserName } from '../accounts/names.js';
import type { Stores, TxStores } from '../storage/stores.js';
import { accountRecord, accountWrite, addressBlockInput, addressBlockRecord, normalizeAccount, normalizeAddressBlock } from './convert.js';
import type { AccountRecord, AddressBlockRecord } from './record.js';

/** Where records come from: a MediaWiki database or a JSON-lines file. */
export interface RecordSource {
  /** What the source is, as it may be shown (no password): kept as the accounts' provenance. */
  readonly name: string;
  /** How many records it has (accounts and address blocks), for progress; null: unknown. */
  count(): Promise<number | null>;
  accountBatches(): AsyncIterable<AccountRecord[]>;
  addressBlockBatches(): AsyncIterable<AddressBlockRecord[]>;
  /**
   * The source holds every address block there is (a wiki's database, not a file of some): an address
   * block an earlier import wrote that it no longer has was lifted there, and is lifted here.
   */
  readonly complete: boolean;
}

export interface Skipped {
  kind: 'account' | 'address-block';
  /** The account's name or the block's target. */
  name: string;
  sourceId: number;
  why: string;
}

export interface Counts {
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
}

export interface ImportSummary {
  accounts: Counts;
  addressBlocks: Counts & { lifted: number };
  /** Every skipped record, up to SKIPPED_LISTED (the counts hold them all). */
  skipped: Skipped[];
  /** Nothing was written. */
  dryRun: boolean;
}

export interface ImportOptions {
  /** Read and check everything, write nothing. */
  dryRun?: boolean;
  /** Told after each batch: records done so far. */
  onProgress?: (done: number) => void;
}

/** How many skipped records a summary lists one by one (all are counted). */
export const SKIPPED_LISTED = 1000;

export const WHY = {
  madeHere: 'an account of this name was made in mwauth, not imported: left as it is',
  changedBothSides: 'changed in mwauth since it was imported, and in the source too: left as it is in mwauth, not merged',
  badName: 'the name is not one an account can have here (not a valid, canonical user name)',
  blockMadeHere: 'a block of this address made in mwauth, not imported: left as it is',
  blockChangedBothSides: 'changed in mwauth since it was imported, and in the source too: left as it is in mwauth',
  blockLiftedButChanged: 'lifted in the source, but changed in mwauth since it was imported: left in place',
} as const;

const emptyCounts = (): Counts => ({ created: 0, updated: 0, unchanged: 0, skipped: 0 });

/** Reads every record of `source` and writes what is new or changed, in one transaction. */
export async function importRecords(stores: Stores, source: RecordSource, opts: ImportOptions = {}): Promise<ImportSummary> {
  if (opts.dryRun) return run(stores, source, opts, true);
  // A transaction the database ends to break a deadlock runs again: the counts start afresh with it.
  return stores.transaction((tx) => run(tx, source, opts, false));
}

async function run(tx: TxStores, source: RecordSource, opts: ImportOptions, dryRun: boolean): Promise<ImportSummary> {
  const summary: ImportSummary = { accounts: emptyCounts(), addressBlocks: { ...emptyCounts(), lifted: 0 }, skipped: [], dryRun };
  let done = 0;
  const skip = (counts: Counts, s: Skipped) => {
    counts.skipped++;
    if (summary.skipped.length < SKIPPED_LISTED) summary.skipped.push(s);
  };

  for await (const batch of readAhead(source.accountBatches())) {
    const records: AccountRecord[] = [];
    for (const r of batch) {
      if (canonicalUserName(r.name) !== r.name) skip(summary.accounts, { kind: 'account', name: r.name, sourceId: r.sourceId, why: WHY.badName });
      else records.push(normalizeAccount(r));
    }
    const existing = await tx.users.byNames(records.map((r) => r.name));
    const writes: AccountRecord[] = [];
    const toCheck: Array<{ record: AccountRecord; id: number; fingerprint: string }> = [];
    for (const r of records) {
      const e = existing.get(r.name);
      if (!e) {
        writes.push(r);
        summary.accounts.created++;
      } else if (e.fingerprint === null) skip(summary.accounts, { kind: 'account', name: r.name, sourceId: r.sourceId, why: WHY.madeHere });
      else if (e.fingerprint === r.fingerprint) summary.accounts.unchanged++;
      else toCheck.push({ record: r, id: e.id, fingerprint: e.fingerprint });
    }
    if (toCheck.length > 0) {
      // Changed in the source: taken only if the account is still what the last import wrote.
      const local = new Map((await readAccountsById(tx, toCheck.map((c) => c.id), { withExpired: true })).map((a) => [a.user.id, a]));
      for (const c of toCheck) {
        const now = local.get(c.id);
        if (now && accountRecord(now, null).fingerprint === c.fingerprint) {
          writes.push(c.record);
          summary.accounts.updated++;
        } else skip(summary.accounts, { kind: 'account', name: c.record.name, sourceId: c.record.sourceId, why: WHY.changedBothSides });
      }
    }
    if (!dryRun && writes.length > 0) await writeAccountBatch(tx, writes, source.name);
    done += batch.length;
    opts.onProgress?.(done);
  }

  const seen = new Set<string>();
  for await (const batch of readAhead(source.addressBlockBatches())) {
    const records = batch.map(normalizeAddressBlock);
    const existing = await tx.blocks.ofAddresses(records.map((r) => r.target));
    const writes: AddressBlockRecord[] = [];
    const counts = summary.addressBlocks;
    for (const r of records) {
      seen.add(r.target);
      const e = existing.get(r.target);
      const skipped = (why: string) => skip(counts, { kind: 'address-block', name: r.target, sourceId: r.sourceId, why });
      if (!e) {
        writes.push(r);
        counts.created++;
      } else if (e.importFingerprint === null) skipped(WHY.blockMadeHere);
      else if (e.importFingerprint === r.fingerprint) counts.unchanged++;
      else if (addressBlockRecord(e).fingerprint === e.importFingerprint) {
        writes.push(r);
        counts.updated++;
      } else skipped(WHY.blockChangedBothSides);
    }
    if (!dryRun && writes.length > 0) await tx.blocks.upsertMany(writes.map(addressBlockInput));
    done += batch.length;
    opts.onProgress?.(done);
  }

  if (source.complete) {
    // Address blocks an earlier import wrote that the source no longer has: lifted there.
    const lifted: string[] = [];
    for (let after = 0; ; ) {
      const blocks = await tx.blocks.addressBlocksAfter(after, 1000);
      if (blocks.length === 0) break;
      for (const b of blocks) {
        if (b.importFingerprint === null || seen.has(b.target)) continue;
        if (addressBlockRecord(b).fingerprint === b.importFingerprint) lifted.push(b.target);
        else skip(summary.addressBlocks, { kind: 'address-block', name: b.target, sourceId: b.importSourceId ?? 0, why: WHY.blockLiftedButChanged });
      }
      after = blocks[blocks.length - 1]!.id;
    }
    if (!dryRun) for (const target of lifted) await tx.blocks.remove(target);
    summary.addressBlocks.lifted = lifted.length;
  }
  return summary;
}

/** The batches, the next one asked for while the current one is written (a source on a server reads meanwhile). */
async function* readAhead<T>(batches: AsyncIterable<T>): AsyncGenerator<T> {
  const it = batches[Symbol.asyncIterator]();
  const ask = () => {
    const p = it.next();
    // Awaited once the current batch is written; a failure before then must not count as unhandled.
    p.catch(() => {});
    return p;
  };
  try {
    let next = ask();
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = ask();
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

async function writeAccountBatch(tx: TxStores, records: AccountRecord[], source: string): Promise<void> {
  // The provenance column holds 255 characters (a long path is cut, its end kept).
  const shown = source.length > 255 ? `…${source.slice(-254)}` : source;
  await writeAccounts(tx, records.map((r) => accountWrite(r, shown)));
}
