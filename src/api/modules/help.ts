// action=help: a readable HTML page describing the modules (also the answer to a bare api.php). Like
// MediaWiki's, the page names its generator and links the API's RSD description (EditURI), which is
// how site detectors (pywikibot's generate_family_file) recognise a wiki's api.php.
import { defineModule, moduleParams, resolveFlag, type ApiContext } from '../module.js';
import { param, type ParamSpec } from '../params.js';
import { GENERATOR } from './query/siteinfo.js';
import { allSubmodulePaths, moduleFromPath, type ModuleNode } from './tree.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function paramRow(ctx: ApiContext, node: ModuleNode, name: string, spec: ParamSpec): string {
  const prefix = node.def.prefix ?? '';
  const values = spec.values ?? [];
  const type = spec.type === 'enum' ? `one ${spec.multi ? 'or more ' : ''}of: ${values.join(', ') || '(none)'}` : spec.type;
  const notes = [
    spec.required ? 'required' : '',
    spec.default !== undefined && spec.default !== '' && spec.type !== 'boolean' ? `default: ${String(spec.default)}` : '',
    spec.tokentype ? `a "${spec.tokentype}" token from action=query&meta=tokens` : '',
    spec.multi && spec.type !== 'enum' ? 'values separated by |' : '',
    spec.deprecated ? 'deprecated' : '',
  ].filter(Boolean);
  const key = `apihelp-${node.path}-param-${name}`;
  const i18n = ctx.services.i18n;
  const description = i18n.has(key) ? i18n.text(ctx.lang, key, prefix, name, node.def.name, node.path) : '';
  return (
    `<tr><th scope="row"><code>${esc(prefix + name)}</code></th><td>${esc(description)}</td>` +
    `<td>${esc(type)}</td><td>${esc(notes.join('; '))}</td></tr>`
  );
}

function moduleSection(ctx: ApiContext, node: ModuleNode): string {
  const s = ctx.services;
  const def = node.def;
  const flags = [
    def.readMode !== false && node.path !== 'main' ? 'needs read rights' : '',
    resolveFlag(def.writeMode, s, false) ? 'needs write rights' : '',
    resolveFlag(def.mustBePosted, s, false) ? 'accepts only POST' : '',
  ].filter(Boolean);
  const label = node.path === 'main' ? 'Main module' : node.group === 'meta' ? `meta=${def.name}` : node.group === 'format' ? `format=${def.name}` : `action=${def.name}`;
  const i18n = s.i18n;
  const summaryKey = `apihelp-${node.path}-summary`;
  const summary = i18n.has(summaryKey) ? i18n.text(ctx.lang, summaryKey) : def.summary;
  const rows = Object.entries(moduleParams(def, s)).map(([n, spec]) => paramRow(ctx, node, n, spec));
  const examples = (def.examples ?? []).map((e) => `<li><code>api.php?${esc(e.query)}</code> — ${esc(e.description)}</li>`);
  return (
    `<section id="${esc(node.path)}"><h2>${esc(label)}</h2><p>${esc(summary)}</p>` +
    (flags.length ? `<p><small>${esc(flags.join(' · '))}</small></p>` : '') +
    (rows.length
      ? `<table><thead><tr><th>Parameter</th><th>Meaning</th><th>Type</th><th>Notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : '<p>No parameters.</p>') +
    (examples.length ? `<h3>Examples</h3><ul>${examples.join('')}</ul>` : '') +
    (def.helpUrl ? `<p>${(Array.isArray(def.helpUrl) ? def.helpUrl : [def.helpUrl]).map((u) => `<a href="${esc(u)}">${esc(u)}</a>`).join('<br>')}</p>` : '') +
    '</section>'
  );
}

export function helpPage(ctx: ApiContext, nodes: ModuleNode[]): string {
  const site = ctx.services.config.sitename;
  return (
    `<!DOCTYPE html>\n<html lang="en" dir="ltr">\n<head>\n<meta charset="UTF-8">\n<title>API help — ${esc(site)}</title>\n` +
    `<meta name="generator" content="${esc(GENERATOR)}">\n` +
    '<meta name="robots" content="noindex,nofollow">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<link rel="EditURI" type="application/rsd+xml" href="${esc(ctx.apiUrl)}?action=rsd">\n` +
    '<style>body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}table{border-collapse:collapse}th,td{border:1px solid #c8ccd1;padding:.25em .5em;text-align:start;vertical-align:top}</style>\n' +
    `</head>\n<body>\n<h1>${esc(site)} API</h1>\n<p>This server speaks MediaWiki's Action API for accounts and password recovery. ` +
    'Every request takes <code>format=json</code> (and <code>formatversion=2</code> for modern output); ' +
    '<code>xml</code> and <code>php</code> are there for older clients.</p>\n' +
    nodes.map((n) => moduleSection(ctx, n)).join('\n') +
    '\n</body>\n</html>\n'
  );
}

export const helpModule = defineModule({
  name: 'help',
  summary: 'Display help for the specified modules.',
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
    { query: 'action=help', description: 'Help for the main module.', key: 'apihelp-help-example-main' },
    { query: 'action=help&modules=query+tokens', description: 'Help for meta=tokens.' },
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
