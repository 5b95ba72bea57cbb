// action=validatepassword: Good, Change or Invalid with every rule the password breaks, for the caller's
// account or for a new account named by "user"; its errors, POST rules and message formats.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';
import { assertError, msg } from '../helpers/api.js';

let srv: TestServer;
let aliceId: number;
before(async () => {
  srv = await startTestServer();
  aliceId = (await addUser(srv.services, 'Alice', 'Secret-Pass-1')).id;
  await addUser(srv.services, 'Admin', 'Admin-Pass-123', { groups: ['sysop'] });
  const alice = (await srv.services.users.byName('Alice'))!;
  await srv.services.botPasswords.set(alice.id, 'tool', 'botpassbotpassbotpassbotpassbot1', ['basic']);
});
after(() => srv.close());

const validate = (c: Client, p: Record<string, string>, fv = '2') => c.post({ action: 'validatepassword', formatversion: fv, ...p });
const bc = (key: string, ...params: unknown[]) => ({ message: key, params, code: key, type: 'error' });

test('Good, Change and Invalid, with every broken rule in MediaWiki\'s order', async () => {
  const c = new Client(srv.api);
  assert.equal((await validate(c, { password: 'Some-Good-Pass-1' })).text, '{"validatepassword":{"validity":"Good"}}');
  assert.deepEqual((await validate(c, { password: 'password' })).json, { validatepassword: { validity: 'Change', validitymessages: [bc('passwordincommonlist')] } });
  // Anonymous: the "user name" is the IP address.
  assert.deepEqual((await validate(c, { password: '127.0.0' })).json.validatepassword.validitymessages, [bc('password-substring-username-match')]);
  assert.deepEqual((await validate(c, { password: 'ExamplePassword' })).json.validatepassword.validitymessages, [bc('password-login-forbidden')]);
  // Two rules at once: both are listed.
  assert.deepEqual((await validate(c, { password: 'password', user: 'Password1' })).json.validatepassword, {
    validity: 'Change', validitymessages: [bc('password-substring-username-match'), bc('passwordincommonlist')],
  });
  // Over 4096 bytes the password cannot be used at all.
  assert.deepEqual((await validate(c, { password: 'a'.repeat(4097) })).json.validatepassword, { validity: 'Invalid', validitymessages: [bc('passwordtoolong', 4096)] });
  assert.equal((await validate(c, { password: 'a'.repeat(4096) })).json.validatepassword.validity, 'Good');
  // fv1 has the same shape (no booleans in it).
  assert.equal((await validate(c, { password: 'password' }, '1')).text, JSON.stringify({ validatepassword: { validity: 'Change', validitymessages: [bc('passwordincommonlist')] } }));
});

test('the caller\'s own account: its name and its groups (10 characters for a sysop); a bot password session too', async () => {
  const alice = new Client(srv.api);
  assert.equal((await alice.login('Alice', 'Secret-Pass-1')).result, 'Success');
  assert.deepEqual((await validate(alice, { password: 'lice' })).json.validatepassword.validitymessages, [bc('password-substring-username-match')]);
  assert.equal((await validate(alice, { password: 'Nine-char' })).json.validatepassword.validity, 'Good');
  const admin = new Client(srv.api);
  assert.equal((await admin.login('Admin', 'Admin-Pass-123')).result, 'Success');
  assert.deepEqual((await validate(admin, { password: 'Nine-char' })).json.validatepassword, { validity: 'Change', validitymessages: [bc('passwordtooshort', 10)] });
  assert.deepEqual((await validate(admin, { password: 'short' })).json.validatepassword.validitymessages, [bc('passwordtooshort', 10), bc('passwordincommonlist')]);
  // With "user", the rules of a new plain account apply, whoever asks.
  assert.equal((await validate(admin, { password: 'Nine-char', user: 'Newbie' })).json.validatepassword.validity, 'Good');
  const bot = new Client(srv.api);
  assert.equal((await bot.login('Alice@tool', 'botpassbotpassbotpassbotpassbot1')).result, 'Success');
  assert.deepEqual((await validate(bot, { password: 'alice' })).json.validatepassword.validitymessages, [bc('password-substring-username-match'), bc('passwordincommonlist')]);
});

test('"user": a free name is judged as a new account; a taken name, an id, an uncreatable name and an IP are errors', async () => {
  const c = new Client(srv.api);
  assert.deepEqual((await validate(c, { password: 'bcdef', user: 'Abcdefgh' })).json.validatepassword.validitymessages, [bc('password-substring-username-match')]);
  assert.equal((await validate(c, { password: 'x', user: 'Newbie1', email: 'not-checked', realname: 'R' })).text, '{"validatepassword":{"validity":"Good"}}', 'email and realname are accepted and change nothing');
  const taken = JSON.stringify({ error: { code: 'userexists', info: msg(srv, 'userexists'), docref: msg(srv, 'api-usage-docref', `${srv.services.config.server}/w/api.php`) } });
  assertError(await validate(c, { password: 'x', user: 'Alice' }), 'userexists', taken);
  assertError(await validate(c, { password: 'x', user: 'alice' }), 'userexists');
  assertError(await validate(c, { password: 'x', user: `#${aliceId}` }), 'userexists');
  assertError(await validate(c, { password: 'x', user: '#99999' }), 'baduser_user');
  const at = await validate(c, { password: 'x', user: 'a@b' });
  assertError(at, 'baduser_user');
  assert.equal(at.json.error.info, msg(srv, 'apierror-baduser', 'user', 'A@b'));
  assertError(await validate(c, { password: 'x', user: 'Bob:x' }), 'baduser_user');
  const raw = await validate(c, { password: 'x', user: 'a@b', errorformat: 'raw' });
  assert.deepEqual(raw.json.errors[0], { code: 'baduser_user', key: 'apierror-baduser', params: ['user', 'A@b'], module: 'validatepassword' });
  for (const user of ['1.2.3.4', '', '#abc', 'a|b']) assertError(await validate(c, { password: 'x', user }), 'baduser', null);
});

test('parameters: password required and POSTed, GET refused; unknown parameters warn; errorformats', async () => {
  const c = new Client(srv.api);
  for (const p of [{}, { password: '' }] as Array<Record<string, string>>) assertError(await validate(c, p), 'missingparam');
  assertError(await c.get({ action: 'validatepassword', password: 'abc' }), 'mustbeposted');
  assertError(await c.get({ action: 'validatepassword' }), 'missingparam', null);
  assertError(await c.post({ action: 'validatepassword' }, { password: 'abc' }), 'mustpostparams');
  const warned = await validate(c, { password: 'x', user: 'Newbie1', foo: '1' });
  assert.deepEqual(Object.keys(warned.json), ['warnings', 'validatepassword']);
  const text = msg(srv, 'passwordincommonlist');
  const item = async (errorformat: string, fv = '2') => (await validate(c, { password: 'password', errorformat }, fv)).json.validatepassword.validitymessages;
  assert.deepEqual(await item('plaintext'), [{ code: 'passwordincommonlist', text }]);
  assert.deepEqual(await item('wikitext'), [{ code: 'passwordincommonlist', text }]);
  assert.deepEqual(await item('html'), [{ code: 'passwordincommonlist', html: text }]);
  assert.deepEqual(await item('html', '1'), [{ code: 'passwordincommonlist', '*': text }]);
  assert.deepEqual(await item('raw'), [{ code: 'passwordincommonlist', key: 'passwordincommonlist', params: [] }]);
  assert.deepEqual(await item('none'), [{ code: 'passwordincommonlist' }]);
  const ar = await validate(c, { password: 'password', errorformat: 'plaintext', uselang: 'ar' });
  assert.equal(ar.json.validatepassword.validitymessages[0].text, srv.services.i18n.text('ar', 'passwordincommonlist'));
  // The password never comes back.
  assert.ok(!(await validate(c, { password: 'Unique-Secret-987', user: 'Unique' })).text.includes('Unique-Secret-987'));
});

test('paraminfo describes it: a POST module with a required sensitive password and a user that may be an id', async () => {
  const c = new Client(srv.api);
  const r = await c.get({ action: 'paraminfo', modules: 'validatepassword', formatversion: '2' });
  const m = r.json.paraminfo.modules[0];
  assert.equal(m.mustbeposted, true);
  assert.equal(m.readrights, true);
  assert.equal(m.writerights, undefined);
  assert.deepEqual(m.parameters.map((x: { name: string }) => x.name), ['password', 'user', 'email', 'realname']);
  assert.deepEqual(m.parameters[0], { index: 1, name: 'password', type: 'password', required: true, sensitive: true, multi: false });
  assert.deepEqual(m.parameters[1].subtypes, ['name', 'id']);
});
