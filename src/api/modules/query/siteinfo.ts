// meta=siteinfo: general facts, namespaces and aliases, as clients (mwn, mwclient, nodemw) read them.
import { isoTimestamp } from '../../../util/clock.js';
import { GROUP_RIGHTS } from '../../../accounts/rights.js';
import { content, ordered } from '../../format.js';
import { defineModule, type ApiContext } from '../../module.js';
import { param } from '../../params.js';

export const GENERATOR = 'MediaWiki 1.39.17';
export const LEGAL_TITLE_CHARS = " %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+";

const PROPS = ['general', 'namespaces', 'namespacealiases', 'statistics', 'usergroups', 'rightsinfo', 'languages', 'specialpagealiases', 'interwikimap', 'magicwords', 'extensions'];

// MediaWiki's default $wgNamespacesWithSubpages: every talk namespace, User, Project, MediaWiki, Template, Help.
const WITH_SUBPAGES = new Set([1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 15]);

function namespaces(sitename: string) {
  const list: Array<[number, string, string | null]> = [
    [-2, 'Media', 'Media'], [-1, 'Special', 'Special'], [0, '', null], [1, 'Talk', 'Talk'], [2, 'User', 'User'],
    [3, 'User talk', 'User talk'], [4, sitename, 'Project'], [5, `${sitename} talk`, 'Project talk'], [6, 'File', 'File'],
    [7, 'File talk', 'File talk'], [8, 'MediaWiki', 'MediaWiki'], [9, 'MediaWiki talk', 'MediaWiki talk'],
    [10, 'Template', 'Template'], [11, 'Template talk', 'Template talk'], [12, 'Help', 'Help'], [13, 'Help talk', 'Help talk'],
    [14, 'Category', 'Category'], [15, 'Category talk', 'Category talk'],
  ];
  const out: Record<string, unknown> = {};
  for (const [id, name, canonical] of list) {
    const ns: Record<string, unknown> = { id, case: 'first-letter', name, subpages: WITH_SUBPAGES.has(id) };
    if (canonical !== null) ns.canonical = canonical;
    ns.content = id === 0;
    ns.nonincludable = false;
    if (id === 8) ns.namespaceprotection = 'editinterface';
    out[String(id)] = content(ns, 'name');
  }
  // "-2" and "-1" first, as MediaWiki prints them.
  return ordered(out, list.map(([id]) => String(id)));
}

function general(ctx: ApiContext): Record<string, unknown> {
  const c = ctx.services.config;
  const lang = c.language;
  return {
    mainpage: 'Main Page',
    base: `${c.server}${c.articlePath}/Main_Page`,
    sitename: c.sitename,
    mainpageisdomainroot: false,
    logo: '',
    generator: GENERATOR,
    phpversion: '',
    phpsapi: '',
    dbtype: ctx.services.dialect,
    dbversion: '',
    langconversion: false,
    linkconversion: false,
    titleconversion: false,
    linkprefixcharset: '',
    linkprefix: '',
    linktrail: '/^([a-z]+)(.*)$/sD',
    legaltitlechars: LEGAL_TITLE_CHARS,
    invalidusernamechars: '@:>',
    allunicodefixes: false,
    fixarabicunicode: true,
    fixmalayalamunicode: true,
    case: 'first-letter',
    lang,
    fallback: [],
    rtl: ctx.services.i18n.direction(lang) === 'rtl',
    fallback8bitEncoding: 'windows-1252',
    readonly: c.readOnly !== null,
    ...(c.readOnly !== null ? { readonlyreason: c.readOnly } : {}),
    writeapi: true,
    maxarticlesize: 2097152,
    timezone: 'UTC',
    timeoffset: 0,
    articlepath: `${c.articlePath}/$1`,
    scriptpath: c.scriptPath,
    script: `${c.scriptPath}/index.php`,
    variantarticlepath: false,
    server: c.server,
    servername: new URL(c.server).hostname,
    wikiid: c.cookiePrefix,
    time: isoTimestamp(ctx.services.clock.now()),
    misermode: false,
    uploadsenabled: false,
    maxuploadsize: 0,
    minuploadchunksize: 1024,
    thumblimits: {},
    imagelimits: {},
    favicon: `${c.server}/favicon.ico`,
    centralidlookupprovider: 'local',
    allcentralidlookupproviders: ['local'],
    interwikimagic: true,
    magiclinks: { ISBN: false, PMID: false, RFC: false },
    categorycollation: 'uppercase',
    nofollowlinks: true,
    nofollownsexceptions: [],
    nofollowdomainexceptions: [],
    externallinktarget: false,
  };
}

export const siteInfoModule = defineModule({
  name: 'siteinfo',
  path: 'query+siteinfo',
  prefix: 'si',
  summary: 'Return general information about the site.',
  params: {
    prop: param.multi(PROPS, { default: 'general' }),
    filteriw: param.enum(['local', '!local']),
    showalldb: param.bool(),
    numberingroup: param.bool(),
    inlanguagecode: param.string(),
  },
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Siteinfo',
  async execute(ctx, p) {
    const out: Record<string, unknown> = {};
    const c = ctx.services.config;
    for (const prop of p.prop as string[]) {
      switch (prop) {
        case 'general':
          out.general = general(ctx);
          break;
        case 'namespaces':
          out.namespaces = namespaces(c.sitename);
          break;
        case 'namespacealiases':
          out.namespacealiases = [content({ id: 6, alias: 'Image' }, 'alias'), content({ id: 7, alias: 'Image talk' }, 'alias')];
          break;
        case 'statistics':
          out.statistics = { pages: 0, articles: 0, edits: 0, images: 0, users: await ctx.services.users.count(), activeusers: 0, admins: 0, jobs: 0 };
          break;
        case 'usergroups':
          out.usergroups = Object.entries(GROUP_RIGHTS).map(([name, rights]) => ({ name, rights: [...rights] }));
          break;
        case 'rightsinfo':
          out.rightsinfo = { url: '', text: '' };
          break;
        case 'languages':
          out.languages = ctx.services.i18n.languages.map((code) => content({ code, bcp47: code, name: code }, 'name'));
          break;
        case 'specialpagealiases':
          out.specialpagealiases = [];
          break;
        case 'interwikimap':
          out.interwikimap = [];
          break;
        case 'magicwords':
          out.magicwords = [];
          break;
        case 'extensions':
          out.extensions = [];
          break;
      }
    }
    return out;
  },
});
