// A MediaWiki database as the importer's source of records: its accounts a batch at a time, then its
// address and range blocks. It holds every block the wiki has, so a block an earlier import copied that
// it no longer has was lifted in the wiki.
import type { RecordSource } from '../importer.js';
import type { AddressBlockRecord } from '../record.js';
import type { MediaWikiReader } from './reader.js';

export function mediaWikiSource(reader: MediaWikiReader, batchSize = 1000): RecordSource {
  const s = reader.summary;
  return {
    name: `MediaWiki ${s.source}${s.prefix ? ` (prefix ${s.prefix})` : ''}`,
    complete: true,
    async count() {
      return (await reader.countAccounts()) + (await reader.countAddressBlocks());
    },
    accountBatches: () => reader.accountBatches(),
    async *addressBlockBatches() {
      let batch: AddressBlockRecord[] = [];
      for await (const b of reader.addressBlocks()) {
        batch.push(b);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
  };
}
