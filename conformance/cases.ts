// The request sequence, sent in this order to both sides, each side with its own cookie jars
// (one jar per `client` name) and its own variables (tokens, temporary passwords).
//
// Order matters, because limits are shared state on both sides:
// - resetpassword: the anonymous per-IP limit (5 per hour, counted before validation) is spent by
//   exactly five requests (nodata, invalidemail, EVE@EXAMPLE.ORG, user=Alice, email=shared@…); everything that
//   reaches the module after them is dropped on both sides. Requests that fail before the module
//   (token, parameters, rights, block) do not count. Each account is mailed at most once per run.
// - login: MediaWiki throttles 5 attempts per 300 s per name and IP; only Carol is driven into the
//   throttle on purpose, every other name stays under it or logs in successfully in between.
// - Alice's password: the temporary-password flow at the end sets it back to the fixture password,
//   so a run leaves the accounts as it found them (limits and cooldowns aside: see --fresh-reference).

import { accountCases } from './cases-accounts.js';
import { frameworkCases } from './cases-framework.js';
import { BOT_PASSWORD, USER_PASSWORD, type Case, type HttpCase, type Params } from './fixture.js';

// ---------------------------------------------------------------------------------------------
// Small builders

const J = { format: 'json' };
const fv = (v: 1 | 2): Params => (v === 2 ? { ...J, formatversion: '2' } : { ...J });
const ANON = '+\\';

let section = '';
const list: Case[] = [];

function get(id: string, client: string, query: Params, extra: Partial<HttpCase> = {}): void {
  list.push({ id, section, client, method: 'GET', query, ...extra });
}
function post(id: string, client: string, body: Params, extra: Partial<HttpCase> = {}): void {
  list.push({ id, section, client, method: 'POST', body, ...extra });
}
function mail(id: string, note: string): void {
  list.push({ kind: 'mail', id, section, note });
}
/** meta=tokens for one jar, keeping the token under `<type>:<client>`. */
function token(id: string, client: string, type: string): void {
  get(id, client, { action: 'query', meta: 'tokens', type, ...fv(2) }, { save: { [`${type}:${client}`]: `query.tokens.${type}token` } });
}
/** A full action=login with a fresh login token for the jar. */
function login(id: string, client: string, name: string, password: string, v: 1 | 2 = 2, extra: Params = {}): void {
  token(`${id}.token`, client, 'login');
  post(id, client, { action: 'login', lgname: name, lgpassword: password, lgtoken: `{{login:${client}}}`, ...fv(v), ...extra });
}

const ERRORFORMATS = ['bc', 'plaintext', 'wikitext', 'html', 'raw', 'none'];
const TOKEN_TYPES = ['csrf', 'watch', 'patrol', 'rollback', 'userrights', 'login', 'createaccount'];

// ---------------------------------------------------------------------------------------------
section = 'meta=tokens';
get('tokens.default.fv1', 't-anon', { action: 'query', meta: 'tokens', ...fv(1) });
get('tokens.default.fv2', 't-anon', { action: 'query', meta: 'tokens', ...fv(2) });
get('tokens.all.fv1', 't-all1', { action: 'query', meta: 'tokens', type: '*', ...fv(1) });
get('tokens.all.fv2', 't-all2', { action: 'query', meta: 'tokens', type: '*', ...fv(2) });
for (const v of [1, 2] as const) {
  for (const t of TOKEN_TYPES) get(`tokens.type-${t}.fv${v}`, `t-each${v}`, { action: 'query', meta: 'tokens', type: t, ...fv(v) });
}
get('tokens.requested-order.fv2', 't-each2', { action: 'query', meta: 'tokens', type: 'watch|csrf|login', ...fv(2) });
get('tokens.unknown-mixed.fv1', 't-mix1', { action: 'query', meta: 'tokens', type: 'login|csrf|foo', ...fv(1) });
get('tokens.unknown-mixed.fv2', 't-mix2', { action: 'query', meta: 'tokens', type: 'login|csrf|foo', ...fv(2) });
get('tokens.unknown-only.fv2', 't-anon', { action: 'query', meta: 'tokens', type: 'foo', ...fv(2) });
get('tokens.unknown-two.fv1', 't-anon', { action: 'query', meta: 'tokens', type: 'foo|bar', ...fv(1) });
get('tokens.unknown.plaintext.fv2', 't-anon', { action: 'query', meta: 'tokens', type: 'foo', errorformat: 'plaintext', ...fv(2) });
get('tokens.origin-star.fv2', 't-anon', { action: 'query', meta: 'tokens', type: 'csrf|login', origin: '*', ...fv(2) }, { headers: { Origin: 'http://x.example' } });
get('tokens.maxlag-2.fv2', 't-anon', { action: 'query', meta: 'tokens', maxlag: '-2', ...fv(2) });

section = 'main';
get('main.badaction.fv1', 'm', { action: 'foo', ...fv(1) });
get('main.badaction.fv2', 'm', { action: 'foo', ...fv(2) });
list.push({ id: 'main.put.invalidmethod', section, client: 'm', method: 'PUT', query: { action: 'query', meta: 'tokens', ...fv(2) } });
list.push({ id: 'main.head.tokens', section, client: 'm', method: 'HEAD', query: { action: 'query', meta: 'tokens', ...fv(2) } });

// ---------------------------------------------------------------------------------------------
section = 'action=login';
post('login.needtoken.fv1', 'l-need', { action: 'login', lgname: 'Alice', lgpassword: USER_PASSWORD, ...fv(1) });
post('login.needtoken.fv2', 'l-need', { action: 'login', lgname: 'Alice', lgpassword: USER_PASSWORD, ...fv(2) });
post('login.needtoken.plaintext.fv2', 'l-need', { action: 'login', lgname: 'Alice', lgpassword: USER_PASSWORD, errorformat: 'plaintext', ...fv(2) });
post('login.needtoken.plaintext.fv1', 'l-need', { action: 'login', lgname: 'Alice', lgpassword: USER_PASSWORD, errorformat: 'plaintext', ...fv(1) });
post('login.wrongtoken.fv1', 'l-need', { action: 'login', lgname: 'Alice', lgpassword: USER_PASSWORD, lgtoken: 'abc', ...fv(1) });
post('login.wrongtoken.fv2', 'l-need', { action: 'login', lgname: 'Alice', lgpassword: USER_PASSWORD, lgtoken: 'abc', ...fv(2) });
token('login.other-session.token', 'l-need', 'login');
post('login.sessionlost.anon-token.fv2', 'l-lost1', { action: 'login', lgname: 'Alice', lgpassword: USER_PASSWORD, lgtoken: ANON, ...fv(2) });
post('login.sessionlost.other-session-token.raw.fv2', 'l-lost2', {
  action: 'login', lgname: 'Alice', lgpassword: USER_PASSWORD, lgtoken: '{{login:l-need}}', errorformat: 'raw', ...fv(2),
});
login('login.alice.success.fv1', 'l-alice', 'Alice', USER_PASSWORD, 1);
token('login.failures.token', 'l-fail', 'login');
post('login.alice.wrongpassword.fv1', 'l-fail', { action: 'login', lgname: 'Alice', lgpassword: 'wrong', lgtoken: '{{login:l-fail}}', ...fv(1) });
post('login.alice.wrongpassword.plaintext.fv2', 'l-fail', { action: 'login', lgname: 'Alice', lgpassword: 'wrong', lgtoken: '{{login:l-fail}}', errorformat: 'plaintext', ...fv(2) });
post('login.alice.wrongpassword.raw.fv2', 'l-fail', { action: 'login', lgname: 'Alice', lgpassword: 'wrong', lgtoken: '{{login:l-fail}}', errorformat: 'raw', ...fv(2) });
post('login.nobody.fv2', 'l-fail', { action: 'login', lgname: 'Nobody', lgpassword: 'wrong', lgtoken: '{{login:l-fail}}', ...fv(2) });
post('login.nobody.raw.fv2', 'l-fail', { action: 'login', lgname: 'Nobody', lgpassword: 'wrong', lgtoken: '{{login:l-fail}}', errorformat: 'raw', ...fv(2) });
post('login.empty-name.fv2', 'l-fail', { action: 'login', lgname: '', lgpassword: 'x', lgtoken: '{{login:l-fail}}', ...fv(2) });
post('login.empty-name.raw.fv2', 'l-fail', { action: 'login', lgname: '', lgpassword: 'x', lgtoken: '{{login:l-fail}}', errorformat: 'raw', ...fv(2) });
post('login.no-credentials.fv2', 'l-fail', { action: 'login', lgtoken: '{{login:l-fail}}', ...fv(2) });
post('login.ip-name.raw.fv2', 'l-fail', { action: 'login', lgname: '1.2.3.4', lgpassword: 'x', lgtoken: '{{login:l-fail}}', errorformat: 'raw', ...fv(2) });
post('login.alice.success.fv2', 'l-fail', { action: 'login', lgname: 'alice', lgpassword: USER_PASSWORD, lgtoken: '{{login:l-fail}}', ...fv(2) });
get('login.get.mustbeposted.fv1', 'l-misc', { action: 'login', lgname: 'Alice', ...fv(1) });
get('login.get.mustbeposted.fv2', 'l-misc', { action: 'login', lgname: 'Alice', lgpassword: 'x', ...fv(2) });
post('login.password-in-query.fv2', 'l-misc', { action: 'login', lgname: 'Alice', ...fv(2) }, { query: { lgpassword: 'x' } });
token('login.throttle.token', 'l-carol', 'login');
for (let i = 1; i <= 6; i++) {
  post(`login.throttle.carol-${i}.plaintext.fv2`, 'l-carol', {
    action: 'login', lgname: 'Carol', lgpassword: `wrong${i}`, lgtoken: '{{login:l-carol}}', errorformat: 'plaintext', ...fv(2),
  });
}
post('login.throttle.carol.raw.fv2', 'l-carol', { action: 'login', lgname: 'Carol', lgpassword: 'wrong', lgtoken: '{{login:l-carol}}', errorformat: 'raw', ...fv(2) });
post('login.throttle.carol.correct-password.fv1', 'l-carol', { action: 'login', lgname: 'Carol', lgpassword: USER_PASSWORD, lgtoken: '{{login:l-carol}}', ...fv(1) });
post('login.throttle.carol-lowercase.fv2', 'l-carol', { action: 'login', lgname: 'carol', lgpassword: 'x', lgtoken: '{{login:l-carol}}', ...fv(2) });

section = 'action=login (bot passwords)';
login('login.bp.alice.fv1', 'bp-alice', 'Alice@oracle', BOT_PASSWORD, 1);
token('login.bp.bob.token', 'bp-bob', 'login');
post('login.bp.bob.wrongpassword.raw.fv2', 'bp-bob', { action: 'login', lgname: 'Bob@bench', lgpassword: 'wrongwrongwrongwrongwrongwrong01', lgtoken: '{{login:bp-bob}}', errorformat: 'raw', ...fv(2) });
post('login.bp.bob.noapp.raw.fv2', 'bp-bob', { action: 'login', lgname: 'Bob@nosuchapp', lgpassword: BOT_PASSWORD, lgtoken: '{{login:bp-bob}}', errorformat: 'raw', ...fv(2) });
post('login.bp.bob.fv2', 'bp-bob', { action: 'login', lgname: 'Bob@bench', lgpassword: BOT_PASSWORD, lgtoken: '{{login:bp-bob}}', ...fv(2) });
// A bot-password session cannot log in again, whatever it sends: Aborted before the token, and clientlogin FAIL.
token('login.bp.bob.again.token', 'bp-bob', 'login');
post('login.bp.bob.again.main.fv1', 'bp-bob', { action: 'login', lgname: 'Bob', lgpassword: USER_PASSWORD, lgtoken: '{{login:bp-bob}}', ...fv(1) });
post('login.bp.bob.again.bot.plaintext.fv2', 'bp-bob', { action: 'login', lgname: 'Bob@bench', lgpassword: BOT_PASSWORD, lgtoken: '{{login:bp-bob}}', errorformat: 'plaintext', ...fv(2) });
post('login.bp.bob.again.raw.fv1', 'bp-bob', { action: 'login', lgname: 'Bob', lgpassword: USER_PASSWORD, lgtoken: '{{login:bp-bob}}', errorformat: 'raw', ...fv(1) });
post('login.bp.bob.again.badtoken.fv2', 'bp-bob', { action: 'login', lgname: 'Bob', lgpassword: USER_PASSWORD, lgtoken: 'abc+\\', ...fv(2) });
post('clientlogin.bp.bob.fv2', 'bp-bob', { action: 'clientlogin', username: 'Bob', password: USER_PASSWORD, loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:bp-bob}}', ...fv(2) });
post('clientlogin.bp.bob.fv1', 'bp-bob', { action: 'clientlogin', username: 'Bob', password: USER_PASSWORD, loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:bp-bob}}', errorformat: 'plaintext', ...fv(1) });
post('clientlogin.bp.bob.continue.raw.fv2', 'bp-bob', {
  action: 'clientlogin', logincontinue: '1', password: 'x', retype: 'x', logintoken: '{{login:bp-bob}}', errorformat: 'raw', loginmessageformat: 'raw', ...fv(2),
});
login('login.bp.eve.fv2', 'bp-eve', 'Eve@oracle', BOT_PASSWORD, 2);
login('login.eve.main.fv2', 'eve', 'Eve', USER_PASSWORD, 2);
login('login.bob.main.fv2', 'bob', 'Bob', USER_PASSWORD, 2);
get('main.callback.logged-in.userinfo.fv2', 'bob', { action: 'query', meta: 'userinfo', callback: 'cb', ...fv(2) });
get('main.callback.logged-in.tokens.fv1', 'bob', { action: 'query', meta: 'tokens', type: 'csrf|login', callback: 'cb', ...fv(1) });

// ---------------------------------------------------------------------------------------------
section = 'meta=userinfo';
get('userinfo.anon.fv1', 'u-anon', { action: 'query', meta: 'userinfo', ...fv(1) });
get('userinfo.anon.fv2', 'u-anon', { action: 'query', meta: 'userinfo', ...fv(2) });
const UIPROPS = 'blockinfo|hasmsg|groups|groupmemberships|implicitgroups|rights|changeablegroups|editcount|email|realname|registrationdate|unreadcount';
get('userinfo.anon.props.fv2', 'u-anon', { action: 'query', meta: 'userinfo', uiprop: UIPROPS, ...fv(2) });
get('userinfo.anon.props.fv1', 'u-anon', { action: 'query', meta: 'userinfo', uiprop: UIPROPS, ...fv(1) });
get('userinfo.anon.all.fv2', 'u-anon', { action: 'query', meta: 'userinfo', uiprop: '*', ...fv(2) });
get('userinfo.alice.props.fv2', 'l-alice', { action: 'query', meta: 'userinfo', uiprop: UIPROPS, ...fv(2) });
get('userinfo.alice.props.fv1', 'l-alice', { action: 'query', meta: 'userinfo', uiprop: UIPROPS, ...fv(1) });
get('userinfo.bp.alice.fv2', 'bp-alice', { action: 'query', meta: 'userinfo', uiprop: 'rights|groups|blockinfo|email', ...fv(2) });
get('userinfo.bp.eve.fv2', 'bp-eve', { action: 'query', meta: 'userinfo', uiprop: 'rights|groups|blockinfo|email', ...fv(2) });
get('userinfo.bp.eve.blockinfo.fv1', 'bp-eve', { action: 'query', meta: 'userinfo', uiprop: 'blockinfo', ...fv(1) });
get('userinfo.eve.main.fv2', 'eve', { action: 'query', meta: 'userinfo', uiprop: 'blockinfo|groups', ...fv(2) });

// ---------------------------------------------------------------------------------------------
section = 'action=resetpassword: errors before the module (not counted by the limit)';
const RP = { action: 'resetpassword' };
post('reset.missingparam.fv1', 'r-anon', { ...RP, user: 'Alice', ...fv(1) });
post('reset.missingparam.fv2', 'r-anon', { ...RP, user: 'Alice', ...fv(2) });
post('reset.missingparam.raw.fv2', 'r-anon', { ...RP, user: 'Alice', errorformat: 'raw', ...fv(2) });
post('reset.badtoken.fv1', 'r-anon', { ...RP, user: 'Alice', token: 'abc', ...fv(1) });
post('reset.badtoken.fv2', 'r-anon', { ...RP, user: 'Alice', token: 'abc', ...fv(2) });
for (const ef of ERRORFORMATS) {
  for (const v of [1, 2] as const) post(`reset.badtoken.${ef}.fv${v}`, 'r-anon', { ...RP, user: 'Alice', token: 'abc', errorformat: ef, ...fv(v) });
}
post('reset.badtoken.uselang-ar.plaintext.fv2', 'r-anon', { ...RP, user: 'Alice', token: 'abc', errorformat: 'plaintext', uselang: 'ar', ...fv(2) });
post('reset.badtoken.uselang-ar.plaintext.fv1', 'r-anon', { ...RP, user: 'Alice', token: 'abc', errorformat: 'plaintext', uselang: 'ar', ...fv(1) });
post('reset.badtoken.uselang-ar.bc.fv2', 'r-anon', { ...RP, user: 'Alice', token: 'abc', uselang: 'ar', ...fv(2) });
post('reset.badtoken.uselang-ar.utf8.fv1', 'r-anon', { ...RP, user: 'Alice', token: 'abc', errorformat: 'plaintext', uselang: 'ar', utf8: '1', ...fv(1) });
post('reset.badtoken.uselang-ar.ascii.fv2', 'r-anon', { ...RP, user: 'Alice', token: 'abc', errorformat: 'plaintext', uselang: 'ar', ascii: '1', ...fv(2) });
post('reset.badtoken.errorlang-fr.plaintext.fv2', 'r-anon', { ...RP, user: 'Alice', token: 'abc', errorformat: 'plaintext', errorlang: 'fr', ...fv(2) });
post('reset.badtoken.responselanginfo.fv2', 'r-anon', { ...RP, user: 'Nobody', token: 'abc', requestid: 'x', curtimestamp: '1', responselanginfo: '1', ...fv(2) });
post('reset.badtoken.responselanginfo.fv1', 'r-anon', { ...RP, user: 'Nobody', token: 'abc', requestid: 'x', curtimestamp: '1', responselanginfo: '1', ...fv(1) });
post('reset.badtoken.responselanginfo.uselang-ar.plaintext.fv2', 'r-anon', {
  ...RP, user: 'Nobody', token: 'abc', requestid: 'x', curtimestamp: '1', responselanginfo: '1', errorformat: 'plaintext', uselang: 'ar', ...fv(2),
});
post('reset.badtoken.unknownparam.fv2', 'r-anon', { ...RP, user: 'Nobody', token: 'abc', foo: '1', ...fv(2) });
post('reset.badtoken.unknownparam.plaintext.fv2', 'r-anon', { ...RP, user: 'Nobody', token: 'abc', foo: '1', errorformat: 'plaintext', ...fv(2) });
get('reset.get.token-in-query.fv1', 'r-anon', { ...RP, user: 'Alice', token: ANON, ...fv(1) });
get('reset.get.token-in-query.fv2', 'r-anon', { ...RP, user: 'Alice', token: ANON, ...fv(2) });
get('reset.get.no-token.fv2', 'r-anon', { ...RP, user: 'Alice', ...fv(2) });
post('reset.post.token-in-query.fv1', 'r-anon', { ...RP, user: 'Alice', ...fv(1) }, { query: { token: ANON } });
post('reset.post.token-in-query.raw.fv2', 'r-anon', { ...RP, user: 'Alice', errorformat: 'raw', ...fv(2) }, { query: { token: ANON } });
post('reset.post.all-in-query.fv2', 'r-anon', {}, { query: { ...RP, user: 'Alice', token: ANON, ...fv(2) } });
post('reset.baduser.ip.fv1', 'r-anon', { ...RP, user: '1.2.3.4', token: ANON, ...fv(1) });
post('reset.baduser.ip.fv2', 'r-anon', { ...RP, user: '1.2.3.4', token: ANON, ...fv(2) });
post('reset.baduser.empty.fv1', 'r-anon', { ...RP, user: '', token: ANON, ...fv(1) });
post('reset.baduser.empty.fv2', 'r-anon', { ...RP, user: '', token: ANON, ...fv(2) });
post('reset.baduser.ip.raw.fv2', 'r-anon', { ...RP, user: '1.2.3.4', token: ANON, errorformat: 'raw', ...fv(2) });
post('reset.baduser.ip.plaintext.fv1', 'r-anon', { ...RP, user: '1.2.3.4', token: ANON, errorformat: 'plaintext', ...fv(1) });
post('reset.assert-user.anon.fv1', 'r-anon', { ...RP, user: 'Nobody', token: ANON, assert: 'user', ...fv(1) });
post('reset.assert-user.missing-token.fv2', 'r-anon', { ...RP, user: 'Nobody', assert: 'user', ...fv(2) });
post('reset.assertuser-alice.anon.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, assertuser: 'Alice', ...fv(2) });
post('reset.maxlag-2.fv1', 'r-anon', { ...RP, user: 'Nobody', token: ANON, maxlag: '-2', ...fv(1) });
post('reset.maxlag-2.raw.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, maxlag: '-2', errorformat: 'raw', ...fv(2) });
post('reset.maxlag-abc.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, maxlag: 'abc', ...fv(2) });
post('reset.origin-mismatch.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, ...fv(2) }, { query: { origin: 'http://x.example' }, headers: { Origin: 'http://y.example' } });
post('reset.origin-without-header.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, origin: 'http://x.example', ...fv(2) });

section = 'action=resetpassword: sessions without the right, blocked requester';
token('reset.bp.alice.token', 'bp-alice', 'csrf');
post('reset.bp.alice.badaccess.fv2', 'bp-alice', { ...RP, user: 'Alice', token: '{{csrf:bp-alice}}', ...fv(2) });
post('reset.bp.alice.badaccess.fv1', 'bp-alice', { ...RP, user: 'Alice', token: '{{csrf:bp-alice}}', ...fv(1) });
post('reset.bp.alice.badaccess.raw.fv2', 'bp-alice', { ...RP, user: 'Alice', token: '{{csrf:bp-alice}}', errorformat: 'raw', ...fv(2) });
post('reset.bp.alice.badaccess.plaintext.fv2', 'bp-alice', { ...RP, user: 'Alice', token: '{{csrf:bp-alice}}', errorformat: 'plaintext', ...fv(2) });
post('reset.bp.alice.anon-token.fv2', 'bp-alice', { ...RP, user: 'Alice', token: ANON, ...fv(2) });
token('reset.bp.bob.token', 'bp-bob', 'csrf');
post('reset.bp.bob.badaccess.fv2', 'bp-bob', { ...RP, user: 'Nobody', token: '{{csrf:bp-bob}}', ...fv(2) });
token('reset.bp.eve.token', 'bp-eve', 'csrf');
post('reset.bp.eve.badaccess.fv2', 'bp-eve', { ...RP, user: 'Eve', token: '{{csrf:bp-eve}}', ...fv(2) });
post('reset.bp.eve.badaccess.raw.fv2', 'bp-eve', { ...RP, user: 'Alice', token: '{{csrf:bp-eve}}', errorformat: 'raw', ...fv(2) });
token('reset.eve.token', 'eve', 'csrf');
post('reset.eve.blocked.fv2', 'eve', { ...RP, user: 'Eve', token: '{{csrf:eve}}', ...fv(2) });
post('reset.eve.blocked.fv1', 'eve', { ...RP, user: 'Alice', token: '{{csrf:eve}}', ...fv(1) });
post('reset.eve.blocked.raw.fv2', 'eve', { ...RP, user: 'Alice', token: '{{csrf:eve}}', errorformat: 'raw', ...fv(2) });
post('reset.eve.blocked.plaintext.fv1', 'eve', { ...RP, user: 'Alice', token: '{{csrf:eve}}', errorformat: 'plaintext', ...fv(1) });
post('reset.eve.blocked.html.fv2', 'eve', { ...RP, user: 'Alice', token: '{{csrf:eve}}', errorformat: 'html', ...fv(2) });
post('reset.eve.blocked.nodata.fv2', 'eve', { ...RP, token: '{{csrf:eve}}', ...fv(2) });
token('reset.bob.token', 'bob', 'csrf');
post('reset.bob.anon-token.fv2', 'bob', { ...RP, user: 'Alice', token: ANON, ...fv(2) });

// ---------------------------------------------------------------------------------------------
section = 'action=resetpassword: the five anonymous requests the per-IP limit allows';
post('reset.nodata.raw.fv2', 'r-anon', { ...RP, token: ANON, errorformat: 'raw', ...fv(2) });
post('reset.invalidemail.fv2', 'r-anon', { ...RP, email: 'not-an-email', token: ANON, ...fv(2) });
post('reset.email-uppercase.eve.fv1', 'r-anon', { ...RP, email: 'EVE@EXAMPLE.ORG', token: ANON, ...fv(1) });
mail('mail.email-uppercase', 'MediaWiki compares addresses exactly and sends nothing; mwauth ignores case and mails Eve');
post('reset.user.alice.fv1', 'r-anon', { ...RP, user: 'Alice', token: ANON, ...fv(1) });
post('reset.email.shared.fv2', 'r-anon', { ...RP, email: 'shared@example.org', token: ANON, ...fv(2) });
mail('mail.alice-and-shared', 'one mail each to Alice, Bob and Carol (shared address), each with a temporary password');

section = 'action=resetpassword: over the anonymous limit (answers stay the same, nothing is sent)';
post('reset.after-limit.nobody.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, ...fv(2) });
post('reset.after-limit.nodata.fv2', 'r-anon', { ...RP, token: ANON, ...fv(2) }, { note: 'MediaWiki checks the limit before the parameters: over it, even nodata answers success' });
post('reset.after-limit.nodata.html.fv1', 'r-anon', { ...RP, token: ANON, errorformat: 'html', ...fv(1) });
post('reset.after-limit.dave-no-email.plaintext.fv2', 'r-anon', { ...RP, user: 'Dave', token: ANON, errorformat: 'plaintext', ...fv(2) });
post('reset.after-limit.eve-blocked-target.fv2', 'r-anon', { ...RP, user: 'Eve', token: ANON, ...fv(2) });
post('reset.after-limit.email-uppercase.fv1', 'r-anon', { ...RP, email: 'ALICE@EXAMPLE.ORG', token: ANON, ...fv(1) });
post('reset.after-limit.user-with-at.fv2', 'r-anon', { ...RP, user: 'Alice@oracle', token: ANON, ...fv(2) });
post('reset.after-limit.invalidemail.fv1', 'r-anon', { ...RP, email: 'not-an-email', token: ANON, ...fv(1) });
post('reset.after-limit.user-and-email.fv2', 'r-anon', { ...RP, user: 'Nobody', email: 'alice@example.org', token: ANON, ...fv(2) });
post('reset.after-limit.lowercase-user.fv2', 'r-anon', { ...RP, user: 'alice', token: ANON, ...fv(2) });
post('reset.after-limit.unknownparam.fv1', 'r-anon', { ...RP, user: 'Nobody', foo: '1', token: ANON, ...fv(1) });
post('reset.after-limit.unknownparam.fv2', 'r-anon', { ...RP, user: 'Nobody', foo: '1', token: ANON, ...fv(2) });
post('reset.after-limit.unknownparams.plaintext.fv2', 'r-anon', { ...RP, user: 'Nobody', foo: '1', bar: '2', token: ANON, errorformat: 'plaintext', ...fv(2) });
post('reset.after-limit.unknownparams.plaintext.fv1', 'r-anon', { ...RP, user: 'Nobody', foo: '1', bar: '2', token: ANON, errorformat: 'plaintext', ...fv(1) });
post('reset.after-limit.unknownparam.raw.fv2', 'r-anon', { ...RP, user: 'Nobody', foo: '1', token: ANON, errorformat: 'raw', ...fv(2) });
post('reset.after-limit.responselanginfo.fv1', 'r-anon', { ...RP, user: 'Nobody', token: ANON, requestid: 'x', curtimestamp: '1', responselanginfo: '1', ...fv(1) });
post('reset.after-limit.responselanginfo.uselang-fr.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, requestid: 'x', curtimestamp: '1', responselanginfo: '1', uselang: 'fr', ...fv(2) });
post('reset.after-limit.multipart.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, ...fv(2) }, { multipart: true });
post('reset.after-limit.assert-anon.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, assert: 'anon', ...fv(2) });
post('reset.after-limit.origin-star.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, origin: '*', ...fv(2) });
post('reset.after-limit.origin-star-with-header.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, origin: '*', ...fv(2) }, { headers: { Origin: 'http://x.example' } });
post('reset.after-limit.origin-match.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, ...fv(2) }, { query: { origin: 'http://x.example' }, headers: { Origin: 'http://x.example' } });
post('reset.after-limit.maxlag-1.fv2', 'r-anon', { ...RP, user: 'Nobody', token: ANON, maxlag: '-1', ...fv(2) });
mail('mail.after-limit', 'nothing: every request above is over the limit');

section = 'action=resetpassword: logged in (MediaWiki does not limit logged-in users)';
post('reset.loggedin.bob.nobody.fv2', 'bob', { ...RP, user: 'Nobody', token: '{{csrf:bob}}', ...fv(2) });
post('reset.loggedin.bob.nodata.fv1', 'bob', { ...RP, token: '{{csrf:bob}}', ...fv(1) });
post('reset.loggedin.bob.dave.fv1', 'bob', { ...RP, user: 'Dave', token: '{{csrf:bob}}', ...fv(1) });
post('reset.loggedin.bob.alice-cooldown.fv2', 'bob', { ...RP, user: 'Alice', token: '{{csrf:bob}}', ...fv(2) });
post('reset.loggedin.bob.admin.fv2', 'bob', { ...RP, user: 'Admin', token: '{{csrf:bob}}', ...fv(2) });
mail('mail.loggedin', 'MediaWiki mails Admin (logged-in requesters are not limited; Alice is in her 24 h cooldown)');

// ---------------------------------------------------------------------------------------------
section = 'action=clientlogin';
token('clientlogin.token', 'cl', 'login');
post('clientlogin.dave.wrong.fv1', 'cl', { action: 'clientlogin', username: 'Dave', password: 'wrong', loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:cl}}', ...fv(1) });
post('clientlogin.dave.wrong.fv2', 'cl', { action: 'clientlogin', username: 'Dave', password: 'wrong', loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:cl}}', ...fv(2) });
post('clientlogin.dave.wrong.raw.fv2', 'cl', { action: 'clientlogin', username: 'Dave', password: 'wrong', loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:cl}}', errorformat: 'raw', ...fv(2) });
post('clientlogin.dave.wrong.messageformat-raw.fv2', 'cl', {
  action: 'clientlogin', username: 'Dave', password: 'wrong', loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:cl}}', loginmessageformat: 'raw', ...fv(2),
});
post('clientlogin.nobody.fv2', 'cl', { action: 'clientlogin', username: 'Nobody', password: 'wrong', loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:cl}}', ...fv(2) });
post('clientlogin.missing-returnurl.fv2', 'cl', { action: 'clientlogin', username: 'Dave', password: 'wrong', logintoken: '{{login:cl}}', ...fv(2) });
post('clientlogin.missing-token.fv2', 'cl', { action: 'clientlogin', username: 'Dave', password: 'wrong', loginreturnurl: 'http://127.0.0.1/', ...fv(2) });
post('clientlogin.badtoken.fv2', 'cl', { action: 'clientlogin', username: 'Dave', password: 'wrong', loginreturnurl: 'http://127.0.0.1/', logintoken: 'abc', ...fv(2) });
post('clientlogin.carol.throttled.fv2', 'cl', { action: 'clientlogin', username: 'Carol', password: 'wrong', loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:cl}}', ...fv(2) });
post('clientlogin.dave.pass.fv2', 'cl', { action: 'clientlogin', username: 'Dave', password: USER_PASSWORD, loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:cl}}', ...fv(2) });
get('userinfo.dave.fv2', 'cl', { action: 'query', meta: 'userinfo', ...fv(2) });

// ---------------------------------------------------------------------------------------------
section = 'action=logout';
post('logout.anon.fv1', 'o-anon', { action: 'logout', token: ANON, ...fv(1) });
post('logout.anon.fv2', 'o-anon', { action: 'logout', token: ANON, ...fv(2) });
post('logout.anon.no-token.fv2', 'o-anon', { action: 'logout', ...fv(2) });
get('logout.anon.get.fv2', 'o-anon', { action: 'logout', ...fv(2) });
token('logout.dave.token', 'cl', 'csrf');
post('logout.dave.badtoken.fv2', 'cl', { action: 'logout', token: 'abc', ...fv(2) });
post('logout.dave.fv2', 'cl', { action: 'logout', token: '{{csrf:cl}}', ...fv(2) });
get('userinfo.after-logout.fv2', 'cl', { action: 'query', meta: 'userinfo', ...fv(2) });
token('logout.bp.alice.token', 'bp-alice', 'csrf');
post('logout.bp.alice.fv1', 'bp-alice', { action: 'logout', token: '{{csrf:bp-alice}}', ...fv(1) });
login('logout.alice.login.fv1', 'o-alice', 'Alice', USER_PASSWORD, 1);
token('logout.alice.token', 'o-alice', 'csrf');
post('logout.alice.remembered.fv1', 'o-alice', { action: 'logout', token: '{{csrf:o-alice}}', ...fv(1) });
post('logout.alice.stale-token.fv2', 'o-alice', { action: 'logout', token: '{{csrf:o-alice}}', ...fv(2) });

// ---------------------------------------------------------------------------------------------
section = 'temporary password (from each side\'s own mail)';
token('temp.token', 'tp', 'login');
post('login.alice.temp-password.aborted.fv2', 'tp', { action: 'login', lgname: 'Alice', lgpassword: '{{temp:alice@example.org}}', lgtoken: '{{login:tp}}', ...fv(2) });
post('login.alice.temp-password.aborted.plaintext.fv1', 'tp', {
  action: 'login', lgname: 'Alice', lgpassword: '{{temp:alice@example.org}}', lgtoken: '{{login:tp}}', errorformat: 'plaintext', ...fv(1),
});
get('userinfo.after-aborted.fv2', 'tp', { action: 'query', meta: 'userinfo', ...fv(2) });
post('clientlogin.temp.ui.fv1', 'tp', {
  action: 'clientlogin', username: 'Alice', password: '{{temp:alice@example.org}}', loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:tp}}', ...fv(1),
});
post('clientlogin.temp.badretype.fv1', 'tp', { action: 'clientlogin', logincontinue: '1', password: 'Alice-New-Pass-77', retype: 'Alice-New-Pass-78', logintoken: '{{login:tp}}', ...fv(1) });
post('clientlogin.temp.badretype.fv2', 'tp', { action: 'clientlogin', logincontinue: '1', password: 'Alice-New-Pass-77', retype: 'Alice-New-Pass-78', logintoken: '{{login:tp}}', ...fv(2) });
post('clientlogin.temp.weak-composite.fv2', 'tp', { action: 'clientlogin', logincontinue: '1', password: 'Alice', retype: 'Alice', logintoken: '{{login:tp}}', ...fv(2) });
post('clientlogin.temp.pass.fv2', 'tp', { action: 'clientlogin', logincontinue: '1', password: USER_PASSWORD, retype: USER_PASSWORD, logintoken: '{{login:tp}}', ...fv(2) });
get('userinfo.after-temp-pass.fv2', 'tp', { action: 'query', meta: 'userinfo', ...fv(2) });
get('userinfo.old-session-after-password-change.fv2', 'l-alice', { action: 'query', meta: 'userinfo', ...fv(2) });
login('login.bp.alice.after-password-change.fv2', 'bp-after', 'Alice@oracle', BOT_PASSWORD, 2);
login('login.alice.after-password-change.fv2', 'l-after', 'Alice', USER_PASSWORD, 2);
token('clientlogin.rememberme.token', 'cl-remember', 'login');
post('clientlogin.alice.rememberme.pass.fv2', 'cl-remember', {
  action: 'clientlogin', username: 'Alice', password: USER_PASSWORD, rememberMe: '1', loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:cl-remember}}', ...fv(2),
});
get('userinfo.rememberme.fv1', 'cl-remember', { action: 'query', meta: 'userinfo', ...fv(1) });

list.push(...accountCases());

export const CASES: readonly Case[] = [...list, ...frameworkCases({ userPassword: USER_PASSWORD, botPassword: BOT_PASSWORD })];
