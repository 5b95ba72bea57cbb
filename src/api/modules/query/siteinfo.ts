// meta=siteinfo: general facts, namespaces and aliases, as clients (mwn, mwclient, nodemw) read them.
import { articlePathPattern, indexPath, pageUrl, scriptBase } from '../../../site/urls.js';
import { isoTimestamp } from '../../../util/clock.js';
import { GROUP_RIGHTS } from '../../../accounts/rights.js';
import { assoc, content, indexed, meta, ordered } from '../../result.js';
import { defineModule, type ApiContext } from '../../module.js';
import { param } from '../../params.js';
import { SITE_PROPS } from './siteprops.js';

export const GENERATOR = 'MediaWiki 1.39.17';
export const LEGAL_TITLE_CHARS = " %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+";

const PROPS = [
  'general', 'namespaces', 'namespacealiases', 'specialpagealiases', 'magicwords', 'interwikimap', 'dbrepllag', 'statistics',
  'usergroups', 'libraries', 'extensions', 'fileextensions', 'rightsinfo', 'restrictions', 'languages', 'languagevariants',
  'skins', 'extensiontags', 'functionhooks', 'showhooks', 'variables', 'protocols', 'defaultoptions', 'uploaddialog',
];

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
  // "-2" and "-1" first, as MediaWiki prints them; <ns> elements in XML.
  return indexed(assoc(ordered(out, list.map(([id]) => String(id)))), 'ns');
}

function general(ctx: ApiContext): Record<string, unknown> {
  const c = ctx.services.config;
  const lang = c.language;
  // variantarticlepath is false as data, so it stays false in formatversion 1.
  return meta({
    mainpage: 'Main Page',
    base: pageUrl(c, 'Main_Page'),
    sitename: c.sitename,
    mainpageisdomainroot: false,
    logo: '',
    generator: GENERATOR,
    phpversion: '',
    phpsapi: '',
    dbtype: ctx.services.dialect,
    dbversion: '',
    imagewhitelistenabled: false,
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
    fallback: indexed([], 'lang'),
    rtl: ctx.services.i18n.direction(lang) === 'rtl',
    fallback8bitEncoding: 'windows-1252',
    readonly: c.readOnly !== null,
    ...(c.readOnly !== null ? { readonlyreason: c.readOnly } : {}),
    writeapi: true,
    maxarticlesize: 2097152,
    timezone: 'UTC',
    timeoffset: 0,
    articlepath: articlePathPattern(c),
    scriptpath: scriptBase(c),
    script: indexPath(c),
    variantarticlepath: false,
    server: c.server,
    servername: new URL(c.server).hostname,
    wikiid: c.cookiePrefix,
    time: isoTimestamp(ctx.services.clock.now()),
    misermode: false,
    uploadsenabled: false,
    maxuploadsize: 0,
    minuploadchunksize: 1024,
    galleryoptions: { imagesPerRow: 0, imageWidth: 120, imageHeight: 120, captionLength: true, showBytes: true, showDimensions: true, mode: 'traditional' },
    // MediaWiki's default sizes; objects even when read as lists (BCassoc), as clients expect.
    thumblimits: meta([120, 150, 180, 200, 250, 300], { type: 'BCassoc', indexedTagName: 'limit' }),
    imagelimits: meta(
      [[320, 240], [640, 480], [800, 600], [1024, 768], [1280, 1024], [2560, 2048]].map(([width, height]) => ({ width, height })),
      { type: 'BCassoc', indexedTagName: 'limit' },
    ),
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
  }, { bcBools: ['variantarticlepath'] });
}

export const siteInfoModule = defineModule({
  name: 'siteinfo',
  path: 'query+siteinfo',
  prefix: 'si',
  summary: 'Facts about the site: names, paths, namespaces, groups, limits.',
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
          out.namespacealiases = indexed([content({ id: 6, alias: 'Image' }, 'alias'), content({ id: 7, alias: 'Image talk' }, 'alias')], 'ns');
          break;
        case 'statistics':
          out.statistics = { pages: 0, articles: 0, edits: 0, images: 0, users: await ctx.services.users.count(), activeusers: 0, admins: 0, jobs: 0 };
          break;
        case 'usergroups':
          out.usergroups = indexed(Object.entries(GROUP_RIGHTS).map(([name, rights]) => ({ name, rights: indexed([...rights], 'permission') })), 'group');
          break;
        case 'rightsinfo':
          out.rightsinfo = { url: '', text: '' };
          break;
        case 'languages':
          out.languages = indexed(ctx.services.i18n.languages.map((code) => content({ code, bcp47: code, name: code }, 'name')), 'lang');
          break;
        case 'specialpagealiases':
          out.specialpagealiases = indexed([], 'specialpage');
          break;
        case 'interwikimap':
          out.interwikimap = indexed([], 'iw');
          break;
        case 'magicwords':
          out.magicwords = indexed([], 'magicword');
          break;
        case 'extensions':
          out.extensions = indexed([], 'ext');
          break;
        default:
          out[prop] = SITE_PROPS[prop]!(ctx);
      }
    }
    return out;
  },
});
