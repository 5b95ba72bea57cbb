// The MediaWiki reader alone: every account record and address block of SOURCE, nothing written.
// Prints records per second and the peak resident memory (sampled, and the process's maximum).
//
//   node --import tsx bench/import/read-mediawiki.ts SOURCE [--prefix mw_] [--batch 1000]
import { parseArgs } from 'node:util';
import { MediaWikiReader } from '../../src/import/mediawiki/reader.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { prefix: { type: 'string', default: '' }, batch: { type: 'string', default: '1000' } },
});
if (positionals.length !== 1) throw new Error('usage: read-mediawiki.ts SOURCE [--prefix P] [--batch N]');

const mib = (n: number) => (n / 1024 / 1024).toFixed(0);
let peak = process.memoryUsage.rss();
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
const rssAtStart = process.memoryUsage.rss();

const t0 = performance.now();
const reader = await MediaWikiReader.open(positionals[0]!, { prefix: values.prefix, batchSize: Number(values.batch) });
const total = await reader.countAccounts();
let accounts = 0;
let groups = 0;
let bots = 0;
let blocked = 0;
let rssAtTenth = 0;
for await (const batch of reader.accountBatches()) {
  for (const a of batch) {
    accounts++;
    groups += a.groups.length;
    bots += a.botPasswords.length;
    if (a.blocks.length) blocked++;
  }
  if (!rssAtTenth && accounts >= total / 10) rssAtTenth = process.memoryUsage.rss();
}
const tAccounts = performance.now();
let addressBlocks = 0;
for await (const _ of reader.addressBlocks()) addressBlocks++;
const t1 = performance.now();
await reader.close();
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss());

const secs = (t1 - t0) / 1000;
console.log(`source: ${reader.summary.source} (${reader.summary.dialect}, prefix "${reader.summary.prefix}", blocks in ${reader.summary.blockSchema})`);
console.log(`accounts: ${accounts} (${groups} group memberships, ${bots} bot passwords, ${blocked} blocked); address blocks: ${addressBlocks}`);
console.log(`time: ${secs.toFixed(1)} s (accounts ${((tAccounts - t0) / 1000).toFixed(1)} s) — ${Math.round(accounts / ((tAccounts - t0) / 1000))} accounts/s, ${Math.round((accounts + addressBlocks) / secs)} records/s`);
console.log(`memory: RSS at start ${mib(rssAtStart)} MiB, after 10 % of the accounts ${mib(rssAtTenth)} MiB, peak ${mib(peak)} MiB (max RSS ${mib(process.resourceUsage().maxRSS * 1024)} MiB)`);
