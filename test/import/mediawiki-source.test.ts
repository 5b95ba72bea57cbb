// Opening a MediaWiki source: what SOURCE may be, the errors for a source that cannot be opened, is not
// MediaWiki or has another prefix (naming the source, never its password), MediaWiki 1.42's block tables,
// expired groups and blocks, and rows that cannot be read as they are.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MediaWikiReader, mwTime, type ReadProblem } from '../../src/import/mediawiki/reader.js';
import { describeSource, MediaWikiSourceError, parseSource } from '../../src/import/mediawiki/source.js';
import type { AccountRecord, AddressBlockRecord } from '../../src/import/record.js';
import { POSTGRES_ADMIN_URL, skipUnless } from '../helpers/services.js';
import { createMediaWikiFixture, fixtureSkip, MYSQL_ADMIN_URL, type MediaWikiFixture } from './mediawiki-fixture.js';

async function openError(source: string, opts: Parameters<typeof MediaWikiReader.open>[1] = {}): Promise<MediaWikiSourceError> {
  try {
    const r = await MediaWikiReader.open(source, opts);
    await r.close();
  } catch (err) {
    assert.ok(err instanceof MediaWikiSourceError, `${(err as Error).name}: ${(err as Error).message}`);
    assert.doesNotMatch(err.message, /\n|\bat .*\(.*:\d+:\d+\)/, 'one line, no stack');
    return err;
  }
  assert.fail(`${source} opened`);
}

async function readAll(source: string, opts: Parameters<typeof MediaWikiReader.open>[1] = {}) {
  const reader = await MediaWikiReader.open(source, opts);
  const accounts: AccountRecord[] = [];
  const blocks: AddressBlockRecord[] = [];
  for await (const a of reader.accounts()) accounts.push(a);
  for await (const b of reader.addressBlocks()) blocks.push(b);
  const summary = reader.summary;
  await reader.close();
  return { accounts, blocks, summary };
}

test('SOURCE: a path, sqlite:PATH, mysql:// (mariadb://), postgres:// (postgresql://, ?schema=)', () => {
  assert.deepEqual(parseSource('/var/lib/mw/wiki.sqlite'), { kind: 'sqlite', path: '/var/lib/mw/wiki.sqlite' });
  assert.deepEqual(parseSource('sqlite:/var/lib/mw/wiki.sqlite'), { kind: 'sqlite', path: '/var/lib/mw/wiki.sqlite' });
  assert.deepEqual(parseSource('sqlite:///var/lib/mw/wiki.sqlite'), { kind: 'sqlite', path: '/var/lib/mw/wiki.sqlite' });
  assert.equal(parseSource('wiki.sqlite').kind, 'sqlite');
  assert.deepEqual(parseSource('mysql://u:p@db:3306/wiki'), { kind: 'mysql', url: 'mysql://u:p@db:3306/wiki' });
  assert.equal(parseSource('mariadb://u@db/wiki').kind, 'mysql');
  assert.deepEqual(parseSource('postgres://u@db/wiki?schema=mw'), { kind: 'postgres', url: 'postgres://u@db/wiki?schema=mw', schema: 'mw' });
  assert.deepEqual(parseSource('postgresql://u@db/wiki'), { kind: 'postgres', url: 'postgresql://u@db/wiki', schema: null });
  for (const [bad, why] of [
    ['', /No MediaWiki database/], ['sqlite:', /path/], ['mysql://db', /no database/], ['mysql://u:pw@db/', /no database/],
    ['ftp://h/x', /unknown kind/], ['mongodb://u:secret@h/x', /unknown kind/],
  ] as const) {
    assert.throws(() => parseSource(bad), (e: Error) => e instanceof MediaWikiSourceError && why.test(e.message) && !e.message.includes('secret') && !e.message.includes(':pw@'), bad);
  }
});

test('a source is shown without its password', () => {
  assert.equal(describeSource('mysql://wiki:s3cr%40t@db:3306/wiki'), 'mysql://wiki:***@db:3306/wiki');
  assert.equal(describeSource('postgres://wiki:pw@db/wiki?schema=x'), 'postgres://wiki:***@db/wiki?schema=x');
  assert.equal(describeSource('mysql://wiki@db/wiki'), 'mysql://wiki@db/wiki');
  assert.equal(describeSource('/srv/wiki.sqlite'), '/srv/wiki.sqlite');
  assert.equal(describeSource('mysql://u:p a s s@h/db'), 'mysql://u:***@h/db');
});

test('MediaWiki timestamps: 14 digits, PostgreSQL dates, infinity', () => {
  assert.equal(mwTime('20240501120304'), '2024-05-01T12:03:04Z');
  assert.equal(mwTime(new Date('2024-05-01T12:03:04.567Z')), '2024-05-01T12:03:04Z');
  for (const none of [null, '', 'infinity', Infinity, '00000000000000', 'garbage']) assert.equal(mwTime(none), null, String(none));
});

test('a source that cannot be opened: a clear error naming it, without its password', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-src-'));
  try {
    const missing = join(dir, 'nope.sqlite');
    assert.match((await openError(missing)).message, new RegExp(`^Cannot open the MediaWiki database ${missing}: `));
    assert.match((await openError(`sqlite:${missing}`)).message, /Cannot open/);
    assert.match((await openError(dir)).message, /Cannot open/, 'a folder');
    const text = join(dir, 'LocalSettings.php');
    writeFileSync(text, '<?php $wgDBpassword = "x";');
    assert.match((await openError(text)).message, /Cannot open the MediaWiki database .*: file is not a database/);
    // Nothing listens on port 1.
    const my = await openError('mysql://wiki:Very-Secret-1@127.0.0.1:1/wiki');
    assert.match(my.message, /^Cannot open the MediaWiki database mysql:\/\/wiki:\*\*\*@127\.0\.0\.1:1\/wiki: /);
    assert.doesNotMatch(my.message, /Very-Secret-1/);
    const pg = await openError('postgres://wiki:Very-Secret-2@127.0.0.1:1/wiki');
    assert.doesNotMatch(pg.message, /Very-Secret-2/);
    assert.match(pg.message, /postgres:\/\/wiki:\*\*\*@127\.0\.0\.1:1\/wiki/);
    await assert.rejects(MediaWikiReader.open(missing, { prefix: 'mw_; DROP TABLE x' }), /Not a table prefix/);
    await assert.rejects(MediaWikiReader.open('postgres://u@127.0.0.1:1/x', { prefix: 'mw_' }), /no table prefix/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a SQLite database that is not MediaWiki\'s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-src-'));
  try {
    const path = join(dir, 'other.sqlite');
    const db = new Database(path);
    db.exec('CREATE TABLE user (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE posts (id INTEGER)');
    db.close();
    assert.equal((await openError(path)).message, `${path} is not a MediaWiki database: it lacks the tables user_groups, user_properties, bot_passwords, actor, comment without a prefix`);
    const empty = join(dir, 'empty.sqlite');
    new Database(empty).close();
    assert.match((await openError(empty)).message, /is not a MediaWiki database: it has none of MediaWiki's tables without a prefix \(user, user_groups/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const mysqlSkip = await fixtureSkip('mysql');
test('MariaDB: a wrong password, a missing database, a wrong prefix', { skip: mysqlSkip }, async () => {
  const f = await createMediaWikiFixture({ kind: 'mysql', prefix: 'wiki_' });
  try {
    const url = new URL(f.source);
    url.password = 'Wrong-Secret-3';
    const wrong = await openError(url.toString(), { prefix: 'wiki_' });
    assert.match(wrong.message, /^Cannot open the MediaWiki database mysql:\/\/root:\*\*\*@.*Access denied/);
    assert.doesNotMatch(wrong.message, /Wrong-Secret-3/);
    assert.match((await openError(`${MYSQL_ADMIN_URL}/mwauth_no_such_db`)).message, /Unknown database 'mwauth_no_such_db'/);
    const noPrefix = await openError(f.source);
    assert.equal(noPrefix.message, `${f.source} has no MediaWiki tables without a prefix, but has some with another prefix: use --prefix wiki_`);
    assert.match((await openError(f.source, { prefix: 'mw_' })).message, /with the prefix "mw_", but has some with another prefix: use --prefix wiki_$/);
    const ok = await readAll(f.source, { prefix: 'wiki_' });
    assert.ok(ok.accounts.length > 10);
  } finally {
    await f.close();
  }
});

const pgSkip = await skipUnless('postgres');
test('PostgreSQL: a database without MediaWiki\'s tables', { skip: pgSkip }, async () => {
  const e = await openError(POSTGRES_ADMIN_URL);
  assert.match(e.message, /is not a MediaWiki database/);
});

// MediaWiki 1.42 moved blocks to `block` + `block_target` (and 1.43 dropped `ipblocks`). Only 1.39 can
// be installed here, so these tables are created in a 1.39 database from MediaWiki 1.42's schema
// (sql/sqlite/abstractSchemaChanges/patch-block-target.sql: the same tables, columns and types) and
// filled from `ipblocks` the way its migrateBlocks.php does.
const BLOCK_TARGET_142 = `
CREATE TABLE block_target (
  bt_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, bt_address BLOB DEFAULT NULL, bt_user INTEGER UNSIGNED DEFAULT NULL,
  bt_user_text BLOB DEFAULT NULL, bt_auto SMALLINT DEFAULT 0 NOT NULL, bt_range_start BLOB DEFAULT NULL,
  bt_range_end BLOB DEFAULT NULL, bt_ip_hex BLOB DEFAULT NULL, bt_count INTEGER DEFAULT 0 NOT NULL);
CREATE INDEX bt_address ON block_target (bt_address);
CREATE INDEX bt_ip_user_text ON block_target (bt_ip_hex, bt_user_text);
CREATE INDEX bt_range ON block_target (bt_range_start, bt_range_end);
CREATE INDEX bt_user ON block_target (bt_user);
CREATE TABLE block (
  bl_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, bl_target INTEGER UNSIGNED NOT NULL, bl_by_actor BIGINT UNSIGNED NOT NULL,
  bl_reason_id BIGINT UNSIGNED NOT NULL, bl_timestamp BLOB NOT NULL, bl_anon_only SMALLINT DEFAULT 0 NOT NULL,
  bl_create_account SMALLINT DEFAULT 1 NOT NULL, bl_enable_autoblock SMALLINT DEFAULT 1 NOT NULL, bl_expiry BLOB NOT NULL,
  bl_deleted SMALLINT DEFAULT 0 NOT NULL, bl_block_email SMALLINT DEFAULT 0 NOT NULL, bl_allow_usertalk SMALLINT DEFAULT 0 NOT NULL,
  bl_parent_block_id INTEGER UNSIGNED DEFAULT NULL, bl_sitewide SMALLINT DEFAULT 1 NOT NULL);
CREATE INDEX bl_timestamp ON block (bl_timestamp);
CREATE INDEX bl_target ON block (bl_target);
CREATE INDEX bl_expiry ON block (bl_expiry);
CREATE INDEX bl_parent_block_id ON block (bl_parent_block_id);
`;
const MIGRATE_BLOCKS = `
INSERT INTO block_target (bt_id, bt_address, bt_user, bt_user_text, bt_auto, bt_range_start, bt_range_end, bt_ip_hex, bt_count)
  SELECT ipb_id, CASE WHEN ipb_user = 0 THEN ipb_address END, NULLIF(ipb_user, 0), CASE WHEN ipb_user <> 0 THEN ipb_address END,
         ipb_auto, NULLIF(ipb_range_start, ''), NULLIF(ipb_range_end, ''),
         CASE WHEN ipb_user = 0 AND ipb_range_start = ipb_range_end THEN ipb_range_start END, 1
  FROM ipblocks;
INSERT INTO block (bl_id, bl_target, bl_by_actor, bl_reason_id, bl_timestamp, bl_anon_only, bl_create_account, bl_enable_autoblock,
                   bl_expiry, bl_deleted, bl_block_email, bl_allow_usertalk, bl_parent_block_id, bl_sitewide)
  SELECT ipb_id, ipb_id, ipb_by_actor, ipb_reason_id, ipb_timestamp, ipb_anon_only, ipb_create_account, ipb_enable_autoblock,
         ipb_expiry, ipb_deleted, ipb_block_email, ipb_allow_usertalk, ipb_parent_block_id, ipb_sitewide
  FROM ipblocks;
`;

const sqliteSkip = await fixtureSkip('sqlite');
describe('a MediaWiki SQLite database', { skip: sqliteSkip }, () => {
  let f: MediaWikiFixture;
  let dir: string;
  let base: Awaited<ReturnType<typeof readAll>>;
  before(async () => {
    f = await createMediaWikiFixture({ kind: 'sqlite' });
    dir = mkdtempSync(join(tmpdir(), 'mwauth-src-'));
    base = await readAll(f.source);
  });
  after(async () => {
    await f?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  /** A copy of the fixture's database, changed by `sql`. */
  const variant = (name: string, sql: string) => {
    const path = join(dir, `${name}.sqlite`);
    copyFileSync(f.source, path);
    const db = new Database(path);
    db.exec(sql);
    db.close();
    return path;
  };

  test('a wrong prefix names the right one (here: none)', async () => {
    assert.equal((await openError(f.source, { prefix: 'mw_' })).message, `${f.source} has no MediaWiki tables with the prefix "mw_", but has some with another prefix: use no prefix`);
  });

  test('MediaWiki before 1.35 (a table without the columns 1.35 added) is refused with what to do', async () => {
    const old = variant('old', 'ALTER TABLE ipblocks DROP COLUMN ipb_sitewide; ALTER TABLE ipblocks DROP COLUMN ipb_by_actor;');
    assert.match((await openError(old)).message, /the table ipblocks lacks ipb_by_actor, ipb_sitewide; MediaWiki 1\.35 or later is needed \(run its update\.php first\)$/);
    const partial = variant('partial', 'DROP TABLE bot_passwords;');
    assert.match((await openError(partial)).message, /is not a complete MediaWiki database without a prefix: missing bot_passwords$/);
  });

  test('1.42: blocks are read from block + block_target, with the same result as from ipblocks', async () => {
    const migrated = variant('v142', BLOCK_TARGET_142 + MIGRATE_BLOCKS);
    const r = await readAll(migrated);
    assert.equal(r.summary.blockSchema, 'block');
    assert.deepEqual(r.accounts, base.accounts);
    assert.deepEqual(r.blocks, base.blocks);
    assert.ok(r.accounts.some((a) => a.blocks.length > 0) && r.blocks.length === 3);
  });

  test('1.42 during the migration (block tables still empty): ipblocks is read', async () => {
    const r = await readAll(variant('v142empty', BLOCK_TARGET_142));
    assert.equal(r.summary.blockSchema, 'ipblocks');
    assert.deepEqual(r.blocks, base.blocks);
  });

  test('1.43 and later (no ipblocks): block + block_target', async () => {
    const r = await readAll(variant('v143', BLOCK_TARGET_142 + MIGRATE_BLOCKS + 'DROP TABLE ipblocks;'));
    assert.equal(r.summary.blockSchema, 'block');
    assert.deepEqual(r.accounts, base.accounts);
    assert.deepEqual(r.blocks, base.blocks);
  });

  test('1.42 temporary accounts (user_is_temp) are marked', async () => {
    const r = await readAll(variant('temp', `ALTER TABLE user ADD COLUMN user_is_temp SMALLINT DEFAULT 0 NOT NULL; UPDATE user SET user_is_temp = 1 WHERE user_name = 'Old A';`));
    assert.deepEqual(r.accounts.filter((a) => a.tempAccount).map((a) => a.name), ['Old A']);
  });

  test('expired groups and blocks are left out; the fingerprint follows', async () => {
    const later = Date.parse('2100-01-01T00:00:00Z');
    const r = await readAll(f.source, { now: () => later });
    const a = new Map(r.accounts.map((x) => [x.name, x]));
    assert.deepEqual(a.get('Legacy A')!.groups, [{ group: 'sysop', expiry: null }]);
    assert.deepEqual(a.get('Argon2i user')!.groups, []);
    assert.deepEqual(a.get('Legacy B')!.blocks, []);
    assert.equal(a.get('Old A')!.blocks.length, 1, 'indefinite');
    assert.deepEqual(r.blocks.map((b) => b.target), ['203.0.113.7', '2001:DB8:1:0:0:0:0:0/48']);
    const before = new Map(base.accounts.map((x) => [x.name, x.fingerprint]));
    assert.notEqual(a.get('Legacy A')!.fingerprint, before.get('Legacy A'));
    assert.equal(a.get('Old A')!.fingerprint, before.get('Old A'));
  });

  test('unreadable bot-password grants or restrictions: told, and the bot password allows nothing', async () => {
    const broken = variant('broken', `UPDATE bot_passwords SET bp_restrictions = '{not json', bp_grants = '"basic"' WHERE bp_app_id = 'restricted';`);
    const problems: ReadProblem[] = [];
    const r = await readAll(broken, { onProblem: (p) => problems.push(p) });
    const bp = r.accounts.find((a) => a.name === 'Legacy B')!.botPasswords[0]!;
    assert.deepEqual({ grants: bp.grants, restrictions: bp.restrictions }, { grants: [], restrictions: { IPAddresses: [] } });
    assert.deepEqual(problems.map((p) => [p.name, p.message]), [
      ['Legacy B', 'bot password restricted: its grants are not readable; imported with none'],
      ['Legacy B', 'bot password restricted: its restrictions are not readable; imported allowing no address'],
    ]);
  });

  test('a change to one account changes its fingerprint only', async () => {
    const changed = variant('changed', `UPDATE user SET user_email = 'new@example.org' WHERE user_name = 'Old A';`);
    const r = await readAll(changed);
    const diff = r.accounts.filter((x, i) => x.fingerprint !== base.accounts[i]!.fingerprint).map((x) => x.name);
    assert.deepEqual(diff, ['Old A']);
  });
});
