// The RememberTokenStore contract on SQLite, PostgreSQL and MariaDB: what a remembered login gives back,
// the bound per account (the newest stay), forgetting, and expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RememberedLogin, RememberTokenStore } from '../../src/sessions/rememberTokens.js';
import { contract, onDatabases, START } from './backends.js';

const login = (key: string, userId: number, created: number, expires = created + 86400_000): RememberedLogin => ({ key, userId, generation: `gen-${userId}`, created, expires });

contract<RememberTokenStore>('RememberTokenStore', onDatabases((s) => s.rememberTokens), (subject) => {
  test('add and find; keys compare exactly; an unknown key is null', async () => {
    const tokens = subject().store;
    await tokens.add(login('a'.repeat(64), 1, START), 20);
    assert.deepEqual(await tokens.find('a'.repeat(64)), login('a'.repeat(64), 1, START));
    assert.equal(await tokens.find('A'.repeat(64)), null);
    assert.equal(await tokens.find('b'.repeat(64)), null);
  });

  test('an account keeps its newest `keep` logins; other accounts are not touched', async () => {
    const tokens = subject().store;
    await tokens.add(login('other'.padEnd(64, '0'), 2, START), 3);
    for (let i = 0; i < 6; i++) await tokens.add(login(`k${i}`.padEnd(64, '0'), 1, START + i), 3);
    for (let i = 0; i < 6; i++) assert.equal((await tokens.find(`k${i}`.padEnd(64, '0'))) !== null, i >= 3, `login ${i}`);
    assert.ok(await tokens.find('other'.padEnd(64, '0')));
  });

  test('rekey moves a login to its new key with the given generation; the old key is gone; unknown keys change nothing', async () => {
    const tokens = subject().store;
    await tokens.add(login('o'.repeat(64), 5, START), 20);
    await tokens.rekey(['n'.repeat(64), 'o'.repeat(64)], 'n'.repeat(64), 'gen-new');
    assert.equal(await tokens.find('o'.repeat(64)), null);
    assert.deepEqual(await tokens.find('n'.repeat(64)), { ...login('n'.repeat(64), 5, START), generation: 'gen-new' });
    await tokens.rekey(['q'.repeat(64)], 'r'.repeat(64), 'gen-x');
    assert.equal(await tokens.find('r'.repeat(64)), null);
  });

  test('removeAll forgets the account\'s logins and says how many; sweep removes the expired ones', async () => {
    const { store: tokens, clock } = subject();
    await tokens.add(login('x'.repeat(64), 3, START, START + 1000), 20);
    await tokens.add(login('y'.repeat(64), 3, START, START + 5000), 20);
    await tokens.add(login('z'.repeat(64), 4, START, START + 1000), 20);
    clock.advance(1000);
    await tokens.sweep();
    assert.equal(await tokens.find('x'.repeat(64)), null);
    assert.equal(await tokens.find('z'.repeat(64)), null);
    assert.ok(await tokens.find('y'.repeat(64)));
    assert.equal(await tokens.removeAll(3), 1);
    assert.equal(await tokens.removeAll(3), 0);
  });

  test('30 logins of one account added at once: none lost beyond the bound, at most `keep` left after the last', async () => {
    const tokens = subject().store;
    await Promise.all(Array.from({ length: 30 }, (_, i) => tokens.add(login(`p${String(i).padStart(3, '0')}`.padEnd(64, '0'), 5, START + i), 20)));
    await tokens.add(login('last'.padEnd(64, '0'), 5, START + 100), 20);
    let kept = 0;
    for (let i = 0; i < 30; i++) if (await tokens.find(`p${String(i).padStart(3, '0')}`.padEnd(64, '0'))) kept++;
    assert.equal(kept, 19, 'the 19 newest with the last one');
    assert.ok(await tokens.find('last'.padEnd(64, '0')));
  });
});
