// siteinfo's less-asked properties. This server renders no pages and takes no uploads: the parser's
// lists are empty, and the rest are MediaWiki's defaults, marked as MediaWiki marks them.
import { DEFAULT_OPTIONS } from '../../../accounts/preferences.js';
import type { ApiContext } from '../../module.js';
import { indexed, meta } from '../../result.js';

/** MediaWiki's default $wgUrlProtocols. */
const URL_PROTOCOLS = [
  'bitcoin:', 'ftp://', 'ftps://', 'geo:', 'git://', 'gopher://', 'http://', 'https://', 'irc://', 'ircs://', 'magnet:',
  'mailto:', 'matrix:', 'mms://', 'news:', 'nntp://', 'redis://', 'sftp://', 'sip:', 'sips:', 'sms:', 'ssh://', 'svn://',
  'tel:', 'telnet://', 'urn:', 'worldwind://', 'xmpp:', '//',
];

const bcList = (items: string[], tag: string) => meta(items, { type: 'BCarray', indexedTagName: tag });

export const SITE_PROPS: Record<string, (ctx: ApiContext) => unknown> = {
  // One database, no replicas: lag 0 (the same figure maxlag uses).
  dbrepllag: () => indexed([{ host: '', lag: 0 }], 'db'),
  // Preferences are data: true stays true in formatversion 1.
  defaultoptions: (ctx) => {
    const options: Record<string, unknown> = { ...DEFAULT_OPTIONS, language: ctx.services.config.language };
    return meta(options, { bcBools: Object.keys(options) });
  },
  extensiontags: () => bcList([], 't'),
  fileextensions: () => indexed([], 'fe'),
  functionhooks: () => bcList([], 'h'),
  languagevariants: () => meta({}, { indexedTagName: 'lang', type: 'kvp', kvpKeyName: 'code' }),
  libraries: () => indexed([], 'library'),
  protocols: () => bcList([...URL_PROTOCOLS], 'p'),
  restrictions: () => ({
    types: bcList(['create', 'edit', 'move', 'upload'], 'type'),
    levels: bcList(['', 'autoconfirmed', 'sysop'], 'level'),
    cascadinglevels: bcList(['sysop'], 'level'),
    semiprotectedlevels: bcList(['autoconfirmed'], 'level'),
  }),
  showhooks: () => indexed([], 'hook'),
  skins: () => indexed([], 'skin'),
  uploaddialog: () => ({
    fields: { description: true, date: false, categories: false },
    licensemessages: { local: 'generic-local', foreign: 'generic-foreign' },
    comment: { local: '', foreign: '' },
    format: { filepage: '$DESCRIPTION', description: '$TEXT', ownwork: '', license: '', uncategorized: '' },
  }),
  variables: () => bcList([], 'v'),
};

