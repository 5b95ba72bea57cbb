// Every difference from MediaWiki 1.39 that is on purpose. Each entry names the case(s) and the
// diff path(s) it covers, says why in one line, and points at the docs/compatibility.md heading
// (and the item under it) that explains it. The runner checks that each heading and item exists.
// A difference not covered here is a mismatch: a bug to fix, or a decision to document first.
import type { Diff } from './compare.js';

export interface Intended {
  /** Case id, or a glob (`*` = any run of characters). */
  case: string;
  /** Diff path glob (see compare.ts: `@status`, `@header:…`, `@cookie:…`, JSON paths); `*` covers the whole case. */
  path: string;
  reason: string;
  /** The `##` heading in docs/compatibility.md. */
  heading: string;
  /** A phrase that appears under that heading (the item this entry relies on). */
  item: string;
  /** Only these kinds of difference (default: any). */
  kinds?: Array<Diff['kind']>;
}

export const INTENDED: Intended[] = [
  {
    case: '*',
    path: '@cookie:*.samesite',
    reason: 'mwauth sends SameSite=Lax on every cookie; MediaWiki 1.39 sends none',
    heading: 'Sessions, cookies, tokens',
    item: 'SameSite=Lax',
  },
  {
    case: '*',
    path: '@cookie:cpPosIndex',
    reason: 'no multi-datacentre replica cookies after writes',
    heading: 'Everywhere',
    item: 'No `cpPosIndex`, `UseDC`, `UseCDNCache` cookies',
  },
  {
    case: '*',
    path: '@cookie:UseDC',
    reason: 'no multi-datacentre replica cookies after writes',
    heading: 'Everywhere',
    item: 'No `cpPosIndex`, `UseDC`, `UseCDNCache` cookies',
  },
  {
    case: '*',
    path: '@cookie:UseCDNCache',
    reason: 'no multi-datacentre replica cookies after writes',
    heading: 'Everywhere',
    item: 'No `cpPosIndex`, `UseDC`, `UseCDNCache` cookies',
  },
  {
    case: 'reset.*invalidemail*',
    path: '*',
    reason: 'a malformed address is passwordreset-invalidemail (as in MediaWiki 1.42+); 1.39 answers success',
    heading: 'action=resetpassword',
    item: 'A malformed email address is an error, `passwordreset-invalidemail`',
  },
  {
    case: 'reset.*user-with-at*',
    path: '*',
    reason: 'a `user` holding "@" is read as an email address (and a malformed one is an error)',
    heading: 'action=resetpassword',
    item: 'A `user` value containing `@` is an email address.',
  },
  {
    case: 'mail.email-uppercase',
    path: '*',
    reason: 'email addresses match without regard to case: EVE@EXAMPLE.ORG finds Eve here, nobody in MediaWiki',
    heading: 'action=resetpassword',
    item: 'Email addresses match without regard to case.',
  },
  {
    case: 'mail.loggedin',
    path: '*',
    reason: 'the per-IP reset limit also holds for logged-in requesters, so Bob\'s resets after the anonymous limit send nothing',
    heading: 'action=resetpassword',
    item: 'The per-IP limit applies to every requester without `noratelimit`',
  },
  {
    case: 'reset.loggedin.bob.nodata*',
    path: '*',
    reason: 'the per-IP reset limit also holds for logged-in requesters: over it, nodata is dropped silently like everything else',
    heading: 'action=resetpassword',
    item: 'The per-IP limit applies to every requester without `noratelimit`',
  },
  {
    case: '*maxlag*',
    path: '*lag',
    reason: 'one database without replicas: the lag is 0 where MediaWiki on SQLite reports -1',
    heading: 'Everywhere',
    item: 'MediaWiki on SQLite reports -1',
  },
  {
    case: '*maxlag*',
    path: 'errors[0].params[]',
    reason: 'one database without replicas: the lag is 0 where MediaWiki on SQLite reports -1',
    heading: 'Everywhere',
    item: 'MediaWiki on SQLite reports -1',
  },
  {
    case: 'reset.after-limit.maxlag-1*',
    path: '*',
    reason: 'lag is always 0, so maxlag=-1 is exceeded here; MediaWiki on SQLite reports -1 and lets the request through',
    heading: 'Everywhere',
    item: '`maxlag=-1` gets the `maxlag` error',
  },
  {
    case: 'clientlogin.temp.weak*',
    path: 'clientlogin.messagecode',
    reason: 'a refused new password reports the first broken rule\'s code; MediaWiki can report a composite code',
    heading: 'action=clientlogin',
    item: 'A refused new password reports the first broken rule\'s code',
  },
  {
    case: '*clientlogin.temp*',
    path: '@cookie:*_session',
    reason: 'the UI step of a temporary-password login gives the session a new id, so a planted session cannot finish the forced change',
    heading: 'Sessions, cookies, tokens',
    item: 'The session id also changes at the `UI` step of `clientlogin`',
  },
  {
    case: 'userinfo.old-session-after-password-change*',
    path: '*',
    reason: 'a password change ends the user\'s other sessions and remembered logins',
    heading: 'Sessions, cookies, tokens',
    item: 'A password change (forced change, `changeauthenticationdata`, `mwauth user set-password`) ends the',
  },
  {
    case: 'ami.alice.sso.jsonp*',
    path: 'query.authmanagerinfo.securitysensitiveoperationstatus',
    reason: 'JSONP runs anonymously here, so a page on another site cannot learn whether its visitor logged in recently',
    heading: 'meta=tokens, meta=userinfo, meta=siteinfo, meta=authmanagerinfo, paraminfo, help',
    item: 'JSONP and `origin=*` requests get `authmanagerinfo` for an anonymous session',
  },
  {
    case: 'vp.default-login*',
    path: 'validatepassword.validitymessages*',
    reason: 'the common-password list is matched in any case: "Passpass" is common here',
    heading: 'action=validatepassword, action=checktoken',
    item: '`validatepassword` matches the common-password list in any case',
  },
  {
    case: 'ca.seventh.throttled*',
    path: '*',
    reason: 'account creation is throttled by default (6 a day per address); MediaWiki 1.39 ships without a limit',
    heading: 'action=createaccount',
    item: 'Account creation is throttled by default',
  },
  {
    case: 'ca.acct-six.userinfo*',
    path: 'query.userinfo.email',
    reason: 'an address sent without realname is kept; MediaWiki 1.39 drops it',
    heading: 'action=createaccount',
    item: '`email` and `realname` are each read on their own.',
  },
  {
    case: 'ca.admin.mailpassword.email-only*',
    path: '*',
    reason: 'mailpassword with an address but no realname mails it here; MediaWiki 1.39 ignores the address (noemailcreate)',
    heading: 'action=createaccount',
    item: '`email` and `realname` are each read on their own.',
  },
  {
    case: 'mail.accounts.nia',
    path: '*',
    reason: 'mailpassword with an address but no realname mails it here; MediaWiki 1.39 ignores the address (noemailcreate)',
    heading: 'action=createaccount',
    item: '`email` and `realname` are each read on their own.',
  },
  {
    case: 'mail.accounts.before',
    path: '*',
    reason: 'mwauth tells the account\'s address about a password change (cases.ts\'s forced change of Alice\'s password)',
    heading: 'Sessions, cookies, tokens',
    item: 'The account\'s address is told',
  },
  ...['*.classname', '*.source', '*.sourcename', '*.licensetag', '*.licenselink'].map((path) => ({
    case: 'fw.*paraminfo*',
    path,
    reason: "paraminfo names mwauth as each module's source (class name, source, licence)",
    heading: 'Everywhere',
    item: "`paraminfo` names mwauth as each module's source",
  })),
  ...['*.type[]', '*.submodules.*', '*.internalvalues', '*.deprecatedvalues'].map((path) => ({
    case: 'fw.*paraminfo*',
    path,
    reason: 'module lists name the modules this server has; MediaWiki has more',
    heading: 'Everywhere',
    item: "**Module lists are this server's.**",
    kinds: ['missing' as const],
  })),
  {
    case: 'fw.refused.action.raw*',
    path: 'errors*.params*',
    reason: "a refused action's possible values are this server's modules",
    heading: 'Everywhere',
    item: "**Module lists are this server's.**",
  },
  ...['base', 'logo', 'phpversion', 'phpsapi', 'dbversion', 'langconversion', 'linkconversion', 'titleconversion', 'articlepath', 'maxuploadsize', 'nofollowdomainexceptions[]'].map((key) => ({
    case: 'fw.*siteinfo*',
    path: `query.general.${key}`,
    reason: 'siteinfo general describes this server (its paths, no PHP, no language conversion, no uploads)',
    heading: 'meta=tokens, meta=userinfo, meta=siteinfo, meta=authmanagerinfo, paraminfo, help',
    item: '**`siteinfo.general` describes this server:**',
  })),
  {
    case: 'fw.*siteinfo*',
    path: 'query.dbrepllag*lag',
    reason: 'one database without replicas: lag 0, as maxlag says; MediaWiki on SQLite reports -1',
    heading: 'meta=tokens, meta=userinfo, meta=siteinfo, meta=authmanagerinfo, paraminfo, help',
    item: '`dbrepllag` reports lag 0 like `maxlag`',
  },
  {
    case: 'fw.fmt.siteinfo.empties*',
    path: '*',
    reason: "no pages, no parser, no uploads: siteinfo's parser and upload lists are empty",
    heading: 'meta=tokens, meta=userinfo, meta=siteinfo, meta=authmanagerinfo, paraminfo, help',
    item: "siteinfo's parser and upload lists are empty",
  },
  ...['service.engineName*', 'service.engineLink*', 'service.homePageLink*'].map((path) => ({
    case: 'fw.rsd*',
    path,
    reason: 'the RSD document names mwauth as the engine and links its own pages',
    heading: 'Everywhere',
    item: '**`action=rsd`** names the API `MediaWiki`',
  })),
];

function glob(pattern: string): RegExp {
  return new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

/** The intended-difference entry covering this diff of this case, if any. */
export function findIntended(caseId: string, path: string, kind?: Diff['kind']): Intended | undefined {
  return INTENDED.find(
    (e) => glob(e.case).test(caseId) && (e.path === '*' || glob(e.path).test(path)) && (!e.kinds || kind === undefined || e.kinds.includes(kind)),
  );
}

/** Problems with the list itself: a heading or item that docs/compatibility.md does not have. */
export function checkAgainstDocs(doc: string): string[] {
  const problems: string[] = [];
  const sections = new Map<string, string>();
  const parts = doc.split(/^## /m).slice(1);
  for (const p of parts) {
    const nl = p.indexOf('\n');
    sections.set(p.slice(0, nl).trim(), p.slice(nl + 1));
  }
  const flat = (s: string) => s.replace(/\s+/g, ' ');
  for (const e of INTENDED) {
    const body = sections.get(e.heading);
    if (body === undefined) problems.push(`intended.ts: heading "${e.heading}" is not in docs/compatibility.md (case ${e.case}, path ${e.path})`);
    else if (!flat(body).includes(flat(e.item))) problems.push(`intended.ts: "${e.item}" is not under "## ${e.heading}" in docs/compatibility.md`);
  }
  return problems;
}
