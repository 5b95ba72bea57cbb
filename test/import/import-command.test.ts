// The import command on a MediaWiki database of 60,000 accounts. All or nothing: `mwauth import` given a
// source it cannot use (missing, not a database, not MediaWiki, a wrong prefix, a server that refuses, a
// broken JSON-lines file) or killed with SIGKILL in the middle of writing exits non-zero (or dies) and
// leaves mwauth's database as it was; the error names the source without its password, in one line,
// without a stack trace. On a terminal it draws a progress bar.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, ROOT, cliEnv, runCli, runProgram, type CliResult } from '../helpers/process.js';
import { mediaWikiMissing } from './mediawiki-fixture.js';

const CLIENTS_REQUIRED = process.env.MWAUTH_REQUIRE_CLIENTS === '1';
const missing = mediaWikiMissing();
if (missing && CLIENTS_REQUIRED) throw new Error(`${missing} (MWAUTH_REQUIRE_CLIENTS=1)`);
const skip = missing ?? false;

const USERS = 60_000;
let dir: string;
let wiki: string;
before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'mwauth-import-fail-'));
  // A MediaWiki database of many accounts, made by MediaWiki's installer and filled in bulk.
  const made = spawnSync(process.execPath, ['--import', 'tsx', 'bench/import/make-mediawiki-db.ts', '--users', String(USERS), '--kind', 'sqlite', '--out', join(dir, 'wiki')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(made.status, 0, made.stderr);
  wiki = join(dir, 'wiki', 'db', 'benchwiki.sqlite');
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): { env: Record<string, string>; count: () => number; integrity: () => string } {
  const d = mkdtempSync(join(dir, 'data-'));
  const file = join(d, 'mwauth.sqlite');
  const read = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(file, { readonly: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    env: { MWAUTH_DATA_DIR: d, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' },
    count: () => read((db) => (db.prepare('SELECT count(*) AS n FROM user').get() as { n: number }).n),
    integrity: () => read((db) => (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check),
  };
}

function failsCleanly(r: CliResult, err: RegExp, label: string): void {
  assert.equal(r.code, 1, `${label}: exit 1 expected; stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.match(r.stderr, err, label);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+\)?$/m, `${label}: no stack trace`);
  assert.doesNotMatch(r.stderr + r.stdout, /s3cret/, `${label}: no password`);
}

describe('mwauth import on a wiki of many accounts', { skip, concurrency: true }, () => {
  test('each source that cannot be used: the reason, the source named (password masked), exit 1, nothing written', async () => {
    const d = dataDir();
    assert.equal((await runCli(['user', 'add', 'Already here', '--password', 'Already-Here-Pass-1'], d.env)).code, 0);
    const notDb = join(dir, 'not-a-database.sqlite');
    writeFileSync(notDb, 'this is not a database\n'.repeat(100));
    const emptyDb = join(dir, 'empty.sqlite');
    new Database(emptyDb).exec('CREATE TABLE unrelated (x)');
    const noHeader = join(dir, 'no-header.jsonl');
    writeFileSync(noHeader, '{"type":"address-block"}\n');
    const cases: Array<[string[], RegExp]> = [
      [['mediawiki', join(dir, 'nowhere.sqlite')], /^mwauth: Cannot open the MediaWiki database .*nowhere\.sqlite: /m],
      [['mediawiki', notDb], /^mwauth: Cannot open the MediaWiki database .*not-a-database\.sqlite: file is not a database/m],
      [['mediawiki', emptyDb], /^mwauth: .*empty\.sqlite is not a MediaWiki database: it has none of MediaWiki's tables without a prefix/m],
      [['mediawiki', wiki, '--prefix', 'mw_'], /^mwauth: .*benchwiki\.sqlite has no MediaWiki tables with the prefix "mw_", but has some with another prefix: use no prefix$/m],
      [['mediawiki', wiki, '--prefix', 'bad;prefix'], /^mwauth: Not a table prefix: "bad;prefix"/m],
      [['mediawiki', 'mysql://wiki:s3cret@127.0.0.1:1/wiki'], /^mwauth: Cannot open the MediaWiki database mysql:\/\/wiki:\*\*\*@127\.0\.0\.1:1\/wiki: /m],
      [['mediawiki', 'postgres://wiki:s3cret@127.0.0.1:1/wiki'], /^mwauth: Cannot open the MediaWiki database postgres:\/\/wiki:\*\*\*@127\.0\.0\.1:1\/wiki: /m],
      [['mediawiki', 'mongodb://wiki:s3cret@db/wiki'], /^mwauth: mongodb:\/\/wiki:\*\*\*@db\/wiki: unknown kind of database/m],
      [['jsonl', join(dir, 'nowhere.jsonl')], /^mwauth: Cannot read .*nowhere\.jsonl: no such file$/m],
      [['jsonl', wiki], /^mwauth: importing from file .*benchwiki\.sqlite failed after 0 of [\d,]+ records: .*benchwiki\.sqlite: line 1: the file does not start with a header line .*; nothing was written$/m],
      [['jsonl', noHeader], /^mwauth: .*no-header\.jsonl: line 1: the file does not start with a header line/m],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(['import', ...args], d.env)));
    results.forEach((r, i) => failsCleanly(r, cases[i]![1], cases[i]![0].join(' ')));
    assert.equal(d.count(), 1);
  });

  test('a broken line after more than a batch of good ones: the line and field named, nothing of the good ones written', async () => {
    const d = dataDir();
    const exported = dataDir();
    // A file of this many accounts, from a real export.
    assert.equal((await runCli(['import', 'mediawiki', wiki], exported.env)).code, 0);
    const out = join(dir, 'export.jsonl');
    assert.equal((await runCli(['export', '--out', out], exported.env)).code, 0);
    const lines = (await import('node:fs')).readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.ok(lines.length > USERS);
    const broken = [...lines.slice(0, 2500), lines[2500]!.replace(/"expiry":null/, '"expiry":"tomorrow"').replace(/"editCount":\d+/, '"editCount":-1'), ...lines.slice(2501)];
    const bad = join(dir, 'broken.jsonl');
    writeFileSync(bad, broken.join('\n') + '\n');
    const r = await runCli(['import', 'jsonl', bad], d.env);
    failsCleanly(r, /^mwauth: .*broken\.jsonl: line 2501\.editCount: expected a whole number/m, 'broken line');
    assert.match(r.stderr, /nothing was written|line 2501/);
    assert.equal(d.count(), 0);
    const dry = await runCli(['import', 'jsonl', bad, '--dry-run'], d.env);
    failsCleanly(dry, /line 2501/, 'the dry run finds it too');
  });

  test('SIGKILL in the middle of the write: nothing was written, the database is sound, and a new run does it all', async () => {
    const d = dataDir();
    assert.equal((await runCli(['user', 'add', 'Already here', '--password', 'Already-Here-Pass-1'], d.env)).code, 0);
    const child = spawn(process.execPath, [BIN, 'import', 'mediawiki', wiki], { cwd: ROOT, env: cliEnv(d.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve) => {
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        // The first tenth is written (inside the transaction): kill it there.
        if (/import: \d+ %/.test(stderr)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('close', () => resolve());
    });
    const end = await ended;
    assert.equal(end.signal, 'SIGKILL', `killed mid-way (stderr: ${stderr})`);
    assert.equal(d.count(), 1, 'only the account that was there before');
    assert.equal(d.integrity(), 'ok');
    const again = await runCli(['import', 'mediawiki', wiki], d.env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^accounts: ${(USERS + 2).toLocaleString('en-US').replace(/,/g, '')} created`, 'm'));
    assert.equal(d.count(), USERS + 3);
  });

  test('on a terminal: a progress bar with done/total, the rate and the time left', async () => {
    const d = dataDir();
    // script(1) runs the command on a pseudo-terminal (util-linux, in every Debian).
    const command = [process.execPath, BIN, 'import', 'mediawiki', wiki].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const r = await runProgram('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: cliEnv(d.env) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const total = (USERS + 2 + 1000).toLocaleString('en-US');
    assert.match(r.stdout, new RegExp(`\\d+% \\| [\\d,]+/${total} records \\| [\\d,]+/s \\| ETA `), 'the bar');
    assert.match(r.stdout, new RegExp(`100% \\| ${total}/${total} records`));
    assert.doesNotMatch(r.stdout, /^import: \d+ %/m, 'no progress lines on a terminal');
    assert.match(r.stdout, /accounts: \d+ created/);
  });
});
