// A bot password restricted to addresses (MediaWiki's {"IPAddresses": […]}, as an import brings it): a login
// from elsewhere is answered exactly as a wrong password (so the answer tells nothing more), the audit
// trail says why, and its session is no session from an address outside the ranges.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';

const PW32 = 'botpassbotpassbotpassbotpassbot1';
let srv: TestServer;

before(async () => {
  srv = await startTestServer({ env: { MWAUTH_TRUSTED_PROXIES: '127.0.0.1' } });
  const alice = await addUser(srv.services, 'Alice', 'Alice-Pass-1');
  const hash = await srv.services.hasher.hash(PW32);
  const bot = (appId: string, restrictions: Record<string, unknown> | null) => ({ appId, hash, grants: ['basic'], restrictions });
  await srv.services.stores.botPasswords.replaceMany(
    new Map([[alice.id, [
      bot('office', { IPAddresses: ['10.0.0.0/8', '2001:db8::/32'] }),
      bot('anywhere', { IPAddresses: ['0.0.0.0/0', '::/0'] }),
      bot('norule', null),
      bot('otherrules', { Pages: ['Main_Page'] }),
      bot('nothing', { IPAddresses: [] }),
    ]]]),
  );
});
after(() => srv.close());

const from = (ip: string) => new Client(srv.api, { 'x-forwarded-for': ip });

test('a login from inside the ranges succeeds; from outside it is answered as a wrong password', async () => {
  for (const ip of ['10.1.2.3', '2001:db8::7', '::ffff:10.9.9.9']) assert.equal((await from(ip).login('Alice@office', PW32)).result, 'Success', ip);
  const wrong = await from('192.0.2.1').login('Alice@office', 'botpassbotpassbotpassbotpassbot2');
  for (const ip of ['192.0.2.1', '11.0.0.1', '2001:db9::1']) {
    const outside = await from(ip).login('Alice@office', PW32);
    assert.deepEqual(outside, wrong, ip);
  }
  assert.equal(wrong.result, 'Failed');
  assert.equal((await from('192.0.2.1').login('Alice@nothing', PW32)).result, 'Failed', 'an empty list allows no address');
  for (const app of ['anywhere', 'norule', 'otherrules']) assert.equal((await from('192.0.2.1').login(`Alice@${app}`, PW32)).result, 'Success', app);
  const events = await srv.services.audit.query({ type: 'login.failure', limit: 50 });
  assert.ok(events.some((e) => (e.details as { reason?: string }).reason === 'botpasswords-restriction-failed'), JSON.stringify(events.map((e) => e.details)));
});

test('the session of a restricted bot password is anonymous from an address outside its ranges, and itself again inside', async () => {
  const inside = from('10.0.0.5');
  assert.equal((await inside.login('Alice@office', PW32)).result, 'Success');
  const whoami = async (c: Client) => (await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).json.query.userinfo.name;
  assert.equal(await whoami(inside), 'Alice');
  const elsewhere = new Client(srv.api, { 'x-forwarded-for': '192.0.2.50' }, inside.jar);
  assert.equal(await whoami(elsewhere), '192.0.2.50');
  assert.equal(await whoami(inside), 'Alice', 'the session itself was not ended');
});
