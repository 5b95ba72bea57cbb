// mwauth import mediawiki SOURCE | import jsonl FILE | export: moving accounts in and out (docs/import.md).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { Services } from '../services.js';
import { CliError, type Io, type WithServices } from './common.js';

export interface ImportIo extends Io {
  /** A terminal to draw progress bars on (stderr when it is one); null: progress as lines on err. */
  tty: NodeJS.WritableStream | null;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Errors of the source or the file are the operator's to fix: one line, no stack. */
async function sourceErrors<T>(fn: () => Promise<T>): Promise<T> {
  const { MediaWikiSourceError } = await import('../import/mediawiki/source.js');
  const { JsonlFileError } = await import('../import/jsonl.js');
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MediaWikiSourceError || err instanceof JsonlFileError) throw new CliError(err.message);
    throw err;
  }
}

async function runImport(s: Services, io: ImportIo, source: import('../import/importer.js').RecordSource, dryRun: boolean, notes: string[]): Promise<void> {
  const { importRecords } = await import('../import/importer.js');
  const { startProgress } = await import('../import/progress.js');
  const total = await source.count();
  const progress = startProgress({ unit: 'records', total, tty: io.tty, line: (l) => io.err(`import: ${l}`) });
  let done = 0;
  let summary;
  try {
    summary = await importRecords(s.stores, source, {
      dryRun,
      onProgress: (n) => {
        done = n;
        progress.update(n);
      },
    });
  } catch (err) {
    progress.stop();
    const why = (err as Error).message.split('\n')[0];
    throw new CliError(`importing from ${source.name} failed after ${done.toLocaleString('en-US')} of ${total?.toLocaleString('en-US') ?? '?'} records: ${why}; nothing was written`);
  }
  progress.stop();
  const a = summary.accounts;
  const b = summary.addressBlocks;
  const would = dryRun ? 'would be ' : '';
  io.out(`${dryRun ? 'dry run: ' : ''}read ${source.name}`);
  io.out(`accounts: ${a.created} ${would}created, ${a.updated} ${would}updated, ${a.unchanged} unchanged, ${a.skipped} skipped`);
  io.out(`address blocks: ${b.created} ${would}created, ${b.updated} ${would}updated, ${b.unchanged} unchanged, ${b.skipped} skipped, ${b.lifted} ${would}lifted`);
  for (const k of summary.skipped) {
    io.out(`skipped ${k.kind === 'account' ? `account "${k.name}"` : `address block ${k.name}`} (source id ${k.sourceId}): ${k.why}`);
  }
  const unlisted = a.skipped + b.skipped - summary.skipped.length;
  if (unlisted > 0) io.out(`… and ${plural(unlisted, 'more skipped record')}`);
  for (const n of notes) io.out(`note: ${n}`);
  if (dryRun) io.out('dry run: nothing was written');
}

export function registerImportCommands(program: Command, withServices: WithServices, io: ImportIo): void {
  const imp = program.command('import').description('bring accounts in: from a MediaWiki database, or a file of `mwauth export`');

  imp
    .command('mediawiki <source>')
    .description('copy the accounts of a MediaWiki database (a SQLite file, mysql://… or postgres://…; read-only)')
    .option('--prefix <prefix>', "MediaWiki's table prefix ($wgDBprefix)", '')
    .option('--dry-run', 'read and check everything, report what would change, write nothing')
    .action((source: string, opts: { prefix: string; dryRun?: boolean }) =>
      withServices(async (s) => {
        const { MediaWikiReader } = await import('../import/mediawiki/reader.js');
        const { mediaWikiSource } = await import('../import/mediawiki/recordSource.js');
        const notes: string[] = [];
        const reader = await sourceErrors(() =>
          MediaWikiReader.open(source, { prefix: opts.prefix, onProblem: (p) => notes.push(`account "${p.name}" (source id ${p.sourceId}): ${p.message}`) }),
        );
        try {
          await sourceErrors(() => runImport(s, io, mediaWikiSource(reader), Boolean(opts.dryRun), notes));
        } finally {
          await reader.close();
        }
      }),
    );

  imp
    .command('jsonl <file>')
    .description('read accounts back from a file `mwauth export` wrote (JSON lines)')
    .option('--dry-run', 'read and check everything, report what would change, write nothing')
    .action((file: string, opts: { dryRun?: boolean }) =>
      withServices(async (s) => {
        const { jsonlSource } = await import('../import/jsonl.js');
        await sourceErrors(() => runImport(s, io, jsonlSource(file), Boolean(opts.dryRun), []));
      }),
    );

  program
    .command('export')
    .description('write every account and address block as JSON lines (to standard output without --out)')
    .option('--out <file>', 'the file to write (replaced only once the whole export is written)')
    .action((opts: { out?: string }) =>
      withServices(async (s) => {
        const { exportRecords } = await import('../import/jsonl.js');
        if (opts.out === undefined) {
          const r = await exportRecords(s.stores, { now: s.clock.now(), write: (chunk) => writeTo(process.stdout, chunk) });
          io.err(`exported ${plural(r.accounts, 'account')} and ${plural(r.addressBlocks, 'address block')}`);
          return;
        }
        const { startProgress } = await import('../import/progress.js');
        const target = opts.out;
        const temp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
        const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
        await new Promise<void>((resolve, reject) => {
          out.once('open', () => resolve());
          out.once('error', (err) => reject(new CliError(`cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
        });
        try {
          const progress = startProgress({ unit: 'records', total: await s.stores.users.count(), tty: io.tty, line: (l) => io.err(`export: ${l}`) });
          const r = await exportRecords(s.stores, { now: s.clock.now(), write: (chunk) => writeTo(out, chunk), onProgress: (n) => progress.update(n) });
          progress.stop();
          await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
          await rename(temp, target);
          io.out(`exported ${plural(r.accounts, 'account')} and ${plural(r.addressBlocks, 'address block')} to ${target}`);
        } catch (err) {
          out.destroy();
          await rm(temp, { force: true });
          throw err;
        }
      }),
    );
}

/** Writes, waiting when the stream asks to (memory stays flat however large the export). */
function writeTo(stream: NodeJS.WritableStream, chunk: string): Promise<void> | void {
  if (chunk === '') return;
  if (stream.write(chunk)) return;
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    stream.once('error', onError);
    stream.once('drain', () => {
      stream.off('error', onError);
      resolve();
    });
  });
}
