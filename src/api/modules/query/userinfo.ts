// meta=userinfo: who the session is, with the properties clients ask for.
import { DEFAULT_OPTIONS } from '../../../accounts/preferences.js';
import { ASSIGNABLE_GROUPS } from '../../../accounts/rights.js';
import { isoTimestamp } from '../../../util/clock.js';
import { assoc, content, float, indexed, list, meta } from '../../result.js';
import { defineModule, type ApiContext } from '../../module.js';
import { param } from '../../params.js';

const PROPS = [
  'blockinfo', 'hasmsg', 'groups', 'groupmemberships', 'implicitgroups', 'rights', 'changeablegroups', 'options',
  'editcount', 'ratelimits', 'theoreticalratelimits', 'email', 'realname', 'acceptlang', 'registrationdate',
  'unreadcount', 'centralids', 'latestcontrib',
];
const IMPLICIT = ['*', 'user', 'autoconfirmed'];


function acceptLanguages(header: string | undefined): Array<Record<string, unknown>> {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => {
      const [code, ...rest] = part.trim().split(';');
      const q = rest.map((r) => /^\s*q=([\d.]+)/.exec(r)?.[1]).find(Boolean);
      return { code: (code ?? '').toLowerCase(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((l) => l.code && !Number.isNaN(l.q) && l.q > 0)
    .sort((a, b) => b.q - a.q)
    .map((l) => content({ q: float(l.q), code: l.code }, 'code'));
}

// MediaWiki's default rate limits as userinfo reports them; mailpassword is this server's own limit.
const USER_LIMITS: Record<string, [number, number]> = {
  edit: [90, 60], move: [8, 60], rollback: [10, 60], emailuser: [20, 86400], changeemail: [4, 86400],
  confirmemail: [4, 86400], purge: [30, 60], linkpurge: [30, 60], renderfile: [700, 30],
  'renderfile-nonstandard': [70, 30], editcontentmodel: [8, 60],
};
const IP_LIMITS: Record<string, [number, number]> = {
  edit: [8, 60], upload: [8, 60], mailpassword: [5, 3600], emailuser: [5, 86400], purge: [30, 60],
  linkpurge: [30, 60], renderfile: [700, 30], 'renderfile-nonstandard': [70, 30], stashedit: [30, 60],
  stashbasehtml: [5, 60], changetag: [8, 60],
};

function rateLimits(ctx: ApiContext): Record<string, unknown> {
  const anon = ctx.performer.anon;
  const table = anon ? { ...IP_LIMITS, mailpassword: ctx.services.config.resetIpLimit } : USER_LIMITS;
  return assoc(Object.fromEntries(Object.entries(table).map(([action, [hits, seconds]]) => [action, { [anon ? 'ip' : 'user']: { hits, seconds } }])));
}

async function blockInfo(ctx: ApiContext): Promise<Record<string, unknown>> {
  const block = await ctx.performer.block();
  if (!block) return {};
  // MediaWiki's keys and order; every block here is sitewide and hard (it applies to accounts too).
  const info: Record<string, unknown> = {
    blockid: block.id,
    blockedby: block.by,
    blockedbyid: (await ctx.services.users.byName(block.by))?.id ?? 0,
    blockreason: block.reason,
    blockedtimestamp: isoTimestamp(block.timestamp),
    blockexpiry: block.expiry === null ? 'infinite' : isoTimestamp(block.expiry),
    blockpartial: false,
    blocknocreate: block.createAccount,
    blockanononly: false,
    blockedtimestampformatted: isoTimestamp(block.timestamp),
  };
  if (block.expiry !== null) info.blockexpiryformatted = isoTimestamp(block.expiry);
  return info;
}

export const userInfoModule = defineModule({
  name: 'userinfo',
  path: 'query+userinfo',
  prefix: 'ui',
  summary: 'Who the session is: name, groups, rights, preferences and more.',
  params: { prop: param.multi(PROPS, { allowAll: true }), attachedwiki: param.string() },
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Userinfo',
  async execute(ctx, p) {
    const perf = ctx.performer;
    const props = new Set((p.prop as string[] | null) ?? []);
    const user = perf.user;
    const info: Record<string, unknown> = { id: perf.id, name: perf.name };
    if (!user) info.anon = true;
    if (props.has('blockinfo')) Object.assign(info, await blockInfo(ctx));
    if (props.has('hasmsg')) info.messages = false;
    // Lists carry MediaWiki's XML tag names (<g>, <r>, …) and stay lists even when empty.
    if (props.has('groups')) info.groups = list([...perf.groups], 'g');
    if (props.has('groupmemberships')) {
      info.groupmemberships = list(perf.groups.filter((g) => !IMPLICIT.includes(g)).map((group) => ({ group, expiry: 'infinity' })), 'groupmembership');
    }
    if (props.has('implicitgroups')) info.implicitgroups = list(perf.groups.filter((g) => IMPLICIT.includes(g)), 'g');
    if (props.has('rights')) info.rights = list([...perf.rights], 'r');
    if (props.has('changeablegroups')) {
      const all = perf.can('userrights') ? ASSIGNABLE_GROUPS : [];
      info.changeablegroups = {
        add: indexed([...all], 'g'),
        remove: indexed([...all], 'g'),
        'add-self': indexed([], 'g'),
        'remove-self': indexed([], 'g'),
      };
    }
    if (props.has('options')) {
      const stored = user ? await ctx.services.preferences.get(user.id) : {};
      const options: Record<string, unknown> = { ...DEFAULT_OPTIONS, language: ctx.services.config.language, ...stored };
      // Preferences are data: a true preference prints true even in formatversion 1 (not "").
      info.options = meta(options, { bcBools: Object.keys(options) });
    }
    if (props.has('editcount')) info.editcount = 0;
    if (props.has('ratelimits')) info.ratelimits = perf.can('noratelimit') ? assoc({}) : rateLimits(ctx);
    if (props.has('theoreticalratelimits')) info.theoreticalratelimits = rateLimits(ctx);
    if (props.has('realname')) info.realname = user?.realName ?? '';
    // The address is private: a bot password without the "privateinfo" grant does not see it.
    if (props.has('email') && perf.can('viewmyprivateinfo')) {
      info.email = user?.email ?? '';
      if (user?.emailAuthenticated) info.emailauthenticated = isoTimestamp(user.emailAuthenticated);
    }
    if (props.has('registrationdate') && user) info.registrationdate = isoTimestamp(user.registration);
    if (props.has('acceptlang')) info.acceptlang = indexed(acceptLanguages(ctx.req.header('accept-language')), 'lang');
    if (props.has('unreadcount')) info.unreadcount = 0;
    if (props.has('centralids')) {
      info.centralids = assoc({ local: perf.id });
      info.attachedlocal = assoc({ local: perf.id > 0 });
    }
    return { userinfo: info };
  },
});
