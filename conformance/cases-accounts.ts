// The account modules' cases: meta=authmanagerinfo, action=validatepassword, action=checktoken and
// action=createaccount. They run after cases.ts's own (appended to its sequence), when Alice's password is
// the fixture's again.
//
// Shared state, on both sides:
// - The account-creation throttle: mwauth allows 6 creations a day per address by default, MediaWiki 1.39
//   none (its $wgAccountCreationThrottle is 0). Exactly six anonymous attempts here reach the throttle's
//   place (those refused earlier — a taken or invalid name, a bad address, a parameter error — do not
//   count), so the seventh, the last anonymous creation, shows the difference. Sysops are exempt.
// - Accounts made here: fixed names, new on a fresh reference (--fresh-reference).
// - Mail: the password change of cases.ts's temporary-password section sends mwauth's notice to Alice,
//   which MediaWiki does not; the first mail case here collects it, then the account mailed to Mia.
import type { Case, HttpCase, Params } from './fixture.js';
import { ADMIN_PASSWORD, BOT_PASSWORD, USER_PASSWORD } from './fixture.js';

export function accountCases(): Case[] {
  const list: Case[] = [];
  let section = '';
  const J = { format: 'json' };
  const fv = (v: 1 | 2): Params => (v === 2 ? { ...J, formatversion: '2' } : { ...J });
  const get = (id: string, client: string, query: Params, extra: Partial<HttpCase> = {}) => void list.push({ id, section, client, method: 'GET', query, ...extra });
  const post = (id: string, client: string, body: Params, extra: Partial<HttpCase> = {}) => void list.push({ id, section, client, method: 'POST', body, ...extra });
  const mail = (id: string, note: string) => void list.push({ kind: 'mail', id, section, note });
  const token = (id: string, client: string, type: string) =>
    get(id, client, { action: 'query', meta: 'tokens', type, ...fv(2) }, { save: { [`${type}:${client}`]: `query.tokens.${type}token` } });
  const login = (id: string, client: string, name: string, password: string) => {
    token(`${id}.token`, client, 'login');
    post(id, client, { action: 'login', lgname: name, lgpassword: password, lgtoken: `{{login:${client}}}`, ...fv(2) });
  };

  // -------------------------------------------------------------------------------------------
  section = 'meta=authmanagerinfo';
  const AMI = { action: 'query', meta: 'authmanagerinfo' };
  get('ami.anon.none.fv2', 'a-anon', { ...AMI, ...fv(2) });
  get('ami.anon.none.fv1', 'a-anon', { ...AMI, ...fv(1) });
  get('ami.anon.sso.fv2', 'a-anon', { ...AMI, amisecuritysensitiveoperation: 'ChangeCredentials', ...fv(2) });
  get('ami.anon.sso-login.fv1', 'a-anon', { ...AMI, amisecuritysensitiveoperation: 'foo', amirequestsfor: 'login', ...fv(1) });
  for (const r of ['login', 'login-continue', 'create', 'create-continue', 'link', 'link-continue', 'change', 'remove', 'unlink']) {
    get(`ami.anon.${r}.fv2`, 'a-anon', { ...AMI, amirequestsfor: r, ...fv(2) });
  }
  for (const mf of ['html', 'raw', 'none']) get(`ami.anon.login.${mf}.fv2`, 'a-anon', { ...AMI, amirequestsfor: 'login', amimessageformat: mf, ...fv(2) });
  get('ami.anon.create.raw.fv2', 'a-anon', { ...AMI, amirequestsfor: 'create', amimessageformat: 'raw', ...fv(2) });
  get('ami.anon.create.none.fv1', 'a-anon', { ...AMI, amirequestsfor: 'create', amimessageformat: 'none', ...fv(1) });
  get('ami.anon.create.merge.fv2', 'a-anon', { ...AMI, amirequestsfor: 'create', amimergerequestfields: '1', ...fv(2) });
  get('ami.anon.badvalue.fv2', 'a-anon', { ...AMI, amirequestsfor: 'foo', ...fv(2) });
  login('ami.alice.login', 'a-alice', 'Alice', USER_PASSWORD);
  get('ami.alice.sso.fv2', 'a-alice', { ...AMI, amisecuritysensitiveoperation: 'ChangeCredentials', ...fv(2) });
  for (const r of ['login', 'create', 'change', 'remove']) get(`ami.alice.${r}.fv2`, 'a-alice', { ...AMI, amirequestsfor: r, ...fv(2) });
  get('ami.alice.create.raw.fv2', 'a-alice', { ...AMI, amirequestsfor: 'create', amimessageformat: 'raw', ...fv(2) });
  get('ami.alice.change.raw.fv1', 'a-alice', { ...AMI, amirequestsfor: 'change', amimessageformat: 'raw', ...fv(1) });
  get('ami.alice.sso.jsonp.fv2', 'a-alice', { ...AMI, amisecuritysensitiveoperation: 'foo', callback: 'cb', ...fv(2) });
  // Bob@bench (grant basic): Alice's bot passwords stopped working with cases.ts's change of her password.
  login('ami.bp.login', 'a-bp', 'Bob@bench', BOT_PASSWORD);
  get('ami.bp.sso.fv2', 'a-bp', { ...AMI, amisecuritysensitiveoperation: 'foo', ...fv(2) });
  get('ami.bp.login.fv2', 'a-bp', { ...AMI, amirequestsfor: 'login', ...fv(2) });
  get('ami.bp.login.merge.fv2', 'a-bp', { ...AMI, amirequestsfor: 'login', amimergerequestfields: '1', ...fv(2) });
  get('ami.bp.create.fv2', 'a-bp', { ...AMI, amirequestsfor: 'create', ...fv(2) });

  // -------------------------------------------------------------------------------------------
  section = 'action=validatepassword';
  const VP = { action: 'validatepassword' };
  post('vp.good.fv2', 'v-anon', { ...VP, password: 'Some-Good-Pass-1', ...fv(2) });
  post('vp.common.fv2', 'v-anon', { ...VP, password: 'password', ...fv(2) });
  post('vp.common.fv1', 'v-anon', { ...VP, password: 'password', ...fv(1) });
  for (const ef of ['plaintext', 'wikitext', 'html', 'raw', 'none']) post(`vp.common.${ef}.fv2`, 'v-anon', { ...VP, password: 'password', errorformat: ef, ...fv(2) });
  post('vp.common.html.fv1', 'v-anon', { ...VP, password: 'password', errorformat: 'html', ...fv(1) });
  post('vp.toolong.fv2', 'v-anon', { ...VP, password: 'a'.repeat(4097), ...fv(2) });
  post('vp.empty.fv2', 'v-anon', { ...VP, password: '', ...fv(2) });
  post('vp.missing.fv2', 'v-anon', { ...VP, ...fv(2) });
  post('vp.ip-substring.fv2', 'v-anon', { ...VP, password: '127.0.0', ...fv(2) });
  post('vp.user-substring.fv2', 'v-anon', { ...VP, password: 'bcdef', user: 'Abcdefgh', ...fv(2) });
  post('vp.two-rules.fv2', 'v-anon', { ...VP, password: 'password', user: 'Password1', ...fv(2) });
  post('vp.example-password.fv2', 'v-anon', { ...VP, password: 'ExamplePassword', ...fv(2) });
  post('vp.default-login.fv2', 'v-anon', { ...VP, password: 'Passpass', user: 'Useruser', ...fv(2) });
  post('vp.user-exists.fv2', 'v-anon', { ...VP, password: 'x', user: 'alice', ...fv(2) });
  post('vp.user-exists.raw.fv2', 'v-anon', { ...VP, password: 'x', user: 'Alice', errorformat: 'raw', ...fv(2) });
  post('vp.user-id.fv2', 'v-anon', { ...VP, password: 'x', user: '#3', ...fv(2) });
  post('vp.user-id-bad.fv2', 'v-anon', { ...VP, password: 'x', user: '#abc', ...fv(2) });
  post('vp.user-uncreatable.fv2', 'v-anon', { ...VP, password: 'x', user: 'a@b', ...fv(2) });
  post('vp.user-ip.fv2', 'v-anon', { ...VP, password: 'x', user: '1.2.3.4', ...fv(2) });
  post('vp.user-empty.fv2', 'v-anon', { ...VP, password: 'x', user: '', ...fv(2) });
  post('vp.email-realname.fv2', 'v-anon', { ...VP, password: 'x', user: 'Newbie1', email: 'bad', realname: 'R', ...fv(2) });
  post('vp.unknownparam.fv2', 'v-anon', { ...VP, password: 'x', user: 'Newbie1', foo: '1', ...fv(2) });
  get('vp.get.mustbeposted.fv1', 'v-anon', { ...VP, password: 'abc', ...fv(1) });
  get('vp.get.missingparam.fv2', 'v-anon', { ...VP, ...fv(2) });
  post('vp.password-in-query.fv2', 'v-anon', { ...VP, ...fv(2) }, { query: { password: 'abc' } });
  login('vp.admin.login', 'v-admin', 'Admin', ADMIN_PASSWORD);
  post('vp.admin.short.fv2', 'v-admin', { ...VP, password: 'short', ...fv(2) });
  post('vp.admin.nine.fv2', 'v-admin', { ...VP, password: 'Nine-char', ...fv(2) });
  post('vp.admin.for-new-user.fv2', 'v-admin', { ...VP, password: 'short', user: 'Newbie2', ...fv(2) });
  post('vp.bp.bob.fv2', 'a-bp', { ...VP, password: 'bob', ...fv(2) });

  // -------------------------------------------------------------------------------------------
  section = 'action=checktoken';
  const CT = { action: 'checktoken' };
  token('ct.login.token', 'k-anon', 'login');
  get('ct.login.valid.fv2', 'k-anon', { ...CT, type: 'login', token: '{{login:k-anon}}', ...fv(2) });
  get('ct.login.valid.fv1', 'k-anon', { ...CT, type: 'login', token: '{{login:k-anon}}', ...fv(1) });
  get('ct.login.maxage-100.fv2', 'k-anon', { ...CT, type: 'login', token: '{{login:k-anon}}', maxtokenage: '100', ...fv(2) });
  get('ct.login.expired.fv2', 'k-anon', { ...CT, type: 'login', token: '{{login:k-anon}}', maxtokenage: '-5', ...fv(2) });
  get('ct.login.badinteger.fv2', 'k-anon', { ...CT, type: 'login', token: '{{login:k-anon}}', maxtokenage: 'abc', ...fv(2) });
  get('ct.createaccount.login-token.fv2', 'k-anon', { ...CT, type: 'createaccount', token: '{{login:k-anon}}', ...fv(2) });
  get('ct.csrf.anon.fv2', 'k-anon', { ...CT, type: 'csrf', token: '+\\', ...fv(2) });
  get('ct.csrf.anon.maxage.fv2', 'k-anon', { ...CT, type: 'csrf', token: '+\\', maxtokenage: '-5', ...fv(2) });
  get('ct.csrf.unencoded.fv2', 'k-anon', { ...CT, type: 'csrf', token: ' \\', ...fv(2) });
  get('ct.csrf.unencoded.raw.fv2', 'k-anon', { ...CT, type: 'csrf', token: ' \\', errorformat: 'raw', ...fv(2) });
  get('ct.watch.anon.fv2', 'k-anon', { ...CT, type: 'watch', token: '+\\', ...fv(2) });
  get('ct.createaccount.anon-token.fv2', 'k-anon', { ...CT, type: 'createaccount', token: '+\\', ...fv(2) });
  get('ct.csrf.abc.fv2', 'k-anon', { ...CT, type: 'csrf', token: 'abc', ...fv(2) });
  get('ct.max-time.fv2', 'k-anon', { ...CT, type: 'login', token: `${'0'.repeat(32)}ffffffff+\\`, ...fv(2) });
  get('ct.zero-time.fv2', 'k-anon', { ...CT, type: 'login', token: `${'0'.repeat(34)}+\\`, ...fv(2) });
  get('ct.badtype.fv2', 'k-anon', { ...CT, type: 'foo', token: 'abc', ...fv(2) });
  get('ct.emptytype.fv2', 'k-anon', { ...CT, type: '', token: 'abc', ...fv(2) });
  get('ct.notoken.fv2', 'k-anon', { ...CT, type: 'csrf', ...fv(2) });
  get('ct.emptytoken.fv2', 'k-anon', { ...CT, type: 'csrf', token: '', ...fv(2) });
  get('ct.notype.fv1', 'k-anon', { ...CT, token: 'abc', ...fv(1) });
  post('ct.post.fv2', 'k-anon', { ...CT, type: 'csrf', token: '+\\', ...fv(2) });
  get('ct.unknownparam.fv2', 'k-anon', { ...CT, type: 'csrf', token: '+\\', foo: '1', ...fv(2) });
  get('ct.jsonp.fv2', 'k-anon', { ...CT, type: 'csrf', token: '+\\', callback: 'cb', ...fv(2) });
  get('ct.new-session.login.fv2', 'k-fresh', { ...CT, type: 'login', token: '{{login:k-anon}}', ...fv(2) });
  token('ct.alice.csrf.token', 'a-alice', 'csrf');
  get('ct.alice.csrf.fv2', 'a-alice', { ...CT, type: 'csrf', token: '{{csrf:a-alice}}', ...fv(2) });
  get('ct.alice.anon-token.fv2', 'a-alice', { ...CT, type: 'csrf', token: '+\\', ...fv(2) });
  get('ct.alice.patrol.csrf-token.fv2', 'a-alice', { ...CT, type: 'patrol', token: '{{csrf:a-alice}}', ...fv(2) });
  get('ct.alice.csrf.plaintext.fv2', 'a-alice', { ...CT, type: 'csrf', token: '{{csrf:a-alice}}', maxtokenage: '100', errorformat: 'plaintext', ...fv(2) });

  // -------------------------------------------------------------------------------------------
  section = 'action=createaccount: refused before the throttle counts (a name, the creator, a free name, the address, parameters)';
  const CA = { action: 'createaccount' };
  const RU = 'http://127.0.0.1/';
  const PW = 'Acct-Good-Pass-1';
  const ca = (id: string, client: string, p: Params, v: 1 | 2 = 2) => post(id, client, { ...CA, createtoken: `{{createaccount:${client}}}`, ...p, ...fv(v) });
  token('ca.token', 'c-anon', 'createaccount');
  ca('ca.no-username.fv2', 'c-anon', { password: PW, retype: PW, createreturnurl: RU });
  ca('ca.empty-username.fv1', 'c-anon', { username: '', password: PW, retype: PW, createreturnurl: RU }, 1);
  ca('ca.userexists.fv2', 'c-anon', { username: 'alice', password: PW, retype: PW, createreturnurl: RU });
  ca('ca.userexists.fv1', 'c-anon', { username: 'Alice', password: PW, retype: PW, createreturnurl: RU }, 1);
  ca('ca.userexists.no-retype.fv2', 'c-anon', { username: 'Alice', password: PW, createreturnurl: RU });
  ca('ca.noname.at.fv2', 'c-anon', { username: 'Acct@example', password: PW, retype: PW, createreturnurl: RU });
  ca('ca.noname.ip.raw.fv2', 'c-anon', { username: '1.2.3.4', password: PW, retype: PW, createreturnurl: RU, createmessageformat: 'raw' });
  ca('ca.invalidemail.fv2', 'c-anon', { username: 'Acct Mailer', password: PW, retype: PW, email: 'nope', realname: '', createreturnurl: RU });
  ca('ca.invalidemail.raw.fv2', 'c-anon', { username: 'Acct Mailer', password: PW, retype: PW, email: 'nope', realname: '', createreturnurl: RU, createmessageformat: 'raw' });
  for (const mf of ['html', 'none', 'raw', 'wikitext']) ca(`ca.userexists.${mf}.fv2`, 'c-anon', { username: 'Alice', password: PW, retype: PW, createmessageformat: mf, createreturnurl: RU });
  ca('ca.userexists.merge.fv2', 'c-anon', { username: 'Alice', password: PW, retype: PW, createmergerequestfields: '1', createreturnurl: RU });
  ca('ca.userexists.preservestate.fv2', 'c-anon', { username: 'Alice', password: PW, retype: PW, createpreservestate: '1', createreturnurl: RU });
  ca('ca.userexists.reason-anon.fv2', 'c-anon', { username: 'Alice', password: PW, retype: PW, reason: 'why', createreturnurl: RU });
  ca('ca.userexists.unknownparam.fv2', 'c-anon', { username: 'Alice', password: PW, retype: PW, foo: '1', createreturnurl: RU });
  ca('ca.userexists.requests-password.fv2', 'c-anon', { username: 'Alice', password: PW, retype: PW, email: 'x@example.org', createrequests: 'MediaWiki\\Auth\\PasswordAuthenticationRequest', createreturnurl: RU });
  ca('ca.userexists.returnurl-mailto.fv2', 'c-anon', { username: 'Alice', password: PW, retype: PW, createreturnurl: 'mailto:a@example.org' });
  ca('ca.missing-returnurl.fv2', 'c-anon', { username: 'Acct One', password: PW, retype: PW });
  ca('ca.badurl.fv2', 'c-anon', { username: 'Acct One', password: PW, retype: PW, createreturnurl: 'foo' });
  ca('ca.badurl.javascript.raw.fv2', 'c-anon', { username: 'Acct One', password: PW, retype: PW, createreturnurl: 'javascript:alert(1)', errorformat: 'raw' });
  ca('ca.badurl.protocol-relative.fv1', 'c-anon', { username: 'Acct One', password: PW, retype: PW, createreturnurl: '//example.org/' }, 1);
  ca('ca.continue.fv2', 'c-anon', { createcontinue: '1' });
  ca('ca.continue.with-fields.fv2', 'c-anon', { createcontinue: '1', username: 'Acct One', password: PW, retype: PW });
  post('ca.password-in-query.fv2', 'c-anon', { ...CA, createtoken: '{{createaccount:c-anon}}', username: 'Acct One', retype: PW, createreturnurl: RU, ...fv(2) }, { query: { password: PW } });
  post('ca.missing-token.fv2', 'c-anon', { ...CA, username: 'Acct One', password: PW, retype: PW, createreturnurl: RU, ...fv(2) });
  post('ca.empty-token.fv2', 'c-anon', { ...CA, createtoken: '', username: 'Acct One', password: PW, retype: PW, createreturnurl: RU, ...fv(2) });
  post('ca.anon-token.fv2', 'c-anon', { ...CA, createtoken: '+\\', username: 'Acct One', password: PW, retype: PW, createreturnurl: RU, ...fv(2) });
  get('ca.get.fv2', 'c-anon', { ...CA, username: 'Acct One', ...fv(2) });
  login('ca.eve.login', 'c-eve', 'Eve', USER_PASSWORD);
  token('ca.eve.token', 'c-eve', 'createaccount');
  ca('ca.eve.blocked.fv2', 'c-eve', { username: 'Acct Eve Sock', password: PW, retype: PW, createreturnurl: RU });
  ca('ca.eve.blocked-before-userexists.fv1', 'c-eve', { username: 'Alice', password: PW, retype: PW, createreturnurl: RU }, 1);
  ca('ca.eve.noname-before-blocked.fv2', 'c-eve', { password: PW, retype: PW, createreturnurl: RU });
  token('ca.bp.token', 'a-bp', 'createaccount');
  ca('ca.bp.permissiondenied.fv2', 'a-bp', { username: 'Acct Bot Sock', password: PW, retype: PW, createreturnurl: RU });
  ca('ca.bp.permissiondenied.plaintext.fv1', 'a-bp', { username: 'Acct Bot Sock', password: PW, retype: PW, createreturnurl: RU, errorformat: 'plaintext' }, 1);

  section = 'action=createaccount: the six anonymous attempts the throttle counts, then the seventh';
  ca('ca.pass.email-realname.fv2', 'c-anon', { username: 'acct_one', password: PW, retype: PW, email: 'acct-one@example.org', realname: 'Acct One Real', createreturnurl: RU });
  ca('ca.no-retype.fv2', 'c-anon', { username: 'Acct Two', password: PW, createreturnurl: RU });
  ca('ca.badretype.fv2', 'c-anon', { username: 'Acct Two', password: PW, retype: `${PW}x`, createreturnurl: RU });
  ca('ca.common-password.fv2', 'c-anon', { username: 'Acct Two', password: 'password', retype: 'password', createreturnurl: RU });
  ca('ca.requests-username-only.fv2', 'c-anon', { username: 'Acct Two', password: PW, retype: PW, createrequests: 'MediaWiki\\Auth\\UsernameAuthenticationRequest', createreturnurl: RU });
  ca('ca.pass.fv1', 'c-anon', { username: 'Acct Two', password: PW, retype: PW, createreturnurl: RU }, 1);
  ca('ca.seventh.throttled.fv2', 'c-anon', { username: 'Acct Three', password: PW, retype: PW, createreturnurl: RU });
  login('ca.acct-one.login', 'c-one', 'Acct one', PW);
  get('ca.acct-one.userinfo.fv2', 'c-one', { action: 'query', meta: 'userinfo', uiprop: 'email|realname|groups', ...fv(2) });

  section = 'action=createaccount: a sysop creates accounts for others (exempt from the throttle)';
  login('ca.admin.login', 'c-admin', 'Admin', ADMIN_PASSWORD);
  token('ca.admin.token', 'c-admin', 'createaccount');
  ca('ca.admin.pass.fv2', 'c-admin', { username: 'Acct Four', password: PW, retype: PW, createreturnurl: RU });
  ca('ca.admin.reason.fv2', 'c-admin', { username: 'Acct Five', password: PW, retype: PW, reason: 'for a friend', createreturnurl: RU });
  ca('ca.admin.email-only.fv2', 'c-admin', { username: 'Acct Six', password: PW, retype: PW, email: 'acct-six@example.org', createreturnurl: RU });
  login('ca.acct-six.login', 'c-six', 'Acct Six', PW);
  get('ca.acct-six.userinfo.fv2', 'c-six', { action: 'query', meta: 'userinfo', uiprop: 'email|realname', ...fv(2) });
  ca('ca.admin.mailpassword.no-email.fv2', 'c-admin', { username: 'Acct Mia', mailpassword: '1', createreturnurl: RU });
  mail('mail.accounts.before', 'mwauth tells Alice of the password change in cases.ts\'s temporary-password section; MediaWiki sends nothing');
  ca('ca.admin.mailpassword.fv2', 'c-admin', { username: 'Acct Mia', mailpassword: '1', email: 'mia@example.org', realname: '', reason: 'new colleague', createreturnurl: RU });
  mail('mail.accounts.mia', 'one mail to mia@example.org with a temporary password');
  get('ca.admin.userinfo.fv2', 'c-admin', { action: 'query', meta: 'userinfo', ...fv(2) });
  token('ca.mia.token', 'c-mia', 'login');
  post('ca.mia.clientlogin.temp.fv2', 'c-mia', {
    action: 'clientlogin', username: 'Acct Mia', password: '{{temp:mia@example.org}}', loginreturnurl: RU, logintoken: '{{login:c-mia}}', ...fv(2),
  });
  post('ca.mia.clientlogin.change.fv2', 'c-mia', { action: 'clientlogin', logincontinue: '1', password: 'Mia-Own-Pass-77', retype: 'Mia-Own-Pass-77', logintoken: '{{login:c-mia}}', ...fv(2) });
  get('ca.mia.userinfo.fv2', 'c-mia', { action: 'query', meta: 'userinfo', ...fv(2) });
  // An address without a real name: mwauth keeps it and mails; MediaWiki 1.39 reads neither, so has no address.
  ca('ca.admin.mailpassword.email-only.fv2', 'c-admin', { username: 'Acct Nia', mailpassword: '1', email: 'nia@example.org', createreturnurl: RU });
  mail('mail.accounts.nia', 'mwauth mails Nia; MediaWiki refused with noemailcreate');
  return list;
}
