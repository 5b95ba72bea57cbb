// The password policy, rule by rule, and where it applies: length by group (10 for privileged
// groups, 1 otherwise), not part of the user name, not a common password, at most 4096 bytes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PackedWordList, checkNewPassword, commonPasswords, isCommonPassword, minimumLength, passwordProblems } from '../../src/auth/policy.js';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';

const PW_REQ = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';
// Well-known passwords from all over the list, far beyond its top 80 (their ranks in SecLists' top
// 100,000: 473, 6,212, 10,474, 17,705, 30,175, 51,923, 70,421, 86,857 and 91,190).
const DEEP = ['blink182', 'harrypotter', 'sunshine1', 'darthvader', 'welcome123', 'supermario', 'manchester1', 'barcelona1', 'spongebob1'];
/** 22 random characters: in no list. */
const strong = () => randomBytes(16).toString('base64url');

test('the rules: length by group, user name, common list, 4096 bytes', () => {
  assert.equal(minimumLength([]), 1);
  assert.equal(minimumLength(['user', 'autoconfirmed']), 1);
  for (const g of ['sysop', 'bureaucrat', 'interface-admin', 'bot']) assert.equal(minimumLength(['user', g]), 10, g);

  assert.equal(checkNewPassword('x', 'Alice', ['user']), null, 'one character is enough for a plain account');
  assert.equal(checkNewPassword('Nine-char', 'Admin', ['sysop'])?.key, 'passwordtooshort');
  assert.equal(checkNewPassword('Ten-chars!', 'Admin', ['sysop']), null);
  // Characters, not UTF-16 units, count: 10 emoji are 10 characters.
  assert.equal(checkNewPassword('😀'.repeat(10), 'Admin', ['sysop']), null);

  assert.equal(checkNewPassword('alice', 'Alice', [])?.key, 'password-substring-username-match');
  assert.equal(checkNewPassword('LIC', 'Alice', [])?.key, 'password-substring-username-match', 'a part of the name, in any case');
  assert.equal(checkNewPassword('Alice-and-more', 'Alice', []), null, 'containing the name is allowed');

  for (const common of ['password', 'Password', '123456', 'qwerty', 'letmein', 'mediawiki']) {
    assert.equal(checkNewPassword(common, 'Zed', [])?.key, 'passwordincommonlist', common);
  }

  assert.equal(checkNewPassword('a'.repeat(4096), 'Zed', []), null);
  assert.equal(checkNewPassword('a'.repeat(4097), 'Zed', [])?.key, 'passwordtoolong');
  assert.equal(checkNewPassword('é'.repeat(2049), 'Zed', [])?.key, 'passwordtoolong', 'bytes of UTF-8, not characters');
});

test('the common list: the 100,000 most common passwords MediaWiki refuses, in any case', () => {
  const list = commonPasswords();
  assert.ok(list.size >= 90_000, `${list.size} entries`);
  assert.equal(commonPasswords(), list, 'read once');
  for (const common of [...DEEP, 'HarryPotter', 'SUPERMARIO', 'Barcelona1', 'wikipedia', 'MediaWiki']) {
    assert.equal(checkNewPassword(common, 'Zed', [])?.key, 'passwordincommonlist', common);
  }
  for (const fine of ['supermario-and-luigi', 'Harry-Potter-1997', strong()]) assert.equal(checkNewPassword(fine, 'Zed', []), null, fine);
  // The other rules come first: a sysop's "sunshine1" is too short before it is common.
  assert.equal(checkNewPassword('sunshine1', 'Admin', ['sysop'])?.key, 'passwordtooshort');
});

test('the packed list finds every word of the file and nothing else', () => {
  const file = readFileSync(new URL('../../src/auth/common-passwords.txt', import.meta.url), 'utf8');
  const words = file.split('\n').filter((w) => w !== '');
  const list = commonPasswords();
  assert.equal(list.size, words.length);
  for (const w of words) assert.ok(list.has(w), w);
  // Near misses on both sides of every hundredth word, and the list's ends, are not in it.
  const all = new Set(words);
  for (let i = 0; i < words.length; i += 100) {
    for (const near of [`${words[i]}\u0000`, `${words[i]}~`, words[i]!.slice(0, -1), `!${words[i]}`]) {
      assert.equal(list.has(near), all.has(near), JSON.stringify(near));
    }
  }
  for (const odd of ['', '\n', `${words[0]}\n${words[1]}`, '\uD800', '\u0000', 'é'.repeat(2048), 'x'.repeat(5000), '\uFFFF\uFFFF']) {
    assert.equal(list.has(odd), all.has(odd), JSON.stringify(odd.slice(0, 20)));
  }
  assert.ok(isCommonPassword('WikiPedia') && isCommonPassword('LOGIN'), 'the site words, in any case');
  assert.equal(isCommonPassword('wikipedia2'), all.has('wikipedia2'));
});

test('a packed list that is not sorted, not unique or not newline-ended is refused, not searched wrongly', () => {
  assert.equal(new PackedWordList(Buffer.from('')).size, 0);
  assert.equal(new PackedWordList(Buffer.from('')).has('a'), false);
  const small = new PackedWordList(Buffer.from('a\nab\nb\n\u00e9t\u00e9\n'));
  assert.deepEqual(['a', 'ab', 'b', '\u00e9t\u00e9', 'aa', 'ba', 'c', ''].map((w) => small.has(w)), [true, true, true, true, false, false, false, false]);
  assert.throws(() => new PackedWordList(Buffer.from('b\na\n')), /not sorted/);
  assert.throws(() => new PackedWordList(Buffer.from('a\na\n')), /not sorted and unique/);
  assert.throws(() => new PackedWordList(Buffer.from('a\nb')), /newline/);
});

test('every broken rule, in MediaWiki\'s order, fatal only when the password cannot be used at all', () => {
  const keys = (pw: string, name: string, groups: string[] = []) => passwordProblems(pw, name, groups).map((p) => `${p.message.key}${p.fatal ? '!' : ''}`);
  assert.deepEqual(keys('Strong-Unlisted-Pass-9', 'Zed'), []);
  assert.deepEqual(keys('password', 'Password1'), ['password-substring-username-match', 'passwordincommonlist']);
  assert.deepEqual(keys('short', 'Admin', ['sysop']), ['passwordtooshort', 'passwordincommonlist']);
  assert.deepEqual(keys('a'.repeat(4097), 'Zed'), ['passwordtoolong!']);
  // An empty password: too short for anyone, and for a privileged group no login at all.
  assert.deepEqual(keys('', 'Admin', ['sysop']), ['passwordtooshort', 'passwordtooshort!']);
  assert.deepEqual(keys('', 'Zed'), ['passwordtooshort']);
  // MediaWiki's documentation example and the default logins of old test setups.
  assert.deepEqual(keys('ExamplePassword', 'Zed'), ['password-login-forbidden']);
  assert.deepEqual(keys('testpass', 'Apitestuser'), ['password-login-forbidden', 'passwordincommonlist']);
  assert.deepEqual(keys('testpass', 'Zed'), ['passwordincommonlist'], 'only with that user name');
  assert.equal(checkNewPassword('ExamplePassword', 'Zed', [])?.key, 'password-login-forbidden');
});

let srv: TestServer;
before(async () => {
  // Many accounts from one address: the creation throttle (test/api/createaccount.test.ts) is off here.
  srv = await startTestServer({ env: { MWAUTH_ACCOUNT_CREATION_THROTTLE: 'none' } });
  await addUser(srv.services, 'Admin', 'Admin-Pass-1234', { groups: ['sysop'] });
});
after(() => srv.close());

test('createaccount refuses a password the policy refuses, with the rule as messagecode', async () => {
  const c = new Client(srv.api);
  const create = async (username: string, password: string) =>
    (await c.post({ action: 'createaccount', createreturnurl: 'http://wiki.test/', createtoken: await c.token('createaccount'), username, password, retype: password, formatversion: '2' })).json.createaccount;
  assert.equal((await create('Quinn', 'quinn')).messagecode, 'password-substring-username-match');
  assert.equal((await create('Quinn', 'password')).messagecode, 'passwordincommonlist');
  assert.equal((await create('Quinn', 'q'.repeat(4097))).messagecode, 'passwordtoolong');
  assert.equal(await srv.services.users.byName('Quinn'), null, 'no account was made');
  assert.equal((await create('Quinn', 'Quinn-Pass-1')).status, 'PASS');
});

test('changeauthenticationdata: a sysop needs 10 characters; the error names the rule', async () => {
  const c = new Client(srv.api);
  assert.equal((await c.login('Admin', 'Admin-Pass-1234')).result, 'Success');
  const change = async (password: string) =>
    c.post({ action: 'changeauthenticationdata', changeauthrequest: PW_REQ, password, retype: password, changeauthtoken: await c.token(), formatversion: '2' });
  const short = await change('Short-pw1');
  assert.equal(short.headers.get('mediawiki-api-error'), 'passwordtooshort');
  assert.equal(short.json.error.code, 'passwordtooshort');
  const ok = await change('Long-enough-pw1');
  assert.equal(ok.text, '{"changeauthenticationdata":{"status":"success"}}');
});

test('createaccount and changeauthenticationdata refuse passwords from deep in the list; a random one passes', async () => {
  const c = new Client(srv.api);
  const create = async (username: string, password: string) =>
    (await c.post({ action: 'createaccount', createreturnurl: 'http://wiki.test/', createtoken: await c.token('createaccount'), username, password, retype: password, formatversion: '2' })).json.createaccount;
  for (const common of [...DEEP, 'DarthVader']) {
    const refused = await create('Petra', common);
    assert.equal(refused.status, 'FAIL', common);
    assert.equal(refused.messagecode, 'passwordincommonlist', common);
  }
  assert.equal(await srv.services.users.byName('Petra'), null, 'no account was made');
  const first = strong();
  assert.equal((await create('Petra', first)).status, 'PASS');

  const petra = new Client(srv.api);
  assert.equal((await petra.login('Petra', first)).result, 'Success');
  const change = async (password: string) =>
    petra.post({ action: 'changeauthenticationdata', changeauthrequest: PW_REQ, password, retype: password, changeauthtoken: await petra.token(), formatversion: '2' });
  for (const common of ['manchester1', 'SpongeBob1']) {
    const refused = await change(common);
    assert.equal(refused.headers.get('mediawiki-api-error'), 'passwordincommonlist', common);
    assert.equal(refused.json.error.code, 'passwordincommonlist', common);
    assert.notEqual((await new Client(srv.api).login('Petra', common)).result, 'Success', `${common} was not set`);
  }
  const second = strong();
  assert.equal((await change(second)).text, '{"changeauthenticationdata":{"status":"success"}}');
  assert.equal((await new Client(srv.api).login('Petra', second)).result, 'Success');
});
