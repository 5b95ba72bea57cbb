// The API framework's cases, run after cases.ts's (conformance/README.md: order matters). They spend
// nothing the reset and login limits count: resets here all fail before the module (tokens,
// parameters), and the only failed logins are for names no other case uses ("Fwnobody").
//   - pywikibot's start-up: paraminfo for main, paraminfo and query, query+tokens, siteinfo;
//   - an empty token, in every module that takes one;
//   - refused main parameters keep requestid, curtimestamp, uselang and errorlang, in every format;
//   - errorformat=raw: message keys and parameters of errors and warnings;
//   - formatversion 1 booleans (preferences, siteinfo);
//   - format=xml, xmlfm, php, phpfm, rawfm and none for every module's answers.
import type { Case, HttpCase, Params } from './fixture.js';

export function frameworkCases(p: { userPassword: string; botPassword: string }): Case[] {
  const list: Case[] = [];
  let section = '';
  const get = (id: string, client: string, query: Params, extra: Partial<HttpCase> = {}) =>
    list.push({ id, section, client, method: 'GET', query, ...extra });
  const post = (id: string, client: string, body: Params, extra: Partial<HttpCase> = {}) =>
    list.push({ id, section, client, method: 'POST', body, ...extra });
  const token = (id: string, client: string, type: string) =>
    get(id, client, { action: 'query', meta: 'tokens', type, format: 'json', formatversion: '2' }, { save: { [`${type}:${client}`]: `query.tokens.${type}token` } });
  const J1 = { format: 'json' };
  const J2 = { format: 'json', formatversion: '2' };
  const RAW = { format: 'json', formatversion: '2', errorformat: 'raw' };
  const ECHO = { requestid: 'fw-1', curtimestamp: '1', responselanginfo: '1' };

  // -------------------------------------------------------------------------------------------
  section = 'framework: pywikibot start-up (paraminfo, siteinfo)';
  post('fw.paraminfo.main-paraminfo-query.fv1', 'fw-pwb', { action: 'paraminfo', modules: 'main|paraminfo|query', maxlag: '5', ...J1 });
  post('fw.paraminfo.query+tokens.fv1', 'fw-pwb', { action: 'paraminfo', modules: 'query+tokens', maxlag: '5', ...J1 });
  get('fw.paraminfo.main.fv2', 'fw-pwb', { action: 'paraminfo', modules: 'main', ...J2 });
  get('fw.paraminfo.mainmodule.fv1', 'fw-pwb', { action: 'paraminfo', mainmodule: '1', ...J1 });
  get('fw.paraminfo.mainmodule-0.fv2', 'fw-pwb', { action: 'paraminfo', mainmodule: '0', ...J2 });
  get('fw.paraminfo.querymodules.raw.fv2', 'fw-pwb', { action: 'paraminfo', querymodules: 'tokens|userinfo', ...RAW });
  get('fw.paraminfo.formatmodules.fv2', 'fw-pwb', { action: 'paraminfo', formatmodules: 'json|xml|php|rawfm', ...J2 });
  get('fw.paraminfo.pagesetmodule.fv2', 'fw-pwb', { action: 'paraminfo', pagesetmodule: '1', ...J2 });
  get('fw.paraminfo.modules.fv2', 'fw-pwb', {
    action: 'paraminfo', modules: 'login|clientlogin|logout|createaccount|changeauthenticationdata|resetpassword|help|paraminfo|rsd|query+siteinfo|query+userinfo|query+authmanagerinfo', ...J2,
  });
  get('fw.paraminfo.formats.fv2', 'fw-pwb', { action: 'paraminfo', modules: 'json|jsonfm|php|phpfm|xml|xmlfm|rawfm|none', ...J2 });
  get('fw.paraminfo.badmodules.raw.fv2', 'fw-pwb', { action: 'paraminfo', modules: 'nosuch|query+nosuch|query+tokens+x|main+query|login+*', ...RAW });
  get('fw.paraminfo.badmodules.fv1', 'fw-pwb', { action: 'paraminfo', modules: 'nosuch|query+tokens+x', ...J1 });
  get('fw.paraminfo.space-for-plus.fv2', 'fw-pwb', { action: 'paraminfo', modules: 'query tokens', ...J2 });
  get('fw.paraminfo.helpformat-raw.fv2', 'fw-pwb', { action: 'paraminfo', modules: 'query+tokens', helpformat: 'raw', ...J2 });
  get('fw.paraminfo.helpformat-wikitext.fv2', 'fw-pwb', { action: 'paraminfo', modules: 'query+tokens', helpformat: 'wikitext', ...J2 });
  get('fw.paraminfo.helpformat-html.fv1', 'fw-pwb', { action: 'paraminfo', modules: 'query+tokens', helpformat: 'html', ...J1 });
  post('fw.siteinfo.pwb.general.fv2', 'fw-pwb', {
    action: 'query', meta: 'siteinfo|userinfo', siprop: 'namespaces|namespacealiases|general', formatversion: '2', uiprop: 'blockinfo|hasmsg', maxlag: '5', format: 'json',
  });
  post('fw.siteinfo.pwb.unsupported.fv2', 'fw-pwb', { action: 'query', meta: 'siteinfo|userinfo', siprop: 'bogusprop', formatversion: '2', uiprop: 'blockinfo|hasmsg', maxlag: '5', format: 'json' });
  post('fw.siteinfo.pwb.unsupported-two.fv2', 'fw-pwb', { action: 'query', meta: 'siteinfo', siprop: 'bogus1|restrictions|bogus2', formatversion: '2', maxlag: '5', format: 'json' });
  get('fw.siteinfo.interwikimap-local.fv1', 'fw-pwb', { action: 'query', meta: 'siteinfo', siprop: 'interwikimap', sifilteriw: 'local', ...J1 });
  get('fw.rsd', 'fw-pwb', { action: 'rsd' });
  get('fw.rsd.format-json', 'fw-pwb', { action: 'rsd', format: 'json' });
  get('fw.help.badmodule.fv2', 'fw-pwb', { action: 'help', modules: 'nosuch', ...J2 });
  get('fw.help.wrap.fv2', 'fw-pwb', { action: 'help', modules: 'query+tokens', wrap: '1', ...J2 });

  // -------------------------------------------------------------------------------------------
  section = 'framework: an empty token is missingparam';
  post('fw.empty-token.logout.fv1', 'fw-anon', { action: 'logout', token: '', ...J1 });
  post('fw.empty-token.logout.raw.fv2', 'fw-anon', { action: 'logout', token: '', ...RAW });
  post('fw.empty-token.resetpassword.raw.fv2', 'fw-anon', { action: 'resetpassword', user: 'Nobody', token: '', ...RAW });
  post('fw.empty-token.createaccount.raw.fv2', 'fw-anon', { action: 'createaccount', createtoken: '', createreturnurl: 'http://127.0.0.1/', ...RAW });
  post('fw.empty-token.clientlogin.raw.fv2', 'fw-anon', { action: 'clientlogin', logintoken: '', loginreturnurl: 'http://127.0.0.1/', username: 'Fwnobody', password: 'x', ...RAW });
  post('fw.empty-token.changeauthenticationdata.raw.fv2', 'fw-anon', { action: 'changeauthenticationdata', changeauthrequest: 'x', changeauthtoken: '', ...RAW });
  post('fw.empty-token.in-query.fv2', 'fw-anon', { action: 'logout', ...J2 }, { query: { token: '' } });
  get('fw.empty-token.get.fv2', 'fw-anon', { action: 'resetpassword', user: 'Nobody', token: '', ...J2 });
  post('fw.empty-lgtoken.needtoken.fv1', 'fw-lg', { action: 'login', lgname: 'Fwnobody', lgpassword: 'x', lgtoken: '', ...J1 });
  post('fw.empty-lgtoken.needtoken.raw.fv2', 'fw-lg', { action: 'login', lgname: 'Fwnobody', lgpassword: 'x', lgtoken: '', ...RAW });
  post('fw.empty-changeauthrequest.raw.fv2', 'fw-anon', { action: 'changeauthenticationdata', changeauthrequest: '', changeauthtoken: '+\\', ...RAW });

  // -------------------------------------------------------------------------------------------
  section = 'framework: refused main parameters keep requestid, curtimestamp, uselang, errorlang';
  for (const [name, q] of [
    ['action', { action: 'nosuch' }],
    ['assert', { action: 'query', assert: 'bogus' }],
    ['assertuser', { action: 'query', assertuser: '1.2.3.4' }],
    ['maxlag', { action: 'query', maxlag: 'abc' }],
    ['errorformat', { action: 'query', errorformat: 'bogus' }],
  ] as const) {
    get(`fw.refused.${name}.fv1`, 'fw-anon', { ...q, ...ECHO, ...J1 });
    get(`fw.refused.${name}.fv2`, 'fw-anon', { ...q, ...ECHO, ...J2 });
    get(`fw.refused.${name}.xml`, 'fw-anon', { ...q, ...ECHO, format: 'xml' });
    get(`fw.refused.${name}.php`, 'fw-anon', { ...q, ...ECHO, format: 'php' });
  }
  get('fw.refused.action.plaintext.uselang-fr.fv2', 'fw-anon', { action: 'nosuch', ...ECHO, uselang: 'fr', errorformat: 'plaintext', ...J2 });
  get('fw.refused.action.raw.xml', 'fw-anon', { action: 'nosuch', ...ECHO, errorformat: 'raw', format: 'xml' });
  get('fw.refused.action.jsonfm', 'fw-anon', { action: 'nosuch', ...ECHO, format: 'jsonfm' });
  get('fw.refused.action.rawfm', 'fw-anon', { action: 'nosuch', ...ECHO, format: 'rawfm' });
  get('fw.refused.format.fv1', 'fw-anon', { action: 'query', ...ECHO, format: 'bogus' });
  get('fw.refused.formatversion.fv1', 'fw-anon', { action: 'query', meta: 'tokens', ...ECHO, format: 'json', formatversion: '9' });
  get('fw.refused.formatversion.raw', 'fw-anon', { action: 'query', meta: 'tokens', ...ECHO, format: 'json', formatversion: '9', errorformat: 'raw' });
  get('fw.refused.formatversion.after-error.plaintext', 'fw-anon', { action: 'nosuch', format: 'json', formatversion: '9', errorformat: 'plaintext' });
  get('fw.refused.formatversion.callback', 'fw-anon', { action: 'query', meta: 'tokens', format: 'json', formatversion: '9', callback: 'cb' });
  get('fw.refused.formatversion.php', 'fw-anon', { action: 'query', meta: 'tokens', format: 'php', formatversion: 'x', errorformat: 'raw' });
  get('fw.refused.notmulti.raw.fv2', 'fw-anon', { action: 'query', assert: '\x1fanon\x1fuser', ...RAW });
  get('fw.refused.toomanyvalues.raw.fv2', 'fw-anon', { action: 'query', meta: 'tokens', type: Array.from({ length: 51 }, (_, i) => `t${i}`).join('|'), ...RAW });
  get('fw.badutf8.raw.fv2', 'fw-anon', { action: 'query', requestid: 'a\x01b', ...RAW });

  // -------------------------------------------------------------------------------------------
  section = 'framework: errorformat=raw identifiers';
  get('fw.raw.unrecognizedvalues.fv2', 'fw-anon', { action: 'query', meta: 'tokens', type: 'csrf|bogus|other', ...RAW });
  get('fw.raw.unrecognizedvalues.fv1', 'fw-anon', { action: 'query', meta: 'tokens', type: 'bogus', format: 'json', errorformat: 'raw' });
  get('fw.raw.unrecognizedvalues.bc.fv2', 'fw-anon', { action: 'query', meta: 'siteinfo', siprop: 'bogus1|bogus2', ...J2 });
  get('fw.raw.unrecognizedparams.fv2', 'fw-anon', { action: 'query', meta: 'tokens', foo: '1', bar: '2', ...RAW });
  get('fw.raw.tokens-origin.fv2', 'fw-anon', { action: 'query', meta: 'tokens', callback: 'cb', ...RAW });
  get('fw.raw.warnings-order.plaintext.fv2', 'fw-anon', { action: 'query', meta: 'tokens', type: 'foo', foo: '1', requestid: 'x', curtimestamp: '1', errorformat: 'plaintext', ...J2 });
  get('fw.raw.warnings-on-top.fv2', 'fw-anon', { action: 'query', meta: 'tokens', foo: '1', requestid: 'x', curtimestamp: '1', ...J2 });
  list.push({ id: 'fw.login.dave.main.token', section, client: 'fw-dave', method: 'GET', query: { action: 'query', meta: 'tokens', type: 'login', ...J2 }, save: { 'login:fw-dave': 'query.tokens.logintoken' } });
  post('fw.login.dave.main.raw.fv2', 'fw-dave', { action: 'login', lgname: 'Dave', lgpassword: p.userPassword, lgtoken: '{{login:fw-dave}}', ...RAW });

  // -------------------------------------------------------------------------------------------
  section = 'framework: formatversion 1 booleans';
  get('fw.bools.userinfo.options.anon.fv1', 'fw-anon', { action: 'query', meta: 'userinfo', uiprop: 'options', ...J1 });
  get('fw.bools.userinfo.options.dave.fv1', 'fw-dave', { action: 'query', meta: 'userinfo', uiprop: 'options|hasmsg|centralids', ...J1 });
  get('fw.bools.siteinfo.defaultoptions.fv1', 'fw-anon', { action: 'query', meta: 'siteinfo', siprop: 'defaultoptions', ...J1 });
  get('fw.bools.siteinfo.namespaces.fv1', 'fw-anon', { action: 'query', meta: 'siteinfo', siprop: 'namespaces|namespacealiases|restrictions|protocols', ...J1 });
  get('fw.bools.siteinfo.general.fv1', 'fw-anon', { action: 'query', meta: 'siteinfo', siprop: 'general', ...J1 });
  get('fw.bools.siteinfo.general.fv2', 'fw-anon', { action: 'query', meta: 'siteinfo', siprop: 'general', ...J2 });
  get('fw.bools.authmanagerinfo.fv1', 'fw-anon', { action: 'query', meta: 'authmanagerinfo', ...J1 });

  // -------------------------------------------------------------------------------------------
  section = 'framework: xml, php, rawfm and the HTML forms';
  const FORMATS: Params[] = [
    { format: 'xml' }, { format: 'php' }, { format: 'php', formatversion: '2' }, { format: 'xmlfm' }, { format: 'phpfm' }, { format: 'rawfm' }, { format: 'jsonfm', formatversion: '2' },
  ];
  const tag = (f: Params) => f.format + (f.formatversion ? `.fv${f.formatversion}` : '');
  for (const f of FORMATS) {
    get(`fw.fmt.tokens.${tag(f)}`, 'fw-anon', { action: 'query', meta: 'tokens', type: 'csrf|login|bogus', ...f });
    get(`fw.fmt.userinfo.anon.${tag(f)}`, 'fw-anon', { action: 'query', meta: 'userinfo', uiprop: 'blockinfo|hasmsg|groups|groupmemberships|implicitgroups|rights|changeablegroups|options|editcount|ratelimits|email|realname|registrationdate|unreadcount|centralids', ...f });
    get(`fw.fmt.error.${tag(f)}`, 'fw-anon', { action: 'nosuch', ...f });
  }
  get('fw.fmt.none', 'fw-anon', { action: 'query', meta: 'tokens', format: 'none' });
  get('fw.fmt.userinfo.acceptlang.php', 'fw-anon', { action: 'query', meta: 'userinfo', uiprop: 'acceptlang', format: 'php' }, { headers: { 'Accept-Language': 'fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5' } });
  get('fw.fmt.userinfo.acceptlang.xml', 'fw-anon', { action: 'query', meta: 'userinfo', uiprop: 'acceptlang', format: 'xml' }, { headers: { 'Accept-Language': 'fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5' } });
  get('fw.fmt.userinfo.dave.xml', 'fw-dave', { action: 'query', meta: 'userinfo', uiprop: 'groups|rights|options|ratelimits|email|registrationdate|centralids', format: 'xml' });
  get('fw.fmt.userinfo.dave.php', 'fw-dave', { action: 'query', meta: 'userinfo', uiprop: 'groups|rights|options|ratelimits|email|registrationdate|centralids', format: 'php' });
  get('fw.fmt.userinfo.eve-blocked.xml', 'eve', { action: 'query', meta: 'userinfo', uiprop: 'blockinfo|groups', format: 'xml' });
  for (const f of [{ format: 'xml' }, { format: 'php' }, { format: 'json' }, { format: 'json', formatversion: '2' }] as Params[]) {
    get(`fw.fmt.siteinfo.${tag(f)}`, 'fw-anon', { action: 'query', meta: 'siteinfo', siprop: 'namespaces|namespacealiases|restrictions|protocols|defaultoptions|dbrepllag|rightsinfo', ...f });
    get(`fw.fmt.siteinfo.empties.${tag(f)}`, 'fw-anon', { action: 'query', meta: 'siteinfo', siprop: 'specialpagealiases|magicwords|interwikimap|extensions|fileextensions|libraries|skins|extensiontags|functionhooks|showhooks|variables|languagevariants|uploaddialog', ...f });
    get(`fw.fmt.authmanagerinfo.login.${tag(f)}`, 'fw-anon', { action: 'query', meta: 'authmanagerinfo', amirequestsfor: 'login', amimergerequestfields: '1', ...f });
  }
  get('fw.fmt.paraminfo.xml', 'fw-anon', { action: 'paraminfo', modules: 'resetpassword|query+tokens', format: 'xml' });
  get('fw.fmt.paraminfo.php', 'fw-anon', { action: 'paraminfo', modules: 'resetpassword|query+tokens', format: 'php' });
  get('fw.fmt.paraminfo.helpformat-raw.xml', 'fw-anon', { action: 'paraminfo', modules: 'query+tokens', helpformat: 'raw', format: 'xml' });
  for (const ef of ['bc', 'plaintext', 'wikitext', 'html', 'raw', 'none']) {
    post(`fw.fmt.badtoken.${ef}.xml`, 'fw-anon', { action: 'resetpassword', user: 'Nobody', token: 'abc', errorformat: ef, format: 'xml' });
    post(`fw.fmt.badtoken.${ef}.php`, 'fw-anon', { action: 'resetpassword', user: 'Nobody', token: 'abc', errorformat: ef, format: 'php' });
    get(`fw.fmt.warnings.${ef}.xml`, 'fw-anon', { action: 'query', meta: 'tokens', type: 'csrf|bogus', foo: '1', errorformat: ef, format: 'xml' });
  }
  post('fw.fmt.maxlag.xml', 'fw-anon', { action: 'resetpassword', user: 'Nobody', token: '+\\', maxlag: '-2', format: 'xml' });
  get('fw.fmt.xml.includexmlnamespace', 'fw-anon', { action: 'query', meta: 'tokens', includexmlnamespace: '1', format: 'xml' });
  get('fw.fmt.xml.xslt', 'fw-anon', { action: 'query', meta: 'tokens', xslt: 'MediaWiki:Api.xsl', format: 'xml' });
  get('fw.fmt.xml.xslt.raw', 'fw-anon', { action: 'query', meta: 'tokens', xslt: 'MediaWiki:Api.xsl', errorformat: 'raw', format: 'xml' });
  get('fw.fmt.xml.formatversion-2', 'fw-anon', { action: 'query', meta: 'tokens', formatversion: '2', format: 'xml' });
  get('fw.fmt.xml.callback', 'fw-anon', { action: 'query', meta: 'tokens', callback: 'cb', format: 'xml' });
  post('fw.fmt.login.needtoken.xml', 'fw-lgx', { action: 'login', lgname: 'Fwnobody', lgpassword: 'x', format: 'xml' });
  post('fw.fmt.login.needtoken.php', 'fw-lgx', { action: 'login', lgname: 'Fwnobody', lgpassword: 'x', format: 'php' });
  token('fw.fmt.login.token', 'fw-lgx', 'login');
  post('fw.fmt.login.failed.xml', 'fw-lgx', { action: 'login', lgname: 'Fwnobody', lgpassword: 'x', lgtoken: '{{login:fw-lgx}}', format: 'xml' });
  post('fw.fmt.login.failed.raw.xml', 'fw-lgx', { action: 'login', lgname: 'Fwnobody', lgpassword: 'x', lgtoken: '{{login:fw-lgx}}', errorformat: 'plaintext', format: 'xml' });
  post('fw.fmt.login.bp.success.php', 'fw-lgx', { action: 'login', lgname: 'Bob@bench', lgpassword: p.botPassword, lgtoken: '{{login:fw-lgx}}', format: 'php' });
  token('fw.fmt.clientlogin.token', 'fw-clx', 'login');
  post('fw.fmt.clientlogin.fail.xml', 'fw-clx', { action: 'clientlogin', username: 'Fwnobody', password: 'x', loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:fw-clx}}', format: 'xml' });
  post('fw.fmt.clientlogin.fail.php', 'fw-clx', { action: 'clientlogin', username: 'Fwnobody', password: 'x', loginreturnurl: 'http://127.0.0.1/', logintoken: '{{login:fw-clx}}', loginmessageformat: 'raw', format: 'php' });
  post('fw.fmt.clientlogin.missing-returnurl.xml', 'fw-clx', { action: 'clientlogin', username: 'Fwnobody', password: 'x', logintoken: '{{login:fw-clx}}', format: 'xml', errorformat: 'raw' });
  post('fw.fmt.logout.anon.xml', 'fw-out', { action: 'logout', token: '+\\', format: 'xml' });
  post('fw.fmt.logout.anon.php', 'fw-out', { action: 'logout', token: '+\\', format: 'php' });
  return list;
}
