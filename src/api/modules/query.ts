// action=query: runs the meta= submodules. This server holds no pages: prop= and list= have no
// values (any value only warns), generator= has none either, and the page set stays empty.
import { ApiError } from '../errors.js';
import { defineModule, moduleParams, type ModuleDef } from '../module.js';
import { param, validateParams } from '../params.js';
import { tokensModule } from './query/tokens.js';
import { userInfoModule } from './query/userinfo.js';
import { siteInfoModule } from './query/siteinfo.js';
import { authManagerInfoModule } from './query/authmanagerinfo.js';

export const META_MODULES: ModuleDef[] = [authManagerInfoModule, siteInfoModule, tokensModule, userInfoModule];

/** ApiPageSet's parameters, which query takes (this server's page set is always empty). */
export const PAGE_SET_PARAMS = {
  titles: param.string({ multi: true }),
  pageids: param.int({ multi: true }),
  revids: param.int({ multi: true }),
  generator: param.enum([], { submodules: {}, submoduleParamPrefix: 'g' }),
  redirects: param.bool(),
  converttitles: param.bool(),
};

const paths = (names: string[]) => Object.fromEntries(names.map((n) => [n, `query+${n}`]));

export const queryModule = defineModule({
  name: 'query',
  summary: 'Information about the site and the session (this site holds no pages).',
  params: (s) => {
    const meta = [...s.modules.meta.keys()].sort();
    return {
      prop: param.multi([], { submodules: {} }),
      list: param.multi([], { submodules: {} }),
      meta: param.multi(meta, { submodules: paths(meta) }),
      indexpageids: param.bool(),
      export: param.bool(),
      exportnowrap: param.bool(),
      exportschema: param.enum(['0.10', '0.11'], { default: '0.11' }),
      iwurl: param.bool(),
      continue: param.string(),
      rawcontinue: param.bool(),
      ...PAGE_SET_PARAMS,
    };
  },
  helpUrl: [
    'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Query',
    'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Meta',
    'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Properties',
    'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Lists',
  ],
  async execute(ctx, p) {
    const query: Record<string, unknown> = {};
    for (const name of (p.meta as string[] | null) ?? []) {
      const sub = ctx.services.modules.meta.get(name)!;
      const warnings: Parameters<typeof validateParams>[3] = [];
      let params;
      try {
        params = validateParams(ctx.req, sub.prefix ?? '', moduleParams(sub, ctx.services), warnings, `action=query&meta=${name}&`);
      } catch (e) {
        // A submodule's refused parameter is that submodule's error ("query+tokens").
        if (e instanceof ApiError) e.module ??= sub.path;
        throw e;
      }
      for (const w of warnings) ctx.addWarning(sub.path!, w);
      if (sub.readMode !== false && !ctx.performer.can('read')) throw new ApiError('readapidenied', 'apierror-readapidenied');
      Object.assign(query, await sub.execute(ctx, params));
    }
    const out: Record<string, unknown> = { batchcomplete: true };
    if (Object.keys(query).length) out.query = query;
    return out;
  },
});
