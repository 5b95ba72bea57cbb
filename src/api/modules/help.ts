// action=help: a readable HTML page describing the modules (also the answer to a bare api.php).
import { defineModule, moduleParams, resolveFlag, type ApiContext, type ModuleDef } from '../module.js';
import { param, type ParamSpec } from '../params.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function paramRow(prefix: string, name: string, spec: ParamSpec): string {
  const type = spec.type === 'enum' ? `one ${spec.multi ? 'or more ' : ''}of: ${(spec.values ?? []).join(', ') || '(none)'}` : spec.type;
  const notes = [
    spec.required ? 'required' : '',
    spec.default !== undefined && spec.default !== '' ? `default: ${String(spec.default)}` : '',
    spec.tokentype ? `a "${spec.tokentype}" token from action=query&meta=tokens` : '',
    spec.multi && spec.type !== 'enum' ? 'values separated by |' : '',
  ].filter(Boolean);
  return `<tr><th scope="row"><code>${esc(prefix + name)}</code></th><td>${esc(type)}</td><td>${esc(notes.join('; '))}</td></tr>`;
}

function moduleSection(ctx: ApiContext, def: ModuleDef, label: string): string {
  const s = ctx.services;
  const flags = [
    def.readMode !== false ? 'needs read rights' : '',
    resolveFlag(def.writeMode, s, false) ? 'needs write rights' : '',
    resolveFlag(def.mustBePosted, s, false) ? 'accepts only POST' : '',
  ].filter(Boolean);
  const rows = Object.entries(moduleParams(def, s)).map(([n, spec]) => paramRow(def.prefix ?? '', n, spec));
  const examples = (def.examples ?? []).map((e) => `<li><code>api.php?${esc(e.query)}</code> — ${esc(e.description)}</li>`);
  return (
    `<section id="${esc(label)}"><h2>${esc(label)}</h2><p>${esc(def.summary)}</p>` +
    (flags.length ? `<p><small>${esc(flags.join(' · '))}</small></p>` : '') +
    (rows.length ? `<table><thead><tr><th>Parameter</th><th>Type</th><th>Notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p>No parameters.</p>') +
    (examples.length ? `<h3>Examples</h3><ul>${examples.join('')}</ul>` : '') +
    (def.helpUrl ? `<p><a href="${esc(def.helpUrl)}">More documentation</a></p>` : '') +
    '</section>'
  );
}

export function helpPage(ctx: ApiContext, only: string[] | null): string {
  const { actions, meta } = ctx.services.modules;
  const sections: string[] = [];
  for (const [name, def] of actions) if (!only || only.includes(name)) sections.push(moduleSection(ctx, def, `action=${name}`));
  for (const [name, def] of meta) if (!only || only.includes(`query+${name}`)) sections.push(moduleSection(ctx, def, `meta=${name}`));
  const site = ctx.services.config.sitename;
  return (
    `<!DOCTYPE html>\n<html lang="en" dir="ltr"><head><meta charset="UTF-8"><title>API help — ${esc(site)}</title>` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<style>body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}table{border-collapse:collapse}th,td{border:1px solid #c8ccd1;padding:.25em .5em;text-align:start;vertical-align:top}</style>' +
    `</head><body><h1>${esc(site)} API</h1><p>This server speaks MediaWiki's Action API for accounts and password recovery. ` +
    'Every request takes <code>format=json</code> (and <code>formatversion=2</code> for modern output).</p>' +
    sections.join('\n') +
    '</body></html>\n'
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
  async execute(ctx, p) {
    const mods = String(p.modules ?? 'main');
    const only = mods === 'main' ? null : mods.split('|');
    const html = helpPage(ctx, only);
    if (p.wrap) return { help: { mime: 'text/html', help: html } };
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
