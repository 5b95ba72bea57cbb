// The "requireemail" preference: such an account is reset only when both its name and its address are given.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, readMails, startTestServer, type TestServer } from '../helpers/harness.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
  for (const [name, email] of [['Rita', 'rita@example.org'], ['Sam', 'sam@example.org'], ['Tess', 'tess@example.org'], ['Uma', 'uma@example.org']]) {
    const u = await addUser(srv.services, name!, 'Some-Pass-12', { email });
    await srv.services.preferences.set(u.id, 'requireemail', '1');
  }
});
after(() => srv.close());

async function reset(params: Record<string, string>): Promise<string[]> {
  const before = new Set((await readMails(srv.mailDir)).map((m) => m.file));
  const r = await new Client(srv.api).post({ action: 'resetpassword', token: '+\\', ...params });
  assert.equal(r.text, '{"resetpassword":{"status":"success"}}');
  await srv.flush();
  return (await readMails(srv.mailDir)).filter((m) => !before.has(m.file)).map((m) => m.to);
}

test('by name alone: nothing is sent', async () => {
  assert.deepEqual(await reset({ user: 'Rita' }), []);
});

test('by address alone: nothing is sent', async () => {
  assert.deepEqual(await reset({ email: 'sam@example.org' }), []);
});

test('by name with another address: nothing is sent', async () => {
  assert.deepEqual(await reset({ user: 'Tess', email: 'rita@example.org' }), []);
});

test('by name and its own address (any case): the mail goes out', async () => {
  const to = await reset({ user: 'Uma', email: 'UMA@example.org' });
  assert.equal(to.length, 1);
  assert.match(to[0]!, /uma@example\.org/);
});
