// Groups and the rights they grant: MediaWiki's defaults for what accounts and recovery use.

const ANON = [
  'createaccount', 'read', 'edit', 'createpage', 'createtalk', 'writeapi', 'viewmywatchlist', 'editmywatchlist',
  'viewmyprivateinfo', 'editmyprivateinfo', 'editmyoptions',
];
const USER = [
  'move', 'move-subpages', 'move-rootuserpages', 'move-categorypages', 'movefile', 'read', 'edit', 'createpage',
  'createtalk', 'upload', 'reupload', 'reupload-shared', 'minoredit', 'editmyusercss', 'editmyuserjson',
  'editmyuserjs', 'editmyuserjsredirect', 'purge', 'sendemail', 'applychangetags', 'changetags', 'editcontentmodel',
];
const AUTOCONFIRMED = ['autoconfirmed', 'editsemiprotected'];
const BOT = [
  'bot', 'autoconfirmed', 'editsemiprotected', 'nominornewtalk', 'autopatrol', 'suppressredirect',
  'apihighlimits', 'writeapi',
];
const SYSOP = [
  'block', 'createaccount', 'delete', 'bigdelete', 'deletedhistory', 'deletedtext', 'undelete', 'browsearchive',
  'editinterface', 'editsitejson', 'edituserjson', 'import', 'importupload', 'move', 'move-subpages',
  'move-rootuserpages', 'move-categorypages', 'patrol', 'autopatrol', 'protect', 'editprotected', 'rollback',
  'upload', 'reupload', 'reupload-shared', 'unwatchedpages', 'autoconfirmed', 'editsemiprotected',
  'ipblock-exempt', 'blockemail', 'markbotedits', 'apihighlimits', 'browsearchive', 'noratelimit',
  'movefile', 'unblockself', 'suppressredirect', 'mergehistory', 'managechangetags', 'deletechangetags',
  'deletelogentry', 'deleterevision', 'editcontentmodel',
];
const BUREAUCRAT = ['userrights', 'noratelimit'];
const INTERFACE_ADMIN = ['editinterface', 'editsitecss', 'editsitejson', 'editsitejs', 'editusercss', 'edituserjson', 'edituserjs'];

// In MediaWiki's configuration order, which is also the order rights are listed in.
export const GROUP_RIGHTS: Record<string, readonly string[]> = {
  '*': ANON,
  user: USER,
  autoconfirmed: AUTOCONFIRMED,
  bot: BOT,
  sysop: SYSOP,
  'interface-admin': INTERFACE_ADMIN,
  bureaucrat: BUREAUCRAT,
};

/** Groups a user can be put in explicitly. */
export const ASSIGNABLE_GROUPS = ['bot', 'sysop', 'bureaucrat', 'interface-admin'];

/** Effective groups in MediaWiki's order: explicit ones first, then the implicit ones. */
export function effectiveGroups(explicit: readonly string[], registered: boolean): string[] {
  if (!registered) return ['*'];
  return [...explicit, '*', 'user', 'autoconfirmed'];
}

export function rightsOf(groups: readonly string[]): string[] {
  const out = new Set<string>();
  for (const [g, rights] of Object.entries(GROUP_RIGHTS)) if (groups.includes(g)) for (const r of rights) out.add(r);
  return [...out];
}

// Rights each bot-password grant allows (the subset that matters for accounts and recovery).
export const GRANT_RIGHTS: Record<string, readonly string[]> = {
  basic: ['autoconfirmed', 'autopatrol', 'editsemiprotected', 'ipblock-exempt', 'nominornewtalk', 'patrolmarks', 'purge', 'read', 'unwatchedpages'],
  highvolume: ['bot', 'apihighlimits', 'noratelimit', 'markbotedits'],
  editpage: ['edit', 'minoredit', 'applychangetags', 'changetags', 'editcontentmodel'],
  createeditmovepage: ['createpage', 'edit', 'move', 'createtalk', 'move-rootuserpages', 'move-subpages', 'move-categorypages'],
  privateinfo: ['viewmyprivateinfo'],
  editmyoptions: ['editmyoptions', 'editmyprivateinfo'],
  createaccount: ['createaccount'],
  blockusers: ['block', 'blockemail'],
};
export const GRANTS = Object.keys(GRANT_RIGHTS);
// Rights every grant set includes.
const ALWAYS_GRANTED = ['writeapi'];

export function rightsForGrants(grants: readonly string[]): Set<string> {
  const out = new Set<string>(ALWAYS_GRANTED);
  for (const g of grants) for (const r of GRANT_RIGHTS[g] ?? []) out.add(r);
  return out;
}
