// `mwauth import mediawiki` on a real wiki made by MediaWiki 1.39 (SQLite; test/import/mediawiki-fixture.ts),
// into the database of a running mwauth server, then used through its API: everything carried over as
// MediaWiki stored it, every password format logs in and is upgraded at its first login, :null: accounts
// only after a reset, bot passwords, blocks; a dry run; a second run writes nothing; changes made in the
// wiki since are taken, and names made or changed on both sides are reported, not merged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readAccountsById } from '../../src/accounts/bulk.js';
import { DEFAULT_PBKDF2_ITERATIONS } from '../../src/auth/passwords.js';
import { accountRecord, normalizeAccount, normalizeAddressBlock, addressBlockRecord } from '../../src/import/convert.js';
import { WHY } from '../../src/import/importer.js';
import { MediaWikiReader } from '../../src/import/mediawiki/reader.js';
import type { AccountRecord, AddressBlockRecord } from '../../src/import/record.js';
import { Client, addUser, readMails, startTestServer, type TestServer } from '../helpers/harness.js';
import { runCli, type CliResult } from '../helpers/process.js';
import { ADMIN, BOT_PASSWORD, createMediaWikiFixture, fixtureSkip, NULL_PASSWORD_USER, PASSWORD_FORMATS, type MediaWikiFixture } from './mediawiki-fixture.js';

const skip = await fixtureSkip('sqlite');
const CURRENT = new RegExp(`^:pbkdf2:sha512:${DEFAULT_PBKDF2_ITERATIONS}:64:`);

let fixture: MediaWikiFixture;
let srv: TestServer;
before(async () => {
  if (skip) return;
  [fixture, srv] = await Promise.all([createMediaWikiFixture({ kind: 'sqlite' }), startTestServer()]);
});
after(async () => {
  await srv?.close();
  await fixture?.close();
});

const cli = (...args: string[]) => runCli(args, { MWAUTH_DATA_DIR: srv.dataDir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' });

function ok(r: CliResult): string {
  assert.equal(r.code, 0, `exit 0 expected; stderr: ${r.stderr}`);
  return r.stdout;
}

async function readSource(): Promise<{ accounts: AccountRecord[]; blocks: AddressBlockRecord[] }> {
  const reader = await MediaWikiReader.open(fixture.source);
  const accounts: AccountRecord[] = [];
  const blocks: AddressBlockRecord[] = [];
  for await (const a of reader.accounts()) accounts.push(a);
  for await (const b of reader.addressBlocks()) blocks.push(b);
  await reader.close();
  return { accounts, blocks };
}

async function login(name: string, password: string): Promise<string> {
  return (await new Client(srv.api).login(name, password)).result;
}

async function clientLogin(name: string, password: string): Promise<any> {
  const c = new Client(srv.api);
  const logintoken = await c.token('login');
  return (await c.post({ action: 'clientlogin', username: name, password, loginreturnurl: 'http://wiki.test/', logintoken })).json.clientlogin;
}

/** Changes the fixture's SQLite database directly (what MediaWiki's own code would have written). */
function wikiSql(sql: string): void {
  const db = new Database(fixture.source);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe('import mediawiki (SQLite wiki) into a running server', { skip }, () => {
  let source: Awaited<ReturnType<typeof readSource>>;

  test('a dry run reads and checks everything, says what it would do, and writes nothing', async () => {
    source = await readSource();
    const out = ok(await cli('import', 'mediawiki', fixture.source, '--dry-run'));
    assert.match(out, new RegExp(`^accounts: ${source.accounts.length} would be created, 0 would be updated, 0 unchanged, 0 skipped$`, 'm'));
    assert.match(out, new RegExp(`^address blocks: ${source.blocks.length} would be created`, 'm'));
    assert.match(out, /^dry run: nothing was written$/m);
    assert.equal(await srv.services.stores.users.count(), 0);
    assert.deepEqual(await srv.services.stores.blocks.list(), []);
  });

  test('the import copies every account, group, bot password, block and preference exactly as MediaWiki stored it', async () => {
    const r = await cli('import', 'mediawiki', fixture.source);
    const out = ok(r);
    assert.match(out, new RegExp(`^accounts: ${source.accounts.length} created, 0 updated, 0 unchanged, 0 skipped$`, 'm'));
    assert.match(out, new RegExp(`^address blocks: ${source.blocks.length} created, 0 updated, 0 unchanged, 0 skipped, 0 lifted$`, 'm'));
    assert.match(r.stderr, /^import: 100 % \(\d+\/\d+ records\), [\d,]+\/s, done$/m, 'a progress line (no terminal)');
    assert.doesNotMatch(r.stdout + r.stderr, /:pbkdf2:|:bcrypt:|:argon2:|\$2y\$/, 'no hash is printed');

    const s = srv.services;
    for (const rec of source.accounts) {
      const u = (await s.users.byName(rec.name))!;
      assert.ok(u, rec.name);
      const [read] = await readAccountsById(s.stores, [u.id], { withExpired: true });
      // What mwauth holds, as a record, is MediaWiki's record: hashes exactly as stored included.
      assert.deepEqual(accountRecord(read!, null), normalizeAccount(rec), rec.name);
      assert.equal(u.password, rec.password);
      assert.deepEqual(u.provenance && { source: u.provenance.source, sourceId: u.provenance.sourceId }, { source: `MediaWiki ${fixture.source}`, sourceId: rec.sourceId });
    }
    for (const b of source.blocks) {
      const [stored] = (await s.stores.blocks.ofAddresses([b.target])).values();
      assert.deepEqual(addressBlockRecord(stored!), normalizeAddressBlock(b), b.target);
    }
    // A few fields by hand, as the fixture made them.
    const byName = new Map(source.accounts.map((a) => [a.name, a]));
    assert.equal((await s.users.byName('Salted B'))!.editCount, 2);
    assert.equal((await s.users.byName('Argon2id user'))!.realName, 'Ärgon Zwei Id');
    assert.deepEqual((await s.users.membershipsOf([(await s.users.byName('Legacy A'))!.id])).get((await s.users.byName('Legacy A'))!.id), [
      { group: 'bureaucrat', expiry: Date.UTC(2099, 11, 31, 23, 59, 59) },
      { group: 'sysop', expiry: null },
    ]);
    assert.deepEqual(await s.preferences.get((await s.users.byName('Bcrypt user'))!.id), { disablemail: '1', language: 'ar' });
    assert.equal((await s.users.byName('Bcrypt user'))!.email, 'Bcrypt@Example.ORG');
    const legacyB = (await s.users.byName('Legacy B'))!;
    const bp = (await s.stores.botPasswords.listMany([legacyB.id])).get(legacyB.id)![0]!;
    assert.deepEqual([bp.appId, bp.grants, bp.restrictions], ['restricted', ['basic', 'highvolume'], { IPAddresses: ['192.0.2.0/24', '2001:db8::/32'] }]);
    assert.equal((await s.users.byName('Legacy A'))!.newPassword, byName.get('Legacy A')!.temporaryPassword!.hash);
    assert.equal((await s.blocks.find(0, '203.0.113.7'))?.reason, 'fixture: one address');
    assert.ok((await s.stores.blocks.ofAddresses(['198.51.100.0/24'])).size === 1, 'the range block is there');
  });

  test('every password format logs in through the API with its MediaWiki password, and is upgraded at the first login', async () => {
    const s = srv.services;
    for (const f of [...PASSWORD_FORMATS, { name: ADMIN.name, password: ADMIN.password, type: 'pbkdf2' }]) {
      const stored = (await s.users.byName(f.name))!.password;
      assert.equal(await login(f.name, `${f.password}x`), 'Failed', `${f.name}: a wrong password`);
      assert.equal((await s.users.byName(f.name))!.password, stored);
      assert.equal(await login(f.name, f.password), 'Success', `${f.name} (${f.type})`);
      const now = (await s.users.byName(f.name))!.password;
      assert.match(now, CURRENT, f.name);
      if (s.hasher.needsRehash(stored)) assert.notEqual(now, stored, `${f.name}: rehashed`);
      else assert.equal(now, stored, `${f.name}: already current, left as it is`);
      assert.equal(await login(f.name, f.password), 'Success', `${f.name}: again, on the new hash`);
    }
  });

  test('the temporary password MediaWiki mailed still works (a forced change follows)', async () => {
    const r = await clientLogin('Legacy A', fixture.temporaryPasswords['Legacy A']!);
    assert.equal(r.status, 'UI', JSON.stringify(r));
  });

  test('a :null: account logs in with no password at all, and then only after a password reset by email', async () => {
    const s = srv.services;
    for (const pw of [NULL_PASSWORD_USER.password, '', ':null:']) assert.equal(await login(NULL_PASSWORD_USER.name, pw), 'Failed');
    const u = (await s.users.byName(NULL_PASSWORD_USER.name))!;
    await s.users.setEmail(u.id, 'null-user@example.org');
    const before = (await readMails(srv.mailDir)).length;
    const c = new Client(srv.api);
    const reset = await c.post({ action: 'resetpassword', user: NULL_PASSWORD_USER.name, token: await c.token() });
    assert.equal(reset.json?.resetpassword?.status, 'success', reset.text);
    await srv.flush();
    const mail = (await readMails(srv.mailDir)).slice(before).find((m) => m.to.includes('null-user@example.org'));
    assert.ok(mail?.tempPassword, 'a reset mail with a temporary password');
    assert.equal((await clientLogin(NULL_PASSWORD_USER.name, mail.tempPassword)).status, 'UI');
  });

  test('bot passwords log in as Name@appid, only from the addresses the wiki restricted them to', async () => {
    const bl = await new Client(srv.api).login('Pbkdf2 default@cli', BOT_PASSWORD);
    assert.equal(bl.result, 'Success', JSON.stringify(bl));
    assert.equal(await login('Pbkdf2 default@cli', BOT_PASSWORD.replace(/.$/, 'x')), 'Failed');
    // Legacy B's is restricted to 192.0.2.0/24 and 2001:db8::/32 in the wiki: not from here (127.0.0.1).
    const restricted = await new Client(srv.api).login('Legacy B@restricted', BOT_PASSWORD);
    const wrong = await new Client(srv.api).login('Legacy B@restricted', BOT_PASSWORD.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')));
    assert.equal(restricted.result, 'Failed');
    assert.deepEqual(restricted, wrong, 'answered as a wrong password, as MediaWiki does');
  });

  test('a blocked account is refused what a block stops (a password reset), an unblocked one is not', async () => {
    // Old A was blocked by blockUsers.php (account creation too: such a block also stops resets).
    const blocked = new Client(srv.api);
    assert.equal((await blocked.login('Old A', 'Fixture-Old-A-Pass-3!')).result, 'Success');
    const r = await blocked.post({ action: 'resetpassword', user: 'Old A', token: await blocked.token() });
    assert.match(r.json?.error?.code ?? '', /blocked/, r.text);
    const free = new Client(srv.api);
    assert.equal((await free.login('Salted B', 'Fixture-Salted-B-Pass-4!')).result, 'Success');
    const r2 = await free.post({ action: 'resetpassword', user: 'Salted B', token: await free.token() });
    assert.equal(r2.json?.resetpassword?.status, 'success', r2.text);
  });

  test('a second run writes nothing: every account unchanged (also those upgraded at their login since)', async () => {
    const tokenBefore = (await srv.services.users.byName('Admin'))!.token;
    const out = ok(await cli('import', 'mediawiki', fixture.source));
    assert.match(out, new RegExp(`^accounts: 0 created, 0 updated, ${source.accounts.length} unchanged, 0 skipped$`, 'm'));
    assert.match(out, new RegExp(`^address blocks: 0 created, 0 updated, ${source.blocks.length} unchanged, 0 skipped, 0 lifted$`, 'm'));
    assert.equal((await srv.services.users.byName('Admin'))!.token, tokenBefore, 'sessions live on');
  });

  test('changes made in the wiki since are taken; a name made here, or changed on both sides, is reported and left alone', async () => {
    const s = srv.services;
    // In the wiki: a new password (Admin), a new address and a removed group (Pbkdf2 default), a new block
    // (No password), a new account, a new address block, a lifted range block, and a new address for
    // Old A, whose hash mwauth upgraded at its login (changed on both sides); and an account of a name
    // mwauth has too.
    await fixture.maintenance('changePassword', ['--user', ADMIN.name, '--password', 'Fixture-New-Admin-Pass-11!']);
    await fixture.maintenance('resetUserEmail', ['--no-reset-password', 'Pbkdf2 default', 'new-pbkdf2@example.org']);
    await fixture.maintenance('blockUsers', ['--performer', ADMIN.name, '--reason', 'fixture: blocked later'], { input: 'No password\n192.0.2.77\n' });
    await fixture.maintenance('blockUsers', ['--performer', ADMIN.name, '--unblock'], { input: '198.51.100.0/24\n' });
    await fixture.maintenance('resetUserEmail', ['--no-reset-password', 'Old A', 'old-a@example.org']);
    await fixture.maintenance('createAndPromote', ['New wiki user', 'Fixture-New-User-Pass-12!']);
    await fixture.maintenance('createAndPromote', ['Clash user', 'Fixture-Clash-Pass-13!']);
    wikiSql(`DELETE FROM user_groups WHERE ug_group = 'bot' AND ug_user = (SELECT user_id FROM user WHERE user_name = 'Pbkdf2 default')`);
    await addUser(s, 'Clash user', 'Made-Here-Pass-14!');
    const adminHash = (await s.users.byName('Admin'))!.password;

    const dry = ok(await cli('import', 'mediawiki', fixture.source, '--dry-run'));
    assert.match(dry, /^accounts: 1 would be created, 3 would be updated, \d+ unchanged, 2 skipped$/m);
    assert.equal((await s.users.byName('Admin'))!.password, adminHash, 'the dry run wrote nothing');
    assert.equal(await s.users.byName('New wiki user'), null);

    const out = ok(await cli('import', 'mediawiki', fixture.source));
    assert.match(out, new RegExp(`^accounts: 1 created, 3 updated, ${source.accounts.length - 4} unchanged, 2 skipped$`, 'm'));
    assert.match(out, new RegExp(`^address blocks: 1 created, 0 updated, ${source.blocks.length - 1} unchanged, 0 skipped, 1 lifted$`, 'm'));
    assert.ok(out.includes(`skipped account "Clash user" (source id `) && out.includes(WHY.madeHere), out);
    assert.ok(out.includes(`skipped account "Old A" (source id `) && out.includes(WHY.changedBothSides), out);

    assert.equal(await login(ADMIN.name, 'Fixture-New-Admin-Pass-11!'), 'Success');
    assert.equal(await login(ADMIN.name, ADMIN.password), 'Failed');
    const pb = (await s.users.byName('Pbkdf2 default'))!;
    assert.equal(pb.email, 'new-pbkdf2@example.org');
    assert.ok(!(await s.users.groups(pb.id)).includes('bot'), 'the group removed in the wiki is gone');
    const now = new Map((await readSource()).accounts.map((a) => [a.name, a]));
    for (const name of [ADMIN.name, 'Pbkdf2 default', 'No password', 'New wiki user']) {
      const [read] = await readAccountsById(s.stores, [(await s.users.byName(name))!.id], { withExpired: true });
      assert.deepEqual(accountRecord(read!, null), normalizeAccount(now.get(name)!), `${name}: as the wiki has it now`);
    }
    assert.equal((await s.blocks.find((await s.users.byName('No password'))!.id, '127.0.0.1'))?.reason, 'fixture: blocked later');
    assert.equal((await s.blocks.find(0, '192.0.2.77'))?.reason, 'fixture: blocked later');
    assert.equal((await s.stores.blocks.ofAddresses(['198.51.100.0/24'])).size, 0, 'lifted in the wiki, lifted here');
    assert.equal(await login('New wiki user', 'Fixture-New-User-Pass-12!'), 'Success');
    assert.equal(await login('Clash user', 'Made-Here-Pass-14!'), 'Success', "mwauth's own account is untouched");
    assert.equal(await login('Clash user', 'Fixture-Clash-Pass-13!'), 'Failed');
    assert.notEqual((await s.users.byName('Old A'))!.email, 'old-a@example.org');
  });
});

