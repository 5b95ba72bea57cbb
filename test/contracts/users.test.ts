// The UserStore contract on SQLite, PostgreSQL and MariaDB: names compare exactly (case, accents,
// spaces), one account per name however many ask at once, conditional password updates that cannot
// undo each other, group expiry, ordering and keyset iteration, and bulk writes equal to single ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountUpsert, UserStore } from '../../src/accounts/users.js';
import { COUNT_MARGIN, COUNT_ROLL_AT } from '../../src/storage/sql/users.js';
import { contract, onDatabases, START } from './backends.js';

const account = (name: string, extra: Partial<AccountUpsert> = {}): AccountUpsert => ({
  name,
  email: `${name.toLowerCase().replace(/\W/g, '')}@example.org`,
  emailAuthenticated: null,
  realName: '',
  registration: START - 86400_000,
  passwordHash: `:pbkdf2:hash-of-${name}`,
  temporaryPassword: null,
  fingerprint: null,
  ...extra,
});

contract<UserStore>('UserStore', onDatabases((s) => s.users), (subject) => {
  test('create gives the account back by name, id and address, registered now, with a new 32-digit token', async () => {
    const { store: users } = subject();
    const made = await users.create({ name: 'Alice', email: 'Alice@Example.org', realName: 'Alice A.', passwordHash: 'h1' });
    assert.equal(made.name, 'Alice');
    assert.equal(made.email, 'Alice@Example.org');
    assert.equal(made.realName, 'Alice A.');
    assert.equal(made.password, 'h1');
    assert.equal(made.newPassword, '');
    assert.equal(made.newPassTime, null);
    assert.equal(made.emailAuthenticated, null);
    assert.equal(made.registration, START);
    assert.match(made.token, /^[0-9a-f]{32}$/);
    assert.deepEqual(await users.byName('Alice'), made);
    assert.deepEqual(await users.byId(made.id), made);
    assert.deepEqual(await users.byEmail('alice@example.ORG'), [made], 'the address in any case');
    assert.equal(await users.byId(made.id + 1000), null);
    const temp = await users.create({ name: 'Bob', passwordHash: 'h2', temporaryPasswordHash: 't2' });
    assert.equal(temp.newPassword, 't2');
    assert.equal(temp.newPassTime, START, 'a temporary password is issued now');
    assert.notEqual(temp.token, made.token);
    assert.ok(temp.id > made.id, 'ids grow');
  });

  test('names compare exactly: case, accents, trailing spaces and four-byte characters make other names', async () => {
    const { store: users } = subject();
    const names = ['Alice', 'ALICE', 'AlIce', 'Alice ', 'Álice', 'Alice\u00a0', 'Al\u0131ce', 'Alice 😀', 'Alice 😁', '\u0627\u0644\u064a\u0633'];
    for (const name of names) await users.create({ name, passwordHash: 'h' });
    for (const name of names) assert.equal((await users.byName(name))?.name, name, JSON.stringify(name));
    assert.equal(await users.byName('alice'), null);
    assert.equal(await users.byName('Alice  '), null);
    assert.equal(await users.count(), names.length);
  });

  test('count is exact past its mark: bulk writes, replacements, single creations, concurrent counts, failed creations', async () => {
    const { store: users, db } = subject();
    const mark = async () => {
      const r = await db!.selectFrom('user_count').select(['uc_through', 'uc_users']).executeTakeFirstOrThrow();
      return { through: Number(r.uc_through), users: Number(r.uc_users) };
    };
    const real = async () => Number((await db!.selectFrom('user').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    assert.equal(await users.count(), 0);
    const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => account(`Count ${from + i}`));
    await users.upsertMany(many(0, COUNT_ROLL_AT - 1));
    assert.equal(await users.count(), COUNT_ROLL_AT - 1);
    assert.deepEqual(await mark(), { through: 0, users: 0 }, 'below the threshold the mark stays');
    await users.upsertMany(many(COUNT_ROLL_AT - 1, COUNT_ROLL_AT));
    assert.equal(await users.count(), 2 * COUNT_ROLL_AT - 1, 'the count that moves the mark is still exact');
    const moved = await mark();
    assert.ok(moved.through > 0 && moved.users > 0, 'the mark moved');
    assert.equal(moved.users, Number((await db!.selectFrom('user').select((eb) => eb.fn.countAll().as('n')).where('user_id', '<=', moved.through).executeTakeFirstOrThrow()).n));
    assert.ok((await real()) - moved.users >= COUNT_MARGIN, 'the newest ids stay above the mark');
    // Replacing accounts, a taken name, and new ones one at a time: each counted once.
    await users.upsertMany(many(0, 500).map((a) => ({ ...a, email: 'replaced@example.org' })));
    await assert.rejects(users.create({ name: 'Count 7', passwordHash: 'h' }));
    for (let i = 0; i < 5; i++) await users.create({ name: `Single ${i}`, passwordHash: 'h' });
    assert.equal(await users.count(), await real());
    // Counts at once, each moving the mark (or finding it moved): all exact, the mark moved once.
    await users.upsertMany(many(10_000, COUNT_ROLL_AT + 10));
    const before = await mark();
    const counts = await Promise.all(Array.from({ length: 8 }, () => users.count()));
    assert.deepEqual(new Set(counts), new Set([await real()]));
    const after = await mark();
    assert.ok(after.through > before.through);
    assert.equal(after.users, Number((await db!.selectFrom('user').select((eb) => eb.fn.countAll().as('n')).where('user_id', '<=', after.through).executeTakeFirstOrThrow()).n));
    assert.equal(await users.count(), await real());
  });

  test('a taken name is refused, in any spelling that is the same text; the first account stays as it was', async () => {
    const { store: users } = subject();
    const first = await users.create({ name: 'Carol', email: 'carol@example.org', passwordHash: 'h1' });
    await assert.rejects(users.create({ name: 'Carol', email: 'other@example.org', passwordHash: 'h2' }));
    assert.deepEqual(await users.byName('Carol'), first);
    assert.equal(await users.count(), 1);
  });

  test('20 creations of one name at once make exactly one account', async () => {
    const { store: users } = subject();
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => users.create({ name: 'Dora', email: `d${i}@example.org`, passwordHash: `h${i}` })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal(await users.count(), 1);
    const won = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<UserStore['create']>>>;
    assert.deepEqual(await users.byName('Dora'), won.value);
  });

  test('byEmail gives every account of an address, oldest first; confusableWith finds look-alike names', async () => {
    const { store: users } = subject();
    const a = await users.create({ name: 'Erin', email: 'shared@example.org', passwordHash: 'h' });
    await users.create({ name: 'Frank', email: 'other@example.org', passwordHash: 'h' });
    const b = await users.create({ name: 'Gus', email: 'SHARED@example.org', passwordHash: 'h' });
    assert.deepEqual((await users.byEmail('Shared@Example.org')).map((u) => u.id), [a.id, b.id]);
    assert.deepEqual(await users.byEmail('nobody@example.org'), []);
    await users.create({ name: '\u0415rin', passwordHash: 'h' });
    assert.deepEqual(await users.confusableWith('Erin'), ['Erin', '\u0415rin']);
    assert.deepEqual(await users.confusableWith('Nobody'), []);
    // The same answer under the look-alike group's lock, as often as it is taken.
    assert.deepEqual(await users.lockConfusable('\u0395rin'), ['Erin', '\u0415rin']);
    assert.deepEqual(await users.lockConfusable('Erin'), ['Erin', '\u0415rin']);
    assert.deepEqual(await users.lockConfusable('Nobody'), []);
  });

  test('list, after and count: by id; keyset iteration gives every account exactly once', async () => {
    const { store: users } = subject();
    const ids: number[] = [];
    for (let i = 0; i < 25; i++) ids.push((await users.create({ name: `User ${String(i).padStart(2, '0')}`, passwordHash: 'h' })).id);
    assert.equal(await users.count(), 25);
    assert.deepEqual((await users.list({ limit: 5, offset: 10 })).map((u) => u.id), ids.slice(10, 15));
    const seen: number[] = [];
    for (let after = 0; ; ) {
      const page = await users.after(after, 7);
      if (page.length === 0) break;
      seen.push(...page.map((u) => u.id));
      after = page[page.length - 1]!.id;
    }
    assert.deepEqual(seen, ids);
  });

  test('setPassword: a new hash, the temporary password and cooldown gone, a new token; nothing of other accounts', async () => {
    const { store: users } = subject();
    const u = await users.create({ name: 'Hana', passwordHash: 'old', temporaryPasswordHash: 'temp' });
    const other = await users.create({ name: 'Ivo', passwordHash: 'x', temporaryPasswordHash: 'y' });
    await users.setPassword(u.id, 'new');
    const after = (await users.byId(u.id))!;
    assert.deepEqual([after.password, after.newPassword, after.newPassTime], ['new', '', null]);
    assert.notEqual(after.token, u.token);
    assert.deepEqual(await users.byId(other.id), other);
    const token = await users.rotateToken(u.id);
    assert.match(token, /^[0-9a-f]{32}$/);
    assert.equal((await users.byId(u.id))!.token, token);
  });

  test('replacePasswordHash only while the stored hash is the one expected, and changes nothing else', async () => {
    const { store: users } = subject();
    const u = await users.create({ name: 'Jo', passwordHash: 'md5-hash', temporaryPasswordHash: 't' });
    assert.equal(await users.replacePasswordHash(u.id, 'wrong', 'pbkdf2-hash'), false);
    assert.equal(await users.replacePasswordHash(u.id, 'md5-hash', 'pbkdf2-hash'), true);
    assert.deepEqual(await users.byId(u.id), { ...u, password: 'pbkdf2-hash' });
    assert.equal(await users.replacePasswordHash(u.id, 'md5-hash', 'again'), false, 'a second upgrade from the old hash');
    // The same hash again still counts as done (a row that matched, even if nothing changed).
    assert.equal(await users.replacePasswordHash(u.id, 'pbkdf2-hash', 'pbkdf2-hash'), true);
  });

  test('setTemporaryPassword: issued now; with ifNewPassTime only while the last one is that one; 10 at once, one wins', async () => {
    const { store: users, clock } = subject();
    const u = await users.create({ name: 'Kai', passwordHash: 'h' });
    clock.advance(1000);
    assert.equal(await users.setTemporaryPassword(u.id, 't1', 12345), false, 'it has none of that time');
    assert.equal(await users.setTemporaryPassword(u.id, 't1', null), true);
    const t1 = (await users.byId(u.id))!;
    assert.deepEqual([t1.newPassword, t1.newPassTime, t1.token], ['t1', START + 1000, u.token], 'the token stays');
    clock.advance(1000);
    assert.equal(await users.setTemporaryPassword(u.id, 't2', null), false, 'it has one now');
    const tries = await Promise.all(Array.from({ length: 10 }, (_, i) => users.setTemporaryPassword(u.id, `r${i}`, START + 1000)));
    assert.equal(tries.filter(Boolean).length, 1, 'exactly one of the racing requests');
    const won = tries.indexOf(true);
    assert.equal((await users.byId(u.id))!.newPassword, `r${won}`);
    assert.equal(await users.setTemporaryPassword(u.id, 'forced'), true, 'without a condition it always sets');
    assert.equal(await users.setTemporaryPassword(u.id + 1000, 'nobody'), false);
  });

  test('setEmail: a new address, unconfirmed, found by it', async () => {
    const { store: users } = subject();
    const u = await users.create({ name: 'Lea', email: 'old@example.org', passwordHash: 'h' });
    await users.setEmail(u.id, 'New@Example.org');
    assert.deepEqual((await users.byEmail('new@example.org')).map((x) => x.id), [u.id]);
    assert.deepEqual(await users.byEmail('old@example.org'), []);
  });

  test('groups: sorted, added once, removed; an expired membership no longer counts', async () => {
    const { store: users, clock } = subject();
    const u = await users.create({ name: 'Max', passwordHash: 'h' });
    await users.addGroup(u.id, 'sysop');
    await users.addGroup(u.id, 'bot', START + 10_000);
    await users.addGroup(u.id, 'sysop');
    assert.deepEqual(await users.groups(u.id), ['bot', 'sysop']);
    assert.deepEqual(await users.membershipsOf([u.id]), new Map([[u.id, [{ group: 'bot', expiry: START + 10_000 }, { group: 'sysop', expiry: null }]]]));
    clock.advance(10_000);
    assert.deepEqual(await users.groups(u.id), ['sysop'], 'the bot membership ended at its expiry');
    await users.addGroup(u.id, 'bot', null);
    assert.deepEqual(await users.groups(u.id), ['bot', 'sysop'], 'added again, without an end');
    await users.removeGroup(u.id, 'sysop');
    await users.removeGroup(u.id, 'never');
    assert.deepEqual(await users.groups(u.id), ['bot']);
    assert.deepEqual(await users.groups(u.id + 1000), []);
  });

  test('view: the account, its groups in force (sorted) and its language preference, in one read; null for no account', async () => {
    const { store: users, clock, stores } = subject();
    const u = await users.create({ name: 'Vera', email: 'vera@example.org', passwordHash: 'h' });
    const other = await users.create({ name: 'Walt', passwordHash: 'h' });
    assert.deepEqual(await users.view(u.id), { user: await users.byId(u.id), groups: [], language: null });
    await users.addGroup(u.id, 'sysop');
    await users.addGroup(u.id, 'bot', START + 10_000);
    await users.addGroup(u.id, 'bureaucrat');
    await users.addGroup(other.id, 'interface-admin');
    await stores!.preferences.set(u.id, 'language', 'ar');
    await stores!.preferences.set(u.id, 'gender', 'female');
    await stores!.preferences.set(other.id, 'language', 'fr');
    let v = (await users.view(u.id))!;
    assert.deepEqual(v.user, await users.byId(u.id));
    assert.deepEqual(v.groups, ['bot', 'bureaucrat', 'sysop']);
    assert.equal(v.language, 'ar');
    clock.advance(10_000);
    await stores!.preferences.set(u.id, 'language', null);
    v = (await users.view(u.id))!;
    assert.deepEqual(v.groups, await users.groups(u.id));
    assert.deepEqual(v.groups, ['bureaucrat', 'sysop'], 'the bot membership ended at its expiry');
    assert.equal(v.language, null);
    assert.deepEqual((await users.view(other.id))!.groups, ['interface-admin']);
    assert.equal((await users.view(other.id))!.language, 'fr');
    assert.equal(await users.view(other.id + 1000), null);
    assert.equal(await users.view(0), null);
  });

  test('byNames: the existing accounts among the names, matched exactly, with their import fingerprint', async () => {
    const { store: users } = subject();
    const made = await users.create({ name: 'Nia', passwordHash: 'h' });
    await users.upsertMany([account('Omar', { fingerprint: 'f'.repeat(64) })]);
    const found = await users.byNames(['Nia', 'nia', 'Omar', 'Omar ', 'Nobody', 'Nia']);
    assert.deepEqual([...found.keys()].sort(), ['Nia', 'Omar']);
    assert.deepEqual(found.get('Nia'), { id: made.id, name: 'Nia', fingerprint: null });
    assert.equal(found.get('Omar')!.fingerprint, 'f'.repeat(64));
    assert.deepEqual(await users.byNames([]), new Map());
  });

  test('upsertMany creates and replaces by name; a replaced account keeps its id and gets a new token', async () => {
    const { store: users } = subject();
    const kept = await users.create({ name: 'Pia', email: 'pia@example.org', passwordHash: 'h-pia' });
    const ids = await users.upsertMany([
      account('Quinn', { temporaryPassword: { hash: 'tq', issued: START - 1000 }, emailAuthenticated: START - 5000, realName: 'Q' }),
      account('Pia', { passwordHash: 'imported', fingerprint: 'a'.repeat(64) }),
    ]);
    assert.equal(ids.get('Pia'), kept.id);
    const pia = (await users.byId(kept.id))!;
    assert.equal(pia.password, 'imported');
    assert.notEqual(pia.token, kept.token, 'sessions of the replaced account end');
    const quinn = (await users.byName('Quinn'))!;
    assert.equal(quinn.id, ids.get('Quinn'));
    assert.deepEqual(
      { ...quinn, id: 0, token: '' },
      {
        id: 0, token: '', name: 'Quinn', email: 'quinn@example.org', emailAuthenticated: START - 5000, realName: 'Q', registration: START - 86400_000,
        password: ':pbkdf2:hash-of-Quinn', newPassword: 'tq', newPassTime: START - 1000, editCount: null, system: false, tempAccount: false, provenance: null,
      },
    );
    assert.deepEqual(await users.byEmail('QUINN@example.org'), [quinn], 'found by address like any account');
    assert.deepEqual(await users.confusableWith('Quinn'), ['Quinn'], 'and by its name skeleton');
  });

  test('upsertMany: a name given twice keeps its last entry; the result equals one upsert per account', async () => {
    const { store: users } = subject();
    const batch = Array.from({ length: 30 }, (_, i) => account(`Bulk ${i}`, { realName: `R${i}` }));
    const ids = await users.upsertMany([...batch, account('Bulk 3', { realName: 'last' })]);
    assert.equal(ids.size, 30);
    assert.equal((await users.byName('Bulk 3'))!.realName, 'last');
    const single: Record<string, unknown> = {};
    for (const a of batch) {
      const got = (await users.byName(a.name))!;
      single[a.name] = { ...got, id: 0, token: '' };
    }
    // The same accounts again, one statement each: the same rows.
    for (const a of batch) await users.upsertMany([a.name === 'Bulk 3' ? { ...a, realName: 'last' } : a]);
    for (const a of batch) assert.deepEqual({ ...(await users.byName(a.name))!, id: 0, token: '' }, single[a.name]);
    assert.equal(await users.count(), 30);
  });

  test('upsertMany keeps what an import brings: edit count, system and temporary marks, and where it came from, when', async () => {
    const { store: users, clock } = subject();
    await users.upsertMany([
      account('Rhea', { editCount: 1234, system: true, tempAccount: false, importSource: 'MediaWiki /srv/wiki.sqlite', importSourceId: 42 }),
      account('~2026-1', { editCount: 0, tempAccount: true, importSource: 'file /tmp/x.jsonl', importSourceId: 7 }),
    ]);
    const rhea = (await users.byName('Rhea'))!;
    assert.deepEqual([rhea.editCount, rhea.system, rhea.tempAccount], [1234, true, false]);
    assert.deepEqual(rhea.provenance, { source: 'MediaWiki /srv/wiki.sqlite', sourceId: 42, imported: START });
    const temp = (await users.byName('~2026-1'))!;
    assert.deepEqual([temp.editCount, temp.system, temp.tempAccount, temp.provenance?.sourceId], [0, false, true, 7]);
    clock.advance(5000);
    await users.upsertMany([account('Rhea', { editCount: 1235, importSource: 'MediaWiki /srv/wiki.sqlite', importSourceId: 42 })]);
    const again = (await users.byName('Rhea'))!;
    assert.deepEqual([again.editCount, again.system, again.provenance?.imported], [1235, false, START + 5000]);
    const made = await users.create({ name: 'Sol', passwordHash: 'h' });
    assert.deepEqual([made.editCount, made.system, made.tempAccount, made.provenance], [null, false, false, null], 'an account made here has none');
  });

  test('byIds gives the accounts that exist among the ids, by id', async () => {
    const { store: users } = subject();
    const a = await users.create({ name: 'Tia', passwordHash: 'h' });
    const b = await users.create({ name: 'Uma', passwordHash: 'h' });
    assert.deepEqual(await users.byIds([b.id, a.id + 1000, a.id, b.id]), [a, b]);
    assert.deepEqual(await users.byIds([]), []);
  });

  test('membershipsOf leaves expired memberships out, unless asked for them', async () => {
    const { store: users, clock } = subject();
    const a = await users.create({ name: 'Vera', passwordHash: 'h' });
    await users.replaceGroups(new Map([[a.id, [{ group: 'sysop', expiry: null }, { group: 'bot', expiry: START + 1000 }]]]));
    clock.advance(2000);
    assert.deepEqual((await users.membershipsOf([a.id])).get(a.id), [{ group: 'sysop', expiry: null }]);
    assert.deepEqual((await users.membershipsOf([a.id], { withExpired: true })).get(a.id), [{ group: 'bot', expiry: START + 1000 }, { group: 'sysop', expiry: null }]);
  });

  test('replaceGroups replaces the groups of the accounts given, and of no other', async () => {
    const { store: users } = subject();
    const a = await users.create({ name: 'Ravi', passwordHash: 'h' });
    const b = await users.create({ name: 'Sami', passwordHash: 'h' });
    await users.addGroup(a.id, 'sysop');
    await users.addGroup(b.id, 'bot');
    await users.replaceGroups(new Map([[a.id, [{ group: 'bureaucrat', expiry: null }, { group: 'bot', expiry: START + 1 }]]]));
    assert.deepEqual(await users.groups(a.id), ['bot', 'bureaucrat']);
    assert.deepEqual(await users.groups(b.id), ['bot']);
    await users.replaceGroups(new Map([[a.id, []]]));
    assert.deepEqual(await users.groups(a.id), []);
  });
});
