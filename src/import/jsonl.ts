// The JSON-lines file of account records (docs/import.md): `mwauth export` writes it, `mwauth import
// jsonl` reads it back. Both stream: a batch at a time, whatever the file's size.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { readAccounts } from '../accounts/bulk.js';
import type { Stores } from '../storage/stores.js';
import { accountRecord, addressBlockRecord, toTime } from './convert.js';
import type { RecordSource } from './importer.js';
import { decodeRecord, encodeRecord, RECORD_FORMAT, RECORD_VERSION, RecordError, type AccountRecord, type AddressBlockRecord, type HeaderRecord } from './record.js';

export class JsonlFileError extends Error {
  override name = 'JsonlFileError';
}

const BATCH = 1000;

/** The file's non-empty lines with their numbers (from 1). */
async function* lines(path: string): AsyncGenerator<{ text: string; n: number }> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  // A file that cannot be opened fails here, with its own message (not an unhandled stream error).
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  }).catch((err: NodeJS.ErrnoException) => {
    throw new JsonlFileError(`Cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'a folder, not a file' : err.code === 'EACCES' ? 'permission denied' : err.message}`);
  });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of rl) {
      n++;
      if (text.trim() !== '') yield { text, n };
    }
  } catch (err) {
    throw new JsonlFileError(`Reading ${path} failed at line ${n + 1}: ${(err as Error).message}`);
  }
}

/** The "type" of a line's object, if it is one. */
function headerType(text: string): unknown {
  try {
    return (JSON.parse(text) as { type?: unknown } | null)?.type;
  } catch {
    return undefined;
  }
}

/** The records of one kind, `BATCH` at a time, each line checked (the header first). */
async function* records<T extends AccountRecord | AddressBlockRecord>(path: string, type: T['type']): AsyncGenerator<T[]> {
  let batch: T[] = [];
  let first = true;
  for await (const { text, n } of lines(path)) {
    if (first && headerType(text) !== 'header') {
      throw new JsonlFileError(`${path}: line ${n}: the file does not start with a header line ({"type":"header","format":"${RECORD_FORMAT}",…})`);
    }
    let rec;
    try {
      rec = decodeRecord(text, n);
    } catch (err) {
      if (err instanceof RecordError) throw new JsonlFileError(`${path}: ${err.message}`);
      throw err;
    }
    if (first) {
      first = false;
      continue;
    }
    if (rec.type === 'header') throw new JsonlFileError(`${path}: line ${n}: a second header line`);
    if (rec.type !== type) continue;
    batch.push(rec as T);
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (first) throw new JsonlFileError(`${path}: the file is empty (not an ${RECORD_FORMAT} file)`);
  if (batch.length > 0) yield batch;
}

/** A JSON-lines file as a source of records. It may hold some accounts only: nothing is lifted because it lacks it. */
export function jsonlSource(path: string): RecordSource {
  return {
    name: `file ${path}`,
    complete: false,
    async count() {
      let n = -1; // the header
      for await (const _ of lines(path)) n++;
      return Math.max(0, n);
    },
    accountBatches: () => records<AccountRecord>(path, 'account'),
    addressBlockBatches: () => records<AddressBlockRecord>(path, 'address-block'),
  };
}

export interface ExportOptions {
  /** "Now": the header's time, and what has expired (left out). */
  now: number;
  /** Called with each line, newline included; may return a promise (backpressure). */
  write: (chunk: string) => void | Promise<void>;
  /** Told after each batch of accounts: accounts written so far. */
  onProgress?: (done: number) => void;
}

/** Writes every account and every address block in force, as JSON lines; returns how many of each. */
export async function exportRecords(stores: Stores, opts: ExportOptions): Promise<{ accounts: number; addressBlocks: number }> {
  const header: HeaderRecord = { type: 'header', format: RECORD_FORMAT, version: RECORD_VERSION, source: 'mwauth', created: toTime(opts.now)! };
  await opts.write(encodeRecord(header) + '\n');
  let accounts = 0;
  let addressBlocks = 0;
  for await (const batch of readAccounts(stores, BATCH)) {
    await opts.write(batch.map((a) => encodeRecord(accountRecord(a, opts.now)) + '\n').join(''));
    accounts += batch.length;
    opts.onProgress?.(accounts);
  }
  for (let after = 0; ; ) {
    const blocks = await stores.blocks.addressBlocksAfter(after, BATCH);
    if (blocks.length === 0) break;
    const current = blocks.filter((b) => b.expiry === null || b.expiry > opts.now);
    await opts.write(current.map((b) => encodeRecord(addressBlockRecord(b)) + '\n').join(''));
    addressBlocks += current.length;
    after = blocks[blocks.length - 1]!.id;
  }
  return { accounts, addressBlocks };
}
