// The BotPasswordStore contract on SQLite, PostgreSQL and MariaDB: per account and app id (exact),
// replacing one, invalidating all of an account's, impossible app ids answered alike everywhere, and
// bulk writes equal to single ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BotPasswordStore } from '../../src/auth/botpasswords.js';
import { contract, onDatabases, START } from './backends.js';

contract<BotPasswordStore>('BotPasswordStore', onDatabases((s) => s.botPasswords), (subject) => {
  test('set, get, token, list and remove; app ids compare exactly', async () => {
    const { store: bots, clock } = subject();
    await bots.set(1, 'backup', 'hash-1', ['basic', 'highvolume']);
    clock.advance(10);
    await bots.set(1, 'Backup', 'hash-2', []);
    await bots.set(2, 'backup', 'hash-3', ['basic']);
    const got = (await bots.get(1, 'backup'))!;
    assert.deepEqual({ ...got, token: '' }, { userId: 1, appId: 'backup', grants: ['basic', 'highvolume'], token: '', created: START, valid: true, hash: 'hash-1', restrictions: null });
    assert.match(got.token, /^[0-9a-f]{32}$/);
    assert.equal(await bots.token(1, 'backup'), got.token);
    assert.equal((await bots.get(1, 'Backup'))!.hash, 'hash-2');
    assert.equal(await bots.get(1, 'BACKUP'), null);
    assert.equal(await bots.get(3, 'backup'), null);
    assert.deepEqual((await bots.list(1)).map((b) => [b.appId, b.created]), [['Backup', START + 10], ['backup', START]], 'by app id');
    assert.ok(!('hash' in (await bots.list(1))[0]!), 'a list shows no hash');
    assert.equal(await bots.remove(1, 'backup'), true);
    assert.equal(await bots.remove(1, 'backup'), false);
    assert.equal(await bots.get(1, 'backup'), null);
    assert.ok(await bots.get(2, 'backup'), 'another account\'s bot password of that name stays');
  });

  test('setting it again replaces the hash, grants and token', async () => {
    const bots = subject().store;
    await bots.set(4, 'app', 'old', ['basic']);
    const before = (await bots.get(4, 'app'))!;
    await bots.set(4, 'app', 'new', ['editpage']);
    const after = (await bots.get(4, 'app'))!;
    assert.deepEqual([after.hash, after.grants], ['new', ['editpage']]);
    assert.notEqual(after.token, before.token);
    assert.equal((await bots.list(4)).length, 1);
  });

  test('invalidateAll voids every bot password of the account with a new token, and no other account\'s', async () => {
    const bots = subject().store;
    await bots.set(5, 'a', 'ha', []);
    await bots.set(5, 'b', 'hb', []);
    await bots.set(6, 'a', 'hc', []);
    const before = await bots.token(5, 'a');
    await bots.invalidateAll(5);
    for (const app of ['a', 'b']) {
      const b = (await bots.get(5, app))!;
      assert.equal(b.valid, false);
      assert.notEqual(b.hash, `h${app}`, 'the hash is gone');
    }
    assert.notEqual(await bots.token(5, 'a'), before);
    assert.equal((await bots.get(6, 'a'))!.valid, true);
  });

  test('an app id no bot password can have is answered "none" without an error, the same everywhere', async () => {
    const bots = subject().store;
    for (const app of ['', 'a\u0000b', 'x'.repeat(33), '\ud800', 'tab\there']) {
      assert.equal(await bots.get(1, app), null, JSON.stringify(app));
      assert.equal(await bots.token(1, app), null);
      assert.equal(await bots.remove(1, app), false);
    }
  });

  test('bulk: replaceMany keeps hashes, grants, times and restrictions as given; listMany equals list and get', async () => {
    const { store: bots } = subject();
    await bots.set(7, 'old', 'h-old', []);
    await bots.set(8, 'keep', 'h-keep', []);
    await bots.replaceMany(new Map([
      [7, [
        { appId: 'backup', hash: ':pbkdf2:imported', grants: ['basic'], restrictions: { IPAddresses: ['192.0.2.0/24'] }, created: START - 5000 },
        { appId: 'stats', hash: ':B:salt:hex', grants: [], restrictions: null },
      ]],
      [9, []],
    ]));
    assert.deepEqual((await bots.list(7)).map((b) => b.appId), ['backup', 'stats']);
    const backup = (await bots.get(7, 'backup'))!;
    assert.deepEqual([backup.hash, backup.grants, backup.created, backup.restrictions, backup.valid], [':pbkdf2:imported', ['basic'], START - 5000, { IPAddresses: ['192.0.2.0/24'] }, true]);
    assert.equal((await bots.get(7, 'stats'))!.created, START);
    assert.ok(await bots.get(8, 'keep'), 'an account not given keeps its own');
    const many = await bots.listMany([7, 8, 9]);
    assert.deepEqual([...many.keys()].sort(), [7, 8]);
    for (const [id, list] of many) for (const b of list) assert.deepEqual(b, await bots.get(id, b.appId));
  });
});
