// The whole reset flow through the API: request, mail, temporary password, forced change.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, readMails, startTestServer, type TestServer } from '../helpers/harness.js';
import { deliverAll } from '../helpers/api.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
  await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' });
});
after(() => srv.close());

test('reset by user name mails a temporary password that forces a new password', async () => {
  const anon = new Client(srv.api);
  const r = await anon.post({ action: 'resetpassword', user: 'alice', token: '+\\' });
  assert.equal(r.text, '{"resetpassword":{"status":"success"}}');
  // flush() alone can return while the server's own worker is still writing the mail.
  await deliverAll(srv);
  const mails = await readMails(srv.mailDir);
  assert.equal(mails.length, 1);
  assert.match(mails[0]!.to, /alice@example\.org/);
  assert.match(mails[0]!.text, /http:\/\/wiki\.test\/wiki\/Special:UserLogin/);
  const temp = mails[0]!.tempPassword;
  assert.match(temp ?? '', /^[0-9a-v]{10}$/);

  const c = new Client(srv.api);
  const logintoken = await c.token('login');
  const ui = await c.post({ action: 'clientlogin', username: 'Alice', password: temp!, loginreturnurl: 'http://wiki.test/', logintoken, formatversion: '2' });
  assert.equal(ui.json.clientlogin.status, 'UI');
  assert.equal(ui.json.clientlogin.messagecode, 'resetpass-temp-emailed');
  const bad = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'Brand-New-9', retype: 'Brand-New-8', logintoken, formatversion: '2' });
  assert.equal(bad.json.clientlogin.status, 'UI');
  assert.equal(bad.json.clientlogin.messagecode, 'badretype');
  const pass = await c.post({ action: 'clientlogin', logincontinue: '1', password: 'Brand-New-9', retype: 'Brand-New-9', logintoken, formatversion: '2' });
  assert.deepEqual(pass.json, { clientlogin: { status: 'PASS', username: 'Alice' } });
  const me = await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' });
  assert.equal(me.json.query.userinfo.name, 'Alice');

  for (const [pw, expected] of [['Secret-Pass-1', 'Failed'], [temp!, 'Failed'], ['Brand-New-9', 'Success']] as const) {
    const fresh = new Client(srv.api);
    assert.equal((await fresh.login('Alice', pw)).result, expected, pw);
  }
});
