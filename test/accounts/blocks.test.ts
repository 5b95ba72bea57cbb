// Address blocks are kept in the one spelling requests arrive in, whatever spelling the operator typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/db.js';
import { BlockStore } from '../../src/accounts/blocks.js';
import { ManualClock } from '../helpers/clock.js';

test('address blocks match any spelling of the address: upper case, leading zeros in IPv6, IPv4-mapped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-blocks-'));
  const handle = await openDatabase({ databaseUrl: null, dataDir: dir });
  t.after(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const blocks = new BlockStore(handle.db, new ManualClock());
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
  assert.deepEqual(await blocks.list(), []);
});
