// action=help: a readable HTML page describing the modules (also the answer to a bare api.php). Like
// MediaWiki's, the page names its generator and links the API's RSD description (EditURI), which is
// how site detectors (pywikibot's generate_family_file) recognise a wiki's api.php.
import { defineModule, moduleParams, resolveFlag, type ApiContext } from '../module.js';
import { param, type ParamSpec } from '../params.js';
import { escapeHtml } from '../../util/html.js';
import { GENERATOR } from './query/siteinfo.js';
import { allSubmodulePaths, moduleFromPath, type ModuleNode } from './tree.js';


function paramRow(ctx: ApiContext, node: ModuleNode, name: string, spec: ParamSpec): string {
  const t = (key: string, ...params: string[]) => ctx.services.i18n.text(ctx.lang, key, ...params);
  const prefix = node.def.prefix ?? '';
  const values = spec.values ?? [];
  const type =
    spec.type === 'enum'
      ? t(spec.multi ? 'apihelp-page-one-or-more-of' : 'apihelp-page-one-of', values.map((v) => v || '""').join(', ') || t('apihelp-page-no-values'))
      : spec.type;
  const notes = [
    spec.required ? t('apihelp-page-required') : '',
    spec.default !== undefined && spec.default !== '' && spec.type !== 'boolean' ? t('apihelp-page-default', String(spec.default)) : '',
    spec.multi && spec.type !== 'enum' ? t('apihelp-page-multi') : '',
    spec.deprecated ? t('apihelp-page-deprecated') : '',
  ].filter(Boolean);
  const i18n = ctx.services.i18n;
  // A framework token is described once for every module; the rest per module and parameter.
  const tokenKey = name === 'token' && spec.tokentype && !i18n.has(`apihelp-${node.path}-param-token`);
  const key = tokenKey ? 'api-help-param-token' : `apihelp-${node.path}-param-${name}`;
  const description = i18n.has(key) ? (tokenKey ? t(key, spec.tokentype!) : t(key, prefix, name, node.def.name, node.path)) : '';
  return (
    `<tr><th scope="row"><code>${escapeHtml(prefix + name)}</code></th><td>${escapeHtml(description)}</td>` +
    `<td>${escapeHtml(type)}</td><td>${escapeHtml(notes.join('; '))}</td></tr>`
  );
}

function moduleSection(ctx: ApiContext, node: ModuleNode): string {
  const s = ctx.services;
  const t = (key: string, ...params: string[]) => s.i18n.text(ctx.lang, key, ...params);
  const def = node.def;
  const flags = [
    def.readMode !== false && node.path !== 'main' ? t('apihelp-page-flag-read') : '',
    resolveFlag(def.writeMode, s, false) ? t('apihelp-page-flag-write') : '',
    resolveFlag(def.mustBePosted, s, false) ? t('apihelp-page-flag-post') : '',
  ].filter(Boolean);
  const label = node.path === 'main' ? t('apihelp-page-main-module') : node.group === 'meta' ? `meta=${def.name}` : node.group === 'format' ? `format=${def.name}` : `action=${def.name}`;
  const summaryKey = `apihelp-${node.path}-summary`;
  const extendedKey = `apihelp-${node.path}-extended-description`;
  const summary = s.i18n.has(summaryKey) ? t(summaryKey) : def.summary;
  const extended = s.i18n.has(extendedKey) ? `<p>${escapeHtml(t(extendedKey))}</p>` : '';
  const rows = Object.entries(moduleParams(def, s)).map(([n, spec]) => paramRow(ctx, node, n, spec));
  const examples = (def.examples ?? []).map((e, i) => {
    const key = e.key ?? `apihelp-${node.path}-example-${i + 1}`;
    return `<li><code>api.php?${escapeHtml(e.query)}</code> — ${escapeHtml(s.i18n.has(key) ? t(key) : e.description)}</li>`;
  });
  const urls = def.helpUrl === undefined ? [] : Array.isArray(def.helpUrl) ? def.helpUrl : [def.helpUrl];
  const head = `<tr><th>${escapeHtml(t('apihelp-page-parameter'))}</th><th>${escapeHtml(t('apihelp-page-meaning'))}</th><th>${escapeHtml(t('apihelp-page-type'))}</th><th>${escapeHtml(t('apihelp-page-notes'))}</th></tr>`;
  return (
    `<section id="${escapeHtml(node.path)}"><h2>${escapeHtml(label)}</h2><p>${escapeHtml(summary)}</p>${extended}` +
    (flags.length ? `<p><small>${escapeHtml(flags.join(' · '))}</small></p>` : '') +
    (rows.length ? `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>` : `<p>${escapeHtml(t('apihelp-page-no-parameters'))}</p>`) +
    (examples.length ? `<h3>${escapeHtml(t('apihelp-page-examples'))}</h3><ul>${examples.join('')}</ul>` : '') +
    (urls.length ? `<p>${escapeHtml(t('apihelp-page-documentation'))}: ${urls.map((u) => `<a href="${escapeHtml(u)}">${escapeHtml(u)}</a>`).join(', ')}</p>` : '') +
    '</section>'
  );
}

/** The page, in the request's language (uselang); the API's own words (names, values) stay as they are. */
export function helpPage(ctx: ApiContext, nodes: ModuleNode[]): string {
  const site = ctx.services.config.sitename;
  const t = (key: string, ...params: string[]) => ctx.services.i18n.text(ctx.lang, key, ...params);
  const dir = ctx.services.i18n.direction(ctx.lang);
  return (
    `<!DOCTYPE html>\n<html lang="${escapeHtml(ctx.lang)}" dir="${dir}">\n<head>\n<meta charset="UTF-8">\n<title>${escapeHtml(t('apihelp-page-title', site))}</title>\n` +
    `<meta name="generator" content="${escapeHtml(GENERATOR)}">\n` +
    '<meta name="robots" content="noindex,nofollow">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<link rel="EditURI" type="application/rsd+xml" href="${escapeHtml(ctx.apiUrl)}?action=rsd">\n` +
    '<style>body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}table{border-collapse:collapse}th,td{border:1px solid #c8ccd1;padding:.25em .5em;text-align:start;vertical-align:top}code{unicode-bidi:embed;direction:ltr}</style>\n' +
    `</head>\n<body>\n<h1>${escapeHtml(t('apihelp-page-heading', site))}</h1>\n<p>${escapeHtml(t('apihelp-page-intro'))}</p>\n` +
    nodes.map((n) => moduleSection(ctx, n)).join('\n') +
    '\n</body>\n</html>\n'
  );
}

export const helpModule = defineModule({
  name: 'help',
  summary: 'A readable page describing modules.',
  readMode: false,
  params: {
    modules: param.string({ multi: true, default: 'main' }),
    submodules: param.bool(),
    recursivesubmodules: param.bool(),
    wrap: param.bool(),
    toc: param.bool(),
  },
  helpUrl: [
    'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Main_page',
    'https://www.mediawiki.org/wiki/Special:MyLanguage/API:FAQ',
    'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Quick_start_guide',
  ],
  examples: [
    { query: 'action=help', description: 'The help page of the main module.', key: 'apihelp-help-example-main' },
    { query: 'action=help&modules=query+tokens', description: 'The help of meta=tokens.', key: 'apihelp-help-example-tokens' },
  ],
  async execute(ctx, p) {
    const s = ctx.services;
    const nodes: ModuleNode[] = [];
    for (const path of (p.modules as string[] | null) ?? ['main']) {
      const node = moduleFromPath(s, path);
      nodes.push(node);
      // The main module's page lists everything: this API is small enough to read in one page.
      const recursive = p.recursivesubmodules || node.path === 'main';
      if (p.submodules || recursive) for (const sub of allSubmodulePaths(s, node, !!recursive)) nodes.push(moduleFromPath(s, sub));
    }
    const html = helpPage(ctx, nodes);
    if (p.wrap) return { help: { mime: 'text/html', filename: 'api-help.html', help: html } };
    return {
      raw: {
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-disposition': 'inline; filename=api-help.html',
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'cache-control': 'private, must-revalidate, max-age=0',
        },
        body: html,
      },
    };
  },
});
