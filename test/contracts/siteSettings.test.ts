// The SiteSettingsStore contract on SQLite, PostgreSQL and MariaDB: one value per name, replaced whole,
// any text kept as it is; and several servers recording at once leave one whole record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SiteSettingsStore } from '../../src/mail/site.js';
import { contract, onDatabases, START } from './backends.js';

contract<SiteSettingsStore>('SiteSettingsStore', onDatabases((s) => s.siteSettings), (subject) => {
  test('put and get; a second put replaces value and time; names are exact', async () => {
    const settings = subject().store;
    assert.equal(await settings.get('mail'), null);
    await settings.put('mail', '{"server":"https://a.example"}', START);
    await settings.put('mail', '{"server":"https://b.example"}', START + 5);
    await settings.put('Mail', 'other', START);
    assert.deepEqual(await settings.get('mail'), { value: '{"server":"https://b.example"}', updated: START + 5 });
    assert.deepEqual(await settings.get('Mail'), { value: 'other', updated: START });
  });

  test('a long value of any text comes back unchanged', async () => {
    const settings = subject().store;
    const value = JSON.stringify({ sitename: 'Wiki 😀 \u0648\u064a\u0643\u064a', big: 'x'.repeat(100_000) });
    await settings.put('mail', value, START);
    assert.equal((await settings.get('mail'))!.value, value);
  });

  test('20 servers recording at once leave one of their records, whole', async () => {
    const settings = subject().store;
    const values = Array.from({ length: 20 }, (_, i) => JSON.stringify({ node: i, pad: String(i).repeat(500) }));
    await Promise.all(values.map((v, i) => settings.put('mail', v, START + i)));
    const got = (await settings.get('mail'))!;
    assert.ok(values.includes(got.value));
    assert.equal(got.updated, START + (JSON.parse(got.value) as { node: number }).node);
  });

  test('add stores only where nothing is stored yet; of 20 servers adding at once exactly one is stored', async () => {
    const settings = subject().store;
    assert.equal(await settings.add('secret', 'first', START), true);
    assert.equal(await settings.add('secret', 'second', START + 1), false);
    assert.deepEqual(await settings.get('secret'), { value: 'first', updated: START });
    const values = Array.from({ length: 20 }, (_, i) => `node ${i}`);
    const added = await Promise.all(values.map((v, i) => settings.add('race', v, START + i)));
    const got = (await settings.get('race'))!;
    assert.ok(values.includes(got.value));
    assert.equal(added.filter(Boolean).length, 1);
    assert.equal(added.indexOf(true), values.indexOf(got.value));
  });
});
