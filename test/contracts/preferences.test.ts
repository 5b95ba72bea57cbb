// The PreferenceStore contract on SQLite, PostgreSQL and MariaDB: per account, names exact, values of any
// text, removal, concurrent writes of one preference, and bulk reads and writes equal to single ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PreferenceStore } from '../../src/accounts/preferences.js';
import { contract, onDatabases } from './backends.js';

contract<PreferenceStore>('PreferenceStore', onDatabases((s) => s.preferences), (subject) => {
  test('set, get, replace and remove, per account', async () => {
    const prefs = subject().store;
    assert.deepEqual(await prefs.get(1), {});
    await prefs.set(1, 'language', 'ar');
    await prefs.set(1, 'requireemail', '1');
    await prefs.set(2, 'language', 'fr');
    assert.deepEqual(await prefs.get(1), { language: 'ar', requireemail: '1' });
    await prefs.set(1, 'language', 'fr');
    assert.deepEqual(await prefs.get(1), { language: 'fr', requireemail: '1' });
    await prefs.set(1, 'requireemail', null);
    await prefs.set(1, 'never-set', null);
    assert.deepEqual(await prefs.get(1), { language: 'fr' });
    assert.deepEqual(await prefs.get(2), { language: 'fr' });
  });

  test('names compare exactly; values of any text come back unchanged', async () => {
    const prefs = subject().store;
    const odd = "a 'quoted' \"value\" \\ with ünïcödé, 😀 and \u0627\u0644\u0639\u0631\u0628\u064a\u0629";
    await prefs.set(3, 'Gender', 'x');
    await prefs.set(3, 'gender', 'female');
    await prefs.set(3, 'nickname', odd);
    await prefs.set(3, '__proto__', 'p');
    const got = await prefs.get(3);
    assert.deepEqual(Object.keys(got).sort(), ['Gender', '__proto__', 'gender', 'nickname']);
    assert.equal(got.gender, 'female');
    assert.equal(got.nickname, odd);
    assert.equal(Object.getPrototypeOf(got), Object.prototype, 'a stored "__proto__" is a key, not a prototype');
  });

  test('20 writes of one preference at once leave one row with one of the values', async () => {
    const prefs = subject().store;
    await Promise.all(Array.from({ length: 20 }, (_, i) => prefs.set(4, 'language', `l${i}`)));
    const got = await prefs.get(4);
    assert.deepEqual(Object.keys(got), ['language']);
    assert.match(got.language!, /^l\d+$/);
  });

  test('getMany and replaceMany: the accounts given, and no other; equal to get and set one by one', async () => {
    const prefs = subject().store;
    await prefs.set(5, 'language', 'de');
    await prefs.set(6, 'language', 'es');
    await prefs.set(9, 'language', 'it');
    await prefs.replaceMany(new Map<number, Record<string, string>>([[5, { language: 'ar', disablemail: '1' }], [6, {}], [7, { requireemail: '1' }]]));
    assert.deepEqual(await prefs.get(5), { language: 'ar', disablemail: '1' });
    assert.deepEqual(await prefs.get(6), {});
    assert.deepEqual(await prefs.get(7), { requireemail: '1' });
    assert.deepEqual(await prefs.get(9), { language: 'it' }, 'an account not given keeps its own');
    const many = await prefs.getMany([5, 6, 7, 9, 100]);
    assert.deepEqual([...many.keys()].sort(), [5, 7, 9], 'accounts without preferences are absent');
    for (const id of [5, 7, 9]) assert.deepEqual(many.get(id), await prefs.get(id));
  });
});
