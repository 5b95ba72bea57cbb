// action=paraminfo: each module's declared contract, as clients read it: pywikibot's start-up reads
// main's "action" and query's prop/list/meta submodules; mwn reads a module's token type.
import type { MessageParam } from '../../i18n/index.js';
import { ApiError } from '../errors.js';
import { rawMessage } from '../format.js';
import { defineModule, moduleParams, resolveFlag, type ApiContext } from '../module.js';
import { MULTI_LIMIT, param, type ParamSpec } from '../params.js';
import { PRINTER_NAMES } from '../formats/index.js';
import { escapeHtml } from '../../util/html.js';
import { assoc, indexed, meta } from '../result.js';
import { PAGE_SET_PARAMS } from './query.js';
import { allSubmodulePaths, moduleFromPath, type ModuleNode } from './tree.js';

type HelpFormat = 'html' | 'wikitext' | 'raw' | 'none';

/** A help text in the asked form; `fallback` when the catalogue has no text for the key. */
function helpText(ctx: ApiContext, format: HelpFormat, key: string, params: MessageParam[], fallback: string | null): unknown {
  const i18n = ctx.services.i18n;
  const has = i18n.has(key);
  switch (format) {
    case 'none':
      return undefined;
    case 'raw':
      return [rawMessage(key, params)];
    case 'wikitext':
      return has ? i18n.text(ctx.lang, key, ...params) : (fallback ?? '');
    case 'html': {
      const text = has ? i18n.text(ctx.lang, key, ...params) : (fallback ?? '');
      return text
        .split(/\n{2,}/)
        .map((p) => escapeHtml(p).replace(/\n/g, '<br />'))
        .join('</p>\n<p>');
    }
  }
}

/** MediaWiki sorts an enum's values in paraminfo (submodule lists by name). */
function describeParam(ctx: ApiContext, node: ModuleNode, format: HelpFormat, spec: ParamSpec, name: string, index: number): Record<string, unknown> {
  const prefix = node.def.prefix ?? '';
  const out: Record<string, unknown> = { index, name };
  const key = name === 'token' && spec.tokentype ? 'api-help-param-token' : `apihelp-${node.path}-param-${name}`;
  const desc = helpText(ctx, format, key, name === 'token' && spec.tokentype ? [spec.tokentype] : [prefix, name, node.def.name, node.path], null);
  if (desc !== undefined) out.description = format === 'raw' ? indexed(desc as unknown[], 'msg') : desc;
  out.type = spec.type === 'enum' ? indexed([...(spec.values ?? [])].sort(), 't') : spec.type;
  out.required = spec.required ?? false;
  if (spec.deprecated) out.deprecated = true;
  if (spec.sensitive) out.sensitive = true;
  if (spec.default !== undefined && spec.type !== 'boolean') out.default = spec.default;
  out.multi = spec.multi ?? false;
  if (spec.multi) {
    out.lowlimit = MULTI_LIMIT;
    out.highlimit = 500;
    out.limit = MULTI_LIMIT;
    if (spec.allowAll) out.allspecifier = '*';
  }
  if (spec.type === 'user') out.subtypes = [...(spec.subtypes ?? ['name'])];
  if ((spec.type === 'string' || spec.type === 'text' || spec.type === 'password') && spec.max !== undefined) out.maxbytes = spec.max;
  if (spec.type === 'integer') {
    if (spec.min !== undefined) out.min = spec.min;
    if (spec.max !== undefined) out.max = spec.max;
  }
  if (spec.submodules) {
    const names = Object.keys(spec.submodules).sort();
    out.type = indexed(names, 't');
    // Empty, it is still an object ({}), which clients iterate as one.
    out.submodules = names.length ? Object.fromEntries(names.map((n) => [n, spec.submodules![n]])) : assoc({});
    if (spec.submoduleParamPrefix) out.submoduleparamprefix = spec.submoduleParamPrefix;
  }
  if (spec.tokentype) out.tokentype = spec.tokentype;
  return out;
}

export function describeModule(ctx: ApiContext, node: ModuleNode, format: HelpFormat = 'none'): Record<string, unknown> {
  const s = ctx.services;
  const def = node.def;
  const out: Record<string, unknown> = {
    name: def.name,
    classname: `mwauth\\${def.name}`,
    path: node.path,
  };
  if (node.group !== null) out.group = node.group;
  Object.assign(out, {
    prefix: def.prefix ?? '',
    source: 'mwauth',
    sourcename: 'mwauth',
    licensetag: 'MIT',
    licenselink: 'https://opensource.org/licenses/MIT',
  });
  // The summary, and the extended description where there is one, as MediaWiki describes a module.
  const msgParams = [def.prefix ?? '', def.name, node.path];
  const extendedKey = `apihelp-${node.path}-extended-description`;
  const extended = s.i18n.has(extendedKey) ? helpText(ctx, format, extendedKey, msgParams, null) : undefined;
  const summary = helpText(ctx, format, `apihelp-${node.path}-summary`, msgParams, def.summary);
  if (summary !== undefined) {
    if (format === 'raw') out.description = indexed([...(summary as unknown[]), ...((extended as unknown[] | undefined) ?? [])], 'msg');
    else if (extended === undefined) out.description = summary;
    else out.description = format === 'html' ? `${summary as string}</p>\n<p>${extended as string}` : `${summary as string}\n\n${extended as string}`;
  }
  if (def.readMode !== false) out.readrights = true;
  if (resolveFlag(def.writeMode, s, false)) out.writerights = true;
  if (resolveFlag(def.mustBePosted, s, false)) out.mustbeposted = true;
  out.helpurls = indexed(def.helpUrl === undefined ? [] : Array.isArray(def.helpUrl) ? [...def.helpUrl] : [def.helpUrl], 'helpurl');
  // Examples are help text: listed only when help is asked for.
  if (format !== 'none') {
    const examples = (def.examples ?? []).map((e, i) => {
      const item: Record<string, unknown> = { query: e.query };
      const d = helpText(ctx, format, e.key ?? `apihelp-${node.path}-example-${i + 1}`, [def.prefix ?? '', def.name, node.path], e.description);
      item.description = format === 'raw' ? (d as unknown[])[0] : d;
      if (format !== 'raw') meta(item, { subelements: ['description'] });
      return item;
    });
    out.examples = indexed(examples, 'example');
  }
  out.parameters = indexed(
    Object.entries(moduleParams(def, s)).map(([name, spec], i) => describeParam(ctx, node, format, spec, name, i + 1)),
    'param',
  );
  out.templatedparameters = indexed([], 'param');
  if (def.dynamicParameters) {
    out.dynamicparameters = format === 'none' ? true : helpText(ctx, format, 'api-help-authmanagerhelper-additional-params', [def.prefix ?? '', def.name, node.path], 'Further fields, as the authentication requests describe them.');
    if (format === 'raw') out.dynamicparameters = indexed(out.dynamicparameters as unknown[], 'msg');
  }
  return out;
}

function truthy(v: unknown): boolean {
  // The deprecated flags are strings, true as PHP reads them ("" and "0" are false).
  return typeof v === 'string' && v !== '' && v !== '0';
}

export const paramInfoModule = defineModule({
  name: 'paraminfo',
  summary: 'What modules take: their parameters, types, limits and tokens.',
  readMode: false,
  params: (s) => ({
    modules: param.string({ multi: true }),
    helpformat: param.enum(['html', 'wikitext', 'raw', 'none'], { default: 'none' }),
    querymodules: param.multi([...s.modules.meta.keys()].sort(), { deprecated: true }),
    mainmodule: param.string({ deprecated: true }),
    pagesetmodule: param.string({ deprecated: true }),
    formatmodules: param.multi([...PRINTER_NAMES].sort(), { deprecated: true }),
  }),
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Parameter_information',
  examples: [
    { query: 'action=paraminfo&modules=parse|phpfm|query%2Ballpages|query%2Bsiteinfo', description: 'Describe action=parse, format=phpfm, list=allpages and meta=siteinfo.', key: 'apihelp-paraminfo-example-1' },
    { query: 'action=paraminfo&modules=query%2B*', description: 'Describe every submodule of action=query.', key: 'apihelp-paraminfo-example-2' },
  ],
  async execute(ctx, p) {
    const s = ctx.services;
    const format = p.helpformat as HelpFormat;
    const badModule = (e: unknown) => {
      if (!(e instanceof ApiError)) throw e;
      ctx.addWarning('paraminfo', { code: e.code, key: e.key, params: e.params });
    };
    const paths: string[] = [];
    for (let path of (p.modules as string[] | null) ?? []) {
      if (path === '*' || path === '**') path = `main+${path}`;
      const star = /(?:\+| )(\*\*?)$/.exec(path);
      if (!star) {
        paths.push(path);
        continue;
      }
      const parent = path.slice(0, -star[0].length);
      try {
        const node = moduleFromPath(s, parent);
        const all = allSubmodulePaths(s, node, star[1] === '**');
        if (all.length) paths.push(...all);
        else ctx.addWarning('paraminfo', { code: 'badmodule', key: 'apierror-badmodule-nosubmodules', params: [parent] });
      } catch (e) {
        badModule(e);
      }
    }
    const queryModules = (p.querymodules as string[] | null) ?? [];
    paths.push(...queryModules.map((m) => `query+${m}`));
    const formatModules = (p.formatmodules as string[] | null) ?? [];
    paths.push(...formatModules);

    const res: Record<string, unknown> = {};
    for (const path of [...new Set(paths)]) {
      let node: ModuleNode;
      try {
        node = moduleFromPath(s, path);
      } catch (e) {
        badModule(e);
        continue;
      }
      let key = 'modules';
      const isBcQuery = node.path.startsWith('query+') && queryModules.includes(node.def.name);
      if (isBcQuery) key = 'querymodules';
      if (formatModules.includes(node.def.name)) key = 'formatmodules';
      const item = describeModule(ctx, node, format);
      if (isBcQuery) item.querytype = item.group;
      ((res[key] ??= indexed([], 'module')) as unknown[]).push(item);
    }
    if (truthy(p.mainmodule)) res.mainmodule = describeModule(ctx, moduleFromPath(s, 'main'), format);
    if (truthy(p.pagesetmodule)) {
      // The page set (titles, pageids, revids and their options) of a site without pages.
      const pageset = describeModule(ctx, { def: pageSetModule, path: 'query', group: null }, format);
      delete pageset.name;
      delete pageset.path;
      res.pagesetmodule = pageset;
    }
    return { paraminfo: { helpformat: format, ...res } };
  },
});

/** ApiPageSet's parameters, as query declares them. */
const pageSetModule = defineModule({
  name: 'query',
  summary: 'Pages to work on.',
  params: PAGE_SET_PARAMS,
  async execute() {
    return {};
  },
});

