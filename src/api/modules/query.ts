// action=query: runs the meta= submodules. This server holds no pages: prop= and list= values only warn.
import { ApiError } from '../errors.js';
import { defineModule, moduleParams, type ModuleDef } from '../module.js';
import { param, splitMulti, validateParams } from '../params.js';
import { tokensModule } from './query/tokens.js';
import { userInfoModule } from './query/userinfo.js';
import { siteInfoModule } from './query/siteinfo.js';
import { authManagerInfoModule } from './query/authmanagerinfo.js';

export const META_MODULES: ModuleDef[] = [authManagerInfoModule, siteInfoModule, tokensModule, userInfoModule];
const META_NAMES = META_MODULES.map((m) => m.name);

export const queryModule = defineModule({
  name: 'query',
  summary: 'Fetch data from and about the wiki.',
  params: {
    prop: param.multi([]),
    list: param.multi([]),
    meta: param.multi(META_NAMES),
    indexpageids: param.bool(),
    export: param.bool(),
    exportnowrap: param.bool(),
    iwurl: param.bool(),
    continue: param.string(),
    rawcontinue: param.bool(),
    titles: param.string(),
    pageids: param.string(),
    revids: param.string(),
    generator: param.string(),
    redirects: param.bool(),
    converttitles: param.bool(),
  },
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Query',
  async execute(ctx, p) {
    const query: Record<string, unknown> = {};
    for (const name of (p.meta as string[] | null) ?? []) {
      const sub = META_MODULES.find((m) => m.name === name)!;
      const warnings: Parameters<typeof validateParams>[3] = [];
      const params = validateParams(ctx.req, sub.prefix ?? '', moduleParams(sub, ctx.services), warnings);
      for (const w of warnings) ctx.addWarning(sub.path!, w);
      if (sub.readMode !== false && !ctx.performer.can('read')) throw new ApiError('readapidenied', 'apierror-readapidenied');
      Object.assign(query, await sub.execute(ctx, params));
    }
    const out: Record<string, unknown> = { batchcomplete: true };
    if (Object.keys(query).length) out.query = query;
    return out;
  },
});
