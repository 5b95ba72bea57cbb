// action=paraminfo: each module's declared contract, as clients (mwn's badtoken recovery) read it.
import { defineModule, moduleParams, resolveFlag, type ApiContext, type ModuleDef } from '../module.js';
import { MULTI_LIMIT, param, type ParamSpec } from '../params.js';

function describeParam(spec: ParamSpec, name: string, index: number): Record<string, unknown> {
  const out: Record<string, unknown> = { index, name, type: spec.type === 'enum' ? [...(spec.values ?? [])] : spec.type === 'text' ? 'text' : spec.type };
  out.required = spec.required ?? false;
  if (spec.sensitive) out.sensitive = true;
  if (spec.default !== undefined) out.default = spec.default;
  out.multi = spec.multi ?? false;
  if (spec.multi) {
    out.lowlimit = MULTI_LIMIT;
    out.highlimit = 500;
    out.limit = MULTI_LIMIT;
    if (spec.allowAll) out.allspecifier = '*';
  }
  if (spec.type === 'user') out.subtypes = [...(spec.subtypes ?? ['name'])];
  if (spec.tokentype) out.tokentype = spec.tokentype;
  if (spec.min !== undefined) out.min = spec.min;
  if (spec.max !== undefined) out.max = spec.max;
  return out;
}

export function describeModule(ctx: ApiContext, def: ModuleDef, group: string, helpformat = 'none'): Record<string, unknown> {
  const s = ctx.services;
  const out: Record<string, unknown> = {
    name: def.name,
    classname: `mwauth\\${def.name}`,
    path: def.path ?? def.name,
    group,
    prefix: def.prefix ?? '',
    source: 'mwauth',
    sourcename: 'mwauth',
    licensetag: 'MIT',
    licenselink: 'https://opensource.org/licenses/MIT',
  };
  if (def.readMode !== false) out.readrights = true;
  if (resolveFlag(def.writeMode, s, false)) out.writerights = true;
  if (resolveFlag(def.mustBePosted, s, false)) out.mustbeposted = true;
  out.helpurls = def.helpUrl ? [def.helpUrl] : [];
  // Examples are help text: MediaWiki lists them only when help is asked for (helpformat other than none).
  if (helpformat !== 'none' && def.examples?.length) out.examples = def.examples.map((e) => ({ query: `api.php?${e.query}` }));
  out.parameters = Object.entries(moduleParams(def, s)).map(([name, spec], i) => describeParam(spec, name, i + 1));
  out.templatedparameters = [];
  return out;
}

export const paramInfoModule = defineModule({
  name: 'paraminfo',
  summary: 'Obtain information about API modules.',
  readMode: false,
  params: {
    modules: param.string({ multi: true }),
    helpformat: param.enum(['html', 'wikitext', 'raw', 'none'], { default: 'none' }),
    querymodules: param.string({ multi: true, deprecated: true }),
    mainmodule: param.bool({ deprecated: true }),
    pagesetmodule: param.bool({ deprecated: true }),
    formatmodules: param.string({ multi: true, deprecated: true }),
  },
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Parameter_information',
  async execute(ctx, p) {
    const { actions, meta } = ctx.services.modules;
    const modules: Array<Record<string, unknown>> = [];
    const names = [
      ...splitList(p.modules),
      ...splitList(p.querymodules).map((n) => `query+${n}`),
    ];
    for (const path of names) {
      const [head, sub] = path.split('+');
      const def = sub ? (head === 'query' ? meta.get(sub) : undefined) : actions.get(head!);
      if (!def) {
        ctx.warn('paraminfo', 'apiwarn-badmodule', path);
        continue;
      }
      modules.push(describeModule(ctx, def, sub ? 'meta' : 'action', p.helpformat as string));
    }
    return { paraminfo: { helpformat: p.helpformat, modules } };
  },
});

function splitList(v: unknown): string[] {
  if (typeof v !== 'string' || !v) return [];
  return v.split('|').filter(Boolean);
}
