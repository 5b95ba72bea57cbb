// The BlockStore contract on SQLite, PostgreSQL and MariaDB: one block per target, addresses in every
// spelling, expiry, what a partial or anon-only block stops, and bulk writes equal to single ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BlockStore } from '../../src/accounts/blocks.js';
import { contract, onDatabases, START } from './backends.js';

contract<BlockStore>('BlockStore', onDatabases((s) => s.blocks), (subject) => {
  test('address blocks match any spelling of the address: upper case, leading zeros in IPv6, IPv4-mapped', async () => {
    const blocks = subject().store;
    await blocks.add({ userId: 0, target: '2001:DB8:0000::0001', by: 'Admin', reason: 'test' });
    await blocks.add({ userId: 0, target: '::ffff:192.0.2.7', by: 'Admin', reason: 'test' });
    assert.deepEqual((await blocks.list()).map((b) => b.target), ['2001:db8::1', '192.0.2.7']);
    assert.equal((await blocks.find(0, '2001:db8::1'))?.target, '2001:db8::1');
    assert.equal((await blocks.find(0, '2001:0db8::0001'))?.target, '2001:db8::1');
    assert.equal((await blocks.find(7, '192.0.2.7'))?.target, '192.0.2.7');
    assert.equal((await blocks.find(0, '::FFFF:192.0.2.7'))?.target, '192.0.2.7');
    assert.equal(await blocks.find(0, '2001:db8::2'), null);
    assert.equal(await blocks.remove('2001:DB8::1'), true);
    assert.equal(await blocks.remove('::ffff:c000:207'), true);
    assert.equal(await blocks.remove('192.0.2.7'), false);
    assert.deepEqual(await blocks.list(), []);
  });

  test('a range block holds every address inside it, in any spelling, and none outside; IPv4 and IPv6 stay apart', async () => {
    const blocks = subject().store;
    await blocks.add({ userId: 0, target: '192.0.2.77/24', by: 'Admin', reason: 'v4 range' });
    await blocks.add({ userId: 0, target: '2001:DB8::1/32', by: 'Admin', reason: 'v6 range' });
    assert.deepEqual((await blocks.list()).map((b) => b.target), ['192.0.2.0/24', '2001:db8::/32']);
    for (const inside of ['192.0.2.0', '192.0.2.1', '192.0.2.255', '::ffff:192.0.2.9', '::FFFF:C000:0280']) {
      assert.equal((await blocks.find(0, inside))?.reason, 'v4 range', inside);
    }
    for (const inside of ['2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '2001:0DB8:0:0:0:0:0:7']) {
      assert.equal((await blocks.find(0, inside))?.reason, 'v6 range', inside);
    }
    for (const outside of ['192.0.1.255', '192.0.3.0', '2001:db9::', '2001:db7:ffff::', 'c000:200::', '::c000:200', '10.0.0.1', 'not an address', '']) {
      assert.equal(await blocks.find(0, outside), null, outside);
    }
    assert.equal((await blocks.find(4, '192.0.2.4'))?.reason, 'v4 range', 'a range that does not spare accounts stops them');
    assert.equal(await blocks.remove('192.0.2.200/24'), true);
    assert.equal(await blocks.find(0, '192.0.2.1'), null, 'lifted in another spelling of the same range');
    assert.equal(await blocks.remove('2001:db8:0::/32'), true);
    assert.deepEqual(await blocks.list(), []);
  });

  test('the narrowest block holding the address is the one found; the account\'s own block comes first', async () => {
    const blocks = subject().store;
    await blocks.add({ userId: 0, target: '10.0.0.0/8', by: 'Admin', reason: '/8' });
    await blocks.add({ userId: 0, target: '10.1.0.0/16', by: 'Admin', reason: '/16', anonOnly: true });
    await blocks.add({ userId: 0, target: '10.1.2.3', by: 'Admin', reason: 'address' });
    await blocks.add({ userId: 6, target: 'Trent', by: 'Admin', reason: 'account' });
    assert.equal((await blocks.find(0, '10.1.2.3'))?.reason, 'address');
    assert.equal((await blocks.find(0, '10.1.2.4'))?.reason, '/16');
    assert.equal((await blocks.find(5, '10.1.2.4'))?.reason, '/8', 'the anon-only /16 spares an account: the /8 does not');
    assert.equal((await blocks.find(0, '10.2.0.1'))?.reason, '/8');
    assert.equal((await blocks.find(6, '10.1.2.3'))?.reason, 'account');
    assert.equal(await blocks.find(5, '11.0.0.1'), null);
  });

  test('an expired or partial range block stops nobody', async () => {
    const { store: blocks, clock } = subject();
    await blocks.add({ userId: 0, target: '203.0.113.0/28', by: 'Admin', reason: 'short', expiry: START + 1000 });
    await blocks.add({ userId: 0, target: '203.0.113.64/26', by: 'Admin', reason: 'partial', sitewide: false });
    assert.equal((await blocks.find(0, '203.0.113.15'))?.reason, 'short');
    assert.equal(await blocks.find(0, '203.0.113.100'), null);
    clock.advance(1000);
    assert.equal(await blocks.find(0, '203.0.113.15'), null);
  });

  test('a block comes back as given, with MediaWiki\'s defaults for what was not said', async () => {
    const blocks = subject().store;
    await blocks.add({ userId: 5, target: 'Vandal', by: 'Admin', reason: 'spam 😀', expiry: START + 3600_000 });
    const b = (await blocks.find(5, '192.0.2.1'))!;
    assert.deepEqual({ ...b, id: 0 }, {
      id: 0, userId: 5, target: 'Vandal', by: 'Admin', reason: 'spam 😀', timestamp: START, expiry: START + 3600_000,
      createAccount: true, sitewide: true, anonOnly: false, email: false, autoblock: false, allowUserTalk: true, hidden: false,
      importFingerprint: null, importSourceId: null,
    });
  });

  test('the account\'s block first, then the address\'s; an expired block no longer counts', async () => {
    const { store: blocks, clock } = subject();
    await blocks.add({ userId: 0, target: '198.51.100.9', by: 'Admin', reason: 'address', createAccount: false });
    await blocks.add({ userId: 8, target: 'Mallory', by: 'Admin', reason: 'account', expiry: START + 1000 });
    assert.equal((await blocks.find(8, '198.51.100.9'))?.reason, 'account');
    assert.equal((await blocks.find(9, '198.51.100.9'))?.reason, 'address');
    assert.equal((await blocks.find(0, '198.51.100.9'))?.reason, 'address');
    clock.advance(1000);
    assert.equal((await blocks.find(8, '198.51.100.9'))?.reason, 'address', 'the account block ended at its expiry');
    assert.equal(await blocks.find(8, '203.0.113.1'), null);
  });

  test('a partial block stops nothing here; an anon-only address block spares logged-in accounts', async () => {
    const blocks = subject().store;
    await blocks.add({ userId: 3, target: 'Partial', by: 'Admin', reason: 'pages only', sitewide: false });
    await blocks.add({ userId: 0, target: '192.0.2.50', by: 'Admin', reason: 'anon only', anonOnly: true });
    assert.equal(await blocks.find(3, '203.0.113.1'), null);
    assert.equal(await blocks.find(4, '192.0.2.50'), null, 'a logged-in account');
    assert.equal((await blocks.find(0, '192.0.2.50'))?.reason, 'anon only');
  });

  test('one block per target: a second one replaces the first; names are exact', async () => {
    const { store: blocks, clock } = subject();
    await blocks.add({ userId: 2, target: 'Eve', by: 'A', reason: 'first' });
    clock.advance(5000);
    await blocks.add({ userId: 2, target: 'Eve', by: 'B', reason: 'second', createAccount: false });
    await blocks.add({ userId: 6, target: 'eve', by: 'C', reason: 'other account' });
    const list = await blocks.list();
    assert.deepEqual(list.map((b) => [b.target, b.by, b.reason, b.timestamp, b.createAccount]), [
      ['Eve', 'B', 'second', START + 5000, false],
      ['eve', 'C', 'other account', START + 5000, true],
    ]);
    assert.equal(await blocks.remove('EVE'), false);
    assert.equal(await blocks.remove('Eve'), true);
  });

  test('10 blocks of one target at once leave one block', async () => {
    const blocks = subject().store;
    await Promise.all(Array.from({ length: 10 }, (_, i) => blocks.add({ userId: 0, target: '192.0.2.99', by: `A${i}`, reason: 'flood' })));
    assert.equal((await blocks.list()).length, 1);
  });

  test('bulk: upsertMany equals add one by one; ofUsers and replaceForUsers touch the accounts given only', async () => {
    const { store: blocks } = subject();
    const input = [
      { userId: 0, target: '203.0.113.0', by: 'Importer', reason: 'a', timestamp: START - 9000, hidden: true },
      { userId: 11, target: 'Troll', by: 'Importer', reason: 'b', timestamp: START - 8000, expiry: START + 99_000, email: true, autoblock: true, allowUserTalk: false },
      { userId: 12, target: 'Spammer', by: 'Importer', reason: 'c', anonOnly: false, sitewide: false },
    ];
    await blocks.upsertMany(input);
    const bulk = (await blocks.list()).map((b) => ({ ...b, id: 0 }));
    for (const b of await blocks.list()) await blocks.remove(b.target);
    for (const b of input) await blocks.add(b);
    assert.deepEqual((await blocks.list()).map((b) => ({ ...b, id: 0 })), bulk);

    const mine = await blocks.ofUsers([11, 12, 13]);
    assert.deepEqual([...mine.keys()].sort(), [11, 12]);
    await blocks.replaceForUsers([11, 13], [{ userId: 13, target: 'Newcomer', by: 'Importer', reason: 'd' }]);
    assert.deepEqual((await blocks.list()).map((b) => b.target).sort(), ['203.0.113.0', 'Newcomer', 'Spammer']);
    await assert.rejects(blocks.replaceForUsers([11], [{ userId: 99, target: 'Stranger', by: 'x', reason: 'y' }]), RangeError);
  });

  test('address blocks by target in any spelling, and in keyset batches; an import\'s fingerprint and source id kept', async () => {
    const blocks = subject().store;
    await blocks.upsertMany([
      { userId: 0, target: '2001:DB8::7', by: 'Admin', reason: 'a', importFingerprint: 'f'.repeat(64), importSourceId: 12 },
      { userId: 0, target: '198.51.100.0/24', by: 'Admin', reason: 'range' },
      { userId: 4, target: 'Vandal', by: 'Admin', reason: 'account' },
      { userId: 0, target: '192.0.2.1', by: 'Admin', reason: 'b' },
    ]);
    const found = await blocks.ofAddresses(['2001:db8:0::7', '198.51.100.0/24', '203.0.113.1', 'Vandal']);
    assert.deepEqual([...found.keys()].sort(), ['198.51.100.0/24', '2001:db8::7']);
    assert.deepEqual([found.get('2001:db8::7')!.importFingerprint, found.get('2001:db8::7')!.importSourceId], ['f'.repeat(64), 12]);
    assert.deepEqual([found.get('198.51.100.0/24')!.importFingerprint, found.get('198.51.100.0/24')!.importSourceId], [null, null]);
    const first = await blocks.addressBlocksAfter(0, 2);
    assert.deepEqual(first.map((b) => b.target), ['2001:db8::7', '198.51.100.0/24']);
    const rest = await blocks.addressBlocksAfter(first[1]!.id, 2);
    assert.deepEqual(rest.map((b) => b.target), ['192.0.2.1'], 'address blocks only');
  });

  test('range blocks (as MediaWiki spells them) hold every address in them; anon-only, partial and expired ones as for an address', async () => {
    const { store: blocks, clock } = subject();
    await blocks.upsertMany([
      { userId: 0, target: '198.51.100.0/24', by: 'Admin', reason: 'v4 range', anonOnly: true },
      { userId: 0, target: '2001:DB8:1:0:0:0:0:0/48', by: 'Admin', reason: 'v6 range' },
      { userId: 0, target: '203.0.113.0/28', by: 'Admin', reason: 'partial', sitewide: false },
      { userId: 0, target: '192.0.2.0/25', by: 'Admin', reason: 'short', expiry: START + 1000 },
      { userId: 0, target: '192.0.2.7', by: 'Admin', reason: 'the address itself' },
    ]);
    assert.equal((await blocks.find(0, '198.51.100.77'))?.reason, 'v4 range');
    assert.equal((await blocks.find(0, '::ffff:198.51.100.77'))?.reason, 'v4 range');
    assert.equal(await blocks.find(3, '198.51.100.77'), null, 'anon only: a logged-in account is not blocked');
    assert.equal((await blocks.find(3, '2001:db8:1:ffff::1'))?.reason, 'v6 range');
    assert.equal(await blocks.find(0, '2001:db8:2::1'), null);
    assert.equal(await blocks.find(0, '203.0.113.5'), null, 'a partial block stops nothing here');
    assert.equal((await blocks.find(0, '192.0.2.7'))?.reason, 'the address itself', 'the address before a range');
    assert.equal((await blocks.find(0, '192.0.2.8'))?.reason, 'short');
    clock.advance(2000);
    assert.equal(await blocks.find(0, '192.0.2.8'), null, 'expired');
    assert.equal(await blocks.find(0, '198.51.101.1'), null);
  });
});
