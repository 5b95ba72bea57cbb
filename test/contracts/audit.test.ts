// The AuditStore contract on SQLite, PostgreSQL and MariaDB: events come back as recorded, newest kept
// by a limit and returned oldest first; filters by account (id or name), time and type; pruning in
// batches, oldest first, never newer events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditRecord, AuditStore } from '../../src/audit/log.js';
import { contract, onDatabases, START } from './backends.js';

const ev = (time: number, type: string, extra: Partial<AuditRecord> = {}): AuditRecord => ({ time, type, userId: null, userName: null, ip: null, details: {}, ...extra });

contract<AuditStore>('AuditStore', onDatabases((s) => s.audit), (subject) => {
  test('an event comes back as recorded, details and all', async () => {
    const audit = subject().store;
    const details = { via: 'api', list: ['a', 'b'], n: 3, ok: true, none: null, text: 'ünï 😀 "q" \\' };
    await audit.add(ev(START, 'login.success', { userId: 4, userName: 'Ann', ip: '2001:db8::1', details }));
    const [got] = await audit.query({ limit: 10 });
    assert.deepEqual({ ...got!, id: 0 }, { id: 0, time: START, type: 'login.success', userId: 4, userName: 'Ann', ip: '2001:db8::1', details });
  });

  test('the newest `limit` events, oldest first, in the order recorded', async () => {
    const audit = subject().store;
    for (let i = 0; i < 10; i++) await audit.add(ev(START + (i % 3), 'logout', { details: { i } }));
    const got = await audit.query({ limit: 4 });
    assert.deepEqual(got.map((e) => e.details.i), [6, 7, 8, 9]);
    assert.ok(got.every((e, k) => k === 0 || e.id > got[k - 1]!.id));
  });

  test('filters: an account by id or by the name recorded, a time, types; all of them together', async () => {
    const audit = subject().store;
    await audit.add(ev(START, 'login.success', { userId: 1, userName: 'Ann' }));
    await audit.add(ev(START + 1, 'login.failure', { userId: null, userName: 'Ann' }));
    await audit.add(ev(START + 2, 'login.success', { userId: 2, userName: 'Bob' }));
    await audit.add(ev(START + 3, 'password.changed', { userId: 1, userName: 'Ann' }));
    await audit.add(ev(START + 4, 'login.success', { userId: 3, userName: 'ann' }));
    const types = (es: Array<{ type: string; time: number }>) => es.map((e) => `${e.type}@${e.time - START}`);
    assert.deepEqual(types(await audit.query({ user: { id: 1 }, limit: 10 })), ['login.success@0', 'password.changed@3']);
    assert.deepEqual(types(await audit.query({ user: { name: 'Ann' }, limit: 10 })), ['login.success@0', 'login.failure@1', 'password.changed@3'], 'names are exact');
    assert.deepEqual(types(await audit.query({ user: { id: 1, name: 'Ann' }, limit: 10 })), ['login.success@0', 'login.failure@1', 'password.changed@3']);
    assert.deepEqual(types(await audit.query({ since: START + 2, limit: 10 })), ['login.success@2', 'password.changed@3', 'login.success@4']);
    assert.deepEqual(types(await audit.query({ types: ['login.success', 'login.failure'], since: START + 1, limit: 10 })), ['login.failure@1', 'login.success@2', 'login.success@4']);
    assert.deepEqual(await audit.query({ types: [], limit: 10 }), []);
    assert.deepEqual(types(await audit.query({ user: { name: 'Ann' }, types: ['login.success'], limit: 10 })), ['login.success@0']);
  });

  test('pruneBatch removes at most `max` of the events before the time, oldest first, and none after it', async () => {
    const audit = subject().store;
    for (let i = 0; i < 12; i++) await audit.add(ev(START + 100 - i, 'logout', { details: { i } }));
    await audit.add(ev(START + 200, 'logout', { details: { i: 'new' } }));
    assert.equal(await audit.pruneBatch(START + 150, 5), 5);
    const left = await audit.query({ limit: 100 });
    assert.deepEqual(left.map((e) => e.details.i), [0, 1, 2, 3, 4, 5, 6, 'new'], 'the five oldest went');
    assert.equal(await audit.pruneBatch(START + 150, 5), 5);
    assert.equal(await audit.pruneBatch(START + 150, 5), 2);
    assert.equal(await audit.pruneBatch(START + 150, 5), 0);
    assert.deepEqual((await audit.query({ limit: 100 })).map((e) => e.details.i), ['new']);
  });

  test('50 events recorded at once are all kept, each once', async () => {
    const audit = subject().store;
    await Promise.all(Array.from({ length: 50 }, (_, i) => audit.add(ev(START, 'login.failure', { details: { i } }))));
    const got = await audit.query({ limit: 100 });
    assert.deepEqual(got.map((e) => e.details.i as number).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  });
});
