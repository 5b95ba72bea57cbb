// `mwauth import mediawiki mysql://…` from a wiki MediaWiki 1.39 installed on MariaDB with the table prefix
// mw_ (test/import/mediawiki-fixture.ts), into an mwauth site on PostgreSQL; then logins through the API;
// and the site's export read into a site on MariaDB, whose export is the same file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, startTestServer, type TestServer } from '../helpers/harness.js';
import { runCli } from '../helpers/process.js';
import { createMariadbDatabase, createPostgresDatabase, skipUnless, type MariadbDatabase, type PostgresDatabase } from '../helpers/services.js';
import { BOT_PASSWORD, createMediaWikiFixture, fixtureSkip, PASSWORD_FORMATS, type MediaWikiFixture } from './mediawiki-fixture.js';

const skip = (await fixtureSkip('mysql')) || (await skipUnless('postgres', 'mariadb'));

let fixture: MediaWikiFixture;
let pg: PostgresDatabase;
let maria: MariadbDatabase;
let dir: string;
let srv: TestServer | undefined;
before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'mwauth-import-mariadb-'));
  [fixture, pg, maria] = await Promise.all([createMediaWikiFixture({ kind: 'mysql', prefix: 'mw_' }), createPostgresDatabase('importer_target'), createMariadbDatabase('importer_target')]);
});
after(async () => {
  await srv?.close();
  await fixture?.close();
  await pg?.drop();
  await maria?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = (databaseUrl: string) => ({
  MWAUTH_DATA_DIR: dir,
  MWAUTH_DATABASE_URL: databaseUrl,
  MWAUTH_SECRET: '0123456789abcdef0123456789abcdef',
  MWAUTH_SERVER: 'http://wiki.test',
  MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
});

describe('import from MediaWiki on MariaDB (prefix mw_) into PostgreSQL', { skip }, () => {
  test('without the prefix: the error says which prefix the database has', async () => {
    const r = await runCli(['import', 'mediawiki', fixture.source], env(pg.url));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^mwauth: mysql:\/\/.* has no MediaWiki tables without a prefix, but has some with another prefix: use --prefix mw_$/m);
  });

  test('with it: every account, then logins through the API with each password format and a bot password', async () => {
    const r = await runCli(['import', 'mediawiki', fixture.source, '--prefix', 'mw_'], env(pg.url));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^accounts: \d+ created, 0 updated, 0 unchanged, 0 skipped$/m);
    assert.match(r.stdout, /^address blocks: 3 created/m);
    srv = await startTestServer({ env: env(pg.url) });
    for (const f of PASSWORD_FORMATS) {
      assert.equal((await new Client(srv.api).login(f.name, `${f.password}!`)).result, 'Failed', f.name);
      assert.equal((await new Client(srv.api).login(f.name, f.password)).result, 'Success', f.name);
    }
    assert.equal((await new Client(srv.api).login('Pbkdf2 default@cli', BOT_PASSWORD)).result, 'Success');
    const again = await runCli(['import', 'mediawiki', fixture.source, '--prefix', 'mw_'], env(pg.url));
    assert.match(again.stdout, /^accounts: 0 created, 0 updated, \d+ unchanged, 0 skipped$/m, 'upgraded hashes are no change of the wiki');
  });

  test("the PostgreSQL site's export, read into a site on MariaDB, exports the same accounts and blocks", async () => {
    const first = join(dir, 'first.jsonl');
    const second = join(dir, 'second.jsonl');
    assert.equal((await runCli(['export', '--out', first], env(pg.url))).code, 0);
    const imported = await runCli(['import', 'jsonl', first], env(maria.url));
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /^accounts: \d+ created, 0 updated, 0 unchanged, 0 skipped$/m);
    assert.equal((await runCli(['export', '--out', second], env(maria.url))).code, 0);
    // The same bytes but for the header's time of writing.
    const body = (f: string) => readFileSync(f, 'utf8').split('\n').slice(1).join('\n');
    assert.ok(body(first).length > 1000);
    assert.equal(body(second), body(first));
  });
});
