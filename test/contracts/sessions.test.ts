// The SessionStore contract, on the database (SQLite, PostgreSQL, MariaDB) and on Redis: what a stored
// session gives back, when it ends, and "log out everywhere". What only Redis has to show (keys, TTLs,
// prefixes) is in test/storage/redisSessions.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionData, SessionStore } from '../../src/sessions/store.js';
import { RedisSessionStore } from '../../src/storage/redis/sessions.js';
import { contract, onDatabases, SECRET } from './backends.js';
import { Keyring } from '../../src/secrets/keyring.js';

const data = (userId: number, extra: Partial<SessionData> = {}): SessionData => ({
  userId,
  secrets: { default: `secret-of-${userId}` },
  created: 1,
  ...extra,
});

contract<SessionStore>(
  'SessionStore',
  { ...onDatabases((s) => s.sessions), redis: (env) => new RedisSessionStore(env.redis!, env.clock, new Keyring([SECRET]), env.prefix) },
  (subject) => {
    test('put then get gives the data back; an unknown id gives null', async () => {
      const { store, clock } = subject();
      const d = data(7, { userGen: 'tok', remember: true, pendingLogin: { userId: 7, messageKey: 'k', returnUrl: '/x', created: 5, remember: false } });
      await store.put('a'.repeat(32), 7, d, clock.now() + 60_000);
      assert.deepEqual(await store.get('a'.repeat(32)), d);
      assert.equal(await store.get('b'.repeat(32)), null);
    });

    test('ids differ by case: another case is another session', async () => {
      const { store, clock } = subject();
      await store.put('aBc'.repeat(10) + 'xy', 7, data(7), clock.now() + 60_000);
      assert.equal(await store.get('abc'.repeat(10) + 'xy'), null);
      assert.equal(await store.get('ABC'.repeat(10) + 'xy'), null);
    });

    test('data of any text comes back unchanged (non-ASCII, four-byte characters, quotes)', async () => {
      const { store, clock } = subject();
      const d = data(8, { pendingLogin: { userId: 8, messageKey: 'k', returnUrl: "/wiki/Ünïcödé_'\"\\_😀_\u0627\u0644", created: 1, remember: true } });
      await store.put('u'.repeat(32), 8, d, clock.now() + 60_000);
      assert.deepEqual(await store.get('u'.repeat(32)), d);
    });

    test('a second put replaces data and owner', async () => {
      const { store, clock } = subject();
      const id = 'c'.repeat(32);
      await store.put(id, 0, data(0), clock.now() + 60_000);
      await store.put(id, 9, data(9, { userGen: 't9' }), clock.now() + 60_000);
      assert.deepEqual(await store.get(id), data(9, { userGen: 't9' }));
      assert.equal(await store.deleteForUser(9), 1, 'the session now belongs to user 9');
      assert.equal(await store.get(id), null);
    });

    test('a session is there until its expiry and gone from that millisecond on; a put moves the expiry', async () => {
      const { store, clock } = subject();
      const id = 'd'.repeat(32);
      await store.put(id, 3, data(3), clock.now() + 10_000);
      clock.advance(9_999);
      assert.ok(await store.get(id), 'one millisecond before');
      await store.put(id, 3, data(3), clock.now() + 10_000);
      clock.advance(9_999);
      assert.ok(await store.get(id), 'the put slid the expiry');
      clock.advance(1);
      assert.equal(await store.get(id), null, 'at the expiry');
    });

    test('delete ends one session; deleting an unknown id is no error', async () => {
      const { store, clock } = subject();
      await store.put('e'.repeat(32), 4, data(4), clock.now() + 60_000);
      await store.put('f'.repeat(32), 4, data(4), clock.now() + 60_000);
      await store.delete('e'.repeat(32));
      await store.delete('g'.repeat(32));
      assert.equal(await store.get('e'.repeat(32)), null);
      assert.ok(await store.get('f'.repeat(32)));
    });

    test('deleteForUser ends every session of the user but the one kept, and nobody else’s', async () => {
      const { store, clock } = subject();
      const ids = ['h', 'i', 'j', 'k'].map((c) => c.repeat(32));
      for (const id of ids.slice(0, 3)) await store.put(id, 5, data(5), clock.now() + 60_000);
      await store.put(ids[3]!, 6, data(6), clock.now() + 60_000);
      assert.equal(await store.deleteForUser(5, ids[0]), 2);
      assert.ok(await store.get(ids[0]!), 'the kept session');
      assert.equal(await store.get(ids[1]!), null);
      assert.equal(await store.get(ids[2]!), null);
      assert.ok(await store.get(ids[3]!), 'another user’s session');
      assert.equal(await store.deleteForUser(5), 1);
      assert.equal(await store.get(ids[0]!), null);
      assert.equal(await store.deleteForUser(5), 0);
    });

    test('deleteForUser counts the live sessions it ended, not expired ones', async () => {
      const { store, clock } = subject();
      await store.put('w'.repeat(32), 13, data(13), clock.now() + 1_000);
      await store.put('x'.repeat(32), 13, data(13), clock.now() + 60_000);
      clock.advance(1_000);
      assert.equal(await store.deleteForUser(13), 1);
      assert.equal(await store.get('x'.repeat(32)), null);
    });

    test('a session that changed owner is not ended for its former owner', async () => {
      const { store, clock } = subject();
      const id = 'l'.repeat(32);
      await store.put(id, 10, data(10), clock.now() + 60_000);
      await store.put(id, 11, data(11), clock.now() + 60_000);
      assert.equal(await store.deleteForUser(10), 0);
      assert.deepEqual(await store.get(id), data(11));
    });

    test('100 sessions of one user written in parallel are all ended by one deleteForUser', async () => {
      const { store, clock } = subject();
      const ids = Array.from({ length: 100 }, (_, i) => `p${String(i).padStart(31, '0')}`);
      await Promise.all(ids.map((id) => store.put(id, 12, data(12), clock.now() + 60_000)));
      assert.equal(await store.deleteForUser(12), 100);
      for (const id of ids) assert.equal(await store.get(id), null);
    });

    test('50 parallel puts of one session leave one whole session, one of those written', async () => {
      const { store, clock } = subject();
      const id = 'y'.repeat(32);
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(id, 14, data(14, { userGen: `g${i}` }), clock.now() + 60_000)));
      const got = await store.get(id);
      assert.ok(got && /^g\d+$/.test(got.userGen ?? ''), JSON.stringify(got));
      assert.equal(await store.deleteForUser(14), 1);
    });

    test('sweep leaves live sessions', async () => {
      const { store, clock } = subject();
      await store.put('z'.repeat(32), 15, data(15), clock.now() + 1_000);
      await store.put('q'.repeat(32), 15, data(15), clock.now() + 60_000);
      clock.advance(1_000);
      await store.sweep();
      assert.equal(await store.get('z'.repeat(32)), null);
      assert.ok(await store.get('q'.repeat(32)));
    });
  },
);
